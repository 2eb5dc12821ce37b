package main

import (
	"os"
	"path/filepath"
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
	cmd := w.command(opts{dir: other, noIdentity: true}, "secrets", "run", "--", "sh", "-c", `printf %s "$RENAMED_KEY"`)
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
	w := newWorld(t)
	w.startDaemon("--secrets-idle-ttl", "1s", "--secrets-max-ttl", "1h")
	w.ok(opts{}, "secrets", "init")
	w.writeIdentityFile("correct horse")
	w.add("api-key", "ttl-value")
	w.ok(opts{}, "secrets", "run", "--", "true")
	// Used within the TTL: still there, and each use resets the clock.
	for i := 0; i < 3; i++ {
		time.Sleep(400 * time.Millisecond)
		if got, r := w.runEnv(opts{noIdentity: true}, "API_KEY"); got["API_KEY"] != "ttl-value" {
			t.Fatalf("use %d within the idle TTL: %v %s", i, got, r.stderr)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	locked(t, w, opts{})
	if r := w.ok(opts{noIdentity: true}, "secrets"); !strings.Contains(r.stdout, "cache:      locked") {
		t.Errorf("status after expiry:\n%s", r.stdout)
	}
}

func TestSecretsCacheMaxTTL(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.startDaemon("--secrets-idle-ttl", "1h", "--secrets-max-ttl", "1500ms")
	w.ok(opts{}, "secrets", "init")
	w.writeIdentityFile("correct horse")
	w.add("api-key", "max-value")
	w.ok(opts{}, "secrets", "run", "--", "true")
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline.Add(-300 * time.Millisecond)) {
		if got, _ := w.runEnv(opts{noIdentity: true}, "API_KEY"); got["API_KEY"] != "max-value" {
			t.Fatal("expired before the hard maximum")
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Until(deadline) + 300*time.Millisecond)
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
