package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the uid (and gid) the tests below run the other user as.
const nobody = 65534

const foreignHint = "patina: hint: every user runs their own mother: check $PATINA_SOCKET, --mother and $XDG_RUNTIME_DIR (su and sudo can keep another user's)\n"

// sharedBinary copies the binary into base, which nobody may enter, and
// gives nobody a home there.
func sharedBinary(t *testing.T) (base, exe, home string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to run as another uid")
	}
	base, err := os.MkdirTemp("", "pt-fg-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	must(t, os.Chmod(base, 0o755))
	bin, err := os.ReadFile(patinaBin)
	must(t, err)
	exe = filepath.Join(base, "patina")
	must(t, os.WriteFile(exe, bin, 0o755))
	home = filepath.Join(base, "nobody")
	must(t, os.Mkdir(home, 0o700))
	must(t, os.Chown(home, nobody, nobody))
	return base, exe, home
}

// patinaAs runs exe as uid (0 or nobody) against sock, in home.
func patinaAs(t *testing.T, uid int, exe, home, sock string, args ...string) result {
	t.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Dir = home
	cmd.Env = []string{"PATH=/usr/bin:/bin", "PATINA_CACHE=" + modelCache, "HOME=" + home, "PATINA_HOME=" + filepath.Join(home, ".patina"), "PATINA_SOCKET=" + sock}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run patina %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// wantStderr fails unless r's stderr holds want.
func wantStderr(t *testing.T, what string, r result, want string) {
	t.Helper()
	if !strings.Contains(r.stderr, want) {
		t.Errorf("%s: stderr\n%s\nwant it to hold\n%s", what, r.stderr, want)
	}
}

// A user whose socket path leads to root's daemon is told whose it is and
// why nothing came of it, by scry and by mother status alike: first the
// kernel refuses (the daemon's 0700 directory), then, the directory and
// socket opened up, the daemon itself (403).
func TestScryAgainstRootsDaemon(t *testing.T) {
	base, exe, home := sharedBinary(t)
	sock := filepath.Join(base, "run", "mother.sock")
	startDaemon(t, sock)
	run := filepath.Dir(sock)

	denied := "mother at " + sock + ": " + run + " belongs to root (uid 0), not to you (nobody, uid 65534): connect: permission denied"
	r := patinaAs(t, nobody, exe, home, sock, "scry", "anything")
	wantStderr(t, "scry, directory denied", r, "patina: note: "+denied+"; searched in-process\n"+foreignHint)
	r = patinaAs(t, nobody, exe, home, sock, "mother", "status")
	if r.code != 1 || !strings.Contains(r.stdout, "reachable:  no ("+denied+")") {
		t.Errorf("status, directory denied: exit %d, stdout\n%s", r.code, r.stdout)
	}
	wantStderr(t, "status, directory denied", r, foreignHint)

	must(t, os.Chmod(run, 0o755))
	must(t, os.Chmod(sock, 0o666))
	refused := "mother at " + sock + " is run by root (uid 0), not by you (nobody, uid 65534), and refused you: peer uid is not the daemon's user (HTTP 403)"
	r = patinaAs(t, nobody, exe, home, sock, "scry", "anything")
	if r.code != 1 {
		t.Errorf("scry, daemon refused: exit %d, want 1", r.code)
	}
	wantStderr(t, "scry, daemon refused", r, "patina: error: "+refused+"\n"+foreignHint)
	r = patinaAs(t, nobody, exe, home, sock, "mother", "status")
	if r.code != 1 || !strings.Contains(r.stdout, "reachable:  no ("+refused+")") {
		t.Errorf("status, daemon refused: exit %d, stdout\n%s", r.code, r.stdout)
	}
	wantStderr(t, "status, daemon refused", r, foreignHint)
}

// Root, pointed at a daemon nobody runs, refuses to talk to it and says so
// (then searches in-process), instead of "not answering".
func TestScryAgainstAnotherUsersDaemon(t *testing.T) {
	base, exe, home := sharedBinary(t)
	sock := filepath.Join(home, "run", "mother.sock")
	d := exec.Command(exe, "mother", "serve")
	d.Env = []string{"PATH=/usr/bin:/bin", "PATINA_CACHE=" + modelCache, "HOME=" + home, "PATINA_HOME=" + filepath.Join(home, ".patina"), "PATINA_SOCKET=" + sock}
	d.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	stderr := &lockedBuffer{}
	d.Stderr = stderr
	must(t, d.Start())
	t.Cleanup(func() { d.Process.Signal(syscall.SIGTERM); d.Wait() })
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i > 1000 {
			t.Fatalf("nobody's daemon never answered on %s\n%s", sock, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}

	refusing := "mother at " + sock + " is run by nobody (uid 65534), not by you (root, uid 0): refusing to talk to it"
	rootHome := filepath.Join(base, "root")
	must(t, os.Mkdir(rootHome, 0o700))
	r := patinaAs(t, 0, exe, rootHome, sock, "scry", "anything")
	wantStderr(t, "scry", r, "patina: note: "+refusing+"; searched in-process\n"+foreignHint)
	r = patinaAs(t, 0, exe, rootHome, sock, "mother", "status")
	if r.code != 1 || !strings.Contains(r.stdout, "reachable:  no ("+refusing+")") {
		t.Errorf("status: exit %d, stdout\n%s", r.code, r.stdout)
	}
	wantStderr(t, "status", r, foreignHint)
}
