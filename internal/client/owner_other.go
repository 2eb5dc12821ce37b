//go:build !unix

package client

import "io/fs"

// fileOwner is unknown here: no owner is named.
func fileOwner(fs.FileInfo) (int, bool) { return -1, false }
