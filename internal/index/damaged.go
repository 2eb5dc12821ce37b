package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/patina-dev/patina/internal/paths"
)

// ErrDamaged matches every *DamagedError (errors.Is).
var ErrDamaged = errors.New("index: damaged")

// DamagedError means the file at Path cannot be used as an index: a
// symlink, a directory or another non-file in its place, an empty file,
// or one SQLite finds corrupt or not a database. An index is derived from
// the project's files, so the fix is always to rebuild it (patina scrape
// --rebuild). Reason is fixed text, never the file's content.
type DamagedError struct {
	Path   string
	Reason string // e.g. "file is not a database", "a directory in its place"
	Err    error  // the cause, when there is one (SQLite's error)
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("index %s is damaged (%s)", e.Path, e.Reason)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// Damage reasons for what is in the index's place.
const (
	reasonSymlink = "a symlink in its place"
	reasonDir     = "a directory in its place"
	reasonNotFile = "not a regular file"
	reasonEmpty   = "an empty file"
	reasonCheck   = "the integrity check failed"
	reasonNotDB   = "file is not a database"
	reasonCorrupt = "database disk image is malformed"
)

// Inspect looks at what is at path without opening it or following a
// symlink: nil for a non-empty regular file, ErrNoIndex (wrapped) for
// nothing, a *DamagedError for anything else.
func Inspect(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s", ErrNoIndex, path)
	case err != nil:
		return fmt.Errorf("index: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return &DamagedError{Path: path, Reason: reasonSymlink, Err: paths.ErrIndexSymlink}
	case fi.IsDir():
		return &DamagedError{Path: path, Reason: reasonDir}
	case !fi.Mode().IsRegular():
		return &DamagedError{Path: path, Reason: reasonNotFile}
	case fi.Size() == 0:
		// SQLite would take it for a new database (and a read-only
		// opener fails to write one); no scrape leaves an index empty.
		return &DamagedError{Path: path, Reason: reasonEmpty}
	}
	return nil
}

// IsSQLiteError reports whether err comes from SQLite itself.
func IsSQLiteError(err error) bool { return isSQLite(err) }

// diagnose returns a *DamagedError wrapping err when SQLite says the
// database at path is corrupt or not a database, and err otherwise.
func diagnose(path string, err error) error {
	if err == nil {
		return nil
	}
	if reason := sqliteDamage(err); reason != "" {
		return &DamagedError{Path: path, Reason: reason, Err: err}
	}
	return err
}

// Diagnose is err, or a *DamagedError wrapping it when it says this
// database is corrupt: a query can meet damage that opening did not.
func (db *DB) Diagnose(err error) error { return diagnose(db.path, err) }

// Verify checks the index at path, writing nothing: ErrNoIndex (wrapped)
// when there is none, a *DamagedError when it is not a sound SQLite
// database (see Inspect, and PRAGMA quick_check), nil when it is. It does
// not judge the schema version: OpenReadOnly does.
func Verify(ctx context.Context, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if err := Inspect(abs); err != nil {
		return err
	}
	db, err := open(abs, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.quickCheck(ctx)
}

// quickCheck runs PRAGMA quick_check: the b-trees and their pages, in
// time linear in the file (integrity_check also cross-checks indexes).
func (db *DB) quickCheck(ctx context.Context) error {
	rows, err := db.sql.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return db.Diagnose(fmt.Errorf("index: check %s: %w", db.path, err))
	}
	defer rows.Close()
	var first sql.NullString
	if rows.Next() {
		if err := rows.Scan(&first); err != nil {
			return db.Diagnose(fmt.Errorf("index: check %s: %w", db.path, err))
		}
	}
	if err := rows.Err(); err != nil {
		return db.Diagnose(fmt.Errorf("index: check %s: %w", db.path, err))
	}
	if first.String != "ok" {
		// The report names pages and tables, never row content; it is
		// not kept anyway.
		return &DamagedError{Path: db.path, Reason: reasonCheck}
	}
	return nil
}
