package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// End-to-end tests of `patina secrets`: the real binary, the real daemon
// (startDaemon), the real age CLI for interop.

func TestSecretsRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)

	r := w.ok(opts{}, "secrets", "init")
	if strings.TrimSpace(r.stdout) != w.recipient {
		t.Fatalf("init printed %q, want the recipient %s", r.stdout, w.recipient)
	}
	rec, err := os.ReadFile(filepath.Join(w.patina, "recipient.txt"))
	must(t, err)
	if !strings.Contains(string(rec), w.recipient) {
		t.Fatalf("recipient.txt = %q", rec)
	}
	w.ok(opts{}, "secrets", "init") // twice is harmless

	w.add("api-key", "global-api\n", "--global")
	w.add("db-pass", "global-db", "--global", "--env", "DATABASE_PASSWORD")
	w.add("api-key", "project-api")
	w.add("token", "line one\nline two\n") // one trailing newline dropped

	got, r := w.runEnv(opts{}, "API_KEY", "DATABASE_PASSWORD", "TOKEN")
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	want := map[string]string{"API_KEY": "project-api", "DATABASE_PASSWORD": "global-db", "TOKEN": "line one\nline two", "PATINA_IDENTITY": "unset"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("child saw %s=%q, want %q", k, got[k], v)
		}
	}

	st := w.ok(opts{}, "secrets")
	for _, s := range []string{"api-key", "API_KEY", "db-pass", "DATABASE_PASSWORD", "token", "TOKEN", w.recipient, filepath.Join(w.project, ".patina", "vault.age")} {
		if !strings.Contains(st.stdout, s) {
			t.Errorf("status lacks %q:\n%s", s, st.stdout)
		}
	}
	var js struct {
		Vaults []struct {
			Scope          string `json:"scope"`
			RecipientCount int    `json:"recipient_count"`
			Secrets        []struct{ Name, Env string }
		}
	}
	must(t, json.Unmarshal([]byte(w.ok(opts{}, "secrets", "--json").stdout), &js))
	if len(js.Vaults) != 2 || js.Vaults[1].Scope != "project" || len(js.Vaults[1].Secrets) != 2 || js.Vaults[0].RecipientCount != 1 {
		t.Errorf("status --json: %+v", js)
	}

	// A vault written by patina opens with the age CLI.
	keyFile := filepath.Join(w.out, "key.txt")
	must(t, os.WriteFile(keyFile, []byte(w.key), 0o600))
	plain, err := exec.Command("age", "-d", "-i", keyFile, filepath.Join(w.project, ".patina", "vault.age")).Output()
	must(t, err)
	if !bytes.Contains(plain, []byte(`api-key = "project-api"`)) || !bytes.Contains(plain, []byte("[meta]")) {
		t.Errorf("age -d gave %q", plain)
	}

	w.ok(opts{}, "secrets", "remove", "token")
	if got, _ := w.runEnv(opts{}, "TOKEN"); got["TOKEN"] != "" {
		t.Errorf("removed secret still exported: %q", got["TOKEN"])
	}
	if r := w.run("secrets", "remove", "token"); r.code == 0 || !strings.Contains(r.stderr, "argument 1 (NAME): no such secret") {
		t.Errorf("removing twice: %d %s", r.code, r.stderr)
	}

	// Every file written is 0600, and no temp file is left behind.
	for _, dir := range []string{w.patina, filepath.Join(w.project, ".patina")} {
		entries, err := os.ReadDir(dir)
		must(t, err)
		for _, e := range entries {
			fi, err := e.Info()
			must(t, err)
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s/%s has mode %v", dir, e.Name(), fi.Mode().Perm())
			}
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("stray temp file %s/%s", dir, e.Name())
			}
		}
	}
}

