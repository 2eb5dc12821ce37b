package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// TestRunScript runs packaging/scripts/run.sh (what `make run` runs) from a
// copy of the repository's layout holding the real README: it scrapes the
// repository, prints a query to try that finds something, and execs the
// daemon in the foreground, which then answers that query.
func TestRunScript(t *testing.T) {
	repo, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	script, err := os.ReadFile("../../packaging/scripts/run.sh")
	must(t, err)
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	indextest.WriteFiles(t, repo, map[string]string{"packaging/scripts/run.sh": string(script), "README.md": string(readme)})
	must(t, os.Chmod(filepath.Join(repo, "packaging/scripts/run.sh"), 0o755))
	indextest.Git(t, repo, "init", "-q")
	indextest.Commit(t, repo, "Import", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

	sock := shortSocket(t)
	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + sock}
	cmd := exec.Command(filepath.Join(repo, "packaging/scripts/run.sh"), patinaBin)
	cmd.Dir = t.TempDir() // the script finds the repository itself
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir()}, env...)
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "\ntry: ") {
		select {
		case err := <-exited:
			t.Fatalf("run.sh exited: %v\nstdout: %s\nstderr: %s", err, out, errb)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon never started\nstdout: %s\nstderr: %s", out, errb)
		}
	}
	name := filepath.Base(repo)
	if !strings.HasPrefix(out.String(), "scraped "+name+": 2 files indexed") || !strings.Contains(out.String(), "embedded (use-lite)") ||
		!strings.Contains(out.String(), "(answered by the daemon; hybrid: full-text + embeddings)\n") ||
		!strings.Contains(out.String(), "\nREADME.md:") ||
		!strings.Contains(out.String(), "[lexical #1, semantic #") ||
		!strings.Contains(out.String(), "\ntry: "+patinaBin+` scry "socket activation"`) {
		t.Errorf("run.sh output:\n%s", out)
	}
	if !strings.Contains(errb.String(), "mother serving on "+sock) || strings.Contains(errb.String(), "in-process") {
		t.Errorf("run.sh stderr: the daemon should serve and answer the query:\n%s", errb)
	}
	// The suggested query, from inside the repository, through the daemon.
	r := runPatinaIn(t, repo, env, "scry", "socket activation")
	if r.code != 0 || !strings.Contains(r.stdout, "README.md:") || r.stderr != "" {
		t.Errorf("the suggested query: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	must(t, cmd.Process.Signal(syscall.SIGINT)) // Ctrl-C: the script stops the daemon
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("daemon after Ctrl-C: %v\n%s", err, errb)
		}
		exited <- nil
	case <-time.After(15 * time.Second):
		t.Fatal("daemon did not stop on SIGINT")
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
}
