package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/mask"
)

// `secrets run` as an agent's shell tool runs it (no terminal anywhere):
// the values never come back in what the command prints, however it
// prints them, and everything else does, exactly.

const concealed = mask.Placeholder

func TestSecretsRunMasksValues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.startDaemon()
	w.writeStandInSSH()
	value, core := distinctive(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", value)
	w.add("other-key", "second-"+core[2:18], "--global")
	run := func(argv ...string) result {
		t.Helper()
		return w.ok(opts{}, append([]string{"secrets", "run", "--"}, argv...)...)
	}

	r := run("env")
	if !strings.Contains(r.stdout, "\nAPI_KEY="+concealed+"\n") || !strings.Contains(r.stdout, "\nOTHER_KEY="+concealed+"\n") ||
		!strings.Contains(r.stdout, "\nHOME="+w.home+"\n") {
		t.Errorf("env printed:\n%s", r.stdout)
	}
	if r := run("printenv", "API_KEY"); r.stdout != concealed+"\n" || r.stderr != "" {
		t.Errorf("printenv API_KEY: %q, stderr %q", r.stdout, r.stderr)
	}
	if r := run("sh", "-c", `printenv API_KEY >&2`); r.stderr != concealed+"\n" || r.stdout != "" {
		t.Errorf("printenv API_KEY >&2: stderr %q, stdout %q", r.stderr, r.stdout)
	}
	if r := run("sh", "-c", `echo "$API_KEY" | base64`); r.stdout != concealed+"\n" {
		t.Errorf("echo $API_KEY | base64: %q", r.stdout)
	}
	if r := run("sh", "-c", `printf %s "$API_KEY" | base64 -w0; echo`); r.stdout != concealed+"\n" {
		t.Errorf("printf $API_KEY | base64 -w0: %q", r.stdout)
	}
	// Half the value, a pause long enough for the relay to have written
	// what came before it, then the other half.
	if r := run("sh", "-c", `echo start; printf %s "$API_KEY" | head -c 20; sleep 0.3; printf %s "$API_KEY" | tail -c +21; echo " end"`); r.stdout != "start\n"+concealed+" end\n" {
		t.Errorf("a value split across writes: %q", r.stdout)
	}
	// Binary output is relayed byte for byte.
	if r := run("sh", "-c", `printf '\000\377\200'; printenv API_KEY; printf '\001'`); r.stdout != "\x00\xff\x80"+concealed+"\n\x01" {
		t.Errorf("binary output: %q", r.stdout)
	}
	// --ssh: what comes back through ssh is masked the same way.
	if r := w.ok(opts{}, "secrets", "run", "--ssh", "build-host", "--", "printenv", "API_KEY"); r.stdout != concealed+"\n" {
		t.Errorf("--ssh printenv API_KEY: %q", r.stdout)
	}
	w.assertNoLeak(core)
	w.assertNoLeak(base64.StdEncoding.EncodeToString([]byte(value))[:24])
}

func TestSecretsRunNoMasking(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	value, _ := distinctive(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", value)
	// Not w.ok: the output holds the value, on purpose; it is not recorded.
	cmd := w.command(opts{}, "secrets", "run", "--no-masking", "--", "printenv", "API_KEY")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	must(t, cmd.Run())
	if out.String() != value+"\n" {
		t.Errorf("--no-masking: stdout %q", out.String())
	}
	if lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "patina: note: --no-masking") {
		t.Errorf("--no-masking does not say so on stderr, in one line: %q", errb.String())
	}
	if strings.Contains(errb.String(), value) {
		t.Error("the note holds the value")
	}
	if r := w.ok(opts{}, "secrets", "run", "--help"); !strings.Contains(r.stdout, "terminal") || !strings.Contains(r.stdout, "--no-masking") {
		t.Errorf("--help does not explain masking:\n%s", r.stdout)
	}
}

// A value too short to mask is shown, and named (never shown) in one
// warning; longer ones are still masked.
func TestSecretsRunShortValueWarning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("db-port", "54321")
	w.add("api-key", "long-enough-value")
	r := w.ok(opts{}, "secrets", "run", "--", "sh", "-c", `echo "$DB_PORT $API_KEY"`)
	if r.stdout != "54321 "+concealed+"\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	if r.stderr != "patina: warning: not masking DB_PORT: values shorter than 6 bytes would garble the output\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	// With masking off, nothing to warn of.
	if r := w.ok(opts{}, "secrets", "run", "--no-masking", "--", "true"); strings.Contains(r.stderr, "DB_PORT") {
		t.Errorf("--no-masking warned: %q", r.stderr)
	}
}

// countingWriter counts bytes and keeps those that are not zero.
type countingWriter struct {
	n       int64
	nonZero []byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	for _, b := range p {
		if b != 0 {
			c.nonZero = append(c.nonZero, b)
		}
	}
	return len(p), nil
}

// 100 MB through the relay: every byte arrives, the value in the middle
// is masked, and the child's status is ours.
func TestSecretsRunRelays100MB(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MB through the relay")
	}
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "value-in-the-middle")
	const half = 50_000_000
	cmd := w.command(opts{}, "secrets", "run", "--", "sh", "-c",
		`head -c 50000000 /dev/zero; printenv API_KEY; head -c 50000000 /dev/zero; exit 5`)
	var out countingWriter
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Fatalf("exit %v, want 5 (stderr %s)", err, errb.String())
	}
	if want := int64(2*half + len(concealed) + 1); out.n != want {
		t.Errorf("%d bytes relayed, want %d", out.n, want)
	}
	if string(out.nonZero) != concealed+"\n" {
		t.Errorf("the non-zero bytes were %q", out.nonZero)
	}
	t.Logf("100 MB relayed in %v (%.0f MB/s)", took, 100/took.Seconds())
}

// A reader that goes away (`secrets run -- yes | head -1`) gives the child
// its SIGPIPE, as before the relay; patina is not killed by one, and exits
// with the child's status.
func TestSecretsRunReaderGoesAway(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "long-enough-value")
	cmd := w.command(opts{}, "secrets", "run", "--", "sh", "-c", `exec yes "$API_KEY"`)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	must(t, cmd.Start())
	line := make([]byte, len(concealed)+1)
	_, err = io.ReadFull(stdout, line)
	must(t, err)
	stdout.Close()
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("patina ended with %v, want the child's SIGPIPE status", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() || ws.ExitStatus() != 128+int(syscall.SIGPIPE) {
		t.Errorf("patina: %v, want exit status 141 (the child's SIGPIPE), not death by a signal; stderr %q", ee, errb.String())
	}
	if string(line) != concealed+"\n" {
		t.Errorf("first line %q", line)
	}
}
