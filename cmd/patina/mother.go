package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/token"
	"github.com/patina-dev/patina/service"
)

func versionString() string { return buildinfo.Version }

func motherVerb() *verb {
	return &verb{
		name:    "mother",
		summary: "the per-user daemon: serve, status, install, token, dial-stdio",
		sub: []*verb{
			serveVerb(),
			statusVerb(),
			installVerb(),
			uninstallVerb(),
			tokenVerb(),
			dialStdioVerb(),
		},
	}
}

func serveVerb() *verb {
	v := &verb{name: "serve", summary: "run the daemon on inherited sockets (systemd, launchd) or, standalone, on the user's socket"}
	v.run = func(args []string) error {
		fs := flags("serve")
		tcp := fs.String("tcp", "", "also listen on TCP `HOST:PORT` (token required; prefer 127.0.0.1)")
		tcpHosts := fs.StringSlice("tcp-host", nil, "extra `NAME` accepted in the Host header on TCP (repeatable)")
		idle := fs.Duration("idle-timeout", 10*time.Minute, "when socket-activated, exit after this long with nothing to do (0: never)")
		queryTimeout := fs.Duration("query-timeout", 30*time.Second, "deadline for each query; past it the answer is 504")
		concurrency := fs.Int("concurrency", 0, "queries run at once (0: GOMAXPROCS)")
		queueWait := fs.Duration("queue-wait", 2*time.Second, "how long a query waits for a slot before 503")
		drain := fs.Duration("drain-timeout", 10*time.Second, "on SIGTERM/SIGINT, how long in-flight requests may finish")
		secretsIdle := fs.Duration("secrets-idle-ttl", 10*time.Minute, "forget an unlocked vault after this long unused")
		secretsMax := fs.Duration("secrets-max-ttl", 2*time.Hour, "forget an unlocked vault after this long, used or not")
		logLevel := fs.String("log-level", "info", "debug, info, warn or error")
		if err := parse(fs, "mother serve [flags]", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("mother serve takes no arguments (got %q)", fs.Arg(0))
		}
		var level slog.Level
		if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
			return usagef("--log-level %q: want debug, info, warn or error", *logLevel)
		}
		if *concurrency < 0 || *idle < 0 || *queryTimeout < 0 || *secretsIdle < 0 || *secretsMax < 0 {
			return usagef("--concurrency and the durations must not be negative")
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
		return serve(log, serveOptions{
			tcp: *tcp, tcpHosts: *tcpHosts, secretsIdle: *secretsIdle, secretsMax: *secretsMax,
			cfg: service.Config{
				Log: log, Gate: *concurrency, GateWait: *queueWait, QueryTimeout: *queryTimeout,
				IdleTimeout: *idle, DrainTimeout: *drain,
			},
		})
	}
	return v
}

type serveOptions struct {
	tcp                     string
	tcpHosts                []string
	secretsIdle, secretsMax time.Duration
	cfg                     service.Config
}

func serve(log *slog.Logger, o serveOptions) error {
	// Read LISTEN_* first and once: go-systemd unsets them.
	listeners, activation, err := service.Inherited()
	if err != nil {
		return err
	}
	if err := service.DisableCoreDumps(); err != nil {
		log.Warn("could not disable core dumps", "err", err)
	}
	if len(listeners) == 0 {
		sock, err := paths.Socket()
		if err != nil {
			return err
		}
		l, err := service.ListenStandalone(sock)
		if err != nil {
			return err
		}
		listeners, activation = []service.Listener{l}, "standalone"
		fmt.Fprintf(os.Stderr, "patina: mother serving on %s\npatina: try: curl --unix-socket %s http://patina/health\n", sock, sock)
	}
	if o.tcp != "" {
		l, err := service.ListenTCP(o.tcp, nil) // --tcp-host names are added below
		if err != nil {
			closeAll(listeners)
			return err
		}
		listeners = append(listeners, l)
	}
	for i := range listeners { // inherited TCP sockets answer to --tcp-host too
		if listeners[i].Network {
			listeners[i].Hosts = append(listeners[i].Hosts, o.tcpHosts...)
		}
	}
	tokPath, err := paths.Token()
	if err != nil {
		closeAll(listeners)
		return err
	}
	o.cfg.TokenPath = tokPath
	o.cfg.Activation = activation
	srv := service.New(o.cfg)
	service.NewSecretsCache(o.secretsIdle, o.secretsMax).Register(srv)
	engine, err := knowledge.NewEngine()
	if err != nil {
		closeAll(listeners)
		return err
	}
	defer engine.Close()
	engine.WarmOnUse() // the first scry starts loading models and vectors; start-up loads nothing
	service.RegisterScry(srv, engine)
	service.RegisterRead(srv, engine)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err = srv.Serve(ctx, listeners)
	log.Info("stopped")
	return err
}

