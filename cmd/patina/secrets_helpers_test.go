package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// world is one secrets test's machine: $HOME, $PATINA_HOME and a project
// under one root (so a test can grep every file), a fresh age key, a
// private socket path, and optionally a real daemon on it. Every output of
// every command run is recorded for the leak checks.
type world struct {
	t         *testing.T
	root      string // HOME, PATINA_HOME and the project live under here
	home      string
	patina    string // $PATINA_HOME
	project   string
	out       string // outside root: where children write what they saw
	bin       string // outside root: stand-in tools put first on PATH
	key       string // the identity, age-keygen format
	secretKey string // its AGE-SECRET-KEY-1… line
	recipient string
	sock      string
	d         *daemon

	mu      sync.Mutex
	outputs []string // stdout and stderr of every command, in order
}

func newWorld(t *testing.T) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{
		t:       t,
		root:    root,
		home:    filepath.Join(root, "home"),
		project: filepath.Join(root, "src", "proj"),
		out:     t.TempDir(),
		bin:     t.TempDir(),
	}
	w.patina = filepath.Join(w.home, ".patina")
	must(t, os.MkdirAll(filepath.Join(w.project, ".git"), 0o700))
	must(t, os.MkdirAll(w.home, 0o700))
	w.key, w.secretKey, w.recipient = newKey(t)
	sockDir, err := os.MkdirTemp("", "pt-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	w.sock = filepath.Join(sockDir, "m.sock")
	return w
}

// newKey makes an age identity in age-keygen's format.
func newKey(t *testing.T) (text, secret, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	must(t, err)
	secret = id.String()
	recipient = id.Recipient().String()
	return "# created: 2026-01-01T00:00:00Z\n# public key: " + recipient + "\n" + secret + "\n", secret, recipient
}

// startDaemon runs `patina mother serve` standalone on the world's socket.
func (w *world) startDaemon(extra ...string) *daemon {
	w.d = startDaemon(w.t, w.sock, extra...)
	return w.d
}

// opts changes how one command runs.
type opts struct {
	noIdentity bool      // leave PATINA_IDENTITY unset
	identity   string    // another identity than the world's
	dir        string    // working directory (default: the project)
	stdin      io.Reader // default: empty
	env        []string  // more variables
	pty        *testPty  // controlling terminal (default: none, as for an agent)
}

func (w *world) env(o opts) []string {
	env := []string{
		"PATH=" + w.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + w.home,
		"PATINA_HOME=" + w.patina,
		"PATINA_SOCKET=" + w.sock,
		"OUT=" + w.out,
	}
	switch {
	case o.identity != "":
		env = append(env, "PATINA_IDENTITY="+o.identity)
	case !o.noIdentity:
		env = append(env, "PATINA_IDENTITY="+w.key)
	}
	return append(env, o.env...)
}

// command prepares the binary in its own session, so it has no controlling
// terminal unless o.pty gives it one: no prompt can ever hang a test.
func (w *world) command(o opts, args ...string) *exec.Cmd {
	cmd := exec.Command(patinaBin, args...)
	cmd.Env = w.env(o)
	cmd.Dir = w.project
	if o.dir != "" {
		cmd.Dir = o.dir
	}
	cmd.Stdin = o.stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if o.pty != nil {
		cmd.ExtraFiles = []*os.File{o.pty.slave}
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 3
	}
	return cmd
}

// run runs patina with the world's identity in the project.
func (w *world) run(args ...string) result {
	w.t.Helper()
	return w.runWith(opts{}, args...)
}

