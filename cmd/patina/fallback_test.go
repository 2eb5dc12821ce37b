package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// The in-process note is said once an hour per runtime dir, on stderr
// only; after the daemon answered, its next absence is noted at once.
func TestFallbackNoteOnce(t *testing.T) {
	t.Parallel()
	root := indextest.Fixture(t)
	sock := noDaemonSocket(t)
	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + sock}
	if r := runPatina(t, env, "scrape", "--no-embed", "--name", "fx", root); r.code != 0 {
		t.Fatalf("scrape: %s", r.stderr)
	}
	const note = "searched in-process"
	scry := func(want bool, why string) {
		t.Helper()
		r := runPatina(t, env, "scry", "-j", "-p", "fx", "-m", "lexical", indextest.WordReadme)
		var resp struct{ Count int }
		if err := json.Unmarshal([]byte(r.stdout), &resp); r.code != 0 || err != nil || resp.Count == 0 {
			t.Fatalf("%s: exit %d, stdout %q (%v)\n%s", why, r.code, r.stdout, err, r.stderr)
		}
		if strings.Contains(r.stdout, "patina:") {
			t.Errorf("%s: a note on stdout: %q", why, r.stdout)
		}
		if got := strings.Contains(r.stderr, note); got != want {
			t.Errorf("%s: note said %v, want %v: %q", why, got, want, r.stderr)
		}
	}
	scry(true, "first")
	scry(false, "second")
	scry(false, "third")

	marker := filepath.Join(filepath.Dir(sock), fallbackMarkerName)
	old := time.Now().Add(-fallbackNoteEvery - time.Minute)
	must(t, os.Chtimes(marker, old, old))
	scry(true, "an hour later")
	scry(false, "after that")

	// The daemon answers (it has a home of its own, without fx: an
	// error, but an answer), then goes away: said again at once.
	d := startDaemon(t, sock)
	if r := runPatina(t, env, "scry", "-p", "fx", indextest.WordReadme); strings.Contains(r.stderr, note) {
		t.Fatalf("the daemon did not answer: %s", r.stderr)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	d.exited <- <-d.exited // gone; the cleanup finds it so
	scry(true, "after the daemon answered and stopped")

	// A runtime dir others may write in holds no marker: said every time.
	must(t, os.Chmod(filepath.Dir(sock), 0o777))
	os.Remove(marker)
	scry(true, "shared dir, first")
	scry(true, "shared dir, second")
	if _, err := os.Lstat(marker); err == nil {
		t.Errorf("a marker was written in a world-writable dir")
	}
}
