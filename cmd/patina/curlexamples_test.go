package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// TestCurlExamples runs contrib/curl-examples.sh against a standalone
// daemon on the socket the CLI derives (no PATINA_SOCKET, no
// XDG_RUNTIME_DIR, a PATINA_HOME that is not ~/.patina), for a project
// with a name of its own: picked by the caller's directory, then by name.
func TestCurlExamples(t *testing.T) {
	script, err := filepath.Abs("../../contrib/curl-examples.sh")
	must(t, err)
	home := t.TempDir()
	env := []string{"PATH=" + filepath.Dir(patinaBin) + ":" + os.Getenv("PATH"), "HOME=" + home,
		"PATINA_HOME=" + filepath.Join(home, "ph"), "PATINA_CACHE=" + modelCache}
	sock := filepath.Join(home, "ph", "run", "mother.sock")
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d", os.Getuid())); err == nil {
		// The CLI would use the real runtime dir: keep off it.
		sock = shortSocket(t)
		env = append(env, "PATINA_SOCKET="+sock)
	}

	proj := t.TempDir()
	indextest.WriteFiles(t, proj, map[string]string{
		"README.md": "# Ledger\n\nThe daemon is started on demand by socket activation.\n",
		"ledger.go": "package ledger\n\n// Reconcile runs nightly.\nfunc Reconcile() {}\n",
	})
	indextest.Git(t, proj, "init", "-q")
	indextest.Commit(t, proj, "Start the ledger", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	if r := runPatina(t, env, "scrape", "--no-embed", "--name", "zanzi-notes", proj); r.code != 0 {
		t.Fatalf("scrape: exit %d\n%s", r.code, r.stderr)
	}

	d := exec.Command(patinaBin, "mother", "serve")
	d.Env = env
	errb := &lockedBuffer{}
	d.Stderr = errb
	must(t, d.Start())
	t.Cleanup(func() {
		d.Process.Signal(syscall.SIGTERM)
		d.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon never answered on %s\n%s", sock, errb)
		}
		time.Sleep(10 * time.Millisecond)
	}

	for _, c := range []struct {
		dir  string
		args []string
	}{
		{proj, nil},                     // the project holding the current directory
		{home, []string{"zanzi-notes"}}, // by name, from anywhere
		{home, []string{"zanzi-notes", "ledger.go"}},
	} {
		cmd := exec.Command("sh", append([]string{script}, c.args...)...)
		cmd.Dir, cmd.Env = c.dir, env
		out, err := cmd.CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err != nil || len(lines) != 5 {
			t.Fatalf("curl-examples.sh %v: %v, want 5 answers:\n%s", c.args, err, out)
		}
		for i, want := range []string{`"status":"ok"`, `"name":"patina-mother"`, `"path":"README.md"`, `"commits":`, `"loaded":`} {
			if !strings.Contains(lines[i], want) || strings.Contains(lines[i], `"error"`) {
				t.Errorf("curl-examples.sh %v, answer %d: want %s:\n%s", c.args, i+1, want, lines[i])
			}
		}
	}
}
