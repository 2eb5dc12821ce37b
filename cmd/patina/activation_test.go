//go:build linux

package main

// The daemon on inherited sockets, as systemd passes them: the real binary
// run under systemd-socket-activate (Debian's systemd package), which
// listens itself, waits for the first connection and then execs the daemon
// in place (same pid) with LISTEN_FDS/LISTEN_FDNAMES set.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// saProc is systemd-socket-activate running the daemon.
type saProc struct {
	cmd    *exec.Cmd
	dir    string // 0700 dir holding the socket
	sock   string
	home   string // PATINA_HOME
	tcp    string // HOST:PORT, "" without a TCP listener
	log    string // stdout+stderr of systemd-socket-activate, then the daemon
	exited chan error
	err    error // once exited
	done   bool
}

type saOptions struct {
	tcp    bool   // add a TCP listener on 127.0.0.1
	fdname string // --fdname value; "" passes no names
	idle   string // --idle-timeout
}

func socketActivateBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed (Debian package systemd; `make deps` installs it)")
	}
	return p
}

// shortTempDir is a 0700 temp dir with a short path: unix socket paths are
// limited to 108 bytes, and t.TempDir() names can be long.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	d, err := os.MkdirTemp("", prefix)
	must(t, err)
	must(t, os.Chmod(d, 0o700))
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSocketActivate starts systemd-socket-activate and waits until it
// listens. It does not connect: the first connection execs the daemon.
func startSocketActivate(t *testing.T, o saOptions) *saProc {
	t.Helper()
	bin := socketActivateBin(t)
	base := shortTempDir(t, "pt-sa-")
	p := &saProc{dir: filepath.Join(base, "run"), home: filepath.Join(base, "home"), log: filepath.Join(base, "sa.log")}
	p.sock = filepath.Join(p.dir, "mother.sock")
	must(t, os.Mkdir(p.dir, 0o700))
	// A free port can be taken between the probe and the bind: retry.
	for attempt := 0; ; attempt++ {
		args := []string{"-l", p.sock}
		want := 1
		if o.tcp {
			p.tcp = "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
			args = append(args, "-l", p.tcp)
			want = 2
		}
		if o.fdname != "" {
			args = append(args, "--fdname="+o.fdname)
		}
		// systemd-socket-activate passes on only PATH, TERM, USER and HOME
		// (plus LISTEN_*): anything else goes through -E.
		args = append(args, "-E", "PATINA_HOME="+p.home, "--", patinaBin, "mother", "serve", "--idle-timeout", o.idle)
		logf, err := os.Create(p.log)
		must(t, err)
		p.cmd = exec.Command(bin, args...)
		p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + p.home}
		p.cmd.Stdout, p.cmd.Stderr = logf, logf
		must(t, p.cmd.Start())
		logf.Close()
		p.exited = make(chan error, 1)
		go func(cmd *exec.Cmd, c chan error) { c <- cmd.Wait() }(p.cmd, p.exited)
		listening := p.waitLog(t, "Listening on", want, 5*time.Second)
		if listening {
			break
		}
		log := p.logText()
		if strings.Contains(log, "in use") && attempt < 3 {
			os.Remove(p.sock)
			continue
		}
		t.Fatalf("systemd-socket-activate did not start listening:\n%s", log)
	}
	t.Cleanup(func() {
		if !p.done {
			p.cmd.Process.Signal(syscall.SIGTERM)
			if _, ok := p.wait(10 * time.Second); !ok {
				p.cmd.Process.Kill()
				p.wait(5 * time.Second)
			}
		}
		if t.Failed() {
			t.Logf("systemd-socket-activate + daemon log:\n%s", p.logText())
		}
	})
	return p
}

// waitLog waits until the log holds n lines containing s; false when the
// process exited or time ran out first.
func (p *saProc) waitLog(t *testing.T, s string, n int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Count(p.logText(), s) >= n {
			return true
		}
		if _, ok := p.wait(10 * time.Millisecond); ok {
			return false
		}
	}
	return false
}

func (p *saProc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// wait waits up to d for the process to exit; ok reports whether it did.
func (p *saProc) wait(d time.Duration) (error, bool) {
	if p.done {
		return p.err, true
	}
	select {
	case p.err = <-p.exited:
		p.done = true
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

// comm is the kernel's name for the process: "systemd-socket-" (15-byte
// truncation) before the exec, "patina" after.
func (p *saProc) comm() string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p.cmd.Process.Pid))
	return strings.TrimSpace(string(b))
}

// httpReply is one response, read in full.
type httpReply struct {
	code int
	body []byte
}

