// Package service is the mother daemon: listeners (systemd, launchd,
// standalone), the HTTP API on them, and the rules every request passes
// through, in this order: browser defence, peer credentials, token, routing,
// body cap, execution bounding, handler. Handlers never see sockets; domain
// logic lives in internal/.
package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/token"
)

// Limits from DESIGN §5.
const (
	MaxHeaderBytes = 32 << 10 // request line + headers, → 431
	MaxBodyBytes   = 1 << 20  // bytes actually read, → 413
)

// Config holds the daemon's knobs. Zero values take the defaults.
type Config struct {
	Log *slog.Logger

	Gate         int           // concurrent bounded requests; default GOMAXPROCS
	GateWait     time.Duration // wait for a slot before 503; default 2s
	QueryTimeout time.Duration // per-request deadline → 504; default 30s
	IdleTimeout  time.Duration // exit when activated and idle; 0 = never
	DrainTimeout time.Duration // graceful shutdown bound; default 10s

	ReadHeaderTimeout time.Duration // default 5s
	ReadTimeout       time.Duration // whole request incl. body; default 30s
	WriteTimeout      time.Duration // default QueryTimeout + 10s
	WriteWait         time.Duration // to write an answer once it is ready; default 10s
	ConnIdleTimeout   time.Duration // keep-alive idle; default 60s

	// TokenPath is the bearer-token file for network listeners.
	TokenPath string
	// Activation is how the listeners were obtained: "systemd", "launchd"
	// or "standalone". Idle exit applies only when it is not standalone.
	Activation string
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Gate <= 0 {
		c.Gate = runtime.GOMAXPROCS(0)
	}
	if c.GateWait <= 0 {
		c.GateWait = 2 * time.Second
	}
	if c.QueryTimeout <= 0 {
		c.QueryTimeout = 30 * time.Second
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 5 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = c.QueryTimeout + 10*time.Second
	}
	if c.WriteWait <= 0 {
		c.WriteWait = 10 * time.Second
	}
	if c.ConnIdleTimeout <= 0 {
		c.ConnIdleTimeout = 60 * time.Second
	}
	if c.Activation == "" {
		c.Activation = "standalone"
	}
}

// Server is the daemon.
type Server struct {
	cfg    Config
	log    *slog.Logger
	routes *registry
	gate   *gate
	start  time.Time

	tokenOnce sync.Once
	tokens    *token.Checker
	tokenErr  error

	inflight   atomic.Int64
	lastActive atomic.Int64 // unix nanos of the last request's end

	mu           sync.Mutex
	idleBlockers []func() bool
	onShutdown   []func()
}

// New returns a daemon with /health and /version registered.
func New(cfg Config) *Server {
	cfg.defaults()
	s := &Server{
		cfg:    cfg,
		log:    cfg.Log,
		routes: newRegistry(),
		gate:   newGate(cfg.Gate, cfg.GateWait),
		start:  time.Now(),
	}
	s.lastActive.Store(time.Now().UnixNano())
	s.Handle(Route{Method: http.MethodGet, Path: "/health", Public: true, Handler: s.health})
	s.Handle(Route{Method: http.MethodGet, Path: "/version", Public: true, Handler: version})
	return s
}

// Handle registers a route. It panics on a duplicate method and path.
func (s *Server) Handle(rt Route) { s.routes.add(rt) }

// BlockIdleExit adds a check that keeps the daemon alive while it returns
// true (e.g. the secrets cache holds a live entry).
func (s *Server) BlockIdleExit(busy func() bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idleBlockers = append(s.idleBlockers, busy)
}

// OnShutdown runs f when the daemon stops (e.g. to wipe the secrets cache).
func (s *Server) OnShutdown(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onShutdown = append(s.onShutdown, f)
}

type healthResponse struct {
	Status     string `json:"status"`
	Version    string `json:"version"`
	UptimeSecs int64  `json:"uptime_secs"`
	Activation string `json:"activation"`
	PID        int    `json:"pid"`
}

func (s *Server) health(ctx context.Context, r *Request) (any, error) {
	return healthResponse{
		Status:     "ok",
		Version:    buildinfo.Version,
		UptimeSecs: int64(time.Since(s.start).Seconds()),
		Activation: s.cfg.Activation,
		PID:        pid,
	}, nil
}

func version(ctx context.Context, r *Request) (any, error) {
	return map[string]string{"name": buildinfo.Name, "version": buildinfo.Version}, nil
}

