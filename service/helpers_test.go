package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testServer is a daemon on a real unix socket (and optionally a real TCP
// listener) with test-only routes:
//
//	GET  /test/slow?ms=N  sleeps N ms or until the deadline (bounded)
//	GET  /test/panic      panics (bounded)
//	POST /test/echo       decodes {"n": int, "s": string} and echoes it (bounded)
//	POST /test/block      holds its slot until release is closed (bounded)
//	GET  /test/local      a LocalOnly route
type testServer struct {
	srv     *Server
	sock    string
	tcp     string // "" unless withTCP
	token   string
	logs    *syncBuffer
	release chan struct{}
	cancel  context.CancelFunc
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type echoBody struct {
	N int    `json:"n"`
	S string `json:"s"`
}

func startTestServer(t testing.TB, cfg Config, withTCP bool) *testServer {
	t.Helper()
	return startTestServerWith(t, cfg, withTCP, nil)
}

// startTestServerWith also lets the test register more routes before serving.
func startTestServerWith(t testing.TB, cfg Config, withTCP bool, register func(*Server)) *testServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "patina-svc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ts := &testServer{logs: &syncBuffer{}, release: make(chan struct{}), done: make(chan error, 1)}
	cfg.Log = slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.TokenPath = filepath.Join(dir, "home", "mother.token")
	ts.srv = New(cfg)
	registerTestRoutes(ts.srv, ts.release)
	if register != nil {
		register(ts.srv)
	}

	ts.sock = filepath.Join(dir, "run", "mother.sock")
	l, err := ListenStandalone(ts.sock)
	if err != nil {
		t.Fatal(err)
	}
	ls := []Listener{l}
	if withTCP {
		tl, err := ListenTCP("127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		ts.tcp = tl.Addr().String()
		ls = append(ls, tl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() { ts.done <- ts.srv.Serve(ctx, ls) }()
	if withTCP {
		// The token file is created by Serve before it serves.
		deadline := time.Now().Add(5 * time.Second)
		for {
			if b, err := os.ReadFile(cfg.TokenPath); err == nil && len(b) > 0 {
				ts.token = string(bytes.TrimSpace(b))
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("token file never appeared")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	select {
	case <-ts.release:
	default:
		close(ts.release)
	}
	ts.cancel()
	select {
	case <-ts.done:
	case <-time.After(15 * time.Second):
	}
}

func registerTestRoutes(s *Server, release chan struct{}) {
	s.Handle(Route{Method: http.MethodGet, Path: "/test/slow", Bounded: true, Handler: func(ctx context.Context, r *Request) (any, error) {
		d, _ := time.ParseDuration(r.URL.Query().Get("ms") + "ms")
		select {
		case <-time.After(d):
			return map[string]string{"status": "slept"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}})
	s.Handle(Route{Method: http.MethodGet, Path: "/test/panic", Bounded: true, Handler: func(ctx context.Context, r *Request) (any, error) {
		panic("test panic")
	}})
	s.Handle(Route{Method: http.MethodPost, Path: "/test/echo", Bounded: true, Handler: func(ctx context.Context, r *Request) (any, error) {
		var b echoBody
		if err := r.DecodeJSON(&b); err != nil {
			return nil, err
		}
		if b.N < 0 {
			return nil, Errorf(http.StatusBadRequest, "n must not be negative")
		}
		return b, nil
	}})
	s.Handle(Route{Method: http.MethodPost, Path: "/test/block", Bounded: true, Handler: func(ctx context.Context, r *Request) (any, error) {
		select {
		case <-release:
			return map[string]string{"status": "released"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}})
	s.Handle(Route{Method: http.MethodGet, Path: "/test/local", LocalOnly: true, Handler: func(ctx context.Context, r *Request) (any, error) {
		return map[string]string{"status": "local"}, nil
	}})
	s.Handle(Route{Method: http.MethodGet, Path: "/test/fail", Handler: func(ctx context.Context, r *Request) (any, error) {
		return nil, errors.New("internal detail that must not reach the client")
	}})
}

// unixClient is an HTTP client bound to the test socket.
func (ts *testServer) unixClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", ts.sock)
		},
	}, Timeout: 30 * time.Second}
}
