//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSystemdInstallHonoursTheShellsPaths installs from a shell whose
// PATINA_HOME and PATINA_SOCKET are not the defaults, under a real user
// manager: the socket unit listens where that shell's clients look, and
// the hardened daemon reads that shell's registry (a project scraped there
// is answered by the daemon, not in-process).
func TestSystemdInstallHonoursTheShellsPaths(t *testing.T) {
	requireUserManager(t)
	u := startUserManager(t)
	u.bin = filepath.Join(u.home, ".local", "bin", "patina")
	data, err := os.ReadFile(patinaBin)
	must(t, err)
	u.writeOwned(t, u.bin, data, 0o755)

	home := filepath.Join(u.home, "alt-home")
	sock := filepath.Join(u.home, "alt-run", "mother.sock")
	env := []string{"PATINA_HOME=" + home, "PATINA_SOCKET=" + sock}
	r := u.runEnv(t, env, u.bin, "mother", "install")
	if r.code != 0 || !strings.Contains(r.stderr, "patina: logs: journalctl --user -u patina.service") {
		t.Fatalf("mother install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if e := u.prop(t, "patina.service", "Environment"); !strings.Contains(e, "PATINA_HOME="+home) || !strings.Contains(e, "PATINA_SOCKET="+sock) {
		t.Errorf("patina.service Environment=%q, want the shell's PATINA_HOME and PATINA_SOCKET", e)
	}
	// systemd made the socket there, 0600 in a 0700 directory of the user's.
	for p, want := range map[string]os.FileMode{sock: os.ModeSocket | 0o600, filepath.Dir(sock): os.ModeDir | 0o700} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatalf("after install: %v", err)
		}
		if fi.Mode() != want || fi.Sys().(*syscall.Stat_t).Uid != u.uid {
			t.Errorf("%s: mode %v uid %d, want %v owned by the user", p, fi.Mode(), fi.Sys().(*syscall.Stat_t).Uid, want)
		}
	}
	unitDir := filepath.Join(u.home, ".config", "systemd", "user")
	u.writeOwned(t, filepath.Join(unitDir, "patina.service.d", "log.conf"),
		[]byte("[Service]\nStandardError=append:%t/patina-test.log\n"), 0o644)
	if out, code := u.systemctl(t, "daemon-reload"); code != 0 {
		t.Fatalf("daemon-reload: %s", out)
	}

	proj := filepath.Join(u.home, "src", "notes")
	u.writeOwned(t, filepath.Join(proj, "NOTES.md"), []byte("# Ledger\n\nThe zanzibar ledger is reconciled nightly.\n"), 0o644)
	if r := u.runEnv(t, env, u.bin, "scrape", "--no-embed", proj); r.code != 0 {
		t.Fatalf("scrape: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = u.runEnv(t, env, u.bin, "scry", "--project", "notes", "zanzibar")
	b, _ := os.ReadFile(filepath.Join(u.rt, "patina-test.log"))
	if r.code != 0 || !strings.Contains(r.stdout, "NOTES.md:3:") || strings.Contains(r.stderr, "in-process") ||
		!strings.Contains(string(b), "path=/api/scry status=200") {
		t.Fatalf("scry through the daemon installed with PATINA_HOME: exit %d\nstdout: %s\nstderr: %s\nservice log:\n%s", r.code, r.stdout, r.stderr, b)
	}
	if st := u.isActive(t, "patina.service"); st != "active" {
		t.Errorf("patina.service %q after a scry through its socket, want active", st)
	}
	if r := u.runEnv(t, env, u.bin, "mother", "uninstall"); r.code != 0 {
		t.Errorf("uninstall: exit %d\n%s", r.code, r.stderr)
	}
}
