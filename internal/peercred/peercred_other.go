//go:build !linux && !darwin

package peercred

import (
	"errors"
	"net"
)

// Of is unsupported here: the peer stays unknown and is refused.
func Of(*net.UnixConn) (int, int, error) {
	return -1, 0, errors.New("peer credentials are not supported on this platform")
}
