package service

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	vaultA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	vaultB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	// A value distinctive enough to grep for in every log line.
	secretValue = "s3cr3t-Zq81-never-log-me"
)

func doJSON(t *testing.T, c *http.Client, method, url, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func newCacheServer(t *testing.T, idle, max time.Duration, withTCP bool, cfg Config) (*testServer, *SecretsCache) {
	t.Helper()
	cache := NewSecretsCache(idle, max)
	ts := startTestServerWith(t, cfg, withTCP, func(s *Server) { cache.Register(s) })
	return ts, cache
}

func TestSecretsCacheRoundTripAndLock(t *testing.T) {
	ts, cache := newCacheServer(t, time.Minute, time.Hour, false, Config{})
	c := ts.unixClient()
	if st, _ := doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultA, ""); st != 404 {
		t.Fatalf("empty cache: %d, want 404", st)
	}
	st, body := doJSON(t, c, "POST", "http://patina/secrets/cache", `{"vault":"`+vaultA+`","secrets":{"API_KEY":"`+secretValue+`"}}`)
	if st != 200 || !strings.Contains(body, `"cached"`) {
		t.Fatalf("put: %d %s", st, body)
	}
	st, body = doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultA, "")
	if st != 200 || !strings.Contains(body, secretValue) {
		t.Fatalf("get: %d", st)
	}
	st, body = doJSON(t, c, "GET", "http://patina/secrets/cache?peek=1&vault="+vaultA, "")
	if st != 200 || strings.Contains(body, secretValue) || !strings.Contains(body, `"cached":true`) {
		t.Fatalf("peek: %d %s", st, body)
	}
	// Another vault id sees nothing of vault A.
	if st, body := doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultB, ""); st != 404 || strings.Contains(body, secretValue) {
		t.Fatalf("other vault: %d", st)
	}
	if !cache.Live() {
		t.Fatal("cache not live after put")
	}
	if st, body := doJSON(t, c, "POST", "http://patina/secrets/lock", ""); st != 200 || !strings.Contains(body, "locked") {
		t.Fatalf("lock: %d %s", st, body)
	}
	st, body = doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultA, "")
	if st != 404 || !strings.Contains(body, "unlock needed") {
		t.Fatalf("after lock: %d %s", st, body)
	}
	if cache.Live() {
		t.Fatal("cache live after lock")
	}
	if strings.Contains(ts.logs.String(), secretValue) {
		t.Fatal("secret value in the daemon log")
	}
}

