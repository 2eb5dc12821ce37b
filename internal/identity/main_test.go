package identity

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
)

// Everything the package could log is captured and searched, after all
// tests, for every key and passphrase a test registered.
var (
	logMu   sync.Mutex
	logBuf  bytes.Buffer
	secrets []string
)

type lockedWriter struct{}

func (lockedWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return logBuf.Write(p)
}

func TestMain(m *testing.M) {
	scryptWorkFactor = 10 // keep passphrase files cheap in tests
	log.SetOutput(lockedWriter{})
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{}, nil)))
	code := m.Run()
	logMu.Lock()
	for _, s := range secrets {
		if strings.Contains(logBuf.String(), s) {
			fmt.Fprintln(os.Stderr, "FAIL: a key or passphrase appeared in log output")
			code = 1
		}
	}
	logMu.Unlock()
	os.Exit(code)
}

func secret(s string) string {
	if len(strings.TrimSpace(s)) < 6 { // "" or "   " would match everything
		return s
	}
	logMu.Lock()
	defer logMu.Unlock()
	secrets = append(secrets, s)
	return s
}

// noLeak fails if err, however formatted, holds a registered secret.
func noLeak(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	logMu.Lock()
	known := append([]string(nil), secrets...)
	logMu.Unlock()
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		for _, s := range known {
			if strings.Contains(text, s) {
				t.Fatalf("error leaks a secret: %s", strings.ReplaceAll(text, s, "<SECRET>"))
			}
		}
	}
}

// isolate gives the test its own PATINA_HOME, no PATINA_IDENTITY and no
// keychain, and returns the home.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("PATINA_HOME", home)
	t.Setenv(EnvIdentity, "")
	old := platformKeychain
	platformKeychain = nil
	t.Cleanup(func() { platformKeychain = old })
	return home
}

// answers is a Prompter that gives the listed answers in order and fails
// the test if asked once too often.
type answers struct {
	t       *testing.T
	replies []string
	prompts []string
}

func answer(t *testing.T, replies ...string) *answers {
	for _, r := range replies {
		secret(r)
	}
	return &answers{t: t, replies: replies}
}

func (a *answers) ReadSecret(ctx context.Context, prompt string) ([]byte, error) {
	a.prompts = append(a.prompts, prompt)
	if len(a.replies) == 0 {
		a.t.Fatalf("unexpected prompt %q", prompt)
	}
	r := a.replies[0]
	a.replies = a.replies[1:]
	return []byte(r), nil
}

func mustMode0600(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %v, want 0600", path, st.Mode().Perm())
	}
}
