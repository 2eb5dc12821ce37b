package service

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func get(t *testing.T, c *http.Client, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// waitFor polls cond for up to 15 s; it returns whether cond became true.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func TestPanicReleasesSlotAndDaemonKeepsServing(t *testing.T) {
	ts := startTestServer(t, Config{Gate: 1, GateWait: 50 * time.Millisecond}, false)
	c := ts.unixClient()
	// With one slot, a leaked slot would turn the second panic into a 503.
	for i := 0; i < 5; i++ {
		status, _, body := get(t, c, "http://patina/test/panic")
		if status != http.StatusInternalServerError || !strings.Contains(body, `"error"`) {
			t.Fatalf("panic %d: got %d %s, want 500 JSON", i, status, body)
		}
	}
	if status, _, _ := get(t, c, "http://patina/test/slow?ms=1"); status != 200 {
		t.Fatalf("after panics: bounded route got %d, want 200", status)
	}
	// The slot of the last (successful) request is released after its
	// response is written, so the client can see the response first.
	if !waitFor(func() bool { return ts.srv.Stats().GateInUse == 0 }) {
		t.Fatalf("gate slots in use after panics: %d", ts.srv.Stats().GateInUse)
	}
	if !strings.Contains(ts.logs.String(), "handler panicked") {
		t.Error("panic not logged")
	}
}

func TestDeadlineGives504AndFreesEverything(t *testing.T) {
	ts := startTestServer(t, Config{QueryTimeout: 100 * time.Millisecond}, false)
	c := ts.unixClient()
	get(t, c, "http://patina/health") // warm the connection pool
	base := runtime.NumGoroutine()
	for i := 0; i < 10; i++ {
		status, _, body := get(t, c, "http://patina/test/slow?ms=10000")
		if status != http.StatusGatewayTimeout {
			t.Fatalf("slow request: got %d %s, want 504", status, body)
		}
	}
	if !waitFor(func() bool { return runtime.NumGoroutine() <= base+2 }) {
		t.Fatalf("goroutines: %d, baseline %d", runtime.NumGoroutine(), base)
	}
	// Slot and in-flight count are given back after the 504 is written.
	if !waitFor(func() bool { st := ts.srv.Stats(); return st.GateInUse == 0 && st.InFlight == 0 }) {
		t.Fatalf("after timeouts: %+v", ts.srv.Stats())
	}
}

func TestGateFloodGets503WhileHealthAnswers(t *testing.T) {
	ts := startTestServer(t, Config{Gate: 2, GateWait: 50 * time.Millisecond}, false)
	c := ts.unixClient()
	base := runtime.NumGoroutine()

	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Post("http://patina/test/block", "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	if !waitFor(func() bool { return ts.srv.Stats().GateInUse == 2 }) {
		t.Fatal("blockers never took the slots")
	}
	for i := 0; i < 5; i++ {
		status, h, body := get(t, c, "http://patina/test/slow?ms=1")
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Fatalf("flood request: got %d (Retry-After %q) %s, want 503 with Retry-After", status, h.Get("Retry-After"), body)
		}
		if status, _, _ := get(t, c, "http://patina/health"); status != 200 {
			t.Fatalf("/health during flood: %d", status)
		}
	}
	close(ts.release)
	wg.Wait()
	// The blockers' slots are released after their responses are written:
	// wait for that, or the next request may still find them taken after
	// GateWait (50ms) on a loaded machine.
	if !waitFor(func() bool { return ts.srv.Stats().GateInUse == 0 }) {
		t.Fatalf("blockers' slots not released: %+v", ts.srv.Stats())
	}
	if status, _, _ := get(t, c, "http://patina/test/slow?ms=1"); status != 200 {
		t.Fatalf("after flood: %d", status)
	}
	if !waitFor(func() bool { st := ts.srv.Stats(); return st.GateInUse == 0 && st.InFlight == 0 }) {
		t.Fatalf("slots not back to baseline: %+v", ts.srv.Stats())
	}
	c.CloseIdleConnections()
	if !waitFor(func() bool { return runtime.NumGoroutine() <= base+2 }) {
		t.Fatalf("goroutines: %d, baseline %d", runtime.NumGoroutine(), base)
	}
}

func TestGateIsAStrictBound(t *testing.T) {
	g := newGate(3, 20*time.Millisecond)
	var mu sync.Mutex
	running, peak := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !g.acquire(context.Background()) {
				return
			}
			defer g.release()
			mu.Lock()
			running++
			if running > peak {
				peak = running
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
		}()
	}
	wg.Wait()
	if peak > 3 {
		t.Fatalf("peak concurrency %d exceeds gate size 3", peak)
	}
	if g.inUse() != 0 {
		t.Fatalf("slots in use after all released: %d", g.inUse())
	}
}

