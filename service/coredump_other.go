//go:build !linux

package service

import "golang.org/x/sys/unix"

// DisableCoreDumps keeps secrets in memory out of core files.
func DisableCoreDumps() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
}
