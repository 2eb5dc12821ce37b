package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The threat model: the agent running these commands sees everything they
// print, every argv on the machine and every file. So for each command a
// distinctive secret value (and the identity) must appear in no stdout, no
// stderr, no daemon log line, no process's argv and no file, except the
// environment of the command that asked for it.

// cmdlinesHolding lists the processes whose argv contains a needle.
func cmdlinesHolding(t *testing.T, needles ...string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	must(t, err)
	var hits []string
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // gone already
		}
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				hits = append(hits, p+": "+strings.ReplaceAll(string(data), "\x00", " "))
			}
		}
	}
	return hits
}

// runHeld runs `patina secrets run [extra…] -- sh -c …` with a child that
// writes $API_KEY to a file outside the tree and then blocks on a fifo.
// While it blocks, every process's argv is scanned for the needles. It
// returns what the child saw.
func (w *world) runHeld(o opts, extra []string, needles ...string) string {
	w.t.Helper()
	t := w.t
	fifo := filepath.Join(w.out, "release")
	seen := filepath.Join(w.out, "seen")
	os.Remove(fifo)
	os.Remove(seen)
	must(t, syscall.Mkfifo(fifo, 0o600))
	args := append([]string{"secrets", "run"}, extra...)
	args = append(args, "--", "sh", "-c", `printf %s "$API_KEY" > "$OUT/seen.part" && mv "$OUT/seen.part" "$OUT/seen"; read x < "$OUT/release"`)
	cmd := w.command(o, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	must(t, cmd.Start())
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(seen); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child never ran: %s %s", out.String(), errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, hit := range cmdlinesHolding(t, needles...) {
		t.Errorf("a process's argv holds a secret while %v runs: %s", extra, hit)
	}
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	must(t, err)
	f.WriteString("go\n")
	f.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run %v: %v %s", extra, err, errb.String())
	}
	w.record(out.String(), errb.String())
	data, err := os.ReadFile(seen)
	must(t, err)
	os.Remove(seen)
	return string(data)
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.startDaemon()
	w.writeStandInSSH()
	value, core := distinctive(t)
	gvalue, gcore := distinctive(t)
	keyCore := strings.TrimPrefix(w.secretKey, "AGE-SECRET-KEY-1")
	needles := []string{core, gcore, keyCore}
	check := func(step string) {
		t.Helper()
		for _, n := range needles {
			w.assertNoLeak(n)
		}
		if t.Failed() {
			t.Fatalf("leak after %s", step)
		}
	}

	w.ok(opts{}, "secrets")
	check("status (empty)")
	w.ok(opts{}, "secrets", "init")
	check("init")
	w.add("api-key", value)
	check("add --stdin (project)")
	w.add("global-key", gvalue, "--global")
	check("add --stdin --global")
	w.ok(opts{}, "secrets")
	w.ok(opts{}, "secrets", "--json")
	check("status")

	if got := w.runHeld(opts{}, nil, needles...); got != value {
		t.Fatalf("run (unlocking): child saw %q", got)
	}
	check("run (unlocking, pushing to the cache)")
	if got := w.runHeld(opts{noIdentity: true}, nil, needles...); got != value {
		t.Fatalf("run (cached): child saw %q", got)
	}
	check("run (from the cache)")
	if got := w.runHeld(opts{}, []string{"--ssh", "build-host"}, needles...); got != value {
		t.Fatalf("run --ssh: child saw %q", got)
	}
	argv, err := os.ReadFile(filepath.Join(w.out, "ssh-argv"))
	must(t, err)
	if strings.TrimSpace(string(argv)) != "-- build-host bash -s" {
		t.Errorf("ssh was run as %q", argv)
	}
	check("run --ssh")

	_, _, other := newKey(t)
	w.ok(opts{}, "secrets", "recipients", "list")
	w.ok(opts{}, "secrets", "recipients", "add", other)
	w.ok(opts{}, "secrets", "recipients", "remove", other)
	check("recipients list/add/remove")
	w.add("doomed", value)
	w.ok(opts{}, "secrets", "remove", "doomed")
	check("remove")
	w.ok(opts{}, "secrets", "lock")
	check("lock")
	w.ok(opts{}, "secrets", "export-key", "--out", filepath.Join(w.out, "backup.key"))
	check("export-key --out")
	// Failing commands must not leak either.
	w.runWith(opts{noIdentity: true}, "secrets", "run", "--", "true")
	w.runWith(opts{stdin: strings.NewReader(value)}, "secrets", "add", "BAD NAME", "--stdin")
	w.runWith(opts{stdin: strings.NewReader(value + "\x00")}, "secrets", "add", "nul", "--stdin")
	w.runWith(opts{}, "secrets", "add", "api-key", value)
	w.runWith(opts{stdin: strings.NewReader(w.key)}, "secrets", "import-key")
	w.runWith(opts{}, "secrets", "recipients", "add", w.secretKey)
	check("refusals")
}

