// Package indextest builds what index, scry and daemon tests need: a small
// fixture project in a real git repository, and large generated corpora
// for benchmarks. It runs the real git binary with a fixed identity and
// no user or system configuration.
package indextest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Identity of every commit the helpers make.
const (
	GitName  = "Patina Test"
	GitEmail = "test@patina.invalid"
)

// GitEnv is the environment for git in tests: a fixed identity, and no
// global or system configuration (so a developer's hooks, signing or
// templates never leak in).
func GitEnv(date time.Time) []string {
	d := date.UTC().Format(time.RFC3339)
	return append(os.Environ(),
		"GIT_AUTHOR_NAME="+GitName, "GIT_AUTHOR_EMAIL="+GitEmail, "GIT_AUTHOR_DATE="+d,
		"GIT_COMMITTER_NAME="+GitName, "GIT_COMMITTER_EMAIL="+GitEmail, "GIT_COMMITTER_DATE="+d,
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
	)
}

// Git runs git in dir (commits dated 2024-01-01) and returns its stdout;
// a failure fails the test.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return GitAt(t, dir, time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), args...)
}

// GitAt is Git with the author and committer date set to date.
func GitAt(t testing.TB, dir string, date time.Time, args ...string) string {
	t.Helper()
	full := append([]string{"-c", "user.name=" + GitName, "-c", "user.email=" + GitEmail,
		"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"}, args...)
	cmd := exec.Command("git", full...)
	cmd.Dir = dir
	cmd.Env = GitEnv(date)
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// Commit stages everything in dir and commits it with msg at date.
func Commit(t testing.TB, dir, msg string, date time.Time) {
	t.Helper()
	GitAt(t, dir, date, "add", "-A")
	GitAt(t, dir, date, "commit", "-q", "--allow-empty", "-m", msg)
}

// WriteFiles writes files (slash paths relative to root → content),
// creating directories as needed.
func WriteFiles(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Age sets the mtime of every file under root to d ago, so a scrape can
// trust size and mtime for them (a file modified moments before it was
// indexed is always re-hashed).
func Age(root string, d time.Duration) error {
	when := time.Now().Add(-d)
	return filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			return os.Chtimes(p, when, when)
		}
		return nil
	})
}

func mustf(t testing.TB, err error, format string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}
