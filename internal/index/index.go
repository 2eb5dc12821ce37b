// Package index is a project's knowledge store: a SQLite database (with FTS5)
// of the project's files split into chunks, plus its git commit messages.
//
// Open or OpenReadOnly a database, Scrape a project tree into it, and
// SearchLexical it; the retrieval layer on top lives in internal/scry.
// The database is built with github.com/mattn/go-sqlite3 and needs the
// sqlite_fts5 build tag (go build -tags sqlite_fts5); Open refuses to work
// without FTS5.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
)

// busyTimeoutMS is how long a connection waits for another writer's lock.
const busyTimeoutMS = 5000

// Errors a caller may branch on.
var (
	// ErrNoFTS5 means the binary was built without the sqlite_fts5 tag.
	ErrNoFTS5 = errors.New("index: SQLite has no FTS5 support; build with -tags sqlite_fts5")
	// ErrNoIndex means OpenReadOnly found no database at the path.
	ErrNoIndex = errors.New("index: no index (run patina scrape)")
	// ErrScrapeRunning means another scrape of the same index is in
	// progress.
	ErrScrapeRunning = errors.New("index: another scrape of this index is in progress")
	// ErrSchema means the database's schema version is not one this
	// build can use (written by a newer patina, or an old one opened
	// read-only that needs a scrape to migrate).
	ErrSchema = errors.New("index: unsupported schema version")
)

// SchemaError is ErrSchema (errors.Is) with the version the file has.
type SchemaError struct {
	Path    string
	Version int
}

func (e *SchemaError) Error() string {
	if e.Newer() {
		return fmt.Sprintf("%v: %s is version %d, newer than this patina (%d)", ErrSchema, e.Path, e.Version, SchemaVersion)
	}
	return fmt.Sprintf("%v: %s is version %d, this patina reads version %d (run patina scrape)", ErrSchema, e.Path, e.Version, SchemaVersion)
}

func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// Newer reports whether a newer patina wrote the index: a scrape by this
// one cannot migrate it.
func (e *SchemaError) Newer() bool { return e.Version > SchemaVersion }

// DB is an open index. It is safe for concurrent use; readers never block
// on a scrape in progress (WAL mode).
type DB struct {
	sql      *sql.DB
	path     string
	readOnly bool
	vec      vectorCache // the last vectors SearchSemantic read
}

// Open opens the index at path for reading and writing, creating it (and
// its directory, 0700) if it is missing and migrating its schema to the
// current version. It refuses to write through a symlink: path, and the
// directory holding it, must not be one. The database file is created 0600. If Open creates the
// directory, it also drops a .gitignore ("*") into it so that the index
// never shows up in git status.
func Open(path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	// Never write through a symlink: neither the database nor the
	// directory holding it (a project's .patina/local) may be one.
	for _, p := range []string{filepath.Dir(abs), abs} {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("index: %s is a symlink: patina does not write an index through one", p)
		}
	}
	if err := ensureDir(filepath.Dir(abs)); err != nil {
		return nil, err
	}
	// SQLite would create the file 0644 (umask); the index holds project
	// content, so create it 0600 first. -wal and -shm inherit its mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	f.Close()
	db, err := open(abs, false)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(context.Background()); err != nil {
		db.Close()
		return nil, db.Diagnose(err)
	}
	return db, nil
}

