package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The installed daemon sees project directories read-only
// (ProtectHome=read-only): it must still answer from an index it cannot
// write to, which in WAL mode means the -wal and -shm files the scraper
// left behind. Root ignores file modes, so the reader runs as uid 65534.
func TestScryFromReadOnlyIndex(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run as another uid")
	}
	base, err := os.MkdirTemp("", "pt-ro-")
	must(t, err)
	defer os.RemoveAll(base)
	proj := filepath.Join(base, "proj")
	must(t, os.MkdirAll(proj, 0o755))
	must(t, os.WriteFile(filepath.Join(proj, "NOTES.md"), []byte("# Notes\n\nThe zanzibar ledger is reconciled nightly.\n"), 0o644))
	bin, err := os.ReadFile(patinaBin)
	must(t, err)
	exe := filepath.Join(base, "patina")
	must(t, os.WriteFile(exe, bin, 0o755))
	must(t, filepath.Walk(base, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	}))
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(exe, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "PATINA_CACHE=" + modelCache, "HOME=" + base, "PATINA_HOME=" + filepath.Join(base, "home"),
			"PATINA_SOCKET=" + filepath.Join(base, "none", "mother.sock")}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	// Text only: uid 65534 cannot read the provisioned model in root's home.
	if _, stderr, err := run("scrape", "--no-embed", proj); err != nil {
		t.Fatalf("scrape: %v\n%s", err, stderr)
	}
	local := filepath.Join(proj, ".patina", "local")
	entries, err := os.ReadDir(local)
	must(t, err)
	for _, e := range entries {
		must(t, os.Chmod(filepath.Join(local, e.Name()), 0o400))
	}
	must(t, os.Chmod(local, 0o500))
	out, stderr, err := run("scry", "--project", "proj", "zanzibar")
	// From outside the project the path is absolute.
	if err != nil || !strings.HasPrefix(out, filepath.Join(proj, "NOTES.md")+":3: ") {
		t.Fatalf("scry on a read-only index: %v\nstdout: %s\nstderr: %s", err, out, stderr)
	}
}