type healthReply struct {
	Status     string `json:"status"`
	Version    string `json:"version"`
	UptimeSecs int64  `json:"uptime_secs"`
	Activation string `json:"activation"`
	PID        int    `json:"pid"`
}

func (r httpReply) health(t *testing.T) healthReply {
	t.Helper()
	var h healthReply
	if err := json.Unmarshal(r.body, &h); err != nil {
		t.Fatalf("/health body %q: %v", r.body, err)
	}
	return h
}

// httpGet does one GET on a fresh connection (no keep-alive) to a unix
// socket (network "unix") or a TCP address; token, when set, goes in
// Authorization.
func httpGet(network, addr, path, token string) (httpReply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	defer tr.CloseIdleConnections()
	host := addr
	if network == "unix" {
		host = "patina"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+path, nil)
	if err != nil {
		return httpReply{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return httpReply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return httpReply{resp.StatusCode, body}, err
}

func mustGet(t *testing.T, network, addr, path, token string) httpReply {
	t.Helper()
	r, err := httpGet(network, addr, path, token)
	if err != nil {
		t.Fatalf("GET %s on %s %s: %v", path, network, addr, err)
	}
	return r
}

// fileID is what must not change on a socket file the daemon inherited:
// unlink+bind changes the inode, chmod/chown the ctime and mode.
type fileID struct {
	ino, mode, uid uint32
	mtime, ctime   syscall.Timespec
}

func statID(t *testing.T, p string) fileID {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatalf("stat %s: %v", p, err)
	}
	return fileID{ino: uint32(st.Ino), mode: st.Mode, uid: st.Uid, mtime: st.Mtim, ctime: st.Ctim}
}

func readToken(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file %s mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	must(t, err)
	return strings.TrimSpace(string(b))
}

func TestSocketActivateServes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, fdname string
	}{
		// The names systemd passes with FileDescriptorName=mother / =tcp.
		{"named", "mother:tcp"},
		// Without names a TCP listener still gets the network rules.
		{"unnamed", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := startSocketActivate(t, saOptions{tcp: true, fdname: c.fdname, idle: "1m"})
			before := statID(t, p.sock)
			if before.mode&syscall.S_IFMT != syscall.S_IFSOCK {
				t.Fatalf("%s is not a socket (mode %o)", p.sock, before.mode)
			}

			// Nothing runs before the first connection: no exec, and the
			// daemon has not created its home or token.
			if got := p.comm(); got == "patina" {
				t.Fatalf("daemon exec'd before any connection")
			}
			if _, err := os.Stat(p.home); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("PATINA_HOME exists before activation: %v", err)
			}

			t0 := time.Now()
			r := mustGet(t, "unix", p.sock, "/health", "")
			cold := time.Since(t0)
			if r.code != 200 {
				t.Fatalf("/health over unix: %d %s", r.code, r.body)
			}
			h := r.health(t)
			if h.Status != "ok" || h.Activation != "systemd" {
				t.Fatalf("/health = %+v, want status ok, activation systemd", h)
			}
			// systemd-socket-activate execs in place: the daemon is the
			// process we started.
			if h.PID != p.cmd.Process.Pid || p.comm() != "patina" {
				t.Fatalf("daemon pid %d comm %q; started pid %d", h.PID, p.comm(), p.cmd.Process.Pid)
			}
			t.Logf("cold activation (exec on first connection to /health answered): %v", cold.Round(time.Microsecond))

			// The unix socket needs no token: an unknown path is 404, not 401.
			if r := mustGet(t, "unix", p.sock, "/no/such/path", ""); r.code != 404 {
				t.Errorf("unknown path over unix without token: %d %s, want 404", r.code, r.body)
			}
			if r := mustGet(t, "unix", p.sock, "/version", ""); r.code != 200 {
				t.Errorf("/version over unix: %d %s", r.code, r.body)
			}

			// TCP: /health and /version are public, the rest needs the token.
			tok := readToken(t, filepath.Join(p.home, "mother.token"))
			for _, tc := range []struct {
				path, token string
				want        int
			}{
				{"/health", "", 200},
				{"/version", "", 200},
				{"/no/such/path", "", 401},
				{"/no/such/path", "wrong-" + tok, 401},
				{"/no/such/path", tok, 404},
				{"/health", tok, 200},
			} {
				r := mustGet(t, "tcp", p.tcp, tc.path, tc.token)
				if r.code != tc.want {
					t.Errorf("TCP GET %s (token %v): %d %s, want %d", tc.path, tc.token != "", r.code, r.body, tc.want)
				}
				if tc.path == "/health" && r.code == 200 && r.health(t).Activation != "systemd" {
					t.Errorf("TCP /health: %s", r.body)
				}
			}

			// The daemon did not create, chmod or unlink the socket, nor
			// add anything next to it.
			if after := statID(t, p.sock); after != before {
				t.Errorf("socket file changed while serving: %+v -> %+v", before, after)
			}
			if ents, _ := os.ReadDir(p.dir); len(ents) != 1 {
				t.Errorf("socket dir holds %d entries, want only mother.sock", len(ents))
			}

			// SIGTERM with an idle keep-alive connection open: graceful exit 0.
			keep, err := net.Dial("unix", p.sock)
			must(t, err)
			defer keep.Close()
			fmt.Fprintf(keep, "GET /health HTTP/1.1\r\nHost: patina\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(keep), nil)
			must(t, err)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			t1 := time.Now()
			must(t, p.cmd.Process.Signal(syscall.SIGTERM))
			err, ok := p.wait(10 * time.Second)
			if !ok {
				t.Fatal("daemon did not exit within 10s of SIGTERM")
			}
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v, want 0", err)
			}
			t.Logf("SIGTERM to exit: %v", time.Since(t1).Round(time.Millisecond))
			if !strings.Contains(p.logText(), `msg="shutting down" reason=signal`) {
				t.Errorf("log does not record the signal shutdown")
			}
			keep.SetReadDeadline(time.Now().Add(2 * time.Second))
			if n, err := keep.Read(make([]byte, 1)); err == nil || n != 0 {
				t.Errorf("keep-alive connection still open after exit (n=%d err=%v)", n, err)
			}
			if after := statID(t, p.sock); after != before {
				t.Errorf("socket file changed by the shutdown: %+v -> %+v", before, after)
			}
		})
	}
}

