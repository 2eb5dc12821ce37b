package atomicfile_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/patina-dev/patina/internal/atomicfile"
)

// backdate sets p's modification time d in the past, without following a
// symlink.
func backdate(t *testing.T, p string, d time.Duration) {
	t.Helper()
	old := time.Now().Add(-d)
	tv := []unix.Timeval{unix.NsecToTimeval(old.UnixNano()), unix.NsecToTimeval(old.UnixNano())}
	if err := unix.Lutimes(p, tv); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	return got
}

// A write removes the temp files earlier, killed writes of the same file
// left behind once they are stale, and nothing else: not a fresh one (a
// live writer's), not a symlink or a directory with a temp file's name,
// not another file's temp files, not names that only look alike.
func TestWriteSweepsStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	must(t, os.WriteFile(victim, []byte("keep me"), 0o600))
	backdate(t, victim, time.Hour)

	file := func(name string, old time.Duration) {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, []byte("ciphertext"), 0o600))
		backdate(t, p, old)
	}
	file("vault.age", time.Hour)
	file(".vault.age.tmp-123", time.Hour)     // stale: swept
	file(".vault.age.tmp-456", 2*time.Minute) // stale: swept
	file(".vault.age.tmp-789", 0)             // a live writer's: kept
	file(".secrets.toml.tmp-123", time.Hour)  // another file's: kept
	file(".vault.age.tmp-12x", time.Hour)     // not CreateTemp's digits: kept
	file(".vault.age.tmp-", time.Hour)        // no digits: kept
	file("vault.age.tmp-123", time.Hour)      // not hidden: kept
	link := filepath.Join(dir, ".vault.age.tmp-999")
	must(t, os.Symlink(victim, link))
	backdate(t, link, time.Hour) // kept, and so is what it points to
	sub := filepath.Join(dir, ".vault.age.tmp-555")
	must(t, os.Mkdir(sub, 0o700))
	backdate(t, sub, time.Hour) // a directory: kept

	must(t, atomicfile.Write(filepath.Join(dir, "vault.age"), []byte("new"), 0o600))

	want := []string{".secrets.toml.tmp-123", ".vault.age.tmp-", ".vault.age.tmp-12x", ".vault.age.tmp-555", ".vault.age.tmp-789", ".vault.age.tmp-999", "vault.age", "vault.age.tmp-123"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("directory holds\n%v\nwant\n%v", got, want)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep me" {
		t.Fatalf("symlink target: %q %v", b, err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink: %v %v", fi, err)
	}
}

// Create sweeps like Write.
func TestCreateSweepsStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".key.txt.tmp-42")
	must(t, os.WriteFile(stale, []byte("k"), 0o600))
	backdate(t, stale, time.Hour)
	must(t, atomicfile.Create(filepath.Join(dir, "key.txt"), []byte("k"), 0o600))
	onlyFiles(t, dir, "key.txt")
}

// A stale temp file someone else owns is not ours to remove.
func TestSweepLeavesOtherUsersFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a file to another uid")
	}
	dir := t.TempDir()
	theirs := filepath.Join(dir, ".vault.age.tmp-7")
	must(t, os.WriteFile(theirs, []byte("x"), 0o600))
	must(t, os.Chown(theirs, 65534, 65534))
	backdate(t, theirs, time.Hour)
	must(t, atomicfile.Write(filepath.Join(dir, "vault.age"), []byte("new"), 0o600))
	onlyFiles(t, dir, ".vault.age.tmp-7", "vault.age")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