func closeAll(ls []service.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

func statusVerb() *verb {
	v := &verb{name: "status", summary: "is the daemon reachable? socket, version, uptime, activation, unit state"}
	v.run = func(args []string) error {
		fs := flags("status")
		asJSON := fs.BoolP("json", "j", false, "print the status as JSON")
		if err := parse(fs, "mother status [--json]", v.summary, args); err != nil {
			return err
		}
		sock, err := paths.Socket()
		if err != nil {
			return err
		}
		c := client.Local(sock)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h, herr := c.Health(ctx)
		st := motherStatus{Socket: sock, Reachable: herr == nil, Units: unitState()}
		var foreign *client.ForeignError
		if herr == nil {
			st.Version, st.UptimeSecs, st.Activation, st.PID = h.Version, h.UptimeSecs, h.Activation, h.PID
		} else {
			st.Error = herr.Error()
			if errors.As(herr, &foreign) {
				st.Hint = foreign.Hint()
			}
		}
		if *asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.Encode(st)
		} else {
			printStatus(os.Stdout, st)
		}
		if c.VersionSkew() {
			fmt.Fprintf(os.Stderr, "patina: warning: daemon runs %s, this CLI is %s: restart it (systemctl --user restart patina.service)\n", c.DaemonVersion(), buildinfo.Version)
		}
		if st.Hint != "" {
			fmt.Fprintf(os.Stderr, "patina: hint: %s\n", st.Hint)
		}
		if herr != nil {
			return exitError{1}
		}
		return nil
	}
	return v
}

type motherStatus struct {
	Socket     string `json:"socket"`
	Reachable  bool   `json:"reachable"`
	Version    string `json:"version,omitempty"`
	UptimeSecs int64  `json:"uptime_secs,omitempty"`
	Activation string `json:"activation,omitempty"`
	PID        int    `json:"pid,omitempty"`
	Units      string `json:"units,omitempty"`
	Error      string `json:"error,omitempty"`
	Hint       string `json:"hint,omitempty"` // how to fix Error, when we know
}

func printStatus(w io.Writer, st motherStatus) {
	fmt.Fprintf(w, "socket:     %s\n", st.Socket)
	if st.Reachable {
		fmt.Fprintf(w, "reachable:  yes\nversion:    %s\nuptime:     %s\nactivation: %s\npid:        %d\n",
			st.Version, time.Duration(st.UptimeSecs)*time.Second, st.Activation, st.PID)
	} else {
		fmt.Fprintf(w, "reachable:  no (%s)\n", st.Error)
	}
	if st.Units != "" {
		fmt.Fprintf(w, "units:      %s\n", st.Units)
	}
}

func tokenVerb() *verb {
	v := &verb{name: "token", summary: "print the path of the TCP bearer-token file (never its value), creating it if needed"}
	v.run = func(args []string) error {
		fs := flags("token")
		rotate := fs.Bool("rotate", false, "replace the token with a new random one (running daemons pick it up)")
		asJSON := fs.BoolP("json", "j", false, `print {"path": …, "rotated": …} as JSON (the path only, never the token)`)
		if err := parse(fs, "mother token [--rotate] [--json]", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("mother token takes no arguments")
		}
		if _, err := paths.EnsureHome(); err != nil {
			return err
		}
		path, err := paths.Token()
		if err != nil {
			return err
		}
		if *rotate {
			_, err = token.Rotate(path)
		} else {
			_, err = token.Ensure(path)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			b, err := json.MarshalIndent(struct {
				Path    string `json:"path"`
				Rotated bool   `json:"rotated"`
			}{path, *rotate}, "", "  ")
			if err != nil {
				return err
			}
			fmt.Println(string(b))
		} else {
			fmt.Println(path)
		}
		if *rotate {
			fmt.Fprintln(os.Stderr, "patina: token rotated; clients need the new file (or PATINA_MOTHER_TOKEN)")
		}
		return nil
	}
	return v
}

func dialStdioVerb() *verb {
	v := &verb{name: "dial-stdio", summary: "bridge stdin/stdout to the local socket (for `ssh HOST patina mother dial-stdio`)"}
	v.run = func(args []string) error {
		fs := flags("dial-stdio")
		if err := parse(fs, "mother dial-stdio", v.summary, args); err != nil {
			return err
		}
		sock, err := paths.Socket()
		if err != nil {
			return err
		}
		c, err := client.DialLocal(context.Background(), sock)
		var foreign *client.ForeignError
		switch {
		case errors.As(err, &foreign):
			return withHint(err, foreign.Hint())
		case err != nil:
			return fmt.Errorf("mother is not answering at %s: %w", sock, err)
		}
		return bridge(c, os.Stdin, os.Stdout)
	}
	return v
}

// bridge copies in → c and c → out. When in ends, the socket's write side
// is shut (half-close) so the daemon sees EOF yet can still answer; the
// bridge ends when the daemon closes its side.
func bridge(c *net.UnixConn, in io.Reader, out io.Writer) error {
	defer c.Close()
	go func() {
		io.Copy(c, in)
		c.CloseWrite()
	}()
	_, err := io.Copy(out, c)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// sanitize keeps unit-state output to one short line.
func sanitize(s string) string { return strings.Join(strings.Fields(s), " ") }
