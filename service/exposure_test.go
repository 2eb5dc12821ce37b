package service

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A TCP bind that other machines can reach is logged loudly; a loopback
// bind is not. A wildcard bind still answers for the address the client
// dialled (and refuses foreign Host names).
func TestExposedTCPWarnsAndWildcardHostRules(t *testing.T) {
	for _, c := range []struct {
		addr string
		warn bool
	}{{"127.0.0.1:0", false}, {"0.0.0.0:0", true}} {
		logs := &syncBuffer{}
		srv := New(Config{Log: slog.New(slog.NewTextHandler(logs, nil)), TokenPath: t.TempDir() + "/tok"})
		l, err := ListenTCP(c.addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, []Listener{l}) }()

		_, port, _ := net.SplitHostPort(l.Addr().String())
		get := func(host string) int {
			req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/health", nil)
			req.Host = host
			var resp *http.Response
			for i := 0; i < 100; i++ {
				if resp, err = http.DefaultClient.Do(req); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		if st := get("127.0.0.1:" + port); st != 200 {
			t.Errorf("%s: Host 127.0.0.1:%s got %d", c.addr, port, st)
		}
		if st := get("evil.example:" + port); st != 403 {
			t.Errorf("%s: foreign Host got %d, want 403", c.addr, st)
		}
		cancel()
		<-done
		if got := strings.Contains(logs.String(), "NOT loopback-only"); got != c.warn {
			t.Errorf("%s: warning logged = %v, want %v\n%s", c.addr, got, c.warn, logs)
		}
	}
}
