package secrets

import "golang.org/x/sys/unix"

// Harden makes this process non-dumpable: no core file can hold a
// decrypted value, and other processes of the same user (the agent among
// them) can no longer ptrace it or read /proc/PID/mem or /proc/PID/environ.
// The flag is reset when a child execs, so the command run with the secrets
// is left as it would be anyway, and unlike RLIMIT_CORE nothing is inherited.
func Harden() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