func TestSecretsCacheTTLs(t *testing.T) {
	t.Run("idle TTL expires, use resets it", func(t *testing.T) {
		const idle = 300 * time.Millisecond
		ts, cache := newCacheServer(t, idle, time.Hour, false, Config{})
		c := ts.unixClient()
		put := func() time.Time {
			t0 := time.Now()
			doJSON(t, c, "POST", "http://patina/secrets/cache", `{"vault":"`+vaultA+`","secrets":{"K":"v"}}`)
			return t0
		}
		// Uses every idle/2 over more than two idle TTLs: only the resets
		// keep it alive. The daemon reset the timer no earlier than the
		// moment the last use was sent (lastUse), so a 404 less than one
		// TTL after that is a failure; a 404 later than that means this
		// goroutine was stalled for a whole TTL (a loaded machine), which
		// proves nothing either way: put the entry back and start again.
		lastUse := put()
		alive, restarts := lastUse, 0
		for time.Since(alive) < 2*idle {
			time.Sleep(idle / 2)
			sent := time.Now()
			st, _ := doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultA, "")
			if st == 200 {
				lastUse = sent
				continue
			}
			if since := time.Since(lastUse); since < idle {
				t.Fatalf("entry gone (%d) %v after a use, idle TTL %v", st, since, idle)
			}
			if restarts++; restarts > 20 {
				t.Fatalf("stalled for over the idle TTL %d times in a row; cannot judge", restarts)
			}
			lastUse = put()
			alive = lastUse
		}
		// Left alone, the timer wipes it with no request needed.
		if !waitFor(func() bool { return !cache.Live() }) {
			t.Fatal("entry never expired")
		}
	})
	t.Run("hard maximum wins over use", func(t *testing.T) {
		ts, _ := newCacheServer(t, time.Hour, 400*time.Millisecond, false, Config{})
		c := ts.unixClient()
		doJSON(t, c, "POST", "http://patina/secrets/cache", `{"vault":"`+vaultA+`","secrets":{"K":"v"}}`)
		deadline := time.Now().Add(10 * time.Second) // only a guard against a hang
		for {
			st, _ := doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultA, "")
			if st == 404 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("entry outlived the hard maximum while in use")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("ttl_secs is honoured and clamped", func(t *testing.T) {
		cache := NewSecretsCache(time.Hour, 2*time.Hour)
		ts := startTestServerWith(t, Config{}, false, func(s *Server) { cache.Register(s) })
		c := ts.unixClient()
		for _, body := range []string{`{"vault":"` + vaultA + `","secrets":{},"ttl_secs":0}`, `{"vault":"` + vaultA + `","secrets":{},"ttl_secs":-5}`} {
			if st, _ := doJSON(t, c, "POST", "http://patina/secrets/cache", body); st != 400 {
				t.Fatalf("%s: %d, want 400", body, st)
			}
		}
		doJSON(t, c, "POST", "http://patina/secrets/cache", `{"vault":"`+vaultA+`","secrets":{},"ttl_secs":99999999}`)
		cache.mu.Lock()
		ttl := cache.entries[vaultA].idleTTL
		cache.mu.Unlock()
		if ttl != 2*time.Hour {
			t.Fatalf("ttl_secs not clamped to the hard maximum: %v", ttl)
		}
	})
}

func TestSecretsCacheRejectsBadInput(t *testing.T) {
	ts, _ := newCacheServer(t, time.Minute, time.Hour, false, Config{})
	c := ts.unixClient()
	cases := map[string]string{
		`{"vault":"short","secrets":{}}`:                                 "vault",
		`{"vault":"` + strings.ToUpper(vaultA) + `","secrets":{}}`:       "vault",
		`{"vault":"` + vaultA + `","secrets":{"bad name":"x"}}`:          "environment variable",
		`{"vault":"` + vaultA + `","secrets":{"K":1}}`:                   "expected",
		`{"vault":"` + vaultA + `","secrets":{"K":"v"},"extra":true}`:    "unknown field",
		`{"vault":"` + vaultA + `","secrets":{"K":"` + secretValue + `"`: "malformed",
	}
	for body, want := range cases {
		st, resp := doJSON(t, c, "POST", "http://patina/secrets/cache", body)
		if st != 400 || !strings.Contains(resp, want) || strings.Contains(resp, secretValue) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", body, st, resp, want)
		}
	}
	if st, _ := doJSON(t, c, "GET", "http://patina/secrets/cache?vault=../../etc", ""); st != 400 {
		t.Errorf("bad vault id on GET: %d", st)
	}
}

func TestSecretsNeverOverTCP(t *testing.T) {
	ts, _ := newCacheServer(t, time.Minute, time.Hour, true, Config{})
	c := &http.Client{Timeout: 10 * time.Second}
	auth := []string{"Authorization", "Bearer " + ts.token}
	doJSON(t, ts.unixClient(), "POST", "http://patina/secrets/cache", `{"vault":"`+vaultA+`","secrets":{"K":"`+secretValue+`"}}`)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/secrets/cache?vault=" + vaultA, ""},
		{"POST", "/secrets/cache", `{"vault":"` + vaultA + `","secrets":{}}`},
		{"POST", "/secrets/lock", ""},
	} {
		st, body := doJSON(t, c, r.method, "http://"+ts.tcp+r.path, r.body, auth...)
		if st != 404 || strings.Contains(body, secretValue) {
			t.Errorf("%s %s over TCP with the right token: %d %s, want 404", r.method, r.path, st, body)
		}
	}
	// The entry survived the TCP lock attempt.
	if st, _ := doJSON(t, ts.unixClient(), "GET", "http://patina/secrets/cache?vault="+vaultA, ""); st != 200 {
		t.Fatalf("entry lost after TCP attempts: %d", st)
	}
}