func TestSecretsReadsAgeCLIVault(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dir := filepath.Join(w.project, ".patina")
	must(t, os.MkdirAll(dir, 0o700))
	plain := filepath.Join(w.out, "plain.toml")
	must(t, os.WriteFile(plain, []byte("[meta]\nversion = 1\ncreated_at = \"2024-05-01T10:00:00Z\"\nmodified_at = \"2024-05-01T10:00:00Z\"\n\n[values]\nfrom-age = \"made by the age CLI\"\n"), 0o600))
	if out, err := exec.Command("age", "-a", "-r", w.recipient, "-o", filepath.Join(dir, "vault.age"), plain).CombinedOutput(); err != nil {
		t.Fatalf("age -a -r: %v %s", err, out)
	}
	got, r := w.runEnv(opts{}, "FROM_AGE")
	if r.code != 0 || got["FROM_AGE"] != "made by the age CLI" {
		t.Fatalf("run on an age-made vault: %d %q %s", r.code, got["FROM_AGE"], r.stderr)
	}
}

func TestSecretsRecipients(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "shared-value")
	vault := filepath.Join(w.project, ".patina", "vault.age")

	other, _, otherRec := newKey(t)
	w.ok(opts{}, "secrets", "recipients", "add", otherRec)
	list := w.ok(opts{}, "secrets", "recipients", "list").stdout
	if !strings.Contains(list, w.recipient+" (you)") || !strings.Contains(list, otherRec) {
		t.Fatalf("recipients list:\n%s", list)
	}
	// Re-encrypted: the new recipient reads it, through patina and age.
	if got, r := w.runEnv(opts{identity: other}, "API_KEY"); got["API_KEY"] != "shared-value" {
		t.Fatalf("new recipient cannot read: %q %s", got["API_KEY"], r.stderr)
	}
	otherFile := filepath.Join(w.out, "other.txt")
	must(t, os.WriteFile(otherFile, []byte(other), 0o600))
	if out, err := exec.Command("age", "-d", "-i", otherFile, vault).Output(); err != nil || !bytes.Contains(out, []byte("shared-value")) {
		t.Fatalf("age -d with the new key: %v", err)
	}
	// Adding again changes nothing but re-encrypts (repairs a crash).
	before, _ := os.ReadFile(vault)
	if r := w.ok(opts{}, "secrets", "recipients", "add", otherRec); !strings.Contains(r.stderr, "already in") {
		t.Errorf("re-adding: %s", r.stderr)
	}
	after, _ := os.ReadFile(vault)
	if bytes.Equal(before, after) {
		t.Error("re-adding did not re-encrypt the vault")
	}

	// Removing your own key is refused without --force.
	if r := w.run("secrets", "recipients", "remove", w.recipient); r.code == 0 || !strings.Contains(r.stderr, "your own key") {
		t.Errorf("removing own key: %d %s", r.code, r.stderr)
	}
	w.ok(opts{}, "secrets", "recipients", "remove", otherRec)
	if r := w.runWith(opts{identity: other}, "secrets", "run", "--", "true"); r.code == 0 || !strings.Contains(r.stderr, vault) {
		t.Errorf("removed recipient can still read: %d %s", r.code, r.stderr)
	}
	// The last recipient cannot go.
	if r := w.run("secrets", "recipients", "remove", w.recipient, "--force"); r.code == 0 || !strings.Contains(r.stderr, "last recipient") {
		t.Errorf("removing the last recipient: %d %s", r.code, r.stderr)
	}
}

func TestSecretsKeys(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	out := filepath.Join(w.out, "backup.key")
	w.ok(opts{}, "secrets", "export-key", "--out", out)
	fi, err := os.Stat(out)
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("export mode %v", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(out)
	if !strings.Contains(string(data), w.secretKey) {
		t.Error("export does not hold the key")
	}
	if r := w.run("secrets", "export-key", "--out", out); r.code == 0 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("export over an existing file: %d %s", r.code, r.stderr)
	}
	if r := w.run("secrets", "export-key"); r.code != 2 || strings.Contains(r.stdout, w.secretKey) {
		t.Errorf("export-key with no destination: %d %q", r.code, r.stdout)
	}
	if r := w.ok(opts{}, "secrets", "export-key", "--stdout"); !strings.Contains(r.stdout, w.secretKey) {
		t.Errorf("export-key --stdout printed %q", r.stdout)
	}
	// import-key needs a passphrase for identity.age: with no terminal it
	// refuses cleanly and writes nothing.
	w.ok(opts{}, "secrets", "init")
	before := snapshot(t, w.root)
	r := w.runWith(opts{noIdentity: true, stdin: strings.NewReader(w.key)}, "secrets", "import-key")
	if r.code == 0 || !strings.Contains(r.stderr, "terminal") {
		t.Errorf("import-key without a terminal: %d %s", r.code, r.stderr)
	}
	oneErrorLine(t, r.stderr)
	if snapshot(t, w.root) != before {
		t.Error("a refused import-key changed files")
	}
	if r := w.runWith(opts{noIdentity: true, stdin: strings.NewReader("AGE-SECRET-KEY-1BOGUS\n")}, "secrets", "import-key"); r.code == 0 || strings.Contains(r.stderr, "BOGUS") {
		t.Errorf("import of a malformed key: %d %s", r.code, r.stderr)
	}
}

func TestSecretsCommandLineRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	value, core := distinctive(t)
	_ = value
	for _, args := range [][]string{
		{"secrets", "add", "api-key", core},
		{"secrets", "add", "api-key=" + core},
		{"secrets", "add", "api-key", "-" + core},
		{"secrets", "add", "api-key", "--value=" + core},
		{"secrets", "add", "api-key", "--stdin=" + core},
		{"secrets", "run", "--ssh=-o" + core, "true"},
		{"secrets", "import-key", core},
	} {
		r := w.runWith(opts{stdin: strings.NewReader("x")}, args...)
		if r.code == 0 {
			t.Errorf("%q accepted", args)
		}
		oneErrorLine(t, r.stderr)
		if strings.Contains(r.stderr+r.stdout, core) {
			t.Errorf("%q: the refusal repeats the argument: %s", args, r.stderr)
		}
	}
	r := w.run("secrets", "add", "api-key", "value")
	if !strings.Contains(r.stderr, "/proc") || !strings.Contains(r.stderr, "--stdin") {
		t.Errorf("the refusal does not say why: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(w.project, ".patina")); err == nil {
		t.Error("a refused add created files")
	}
}

// With no terminal, the command's stdout and stderr go through the masking
// relay: this and the signal test show that it changes neither the exit
// status nor how signals reach the command.
func TestSecretsRunExitStatus(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "long-enough-to-mask")
	for _, c := range []struct {
		argv []string
		code int
	}{
		{[]string{"sh", "-c", "exit 7"}, 7},
		{[]string{"sh", "-c", "exit 0"}, 0},
		{[]string{"sh", "-c", "kill -KILL $$"}, 128 + 9},
		{[]string{"sh", "-c", "kill -TERM $$"}, 128 + 15},
		{[]string{"no-such-command-here"}, 127},
		{[]string{w.out}, 126}, // a directory
	} {
		r := w.run(append([]string{"secrets", "run", "--"}, c.argv...)...)
		if r.code != c.code {
			t.Errorf("run %q: exit %d, want %d (%s)", c.argv, r.code, c.code, r.stderr)
		}
	}
	// stdin and stdout are the child's own.
	r := w.ok(opts{stdin: strings.NewReader("through stdin\n")}, "secrets", "run", "--", "cat")
	if r.stdout != "through stdin\n" || r.stderr != "" {
		t.Errorf("cat saw %q, stderr %q", r.stdout, r.stderr)
	}
	// Without `--` the command's own flags are still the command's.
	if r := w.ok(opts{}, "secrets", "run", "sh", "-c", "echo $0", "-x"); strings.TrimSpace(r.stdout) != "-x" {
		t.Errorf("flags after CMD: %q", r.stdout)
	}
}