// OpenReadOnly opens an existing index for queries only. It never creates
// or migrates anything, nor follows a symlink: a missing file is
// ErrNoIndex, one that is not a sound database a *DamagedError (see
// Inspect), and a schema version other than SchemaVersion is ErrSchema.
func OpenReadOnly(path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	if err := Inspect(abs); err != nil {
		return nil, err
	}
	db, err := open(abs, true)
	if err != nil {
		return nil, err
	}
	v, err := db.userVersion(context.Background())
	if err == nil && v != SchemaVersion {
		err = &SchemaError{Path: abs, Version: v}
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func open(abs string, readOnly bool) (*DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMS))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "1")
	// Every write transaction takes the write lock up front, so two
	// writers queue on the busy timeout instead of failing to upgrade.
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("mode", "ro")
	}
	// A file: URI, with the path escaped so '?', '#' and '%' in directory
	// names stay part of the path.
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
	s, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("index: open %s: %w", abs, err)
	}
	// Enough connections for parallel queries, few enough to bound file
	// descriptors and page caches (each connection has its own).
	n := max(4, 2*runtime.GOMAXPROCS(0))
	s.SetMaxOpenConns(n)
	s.SetMaxIdleConns(n)
	db := &DB{sql: s, path: abs, readOnly: readOnly}
	// The first query connects: a damaged file fails here.
	if err := db.checkFTS5(); err != nil {
		s.Close()
		return nil, db.Diagnose(err)
	}
	return db, nil
}

func (db *DB) checkFTS5() error {
	var has bool
	err := db.sql.QueryRow(`SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&has)
	if err != nil {
		return fmt.Errorf("index: open %s: %w", db.path, err)
	}
	if !has {
		return ErrNoFTS5
	}
	return nil
}

func (db *DB) userVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.sql.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return 0, db.Diagnose(fmt.Errorf("index: %s: %w", db.path, err))
	}
	return v, nil
}

// migrate runs every migration the database has not seen, each in its own
// transaction together with the user_version bump. It writes nothing when
// the schema is current.
func (db *DB) migrate(ctx context.Context) error {
	v, err := db.userVersion(ctx)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return &SchemaError{Path: db.path, Version: v}
	}
	for v < SchemaVersion {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			// Re-read under the write lock: another process may have
			// migrated while we waited.
			if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
				return err
			}
			if v >= SchemaVersion {
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
			v++
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v))
			return err
		})
		if err != nil {
			return fmt.Errorf("index: %s: %w", db.path, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Path is the database file's absolute path.
func (db *DB) Path() string { return db.path }

// Close closes the database. The last connection to close checkpoints the
// WAL into the main file.
func (db *DB) Close() error { return db.sql.Close() }

// Stats counts what an index holds.
type Stats struct {
	Files   int   `json:"files"`
	Chunks  int   `json:"chunks"`
	Docs    int   `json:"doc_chunks"`
	Code    int   `json:"code_chunks"`
	Commits int   `json:"commits"`
	Bytes   int64 `json:"bytes"` // size of the database file (without its WAL)
}

// Stats counts the index's files, chunks by kind and commits.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := db.sql.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM files),
		(SELECT count(*) FROM chunks),
		(SELECT count(*) FROM chunks WHERE kind = 'doc'),
		(SELECT count(*) FROM chunks WHERE kind = 'code'),
		(SELECT count(*) FROM commits)`).Scan(&s.Files, &s.Chunks, &s.Docs, &s.Code, &s.Commits)
	if err != nil {
		return s, fmt.Errorf("index: stats %s: %w", db.path, err)
	}
	if fi, err := os.Stat(db.path); err == nil {
		s.Bytes = fi.Size()
	}
	return s, nil
}

// Check verifies the database (PRAGMA integrity_check) and that the FTS5
// index agrees with the chunks table. It returns nil when both are sound.
func (db *DB) Check(ctx context.Context) error {
	var res string
	if err := db.sql.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("index: check %s: %w", db.path, err)
	}
	if res != "ok" {
		return fmt.Errorf("index: check %s: %s", db.path, res)
	}
	// The FTS5 integrity-check command reads only; it is spelt as an
	// INSERT, so it needs a writable handle.
	if !db.readOnly {
		if _, err := db.sql.ExecContext(ctx, `INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			return fmt.Errorf("index: check %s: full-text index: %w", db.path, err)
		}
	}
	return nil
}

// ensureDir creates dir 0700 if missing; when it creates it, it also
// writes a .gitignore that ignores everything in it.
func ensureDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	gi := filepath.Join(dir, ".gitignore")
	if err := os.WriteFile(gi, []byte("# written by patina: the index is local to this machine\n*\n"), 0o600); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}
