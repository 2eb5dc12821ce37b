package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/paths"
)

// patinaBin is the real binary, built once for the tests that run it as a
// separate process (activation, refusal matrix, end-to-end).
var patinaBin string

// modelCache is the provisioned cache (ONNX Runtime and the default
// model, from make models). Tests run the binary with a temporary HOME,
// so they hand it PATINA_CACHE: scrape embeds with the real model.
var modelCache string

func TestMain(m *testing.M) {
	var err error
	if modelCache, err = paths.Cache(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if m, err := embed.Find(embed.DefaultModel); err != nil || m.Verify() != nil {
		fmt.Fprintf(os.Stderr, "the default embedding model is not provisioned in %s: run make models\n", modelCache)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "patina-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	patinaBin = filepath.Join(dir, "patina")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", patinaBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building patina:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a run of the binary printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runPatina runs the binary with env added to a minimal environment.
func runPatina(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runPatinaIn(t, "", env, args...) // "": the test's own directory
}

func TestCLIUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in stderr (code 2) or stdout (code 0)
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"mother", "frob"}, 2, `unknown command "frob" for "patina mother"`},
		{[]string{"mother", "serve", "--no-such-flag"}, 2, "unknown flag: --no-such-flag"},
		{[]string{"mother", "serve", "--idle-timeout", "soon"}, 2, "invalid argument"},
		{[]string{"mother", "serve", "extra"}, 2, "takes no arguments"},
		{[]string{"version", "--bogus"}, 2, "unknown flag"},
		{[]string{"--bogus"}, 2, `unknown flag "--bogus"`},
		{[]string{"--help"}, 0, "commands:"},
		{[]string{"mother", "--help"}, 0, "serve"},
		{[]string{"mother", "serve", "--help"}, 0, "--idle-timeout"},
		{[]string{"mother", "status", "--help"}, 0, "--json"},
		{[]string{"mother", "install", "--help"}, 0, "--dry-run"},
		{[]string{"mother", "token", "--help"}, 0, "--rotate"},
		{[]string{"mother", "dial-stdio", "--help"}, 0, "dial-stdio"},
		{[]string{"mother", "uninstall", "--help"}, 0, "--dry-run"},
		{[]string{"version"}, 0, "patina "},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
			r := runPatina(t, nil, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, c.code, r.stdout, r.stderr)
			}
			out := r.stdout
			if c.code == 2 {
				out = r.stderr
				if n := strings.Count(strings.TrimSpace(out), "\n"); n != 0 {
					t.Errorf("usage error is %d lines, want one: %q", n+1, out)
				}
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output %q does not contain %q", out, c.want)
			}
		})
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
