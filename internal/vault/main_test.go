package vault

import (
	"bytes"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
)

// Everything this package could log (it logs nothing, and this proves it
// stays that way) is captured here and searched for every secret value a
// test registered, once all tests have run.
var (
	logMu   sync.Mutex
	logBuf  bytes.Buffer
	secrets [][]byte
)

type lockedWriter struct{}

func (lockedWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return logBuf.Write(p)
}

func TestMain(m *testing.M) {
	log.SetOutput(lockedWriter{})
	slog.SetDefault(slog.New(slog.NewTextHandler(lockedWriter{}, nil)))
	code := m.Run()
	logMu.Lock()
	for _, s := range secrets {
		if bytes.Contains(logBuf.Bytes(), s) {
			fmt.Fprintln(os.Stderr, "FAIL: a secret value appeared in log output")
			code = 1
		}
	}
	logMu.Unlock()
	os.Exit(code)
}

// secret registers a known secret value for the leak checks and returns it.
func secret(s string) []byte {
	if len(s) < 6 { // a short value would match innocent text
		panic("test secrets must be at least 6 bytes")
	}
	logMu.Lock()
	defer logMu.Unlock()
	secrets = append(secrets, []byte(s))
	return []byte(s)
}

// noLeak fails if err, however it is formatted, contains any registered
// secret value or any of the extra strings (identities).
func noLeak(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err == nil {
		return
	}
	logMu.Lock()
	known := append([][]byte(nil), secrets...)
	logMu.Unlock()
	for _, e := range extra {
		known = append(known, []byte(e))
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		for _, s := range known {
			if bytes.Contains([]byte(text), s) {
				t.Fatalf("error leaks a secret: %s", strings.ReplaceAll(text, string(s), "<SECRET>"))
			}
		}
	}
}

func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
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
