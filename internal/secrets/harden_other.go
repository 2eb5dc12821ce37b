//go:build !linux

package secrets

// Harden is a no-op here: macOS has no per-process dumpable flag, and
// RLIMIT_CORE would be inherited by the command run with the secrets.
func Harden() error { return nil }
