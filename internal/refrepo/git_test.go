package refrepo

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// bare makes a repository with files and a bare clone of it to serve as
// the remote; it returns both.
func bare(t *testing.T, files map[string]string) (work, remote string) {
	t.Helper()
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	work, remote = t.TempDir(), filepath.Join(t.TempDir(), "lib.git")
	indextest.Git(t, work, "init", "-q")
	indextest.WriteFiles(t, work, files)
	indextest.Commit(t, work, "first", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	indextest.Git(t, work, "clone", "-q", "--bare", work, remote)
	return work, remote
}

func TestCloneAndUpdate(t *testing.T) {
	work, remote := bare(t, map[string]string{"README.md": "# Lib\n"})
	dir := filepath.Join(t.TempDir(), "clone")
	ctx := context.Background()
	if err := Clone(ctx, Source{Arg: "file://" + remote}, dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	first := Describe(ctx, dir)
	if first.URL != "file://"+remote || first.Branch != "main" || len(first.Commit) != 40 {
		t.Errorf("Describe: %+v", first)
	}
	// patina's index in the clone is not a change to the repository.
	indextest.WriteFiles(t, dir, map[string]string{".patina/local/index.db": "x"})
	if st := indextest.Git(t, dir, "status", "--porcelain"); st != "" {
		t.Errorf("git status of the clone with an index in it: %q", st)
	}

	from, to, err := Update(ctx, dir, io.Discard)
	if err != nil || from != first.Commit || to != from {
		t.Fatalf("update with nothing new: %s %s %v", from, to, err)
	}
	// Upstream moves on, then rewrites its history: the clone follows both.
	indextest.WriteFiles(t, work, map[string]string{"README.md": "# Lib\n\nSecond.\n"})
	indextest.Commit(t, work, "second", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	indextest.Git(t, work, "push", "-q", remote, "main")
	if _, to, err = Update(ctx, dir, io.Discard); err != nil || to != strings.TrimSpace(indextest.Git(t, work, "rev-parse", "HEAD")) {
		t.Fatalf("fast-forward: %s %v", to, err)
	}
	indextest.Git(t, work, "commit", "-q", "--amend", "-m", "second, rewritten")
	indextest.Git(t, work, "push", "-q", "--force", remote, "main")
	if _, to, err = Update(ctx, dir, io.Discard); err != nil || to != strings.TrimSpace(indextest.Git(t, work, "rev-parse", "HEAD")) {
		t.Fatalf("rewritten upstream: %s %v", to, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".patina", "local", "index.db")); string(b) != "x" {
		t.Error("update touched patina's index in the clone")
	}
}

// GIT_ALLOW_PROTOCOL holds even for what ParseSource would refuse: a
// transport that runs a command never runs.
func TestCloneRefusesOtherTransports(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	marker := filepath.Join(t.TempDir(), "ran")
	err := Clone(context.Background(), Source{Arg: "ext::sh -c touch% " + marker}, filepath.Join(t.TempDir(), "c"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "transport 'ext' not allowed") {
		t.Errorf("clone over ext::: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("ext:: ran its command")
	}
}

func TestCloneRefusesATrackedIndex(t *testing.T) {
	_, remote := bare(t, map[string]string{"README.md": "# Lib\n", ".patina/local/index.db": "crafted"})
	err := Clone(context.Background(), Source{Arg: remote, Local: true}, filepath.Join(t.TempDir(), "c"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "tracks .patina/local") {
		t.Errorf("clone of a repository tracking an index: %v", err)
	}
}

func TestReasonLine(t *testing.T) {
	l := &reasonLine{}
	io.WriteString(l, "Cloning into 'x'...\nremote: Counting\robjects: 100%\nfatal: 'x' does not appear to be a git repository\n")
	io.WriteString(l, "fatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n")
	if got := l.String(); got != "fatal: 'x' does not appear to be a git repository" {
		t.Errorf("reasonLine = %q", got)
	}
	l = &reasonLine{}
	io.WriteString(l, "warning: x\nno newline at the end")
	if got := l.String(); got != "no newline at the end" {
		t.Errorf("reasonLine = %q", got)
	}
}
