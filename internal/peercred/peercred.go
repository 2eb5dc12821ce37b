// Package peercred reads the kernel's record of who is at the other end of
// a unix socket (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS). The daemon
// uses it to refuse other users; clients use it to refuse a daemon run by
// someone else before sending it anything.
package peercred

import "os"

// Trusted reports whether uid may be talked to as ourselves: our own uid,
// or root (who could read our files anyway).
func Trusted(uid int) bool { return uid == os.Getuid() || uid == 0 }