func TestSecretsRunForwardsSignals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "long-enough-to-mask")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1} {
		t.Run(sig.String(), func(t *testing.T) {
			ready := filepath.Join(w.out, "ready-"+fmt.Sprint(int(sig)))
			got := filepath.Join(w.out, "got-"+fmt.Sprint(int(sig)))
			name := strings.TrimPrefix(map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP", syscall.SIGUSR1: "USR1"}[sig], "")
			script := fmt.Sprintf(`trap 'echo %[1]s > %[2]s; exit 3' %[1]s; touch %[3]s; while :; do sleep 0.05; done`, name, got, ready)
			cmd := w.command(opts{}, "secrets", "run", "--", "sh", "-c", script)
			var errb bytes.Buffer
			cmd.Stderr = &errb // and stdout /dev/null: both relayed, masked
			must(t, cmd.Start())
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("child never started: %s", errb.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			must(t, cmd.Process.Signal(sig)) // to patina only, not its group
			err := cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 3 {
				t.Fatalf("patina ended with %v, want exit 3 from the child's trap (stderr %s)", err, errb.String())
			}
			if data, _ := os.ReadFile(got); strings.TrimSpace(string(data)) != name {
				t.Fatalf("child's trap wrote %q", data)
			}
		})
	}
}

func TestSecretsNoDaemonNoNoise(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "long-enough-to-mask")
	r := w.ok(opts{}, "secrets", "run", "--", "true")
	if r.stderr != "" || r.stdout != "" {
		t.Errorf("run without a daemon said %q %q", r.stdout, r.stderr)
	}
	if r := w.ok(opts{}, "secrets", "lock"); !strings.Contains(r.stderr, "nothing was cached") {
		t.Errorf("lock without a daemon: %s", r.stderr)
	}
	if r := w.ok(opts{}, "secrets"); !strings.Contains(r.stdout, "mother not running") {
		t.Errorf("status without a daemon:\n%s", r.stdout)
	}
}

func TestSecretsNoVaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.run("secrets", "run", "--", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "no secrets") {
		t.Errorf("run with no vault: %d %s", r.code, r.stderr)
	}
	oneErrorLine(t, r.stderr)
	r = w.runWith(opts{dir: w.root}, "secrets", "add", "x", "--stdin")
	if r.code == 0 || !strings.Contains(r.stderr, "not inside a project") || !strings.Contains(r.stderr, "--global") {
		t.Errorf("add outside a project: %d %s", r.code, r.stderr)
	}
	oneErrorLine(t, r.stderr)
}

// freePort finds a TCP port nobody listens on (for the daemon's --tcp).
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().String()
}

// TestSecretsRunScrubsCredentials: `secrets run -- env` shows the secrets
// but neither the identity nor the mother token.
func TestSecretsRunScrubsCredentials(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "scrubbed-run-value")
	r := w.ok(opts{env: []string{"PATINA_MOTHER_TOKEN=token-must-not-reach-the-child"}}, "secrets", "run", "--no-masking", "--", "env")
	if !strings.Contains(r.stdout, "API_KEY=scrubbed-run-value\n") {
		t.Errorf("the secret is missing:\n%s", r.stdout)
	}
	for _, name := range []string{"PATINA_IDENTITY=", "PATINA_MOTHER_TOKEN="} {
		if strings.Contains(r.stdout, name) {
			t.Errorf("the child saw %s", name)
		}
	}
}

// TestSecretsRunSSHDestinations: a --ssh host with shell syntax (which
// ssh would paste into a ProxyCommand's %h) is refused before anything
// is unlocked, and ssh never runs.
func TestSecretsRunSSHDestinations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.writeStandInSSH()
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "long-enough-to-mask")
	for _, host := range []string{
		"`touch $OUT/pwned`", "$(touch $OUT/pwned)", "a;touch", "a|b", "(x)", "{a,b}", "a!b", "a*",
		"-oProxyCommand=x", "a b", "",
	} {
		r := w.runWith(opts{}, "secrets", "run", "--ssh", host, "--", "true")
		if r.code != 2 {
			t.Errorf("--ssh %q: exit %d (%s)", host, r.code, r.stderr)
		}
		oneErrorLine(t, r.stderr)
		if host != "" && strings.Contains(r.stderr, host) {
			t.Errorf("--ssh %q: the refusal repeats the host: %s", host, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(w.out, "ssh-argv")); err == nil {
		t.Error("ssh was run")
	}
	if _, err := os.Stat(filepath.Join(w.out, "pwned")); err == nil {
		t.Error("a command in the host ran")
	}
}
