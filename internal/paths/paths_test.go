package paths

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSocketAndRuntimeDir(t *testing.T) {
	t.Setenv(EnvHome, "/h/.patina")
	t.Setenv(EnvSocket, "")
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1000")
	sock, err := Socket()
	if err != nil {
		t.Fatal(err)
	}
	want := "/run/user/1000/patina/mother.sock"
	if runtime.GOOS != "linux" {
		want = "/h/.patina/run/mother.sock"
	}
	if sock != want {
		t.Fatalf("socket %s, want %s", sock, want)
	}

	// $PATINA_SOCKET wins, and its directory is the runtime dir.
	t.Setenv(EnvSocket, "/tmp/x/m.sock")
	if s, _ := Socket(); s != "/tmp/x/m.sock" {
		t.Fatalf("PATINA_SOCKET ignored: %s", s)
	}
	if d, _ := RuntimeDir(); d != "/tmp/x" {
		t.Fatalf("runtime dir %s, want /tmp/x", d)
	}
}

func TestHomeAndFiles(t *testing.T) {
	t.Setenv(EnvHome, "rel/home")
	h, err := Home()
	if err != nil || !filepath.IsAbs(h) {
		t.Fatalf("home %q not absolute (%v)", h, err)
	}
	if tok, _ := Token(); tok != filepath.Join(h, "mother.token") {
		t.Fatalf("token path %s", tok)
	}
	if got := ProjectIndex("/p"); got != "/p/.patina/local/index.db" {
		t.Fatalf("project index %s", got)
	}
	if got := ProjectVault("/p"); got != "/p/.patina/vault.age" {
		t.Fatalf("project vault %s", got)
	}
}

func TestCheckProjectIndex(t *testing.T) {
	other := t.TempDir()
	otherIndex := ProjectIndex(other)
	if err := os.MkdirAll(filepath.Dir(otherIndex), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(otherIndex, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckProjectIndex(other); err != nil {
		t.Errorf("a plain index: %v", err)
	}
	if err := CheckProjectIndex(t.TempDir()); err != nil {
		t.Errorf("no .patina yet: %v", err)
	}
	for _, tc := range []struct{ link, target string }{
		{".patina", ProjectDir(other)},
		{".patina/local", filepath.Dir(otherIndex)},
		{".patina/local/index.db", otherIndex},
		{".patina/local/index.db", "/nonexistent"},
	} {
		p := t.TempDir()
		link := filepath.Join(p, filepath.FromSlash(tc.link))
		if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(tc.target, link); err != nil {
			t.Fatal(err)
		}
		if err := CheckProjectIndex(p); !errors.Is(err, ErrIndexSymlink) || !strings.Contains(err.Error(), link) {
			t.Errorf("%s -> %s: %v", tc.link, tc.target, err)
		}
	}
}

func TestCache(t *testing.T) {
	t.Setenv(EnvCache, "")
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if runtime.GOOS == "linux" {
		if got, _ := Cache(); got != "/x/cache/patina" {
			t.Errorf("Cache() = %q, want /x/cache/patina", got)
		}
	}
	t.Setenv(EnvCache, "/y")
	if got, _ := Cache(); got != "/y" {
		t.Errorf("Cache() with $%s = %q, want /y", EnvCache, got)
	}
}
