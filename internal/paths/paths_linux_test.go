package paths

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func setRunUserBase(t *testing.T, dir string) {
	old := runUserBase
	runUserBase = dir
	t.Cleanup(func() { runUserBase = old })
}

func TestRuntimeDirWithoutXDG(t *testing.T) {
	t.Setenv(EnvHome, "/h/.patina")
	t.Setenv(EnvSocket, "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	base := t.TempDir()
	setRunUserBase(t, base)

	// No /run/user/UID: the home fallback.
	if d, _ := RuntimeDir(); d != "/h/.patina/run" {
		t.Fatalf("fallback runtime dir %s", d)
	}
	// /run/user/UID exists and is ours: where systemd --user put the socket.
	mine := filepath.Join(base, strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(mine, 0o700); err != nil {
		t.Fatal(err)
	}
	if d, _ := RuntimeDir(); d != filepath.Join(mine, "patina") {
		t.Fatalf("runtime dir %s, want %s/patina", d, mine)
	}
	// Someone else's dir under our uid's name is not trusted.
	if os.Getuid() == 0 {
		if err := os.Chown(mine, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if d, _ := RuntimeDir(); d != "/h/.patina/run" {
			t.Fatalf("runtime dir %s in a dir owned by another uid", d)
		}
	}
}
