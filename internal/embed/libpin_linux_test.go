//go:build cgo && linux

package embed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The path handed to the loader names the file that was hashed, not
// whatever the library's path holds by the time the loader opens it.
func TestOpenPinnedLibraryLoadsTheHashedFile(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libonnxruntime.so.1")
	good := []byte("the pinned library")
	if err := os.WriteFile(lib, good, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(good)
	load, done, err := openPinnedLibrary(lib, hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	// Swap the file under the path, as an attacker racing the load would.
	evil := filepath.Join(dir, "evil")
	if err := os.WriteFile(evil, []byte("something else"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(evil, lib); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(load)
	if err != nil || string(got) != string(good) {
		t.Fatalf("the loader would read %q (%v) from %s, want the hashed bytes", got, err, load)
	}

	_, _, err = openPinnedLibrary(lib, hex.EncodeToString(sum[:]))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Got == "" || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a library with the wrong hash: %v", err)
	}
}