// ServeHTTP runs the request through the daemon's rules.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	begin := time.Now()
	s.inflight.Add(1)
	rec := &statusRecorder{ResponseWriter: w}
	peer := peerFrom(r.Context())
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			if !rec.wrote {
				writeError(rec, http.StatusInternalServerError, "internal error")
			}
		}
		rec.flush()
		s.lastActive.Store(time.Now().UnixNano())
		s.inflight.Add(-1)
		ms := float64(time.Since(begin).Microseconds()) / 1000
		if rec.writeErr != nil {
			// Not a 200 the client got: say what happened to it.
			s.log.Warn("response not delivered", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"ms", ms, "listener", peer.Listener, "uid", peer.UID, "reason", writeFailure(rec.writeErr))
			return
		}
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"ms", ms, "listener", peer.Listener, "uid", peer.UID)
	}()
	w = rec
	w.Header().Set(versionHeader, buildinfo.Version)

	if status, msg := s.admit(r, peer); status != 0 {
		writeError(w, status, msg)
		return
	}
	rt, status, allowed := s.routes.lookup(r.Method, r.URL.Path, peer.Network)
	// On TCP the token comes before routing, so a caller without it learns
	// nothing about which paths exist.
	if peer.Network && !(status == http.StatusOK && rt.Public) && !s.tokenValid(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="patina"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (see `patina mother token`)")
		return
	}
	switch status {
	case http.StatusNotFound:
		writeError(w, status, "no such endpoint: "+r.URL.Path)
		return
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", allowed)
		writeError(w, status, fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allowed))
		return
	}
	if r.ContentLength > MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", MaxBodyBytes))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)

	var v any
	var err error
	if rt.Bounded {
		// The body is read (and capped) before a slot is taken: a client
		// sending it a byte a second must hold a connection, not a slot.
		if err = bufferBody(r); err == nil {
			v, err = s.runBounded(rt, r, peer)
		}
		if errors.Is(err, errBusy) {
			w.Header().Set("Retry-After", "1")
		}
	} else {
		v, err = rt.Handler(r.Context(), &Request{Request: r, Peer: peer})
	}
	// The slot is free by now; the answer gets its own write deadline, so
	// a client that never reads costs a connection for WriteWait at most.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
	if err != nil {
		status, msg := statusOf(err)
		if status == http.StatusInternalServerError {
			s.log.Error("handler failed", append([]any{"method", r.Method, "path", r.URL.Path}, failureAttrs(err)...)...)
		}
		writeError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// errBusy is a bounded request that found no free slot within GateWait.
var errBusy = Errorf(http.StatusServiceUnavailable, "daemon busy: all query slots are in use, retry shortly")

// runBounded runs a handler in a gate slot under the query deadline, and
// gives the slot back as soon as the handler returns (or panics), before
// anything is written.
func (s *Server) runBounded(rt Route, r *http.Request, peer Peer) (any, error) {
	ctx := r.Context()
	if !s.gate.acquire(ctx) {
		return nil, errBusy
	}
	defer s.gate.release()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	v, err := rt.Handler(ctx, &Request{Request: r.WithContext(ctx), Peer: peer})
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // finished, but past the deadline: the caller was promised 504
	}
	return v, err
}

// bufferBody reads the whole (capped) body into memory, so the handler's
// reads cannot block on the client.
func bufferBody(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return nil
}

// versionHeader carries the daemon's version on every response so clients
// can warn about skew.
const versionHeader = "Patina-Version"

// admit applies the connection-level rules before routing: browsers never
// get in, a network listener only answers to its own Host, and a local peer
// must be us (or root).
func (s *Server) admit(r *http.Request, peer Peer) (int, string) {
	// Presence is what counts: an empty Origin is still a browser's (or
	// one pretending), and Get would read "" for it.
	if _, ok := r.Header["Origin"]; ok {
		return http.StatusForbidden, "browser requests are refused (Origin or Referer present)"
	}
	if _, ok := r.Header["Referer"]; ok {
		return http.StatusForbidden, "browser requests are refused (Origin or Referer present)"
	}
	if peer.Network {
		info, _ := r.Context().Value(infoKey{}).(*listenerInfo)
		if info == nil || !hostAllowed(info, r) {
			return http.StatusForbidden, "Host header does not name this listener"
		}
		return 0, ""
	}
	if !peer.trusted() {
		return http.StatusForbidden, "peer uid is not the daemon's user"
	}
	return 0, ""
}

func hostAllowed(info *listenerInfo, r *http.Request) bool {
	host := strings.ToLower(r.Host)
	if info.hosts[host] {
		return true
	}
	// A wildcard bind (0.0.0.0:PORT) answers for the address the client
	// actually connected to.
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return host == strings.ToLower(la.String())
	}
	return false
}

// loadTokens reads (creating if needed) the token file, once.
func (s *Server) loadTokens() error {
	s.tokenOnce.Do(func() {
		if s.cfg.TokenPath == "" {
			s.tokenErr = errors.New("no token file configured")
			return
		}
		s.tokens, s.tokenErr = token.NewChecker(s.cfg.TokenPath)
	})
	return s.tokenErr
}

func (s *Server) tokenValid(r *http.Request) bool {
	if s.loadTokens() != nil {
		s.log.Error("token file unusable: refusing every authenticated TCP request", "path", s.cfg.TokenPath, "err", s.tokenErr)
		return false
	}
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	return s.tokens.Valid([]byte(strings.TrimSpace(h[len(prefix):])))
}

// statusRecorder remembers the status for the request log, whether a
// response was started (so a panic after writing does not write twice),
// and whether writing it failed.
type statusRecorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	writeErr error
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// flush pushes out what is buffered, so a failed write is seen here rather
// than lost inside net/http after the log line says it was sent.
func (r *statusRecorder) flush() {
	if r.wrote && r.writeErr == nil {
		r.writeErr = http.NewResponseController(r.ResponseWriter).Flush()
	}
}

// writeFailure names why a response was not delivered, for the log.
func writeFailure(err error) string {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "write deadline passed: the client stopped reading"
	}
	return "connection closed before the response was written"
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(p)
	if err != nil && r.writeErr == nil {
		r.writeErr = err
	}
	return n, err
}