func TestSocketActivateIdleExit(t *testing.T) {
	t.Parallel()
	const idle = time.Second
	p := startSocketActivate(t, saOptions{fdname: "mother", idle: idle.String()})
	before := statID(t, p.sock)

	// The idle clock starts at the exec, not before: with no connection,
	// systemd-socket-activate keeps waiting past the idle timeout.
	if _, exited := p.wait(idle + 300*time.Millisecond); exited {
		t.Fatalf("exited before any connection:\n%s", p.logText())
	}
	if p.comm() == "patina" {
		t.Fatal("daemon exec'd before any connection")
	}

	// Requests more often than the timeout keep it alive past it. The
	// daemon's idle clock restarts when it finishes a request: after the
	// request was sent (last), and possibly well before mustGet returns on
	// a loaded machine, so every bound is measured from last.
	start := time.Now()
	var last time.Time
	for time.Since(start) < idle+idle/2 {
		sent := time.Now()
		r := mustGet(t, "unix", p.sock, "/health", "")
		last = sent
		if r.code != 200 || r.health(t).Activation != "systemd" {
			t.Fatalf("/health: %d %s", r.code, r.body)
		}
		if _, exited := p.wait(idle / 3); exited {
			if since := time.Since(last); since >= idle {
				// Stalled past the timeout between two requests: the
				// exit was right, and the test cannot judge.
				t.Skipf("stalled %v (idle timeout %v) between two requests; cannot judge under this load", since, idle)
			}
			t.Fatalf("daemon exited %v after its last request was sent, idle timeout %v", time.Since(last), idle)
		}
	}

	// Then, left alone, it exits by itself, with 0.
	err, ok := p.wait(idle + 5*time.Second)
	if !ok {
		t.Fatalf("daemon still running %v after its last request (idle timeout %v)", time.Since(last), idle)
	}
	after := time.Since(last)
	if err != nil {
		t.Fatalf("idle exit: %v, want exit 0", err)
	}
	if after < idle {
		t.Fatalf("exited %v after the last request was sent, before the idle timeout %v", after, idle)
	}
	t.Logf("idle exit %v after the last request (idle timeout %v)", after.Round(time.Millisecond), idle)
	if !strings.Contains(p.logText(), `msg="shutting down" reason=idle`) {
		t.Errorf("log does not record the idle shutdown")
	}

	// The socket file stays, untouched; with systemd-socket-activate gone
	// nobody listens on it any more (systemd would, and start us again).
	if got := statID(t, p.sock); got != before {
		t.Errorf("socket file changed: %+v -> %+v", before, got)
	}
	if c, err := net.Dial("unix", p.sock); err == nil {
		c.Close()
		t.Error("something still accepts on the socket after the daemon exited")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after exit: %v, want connection refused", err)
	}
}
