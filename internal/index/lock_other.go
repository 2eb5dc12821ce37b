//go:build !unix

package index

// lockScrape is a no-op where flock is unavailable.
func lockScrape(string) (func(), error) { return func() {}, nil }

// oNoFollow is not available here; Open's Lstat check stands alone.
const oNoFollow = 0
