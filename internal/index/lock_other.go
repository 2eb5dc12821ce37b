//go:build !unix

package index

// lockScrape is a no-op where flock is unavailable.
func lockScrape(string) (func(), error) { return func() {}, nil }
