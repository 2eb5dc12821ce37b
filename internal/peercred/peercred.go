// Package peercred reads the kernel's record of who is at the other end of
// a unix socket (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS). The daemon
// uses it to refuse other users; clients use it to refuse a daemon run by
// someone else before sending it anything.
package peercred

import (
	"fmt"
	"net"
	"os"
)

// Trusted reports whether uid may be talked to as ourselves: our own uid,
// or root (who could read our files anyway).
func Trusted(uid int) bool { return uid == os.Getuid() || uid == 0 }

// CheckServer verifies that the process serving c is ours (or root's).
// path only names the socket in the error.
func CheckServer(c *net.UnixConn, path string) error {
	uid, _, err := Of(c)
	if err != nil {
		return fmt.Errorf("cannot tell who serves %s: %v", path, err)
	}
	if !Trusted(uid) {
		return fmt.Errorf("%s is served by uid %d, not by you (uid %d): refusing to talk to it", path, uid, os.Getuid())
	}
	return nil
}
