package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	// A group of its own, so a failed test kills the daemon too: its
	// output pipes would keep Wait from returning.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops it") {
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
		!strings.Contains(out.String(), "\n"+patinaBin+` scry "socket activation"`+"\n") {
		t.Errorf("run.sh output:\n%s", out)
	}
	// What the README says make run prints, it prints: its commands, the
	// curl line with the real socket (XDG_RUNTIME_DIR is unset here), and
	// how to stop it.
	lines := strings.Split(out.String(), "\n")
	for _, l := range readmeRunLines(t, string(readme)) {
		if strings.HasPrefix(l, "bin/patina ") && !slices.Contains(lines, patinaBin+strings.TrimPrefix(l, "bin/patina")) {
			t.Errorf("the README says make run prints %q; it does not:\n%s", l, out)
		}
	}
	curl := "curl --unix-socket " + sock + " http://patina/health"
	if !slices.Contains(lines, curl) || !strings.Contains(out.String(), "\nthe daemon runs in the foreground: Ctrl-C stops it (and removes the socket)\n") {
		t.Errorf("run.sh does not print %q and how to stop it:\n%s", curl, out)
	}
	if b, err := exec.Command("sh", "-c", curl).Output(); err != nil || !strings.Contains(string(b), `"status":"ok"`) {
		t.Errorf("the printed curl line: %v %s", err, b)
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

// readmeRunLines are the lines of the README's first code block of
// bin/patina commands: what it says `make run` prints.
func readmeRunLines(t *testing.T, readme string) []string {
	t.Helper()
	blocks := strings.Split(readme, "```")
	for i := 1; i < len(blocks); i += 2 {
		if body, ok := strings.CutPrefix(blocks[i], "sh\n"); ok && strings.HasPrefix(body, "bin/patina ") {
			return strings.Split(strings.TrimSpace(body), "\n")
		}
	}
	t.Fatal("the README no longer shows what make run prints (a code block of bin/patina commands)")
	return nil
}