func TestLiveSecretPostponesIdleExitAndIsWipedOnExit(t *testing.T) {
	const secretIdle = 400 * time.Millisecond
	ts, cache := newCacheServer(t, secretIdle, time.Hour, false, Config{Activation: "systemd", IdleTimeout: 100 * time.Millisecond})
	// Hold the daemon until the secret is in: on a loaded machine the put
	// can come later than the 100ms idle timeout after start.
	var mu sync.Mutex
	starting := true
	ts.srv.BlockIdleExit(func() bool { mu.Lock(); defer mu.Unlock(); return starting })
	t0 := time.Now()
	doJSON(t, ts.unixClient(), "POST", "http://patina/secrets/cache", `{"vault":"`+vaultA+`","secrets":{"K":"v"}}`)
	mu.Lock()
	starting = false
	mu.Unlock()
	cache.mu.Lock()
	value := cache.entries[vaultA].secrets["K"]
	cache.mu.Unlock()
	// The secret lives until at least t0+secretIdle: an exit seen before
	// then happened while it was live.
	select {
	case <-ts.done:
		ts.done <- nil
		if took := time.Since(t0); took < secretIdle {
			t.Fatalf("daemon idled out %v after a secret with an idle TTL of %v was cached", took, secretIdle)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not exit after the secret expired")
	}
	if cache.Live() || string(value) != "\x00" {
		t.Fatalf("value not wiped: %q", value)
	}
}

// A peek says when the entry goes: idle if unused (never past the hard
// maximum), and the hard maximum, in whole seconds; a use resets only the
// first, and a peek is no use.
func TestSecretsCachePeekReportsExpiry(t *testing.T) {
	cache := NewSecretsCache(10*time.Minute, 2*time.Hour)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cache.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ts := startTestServerWith(t, Config{}, false, func(s *Server) { cache.Register(s) })
	c := ts.unixClient()
	peek := func() (idle, hard int64) {
		t.Helper()
		st, body := doJSON(t, c, "GET", "http://patina/secrets/cache?peek=1&vault="+vaultA, "")
		var out struct {
			Cached bool  `json:"cached"`
			Count  int   `json:"count"`
			Idle   int64 `json:"idle_expires_in_s"`
			Hard   int64 `json:"expires_in_s"`
		}
		if st != 200 || json.Unmarshal([]byte(body), &out) != nil || !out.Cached || out.Count != 1 {
			t.Fatalf("peek: %d %s", st, body)
		}
		return out.Idle, out.Hard
	}
	doJSON(t, c, "POST", "http://patina/secrets/cache", `{"vault":"`+vaultA+`","secrets":{"K":"v"}}`)
	advance(3*time.Minute + 30*time.Second + 500*time.Millisecond)
	if idle, hard := peek(); idle != 390 || hard != 6990 {
		t.Errorf("after 3m30.5s unused: idle %d s, hard %d s; want 390, 6990 (rounded up)", idle, hard)
	}
	advance(time.Minute)
	if idle, _ := peek(); idle != 330 {
		t.Errorf("a peek counted as use: idle %d s, want 330", idle)
	}
	doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultA, "") // a use
	if idle, hard := peek(); idle != 600 || hard != 6930 {
		t.Errorf("after a use: idle %d s, hard %d s; want 600, 6930", idle, hard)
	}
	for range 22 { // used every 5 minutes, to 5m29.5s before the hard maximum
		advance(5 * time.Minute)
		doJSON(t, c, "GET", "http://patina/secrets/cache?vault="+vaultA, "")
	}
	if idle, hard := peek(); idle != 330 || hard != 330 {
		t.Errorf("near the hard maximum: idle %d s, hard %d s; want both 330", idle, hard)
	}
}