// The prompts, through a real pseudo-terminal: the passphrase and the value
// are typed without echo, and neither shows on the terminal or anywhere else.
func TestSecretsPrompts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.startDaemon()
	value, core := distinctive(t)
	pass := "pass-" + core[2:14]
	needles := []string{core, pass}
	noEnv := opts{noIdentity: true}

	// init: a new identity in identity.age under a passphrase asked twice.
	p := openTestPty(t)
	cmd := w.command(opts{noIdentity: true, pty: p}, "secrets", "init")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	must(t, cmd.Start())
	p.typeWhenSilent(t, "New passphrase for", 1, pass)
	p.typeWhenSilent(t, "Repeat the passphrase", 1, pass)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("init: %v %s", err, errb.String())
	}
	w.record(out.String(), errb.String(), p.settled(t))
	recipient := strings.TrimSpace(out.String())
	if !strings.HasPrefix(recipient, "age1") {
		t.Fatalf("init printed %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(w.patina, "identity.age")); err != nil {
		t.Fatal(err)
	}

	// add: unlock (passphrase), then the value twice, none echoed.
	p = openTestPty(t)
	cmd = w.command(opts{noIdentity: true, pty: p}, "secrets", "add", "api-key")
	out.Reset()
	errb.Reset()
	cmd.Stdout, cmd.Stderr = &out, &errb
	must(t, cmd.Start())
	p.typeWhenSilent(t, "Passphrase for", 1, pass)
	p.typeWhenSilent(t, "Value for api-key", 1, value)
	p.typeWhenSilent(t, "Repeat the value", 1, value)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("add: %v %s %q", err, errb.String(), p.screen())
	}
	w.record(out.String(), errb.String(), p.settled(t))

	// A typo in the repeat changes nothing.
	before := snapshot(t, w.root)
	p = openTestPty(t)
	cmd = w.command(opts{noIdentity: true, pty: p}, "secrets", "add", "api-key")
	errb.Reset()
	cmd.Stderr = &errb
	must(t, cmd.Start())
	p.typeWhenSilent(t, "Passphrase for", 1, pass)
	p.typeWhenSilent(t, "Value for api-key", 1, value)
	p.typeWhenSilent(t, "Repeat the value", 1, value+"typo")
	if err := cmd.Wait(); err == nil || !strings.Contains(errb.String(), "differ") {
		t.Fatalf("mismatched values accepted: %v %s", err, errb.String())
	}
	w.record(errb.String(), p.settled(t))
	if snapshot(t, w.root) != before {
		t.Error("a refused add changed files")
	}

	// Locked and no terminal: a clear error, no prompt.
	locked(t, w, opts{})

	// run on a terminal: one passphrase, then cached for runs without one.
	p = openTestPty(t)
	cmd = w.command(opts{noIdentity: true, pty: p}, "secrets", "run", "--", "sh", "-c", `printf %s "$API_KEY" > "$OUT/seen"`)
	errb.Reset()
	cmd.Stderr = &errb
	must(t, cmd.Start())
	p.typeWhenSilent(t, "Passphrase for", 1, pass)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run on a terminal: %v %s", err, errb.String())
	}
	w.record(errb.String(), p.settled(t))
	if data, _ := os.ReadFile(filepath.Join(w.out, "seen")); string(data) != value {
		t.Fatalf("child saw %q", data)
	}
	os.Remove(filepath.Join(w.out, "seen"))
	if got, r := w.runEnv(noEnv, "API_KEY"); got["API_KEY"] != value {
		t.Fatalf("cached run after the terminal unlock: %s", r.stderr)
	}

	// import-key --replace: the key from stdin, a new passphrase asked twice.
	newKeyText, _, newRecipient := newKey(t)
	p = openTestPty(t)
	o := opts{noIdentity: true, pty: p, stdin: strings.NewReader(newKeyText)}
	cmd = w.command(o, "secrets", "import-key", "--replace")
	out.Reset()
	errb.Reset()
	cmd.Stdout, cmd.Stderr = &out, &errb
	must(t, cmd.Start())
	p.typeWhenSilent(t, "New passphrase for", 1, pass)
	p.typeWhenSilent(t, "Repeat the passphrase", 1, pass)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("import-key: %v %s", err, errb.String())
	}
	w.record(out.String(), errb.String(), p.settled(t))
	if strings.TrimSpace(out.String()) != newRecipient {
		t.Errorf("import-key printed %q, want %s", out.String(), newRecipient)
	}
	if !strings.Contains(errb.String(), "does not list this key") {
		t.Errorf("import-key did not warn that recipient.txt lacks the new key: %s", errb.String())
	}

	for _, n := range needles {
		w.assertNoLeak(n)
	}
	if strings.Contains(w.d.stderr.String(), core) {
		t.Error("daemon log holds the value")
	}
	newCore := strings.TrimPrefix(strings.Split(strings.TrimSpace(newKeyText), "\n")[2], "AGE-SECRET-KEY-1")
	w.assertNoLeak(newCore)
}

// On a terminal the child is in the foreground with us: Ctrl-C reaches it
// from the terminal itself (and is not sent a second time by patina), and
// patina ends with the child's status.
func TestSecretsRunCtrlC(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "long-enough-to-mask")
	p := openTestPty(t)
	ready := filepath.Join(w.out, "ready")
	got := filepath.Join(w.out, "got")
	script := `n=0; trap 'n=$((n+1)); echo $n > ` + got + `; exit 3' INT; touch ` + ready + `; while :; do sleep 0.05; done`
	cmd := w.command(opts{pty: p}, "secrets", "run", "--", "sh", "-c", script)
	var errb bytes.Buffer
	cmd.Stderr = &errb
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
	p.master.Write([]byte{3}) // ^C: the terminal signals its foreground group
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 3 {
		t.Fatalf("patina ended with %v, want the child's exit 3 (stderr %s)", err, errb.String())
	}
	if data, _ := os.ReadFile(got); strings.TrimSpace(string(data)) != "1" {
		t.Errorf("child's trap ran %q times", data)
	}
}
