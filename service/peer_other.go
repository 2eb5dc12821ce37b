//go:build !linux && !darwin

package service

import (
	"errors"
	"net"
)

// unixPeerCred is unsupported here: the peer stays unknown and is refused.
func unixPeerCred(*net.UnixConn) (int, int, error) {
	return -1, 0, errors.New("peer credentials are not supported on this platform")
}
