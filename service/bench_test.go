package service

// Benchmarks for the daemon's transport cost (issue 2): GET /health over the
// unix socket with keep-alive and with a new connection per request, against
// a raw unix-socket echo round trip (64 bytes) in the same process as the
// baseline. packaging/scripts/bench.sh runs them and prints the ratios;
// run alone, the /health sub-benchmarks report an x-echo metric when the
// echo sub-benchmark ran first in the same process.
//
//	go test -run '^$' -bench '^BenchmarkUDS$' ./service/

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchEchoNsPerOp is the echo baseline measured in this process, 0 if the
// echo sub-benchmark did not run.
var benchEchoNsPerOp float64

func BenchmarkUDS(b *testing.B) {
	b.Run("echo", benchEcho)
	b.Run("health-keepalive", func(b *testing.B) { benchHealth(b, false) })
	b.Run("health-newconn", func(b *testing.B) { benchHealth(b, true) })
}

func benchDir(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp("", "patina-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// benchEcho is the floor: one 64-byte write and one 64-byte read over a
// unix socket, answered by a goroutine that echoes.
func benchEcho(b *testing.B) {
	sock := filepath.Join(benchDir(b), "echo.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	reply := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, reply); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	benchEchoNsPerOp = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	c.Close()
	l.Close()
	<-served
}

// benchHealth measures GET /health on a real daemon over its unix socket,
// with the request log formatted as in production (written to io.Discard).
func benchHealth(b *testing.B, newConnEach bool) {
	dir := benchDir(b)
	srv := New(Config{
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		TokenPath: filepath.Join(dir, "home", "mother.token"),
	})
	sock := filepath.Join(dir, "run", "mother.sock")
	l, err := ListenStandalone(sock)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, []Listener{l}) }()
	defer func() {
		cancel()
		<-done
	}()

	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: newConnEach,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	get := func() {
		resp, err := client.Get("http://patina/health")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	get() // warm up: the daemon is serving, the keep-alive connection open
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get()
	}
	b.StopTimer()
	if benchEchoNsPerOp > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchEchoNsPerOp, "x-echo")
	}
}