func TestIdleExitOnlyWhenActivatedAndIdle(t *testing.T) {
	t.Run("activated exits", func(t *testing.T) {
		ts := startTestServer(t, Config{Activation: "systemd", IdleTimeout: 150 * time.Millisecond}, false)
		select {
		case err := <-ts.done:
			if err != nil {
				t.Fatalf("idle exit returned %v", err)
			}
			ts.done <- nil // let cleanup finish
		case <-time.After(5 * time.Second):
			t.Fatal("activated daemon did not exit when idle")
		}
		if !strings.Contains(ts.logs.String(), "reason=idle") {
			t.Error("idle exit not logged")
		}
	})
	t.Run("in-flight request holds it", func(t *testing.T) {
		ts := startTestServer(t, Config{Activation: "systemd", IdleTimeout: 100 * time.Millisecond}, false)
		// A blocker holds the daemon until the request is in flight: on a
		// loaded machine the request can come later than the idle timeout
		// after start. From then on only the request holds it.
		var mu sync.Mutex
		starting := true
		ts.srv.BlockIdleExit(func() bool { mu.Lock(); defer mu.Unlock(); return starting })
		c := ts.unixClient()
		got := make(chan int, 1)
		go func() {
			resp, err := c.Get("http://patina/test/slow?ms=600")
			if err != nil {
				t.Errorf("GET /test/slow: %v", err)
				got <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			got <- resp.StatusCode
		}()
		if !waitFor(func() bool { return ts.srv.Stats().InFlight == 1 }) {
			t.Fatal("request never started")
		}
		mu.Lock()
		starting = false
		mu.Unlock()
		if status := <-got; status != 200 {
			t.Fatalf("request during idle window: %d, want 200 (daemon exited under it?)", status)
		}
	})
	t.Run("blocker holds it", func(t *testing.T) {
		var mu sync.Mutex
		busy := true
		ts := startTestServer(t, Config{Activation: "systemd", IdleTimeout: 100 * time.Millisecond}, false)
		ts.srv.BlockIdleExit(func() bool { mu.Lock(); defer mu.Unlock(); return busy })
		select {
		case <-ts.done:
			t.Fatal("exited although a blocker said busy")
		case <-time.After(500 * time.Millisecond):
		}
		mu.Lock()
		busy = false
		mu.Unlock()
		select {
		case <-ts.done:
			ts.done <- nil
		case <-time.After(5 * time.Second):
			t.Fatal("did not exit once the blocker cleared")
		}
	})
	t.Run("standalone never idles out", func(t *testing.T) {
		ts := startTestServer(t, Config{IdleTimeout: 50 * time.Millisecond}, false)
		select {
		case <-ts.done:
			t.Fatal("standalone daemon exited on idle")
		case <-time.After(400 * time.Millisecond):
		}
	})
}

func TestShutdownDrainsInFlight(t *testing.T) {
	ts := startTestServer(t, Config{DrainTimeout: 5 * time.Second}, false)
	c := ts.unixClient()
	type res struct {
		status int
		body   string
	}
	got := make(chan res, 1)
	go func() {
		resp, err := c.Get("http://patina/test/slow?ms=400")
		if err != nil {
			got <- res{0, err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- res{resp.StatusCode, string(b)}
	}()
	if !waitFor(func() bool { return ts.srv.Stats().InFlight == 1 }) {
		t.Fatal("request never started")
	}
	ts.cancel() // as SIGTERM does
	r := <-got
	if r.status != 200 {
		t.Fatalf("in-flight request during shutdown: %d %s, want 200", r.status, r.body)
	}
	select {
	case <-ts.done:
		ts.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after drain")
	}
}

func TestOnShutdownHooksRun(t *testing.T) {
	ts := startTestServer(t, Config{}, false)
	ran := make(chan struct{})
	ts.srv.OnShutdown(func() { close(ran) })
	ts.cancel()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown hook did not run")
	}
}

func TestDuplicateRoutePanics(t *testing.T) {
	s := New(Config{})
	defer func() {
		if recover() == nil {
			t.Fatal("registering /health twice did not panic")
		}
	}()
	s.Handle(Route{Method: http.MethodGet, Path: "/health", Handler: version})
}

func TestHealthAndVersionShape(t *testing.T) {
	ts := startTestServer(t, Config{}, false)
	c := ts.unixClient()
	status, h, body := get(t, c, "http://localhost/health")
	if status != 200 {
		t.Fatalf("/health: %d", status)
	}
	var hr healthResponse
	if err := json.Unmarshal([]byte(body), &hr); err != nil || hr.Status != "ok" || hr.Version == "" || hr.Activation != "standalone" {
		t.Fatalf("/health body %s (%v)", body, err)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store",
	} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if h.Get("Patina-Version") == "" {
		t.Error("no Patina-Version header")
	}
	_, _, body = get(t, c, "http://patina/version")
	var v map[string]string
	if json.Unmarshal([]byte(body), &v) != nil || v["name"] != "patina-mother" {
		t.Fatalf("/version body %s", body)
	}
}
