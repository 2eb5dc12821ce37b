//go:build unix

package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// protocolStdout keeps stdout for protocol frames alone: it returns a
// duplicate of file descriptor 1 for the transport and points descriptor
// 1 (and os.Stdout) at stderr, so a stray print anywhere in the process,
// cgo included, lands in the logs instead of corrupting the session.
func protocolStdout() (*os.File, error) {
	fd, err := unix.Dup(1)
	if err != nil {
		return nil, fmt.Errorf("mcp: keeping stdout for the protocol: %w", err)
	}
	unix.CloseOnExec(fd)
	if err := unix.Dup2(2, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mcp: redirecting stray output to stderr: %w", err)
	}
	os.Stdout = os.Stderr
	return os.NewFile(uintptr(fd), "/dev/stdout"), nil
}
