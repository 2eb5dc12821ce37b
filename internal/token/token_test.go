package token

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnsureCreatesStablePrivateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "home", "mother.token")
	a, err := Ensure(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("home created with %v, want 0700", di.Mode().Perm())
	}
	b, err := Ensure(path)
	if err != nil || string(a) != string(b) {
		t.Fatalf("second Ensure changed the token (%v)", err)
	}
	if len(a) != 64 {
		t.Fatalf("token length %d, want 64 hex chars", len(a))
	}
}

func TestReadRefusesOpenOrMalformedFiles(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte(strings.Repeat("a", 64)), 0o644)
	os.Chmod(open, 0o644)
	if _, err := Read(open); err == nil || !strings.Contains(err.Error(), "too open") {
		t.Fatalf("0644 token accepted: %v", err)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abc"), 0o600)
	if _, err := Read(short); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("short token accepted: %v", err)
	}
	if _, err := Ensure(open); err == nil {
		t.Fatal("Ensure trusted a world-readable token file")
	}
}

func TestCheckerFollowsRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mother.token")
	c, err := NewChecker(path)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := Read(path)
	if !c.Valid(old) {
		t.Fatal("current token rejected")
	}
	for _, bad := range [][]byte{nil, {}, []byte("x"), append(append([]byte{}, old[:63]...), 'z'), append(old, 'a')} {
		if c.Valid(bad) {
			t.Fatalf("wrong token %q accepted", bad)
		}
	}
	fresh, err := Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Valid(old) || !c.Valid(fresh) {
		t.Fatal("checker did not follow the rotation")
	}
	os.Chmod(path, 0o644)
	if c.Valid(fresh) {
		t.Fatal("checker accepted a token whose file became world-readable")
	}
}
