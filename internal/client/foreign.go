package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// ForeignError means the local socket is another user's: its server runs
// as them (so we refused to send it anything), the socket file or a
// directory on its path is theirs (so the kernel refused us), or the daemon
// answered that it serves only its own user. A daemon serves one user, so
// the fix is always to use one's own; Hint says how.
type ForeignError struct {
	Socket string
	UID    int    // the other user
	Owned  string // the file they own, when that is how we know; "" when it is the process serving Socket
	Err    error  // why nothing was exchanged: the dial's error or the daemon's *APIError; nil when we refused
}

func (e *ForeignError) Error() string {
	var api *APIError
	switch {
	case errors.As(e.Err, &api):
		return fmt.Sprintf("mother at %s is run by %s, not by %s, and refused you: %s (HTTP %d)", e.Socket, who(e.UID), you(), api.Msg, api.Status)
	case e.Owned == e.Socket:
		return fmt.Sprintf("mother at %s: the socket belongs to %s, not to %s: %v", e.Socket, who(e.UID), you(), syscallErr(e.Err))
	case e.Owned != "":
		return fmt.Sprintf("mother at %s: %s belongs to %s, not to %s: %v", e.Socket, e.Owned, who(e.UID), you(), syscallErr(e.Err))
	}
	return fmt.Sprintf("mother at %s is run by %s, not by %s: refusing to talk to it", e.Socket, who(e.UID), you())
}

// Unwrap is the daemon's *APIError when it answered; otherwise nothing
// was exchanged, and the error is also ErrUnreachable.
func (e *ForeignError) Unwrap() []error {
	var api *APIError
	switch {
	case errors.As(e.Err, &api):
		return []error{e.Err}
	case e.Err != nil:
		return []error{ErrUnreachable, e.Err}
	}
	return []error{ErrUnreachable}
}

// Hint says how to reach one's own daemon.
func (e *ForeignError) Hint() string {
	return "every user runs their own mother: check $PATINA_SOCKET, --mother and $XDG_RUNTIME_DIR (su and sudo can keep another user's)"
}

// Refusal dials the socket at path, sends nothing, and returns the
// *ForeignError that keeps this user from it, or nil when there is none.
// A caller that fell back from an unreachable daemon says why with it.
func Refusal(ctx context.Context, path string) *ForeignError {
	// A socket file of ours was bound by us: dialling it again would only
	// socket-activate a daemon that just failed.
	if fi, err := os.Lstat(path); err == nil {
		if uid, ok := fileOwner(fi); ok && uid == os.Getuid() {
			return nil
		}
	}
	c, _, err := dialLocal(ctx, path)
	if err == nil {
		c.Close()
		return nil
	}
	var fe *ForeignError
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// foreignOwner explains a failed dial of path when the socket, or the
// directory on its path that we may not enter, belongs to another user.
func foreignOwner(path string, dialErr error) *ForeignError {
	owned := path
	fi, err := os.Lstat(owned)
	// Denied: the lowest directory we can see is the one that shuts us out.
	for errors.Is(err, fs.ErrPermission) && filepath.Dir(owned) != owned {
		owned = filepath.Dir(owned)
		fi, err = os.Lstat(owned)
	}
	if err != nil {
		return nil
	}
	uid, ok := fileOwner(fi)
	if !ok || uid == os.Getuid() {
		return nil
	}
	return &ForeignError{Socket: path, UID: uid, Owned: owned, Err: dialErr}
}

// who names a uid for a message: "alice (uid 1000)", or "uid 1000" when
// it has no name.
func who(uid int) string {
	if n := userName(uid); n != "" {
		return fmt.Sprintf("%s (uid %d)", n, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// you names us the same way: "you (bob, uid 1001)".
func you() string {
	uid := os.Getuid()
	if n := userName(uid); n != "" {
		return fmt.Sprintf("you (%s, uid %d)", n, uid)
	}
	return fmt.Sprintf("you (uid %d)", uid)
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return ""
}

// syscallErr is the "connect: permission denied" of a dial error, without
// the path the message already names.
func syscallErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
