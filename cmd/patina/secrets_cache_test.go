package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The daemon's session cache as the CLI uses it: unlock once, then run
// with no identity at all until lock, expiry or an edit.

// locked asserts that a run without PATINA_IDENTITY and without a
// terminal fails with the "locked, unlock needed" error.
func locked(t *testing.T, w *world, o opts) {
	t.Helper()
	o.noIdentity = true
	r := w.runWith(o, "secrets", "run", "--", "sh", "-c", "echo ran")
	if r.code == 0 || strings.Contains(r.stdout, "ran") {
		t.Fatalf("ran while locked: %d %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "secrets are locked") || !strings.Contains(r.stderr, "unlock") {
		t.Fatalf("locked run said %q", r.stderr)
	}
	oneErrorLine(t, r.stderr)
}

func TestSecretsCache(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.startDaemon()
	w.ok(opts{}, "secrets", "init")
	w.writeIdentityFile("correct horse") // a human's setup: unlocking would prompt
	w.add("api-key", "cached-value")
	w.add("global-one", "from-global", "--global")

	if r := w.ok(opts{noIdentity: true}, "secrets"); !strings.Contains(r.stdout, "cache:      locked") {
		t.Errorf("status before any run:\n%s", r.stdout)
	}
	locked(t, w, opts{})

	// Unlock once (PATINA_IDENTITY stands in for the human)…
	got, r := w.runEnv(opts{}, "API_KEY", "GLOBAL_ONE")
	if r.code != 0 || got["API_KEY"] != "cached-value" || got["GLOBAL_ONE"] != "from-global" {
		t.Fatalf("first run: %d %v %s", r.code, got, r.stderr)
	}
	// …then no identity is needed.
	for i := 0; i < 2; i++ {
		got, r = w.runEnv(opts{noIdentity: true}, "API_KEY", "GLOBAL_ONE")
		if r.code != 0 || got["API_KEY"] != "cached-value" || got["GLOBAL_ONE"] != "from-global" {
			t.Fatalf("cached run %d: %d %v %s", i, r.code, got, r.stderr)
		}
		if r.stderr != "" {
			t.Errorf("cached run is not silent: %q", r.stderr)
		}
	}
	if r := w.ok(opts{noIdentity: true}, "secrets"); !strings.Contains(r.stdout, "unlocked in mother (2 variables") {
		t.Errorf("status while cached:\n%s", r.stdout)
	}
	// …for the daemon's default TTLs (10 minutes idle, 2 hours at most),
	// which the status shows counting down.
	st := w.ok(opts{noIdentity: true}, "secrets").stdout
	if !regexp.MustCompile(`locks after (10m00s|9m[0-5][0-9]s) unused, in (2h00m|1h59m) at most`).MatchString(st) {
		t.Errorf("status does not show the cache's time left:\n%s", st)
	}
	var js struct {
		Cache struct {
			Cached bool  `json:"cached"`
			Idle   int64 `json:"idle_expires_in_s"`
			Max    int64 `json:"expires_in_s"`
		} `json:"cache"`
	}
	must(t, json.Unmarshal([]byte(w.ok(opts{noIdentity: true}, "secrets", "--json").stdout), &js))
	if c := js.Cache; !c.Cached || c.Idle < 500 || c.Idle > 600 || c.Max < 7000 || c.Max > 7200 {
		t.Errorf("status --json cache: %+v", c)
	}

	// Lock: the next run needs the identity again.
	if r := w.ok(opts{}, "secrets", "lock"); !strings.Contains(r.stderr, "locked") {
		t.Errorf("lock said %q", r.stderr)
	}
	locked(t, w, opts{})

	// An edit is never served stale: adding a secret changes the id.
	w.ok(opts{}, "secrets", "run", "--", "true")
	w.runEnv(opts{noIdentity: true}, "API_KEY") // cached
	w.add("api-key", "new-value")
	locked(t, w, opts{})
	if got, _ := w.runEnv(opts{}, "API_KEY"); got["API_KEY"] != "new-value" {
		t.Fatalf("after the edit: %q", got["API_KEY"])
	}
	if got, _ := w.runEnv(opts{noIdentity: true}, "API_KEY"); got["API_KEY"] != "new-value" {
		t.Fatalf("cached after the edit: %q", got["API_KEY"])
	}
	// Editing the registry by hand (another variable) changes the id too.
	reg := filepath.Join(w.project, ".patina", "secrets.toml")
	must(t, os.WriteFile(reg, []byte("version = 1\n\n[secrets]\napi-key = { env = \"RENAMED_KEY\" }\n"), 0o600))
	locked(t, w, opts{})
	if got, _ := w.runEnv(opts{}, "RENAMED_KEY", "API_KEY"); got["RENAMED_KEY"] != "new-value" || got["API_KEY"] != "" {
		t.Fatalf("after the registry edit: %v", got)
	}

	// Two projects never share an entry, even with the same variables.
	other := filepath.Join(w.root, "src", "other")
	must(t, os.MkdirAll(filepath.Join(other, ".patina"), 0o700))
	w.ok(opts{dir: other}, "secrets", "run", "--", "true") // global only: fine
	w.ok(opts{dir: other, stdin: strings.NewReader("other-project-value")}, "secrets", "add", "renamed-key", "--stdin")
	locked(t, w, opts{dir: other})
	got, _ = w.runEnv(opts{noIdentity: true}, "RENAMED_KEY") // the first project is still cached
	if got["RENAMED_KEY"] != "new-value" {
		t.Fatalf("first project: %v", got)
	}
	w.ok(opts{dir: other}, "secrets", "run", "--", "true")
	cmd := w.command(opts{dir: other, noIdentity: true}, "secrets", "run", "--no-masking", "--", "sh", "-c", `printf %s "$RENAMED_KEY"`)
	out, err := cmd.Output()
	must(t, err)
	if string(out) != "other-project-value" {
		t.Fatalf("second project saw %q", out)
	}
	w.record(string(out))

	// The daemon's log has the requests and nothing else.
	log := w.d.stderr.String()
	for _, v := range []string{"cached-value", "new-value", "from-global", "other-project-value"} {
		if strings.Contains(log, v) {
			t.Errorf("the daemon logged a secret value %q", v)
		}
	}
	if !strings.Contains(log, "path=/secrets/cache") {
		t.Errorf("no cache requests in the daemon log:\n%s", log)
	}
}

func TestSecretsCacheIdleTTL(t *testing.T) {
	t.Parallel()
	const idle = 2 * time.Second
	w := newWorld(t)
	w.startDaemon("--secrets-idle-ttl", idle.String(), "--secrets-max-ttl", "1h")
	w.ok(opts{}, "secrets", "init")
	w.writeIdentityFile("correct horse")
	w.add("api-key", "ttl-value")
	unlock := func() time.Time {
		t0 := time.Now()
		w.ok(opts{}, "secrets", "run", "--", "true")
		return t0
	}
	// Used within the TTL, over more than one TTL: still there, so each use
	// resets the clock. A use resets it no earlier than when it was started
	// (lastUse), so a miss less than one TTL after that is a failure; a
	// miss later than that means this test was stalled (each use is a
	// process start, slow on a loaded machine), which proves nothing
	// either way: unlock again and start over.
	lastUse := unlock()
	alive, restarts := lastUse, 0
	for time.Since(alive) < idle+idle/2 {
		time.Sleep(idle / 4)
		started := time.Now()
		got, r := w.runEnv(opts{noIdentity: true}, "API_KEY")
		if got["API_KEY"] == "ttl-value" {
			lastUse = started
			continue
		}
		if since := time.Since(lastUse); since < idle {
			t.Fatalf("gone %v after a use, within the idle TTL %v: %v %s", since, idle, got, r.stderr)
		}
		if restarts++; restarts > 10 {
			t.Fatalf("stalled for over the idle TTL %d times in a row; cannot judge", restarts)
		}
		t.Logf("stalled %v between two uses; starting over", time.Since(lastUse))
		lastUse = unlock()
		alive = lastUse
	}
	// Left alone for longer than the TTL (counted from the end of the last
	// use, which is before now), it is gone.
	time.Sleep(idle + 500*time.Millisecond)
	locked(t, w, opts{})
	if r := w.ok(opts{noIdentity: true}, "secrets"); !strings.Contains(r.stdout, "cache:      locked") {
		t.Errorf("status after expiry:\n%s", r.stdout)
	}
}

func TestSecretsCacheMaxTTL(t *testing.T) {
	t.Parallel()
	const maxTTL = 1500 * time.Millisecond
	w := newWorld(t)
	w.startDaemon("--secrets-idle-ttl", "1h", "--secrets-max-ttl", maxTTL.String())
	w.ok(opts{}, "secrets", "init")
	w.writeIdentityFile("correct horse")
	w.add("api-key", "max-value")
	// The entry is created while this run runs: no earlier than t0, no
	// later than t1.
	t0 := time.Now()
	w.ok(opts{}, "secrets", "run", "--", "true")
	t1 := time.Now()
	// In use until the hard maximum: a miss is a failure only if the use
	// ended before t0+maxTTL (a slow use may legitimately end after it).
	for time.Since(t0) < maxTTL {
		if got, _ := w.runEnv(opts{noIdentity: true}, "API_KEY"); got["API_KEY"] != "max-value" {
			if since := time.Since(t0); since < maxTTL {
				t.Fatalf("expired %v after the unlock began, before the hard maximum %v", since, maxTTL)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Past the hard maximum however it was used: locked.
	time.Sleep(time.Until(t1.Add(maxTTL)) + 300*time.Millisecond)
	locked(t, w, opts{})
}

// The cache is reached over the unix socket only: with $PATINA_MOTHER
// naming the daemon's TCP listener, secrets still go over the socket (the
// daemon would refuse them over TCP, but only after the values had
// crossed the network).
func TestSecretsCacheNeverOverTCP(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	addr := freePort(t)
	w.startDaemon("--tcp", addr)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "tcp-value")
	tcp := []string{"PATINA_MOTHER=tcp://" + addr, "PATINA_MOTHER_TOKEN=0000"}
	w.ok(opts{env: tcp}, "secrets", "run", "--", "true")
	if got, _ := w.runEnv(opts{env: tcp, noIdentity: true}, "API_KEY"); got["API_KEY"] != "tcp-value" {
		t.Fatalf("cached run with PATINA_MOTHER=tcp: %v", got)
	}
	for _, line := range strings.Split(w.d.stderr.String(), "\n") {
		if strings.Contains(line, "/secrets/") && !strings.Contains(line, "listener="+w.sock) {
			t.Errorf("a secrets request outside the unix socket: %s", line)
		}
	}
}
