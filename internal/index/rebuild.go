package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// rebuildInfix names the file a rebuild is built in: index.db.rebuild-*,
// beside the index, so the final rename stays on one file system.
const rebuildInfix = ".rebuild-"

// rebuild builds a new index of root in a temporary file beside path and
// only then puts it in path's place (see replace): readers keep the old
// index until the new one is complete, and an interrupted or failed
// rebuild leaves everything as it was, less the temporary file. dmg is
// what was wrong with the old index, nil for a forced rebuild of a sound
// one. The caller holds the scrape lock.
func rebuild(ctx context.Context, root, path string, dmg *DamagedError, opts ScrapeOptions) (Summary, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+rebuildInfix+"*")
	if err != nil {
		return Summary{}, fmt.Errorf("scrape: %w", err)
	}
	tmp := f.Name()
	f.Close()
	sum, err := buildAt(ctx, root, tmp, opts)
	if err != nil {
		removeWithSidecars(tmp)
		return sum, err
	}
	aside, err := replace(tmp, path, dmg != nil)
	if err != nil {
		// tmp may be the only index left now; the next scrape sweeps it.
		return sum, err
	}
	sum.Index, sum.Rebuilt, sum.SetAside = path, true, aside
	if dmg != nil {
		sum.Damaged = dmg.Reason
	}
	return sum, nil
}

// buildAt scrapes root into the new database at path and folds its WAL
// into the main file, so that the file alone is the whole index.
func buildAt(ctx context.Context, root, path string, opts ScrapeOptions) (Summary, error) {
	db, err := Open(path)
	if err != nil {
		return Summary{}, err
	}
	sum, err := db.scrape(ctx, root, opts)
	if err == nil {
		err = db.checkpoint(ctx)
	}
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("index: close: %w", cerr)
	}
	return sum, err
}

// checkpoint copies every WAL frame into the database and empties the WAL.
func (db *DB) checkpoint(ctx context.Context) error {
	var busy, logFrames, done int
	err := db.sql.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done)
	if err == nil && busy != 0 {
		err = errors.New("database busy")
	}
	if err != nil {
		return fmt.Errorf("index: checkpoint %s: %w", db.path, err)
	}
	return nil
}

// replace puts the complete index at tmp in path's place. A damaged file
// or a directory at path is moved aside to path.damaged-TIME, losing
// nothing, and aside says where; a symlink is removed (its target is left
// alone); a sound index (a forced rebuild) is simply replaced. The old
// index's -wal and -shm are removed first: SQLite would read them as the
// new database's.
func replace(tmp, path string, damaged bool) (aside string, err error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", fmt.Errorf("scrape: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		if err := os.Remove(path); err != nil {
			return "", fmt.Errorf("scrape: remove the symlink in the index's place: %w", err)
		}
	case damaged || fi.IsDir():
		aside = unusedName(path + ".damaged-" + time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(path, aside); err != nil {
			return "", fmt.Errorf("scrape: move the damaged index aside: %w", err)
		}
	}
	for _, p := range []string{path + "-wal", path + "-shm", tmp + "-wal", tmp + "-shm"} {
		if err := removeFile(p); err != nil {
			return aside, fmt.Errorf("scrape: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return aside, fmt.Errorf("scrape: %w", err)
	}
	// A reader that cannot write the directory (the hardened daemon) can
	// open a WAL database only if its -wal and -shm exist: make them.
	db, err := Open(path)
	if err != nil {
		return aside, err
	}
	return aside, db.Close()
}

// unusedName is p, or p-2, p-3… if p exists.
func unusedName(p string) string {
	name := p
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", p, i)
	}
}

// sweepRebuilds removes what a killed rebuild of path left behind. The
// caller holds the scrape lock, so no rebuild is running.
func sweepRebuilds(path string) {
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), filepath.Base(path)+rebuildInfix) {
			removeFile(filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
}

// removeWithSidecars removes a database file with its -wal and -shm.
func removeWithSidecars(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		removeFile(p)
	}
}

// removeFile removes p if it is a file (or a symlink); a missing p is
// fine, and a directory is never touched.
func removeFile(p string) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory: move it away", p)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
