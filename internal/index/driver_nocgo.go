//go:build !cgo

package index

import _ "github.com/mattn/go-sqlite3" // without cgo, a stub that reports it needs cgo

// driverName is go-sqlite3's own: a build without cgo has no SQLite at all
// (it exists so the other packages still build, e.g. GOOS=darwin vet in CI).
const driverName = "sqlite3"

// Without cgo no error comes from SQLite.
func sqliteDamage(error) string { return "" }
func isSQLite(error) bool       { return false }