func (w *world) runWith(o opts, args ...string) result {
	w.t.Helper()
	cmd := w.command(o, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("patina %v: %v", args, err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		w.t.Fatalf("patina %v hung\nstdout: %s\nstderr: %s", args, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	} else if err != nil {
		w.t.Fatalf("patina %v: %v", args, err)
	}
	r := result{out.String(), errb.String(), code}
	w.record(r.stdout, r.stderr)
	return r
}

func (w *world) record(s ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.outputs = append(w.outputs, s...)
}

// ok runs a command that must succeed.
func (w *world) ok(o opts, args ...string) result {
	w.t.Helper()
	r := w.runWith(o, args...)
	if r.code != 0 {
		w.t.Fatalf("patina %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// add stores a secret through --stdin.
func (w *world) add(name, value string, flags ...string) {
	w.t.Helper()
	w.ok(opts{stdin: strings.NewReader(value)}, append([]string{"secrets", "add", name, "--stdin"}, flags...)...)
}

// runEnv runs `secrets run` with a child that writes each named variable
// to its own file outside the tree, and returns what it saw ("" for an
// unset variable; PATINA_IDENTITY is always reported, "unset" if so).
func (w *world) runEnv(o opts, vars ...string) (map[string]string, result) {
	w.t.Helper()
	dir, err := os.MkdirTemp(w.out, "env-")
	must(w.t, err)
	defer os.RemoveAll(dir)
	vars = append(vars, "PATINA_IDENTITY")
	script := ""
	for _, v := range vars {
		script += `[ -n "${` + v + `+set}" ] && printf %s "$` + v + `" > "$D/` + v + `"; `
	}
	r := w.runWith(o, "secrets", "run", "--", "env", "D="+dir, "sh", "-c", script+"true")
	got := map[string]string{}
	if r.code != 0 {
		return got, r
	}
	for _, v := range vars {
		if data, err := os.ReadFile(filepath.Join(dir, v)); err == nil {
			got[v] = string(data)
		}
	}
	if _, ok := got["PATINA_IDENTITY"]; !ok {
		got["PATINA_IDENTITY"] = "unset"
	}
	return got, r
}

// writeIdentityFile stores the world's key as $PATINA_HOME/identity.age
// under passphrase, the way `secrets init` does (armored age scrypt), with
// a cheap work factor.
func (w *world) writeIdentityFile(passphrase string) {
	w.t.Helper()
	r, err := age.NewScryptRecipient(passphrase)
	must(w.t, err)
	r.SetWorkFactor(10)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	ew, err := age.Encrypt(aw, r)
	must(w.t, err)
	_, err = io.WriteString(ew, w.key)
	must(w.t, err)
	must(w.t, ew.Close())
	must(w.t, aw.Close())
	must(w.t, os.MkdirAll(w.patina, 0o700))
	must(w.t, os.WriteFile(filepath.Join(w.patina, "identity.age"), buf.Bytes(), 0o600))
}

// distinctive returns a secret value nobody could produce by accident; the
// hex core is what the leak checks look for, so a quoted or escaped copy
// is caught too. The rest exercises shell quoting.
func distinctive(t *testing.T) (value, core string) {
	b := make([]byte, 16)
	_, err := rand.Read(b)
	must(t, err)
	core = "pt" + hex.EncodeToString(b)
	return `it's-` + core + `-"$HOME"-$(id)-` + "`x`", core
}

// assertNoLeak fails if needle is in any recorded output, the daemon's
// log, or any file under the world's root or socket directory.
func (w *world) assertNoLeak(needle string) {
	w.t.Helper()
	w.mu.Lock()
	for i, s := range w.outputs {
		if strings.Contains(s, needle) {
			w.t.Errorf("output %d of the commands run holds the secret: %q", i, s)
		}
	}
	w.mu.Unlock()
	if w.d != nil && strings.Contains(w.d.stderr.String(), needle) {
		w.t.Errorf("the daemon's log holds the secret:\n%s", w.d.stderr)
	}
	for _, dir := range []string{w.root, filepath.Dir(w.sock)} {
		for _, f := range filesHolding(w.t, dir, needle) {
			w.t.Errorf("file %s holds the secret", f)
		}
	}
}

// filesHolding lists the regular files under dir whose bytes contain needle.
func filesHolding(t *testing.T, dir, needle string) []string {
	t.Helper()
	var hits []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("cannot read %s for the leak check: %v", p, err)
			return nil
		}
		if bytes.Contains(data, []byte(needle)) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}

// oneErrorLine checks that stderr is one "patina: error:" line, optionally
// followed by one "patina: hint:" line.
func oneErrorLine(t *testing.T, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	switch {
	case len(lines) == 0 || !strings.HasPrefix(lines[0], "patina: error: "):
		t.Errorf("stderr does not start with a patina: error: line: %q", stderr)
	case len(lines) > 2:
		t.Errorf("stderr is %d lines, want an error line and at most a hint: %q", len(lines), stderr)
	case len(lines) == 2 && !strings.HasPrefix(lines[1], "patina: hint: "):
		t.Errorf("second line is not a patina: hint: line: %q", stderr)
	}
}

// writeStandInSSH puts an `ssh` on the world's PATH that drops its options
// and the host and runs the remote command (`bash -s`) here, recording the
// argv it was given.
func (w *world) writeStandInSSH() {
	w.t.Helper()
	script := `#!/bin/sh
# stand-in for ssh: drop the options and the host, run the command locally
printf '%s\n' "$*" >> "$OUT/ssh-argv"
while [ $# -gt 0 ]; do
	case "$1" in
	--) shift; break ;;
	-*) shift ;;
	*) break ;;
	esac
done
shift
exec "$@"
`
	must(w.t, os.WriteFile(filepath.Join(w.bin, "ssh"), []byte(script), 0o755))
}
