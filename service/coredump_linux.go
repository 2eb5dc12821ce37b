package service

import "golang.org/x/sys/unix"

// DisableCoreDumps keeps secrets in memory out of core files and stops
// other processes of the same user from ptrace-attaching or reading
// /proc/PID/mem.
func DisableCoreDumps() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return err
	}
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
