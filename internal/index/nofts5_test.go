//go:build !sqlite_fts5

package index

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain, in a build without the sqlite_fts5 tag, checks that Open
// refuses with ErrNoFTS5 and then fails the run: the index needs FTS5.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "patina-nofts5")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer os.RemoveAll(dir)
	db, err := Open(filepath.Join(dir, "index.db"))
	if err == nil {
		db.Close() // SQLite has FTS5 anyway (e.g. a system libsqlite3)
		os.Exit(m.Run())
	}
	if !errors.Is(err, ErrNoFTS5) {
		fmt.Fprintf(os.Stderr, "Open without FTS5: want ErrNoFTS5, got %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "index: Open correctly refused (%v)\nindex: the tests need FTS5: go test -tags sqlite_fts5\n", err)
	os.RemoveAll(dir)
	os.Exit(1)
}
