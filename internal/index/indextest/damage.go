package indextest

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// A Damage spoils an index the way the probe of issue #11 did.
type Damage struct {
	Name string
	// Reason is what index.DamagedError.Reason says about it; "" when
	// SQLite may notice it in more than one way.
	Reason string
	// Spoil damages the index file at path. For "symlink" the index is
	// moved to Target(path) and the symlink points there: a sound
	// database that must never be followed, nor touched.
	Spoil func(t testing.TB, path string)
}

// Damages are the probe's corruptions: truncated to half, to 0 bytes,
// overwritten with random bytes, its header overwritten, and a directory
// (not empty) or a symlink in its place.
var Damages = []Damage{
	{"half", "", func(t testing.TB, path string) {
		fi, err := os.Stat(path)
		mustf(t, err, "damage")
		mustf(t, os.Truncate(path, fi.Size()/2), "damage")
	}},
	{"empty", "an empty file", func(t testing.TB, path string) {
		mustf(t, os.Truncate(path, 0), "damage")
	}},
	{"random", "file is not a database", func(t testing.TB, path string) {
		fi, err := os.Stat(path)
		mustf(t, err, "damage")
		b := make([]byte, fi.Size())
		rand.New(rand.NewSource(11)).Read(b)
		mustf(t, os.WriteFile(path, b, 0o600), "damage")
	}},
	{"header", "file is not a database", func(t testing.TB, path string) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		mustf(t, err, "damage")
		defer f.Close()
		_, err = f.WriteAt(make([]byte, 100), 0) // SQLite's whole file header
		mustf(t, err, "damage")
	}},
	{"directory", "a directory in its place", func(t testing.TB, path string) {
		mustf(t, os.Remove(path), "damage")
		mustf(t, os.Mkdir(path, 0o700), "damage")
		mustf(t, os.WriteFile(filepath.Join(path, DirKeep), []byte("keep me\n"), 0o600), "damage")
	}},
	{"symlink", "a symlink in its place", func(t testing.TB, path string) {
		mustf(t, os.Rename(path, Target(path)), "damage")
		mustf(t, os.Symlink(Target(path), path), "damage")
	}},
}

// DirKeep is the file inside the directory the "directory" damage puts in
// the index's place: nothing may delete it.
const DirKeep = "keep.txt"

// Target is where the "symlink" damage moves the index at path: outside
// the project's .patina, beside the project.
func Target(path string) string {
	project := filepath.Dir(filepath.Dir(filepath.Dir(path)))
	return project + ".elsewhere.db"
}
