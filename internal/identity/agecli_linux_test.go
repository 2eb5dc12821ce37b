package identity

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
)

// runOnPty starts the real age CLI with the pty as its controlling
// terminal, which is where age asks for passphrases.
func runOnPty(t *testing.T, p *pty, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	bin, err := exec.LookPath("age")
	if err != nil {
		t.Fatal("the age CLI is required for interop tests: apt-get install -y age")
	}
	slave, err := os.OpenFile(p.slave, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close() // the child keeps its own copy
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdin = slave
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

func waitCmd(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%v: %v: %s", cmd.Args, err, out)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v hung: %s", cmd.Args, out)
	}
}

// Our identity.age is a standard age passphrase file: `age -d -i` opens
// it after asking for the passphrase on the terminal.
func TestInteropIdentityFileWithAgeCLI(t *testing.T) {
	home := isolate(t)
	pass := "interop-pass-w0rd"
	id, _, err := Init(ctx, answer(t, pass, pass))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	msg := filepath.Join(dir, "msg.age")
	f, _ := os.Create(msg)
	rec, _ := age.ParseX25519Recipient(id.Recipient())
	w, _ := age.Encrypt(f, rec)
	w.Write([]byte("decrypted by the age CLI\n"))
	w.Close()
	f.Close()

	p := openPty(t)
	out := filepath.Join(dir, "out.txt")
	cmd, log := runOnPty(t, p, "-d", "-i", filepath.Join(home, "identity.age"), "-o", out, msg)
	p.typeWhenSilent(t, "passphrase", pass)
	waitCmd(t, cmd, log)
	screen := p.settled(t)
	if b, _ := os.ReadFile(out); string(b) != "decrypted by the age CLI\n" {
		t.Fatalf("age -d output %q; terminal: %q", b, screen)
	}
	if strings.Contains(screen, pass) {
		t.Fatal("passphrase echoed")
	}
}

// A key file encrypted with `age -p -a` is a valid identity.age for us.
func TestInteropAgeCLIPassphraseFileLoads(t *testing.T) {
	home := isolate(t)
	x := newKey(t)
	dir := t.TempDir()
	keyfile := filepath.Join(dir, "key.txt")
	os.WriteFile(keyfile, []byte("# public key: "+x.Recipient().String()+"\n"+x.String()+"\n"), 0o600)
	pass := "made-by-age-cli-9"
	secret(pass)

	p := openPty(t)
	cmd, log := runOnPty(t, p, "-p", "-a", "-o", filepath.Join(home, "identity.age"), keyfile)
	p.typeWhenSilent(t, "Enter passphrase", pass)
	p.typeWhenSilent(t, "Confirm passphrase", pass)
	waitCmd(t, cmd, log)

	id, src, err := Load(ctx, answer(t, pass))
	if err != nil || src != SourceFile || id.Recipient() != x.Recipient().String() {
		t.Fatalf("Load: %v %v %v", id, src, err)
	}
	// (Wrong passphrases are covered by TestWrongPassphrase: each try here
	// costs age's full scrypt work factor, seconds under -race.)
}
