//go:build cgo

package index

import (
	"database/sql"
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// driverName is go-sqlite3 with every connection set to keep the WAL and
// shared-memory files after it closes (SQLITE_FCNTL_PERSIST_WAL). The daemon
// opens indexes read-only, and under the hardened systemd unit the project
// directories are read-only too (ProtectHome=read-only): SQLite can then
// read a WAL-mode database only if its -wal and -shm files already exist,
// since it cannot create them. The scraper, which can write, leaves them in
// place for it.
const driverName = "sqlite3_patina"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if err := c.SetFileControlInt("main", sqlite3.SQLITE_FCNTL_PERSIST_WAL, 1); err != nil {
				return err
			}
			// A kept WAL is truncated to zero once checkpointed, so it holds
			// no stale frames and an unchanged scrape leaves it empty.
			_, err := c.Exec("PRAGMA journal_size_limit = 0", nil)
			return err
		},
	})
}

// sqliteDamage is why err says the database is damaged, "" if it does not.
func sqliteDamage(err error) string {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Code {
	case sqlite3.ErrCorrupt:
		return reasonCorrupt
	case sqlite3.ErrNotADB:
		return reasonNotDB
	}
	return ""
}

func isSQLite(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se)
}
