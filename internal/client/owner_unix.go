//go:build unix

package client

import (
	"io/fs"
	"syscall"
)

// fileOwner is the uid that owns fi (from Lstat).
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, false
	}
	return int(st.Uid), true
}
