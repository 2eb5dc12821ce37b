package service

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrRefused wraps every reason standalone mode refuses to start. Nothing
// is deleted when it is returned.
var ErrRefused = errors.New("refusing to start")

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
}

// ListenStandalone binds the unix socket at path when no init system
// passed one in. The directory must be ours and private (created 0700 if
// missing); an existing socket file is removed only if it is ours and
// nobody answers on it ("dial before unlink"). The socket is 0600 and is
// removed when the listener closes.
//
// A lock file beside the socket (SOCKET.lock), held for the daemon's
// lifetime, makes "is anyone there? then unlink and bind" atomic between
// two daemons starting at once: otherwise the second could unlink the
// first one's fresh socket, and the first, on exit, the second's.
func ListenStandalone(path string) (Listener, error) {
	dir := filepath.Dir(path)
	if err := privateDir(dir); err != nil {
		return Listener{}, err
	}
	if err := checkSocketPath(path); err != nil {
		return Listener{}, err
	}
	lock, err := lockSocket(path)
	if err != nil {
		return Listener{}, err
	}
	ul, err := bindFresh(path)
	if err != nil {
		lock.Close()
		return Listener{}, err
	}
	return Listener{Listener: &lockedListener{UnixListener: ul, lock: lock}, Name: path}, nil
}

// bindFresh removes a dead socket at path, binds a new one and makes it 0600.
func bindFresh(path string) (*net.UnixListener, error) {
	if err := clearStaleSocket(path); err != nil {
		return nil, err
	}
	old := syscall.Umask(0o177) // no window where the socket is wider than 0600
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ul.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	ul.SetUnlinkOnClose(true)
	return ul, nil
}

// lockSocket takes the start-up lock for the socket at path, or refuses
// because another daemon holds it.
func lockSocket(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s.lock: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, refuse("a daemon already answers on %s, or is starting there (see `patina mother status`)", path)
		}
		return nil, fmt.Errorf("lock %s.lock: %w", path, err)
	}
	return f, nil
}

// lockedListener releases the start-up lock once its socket is removed.
type lockedListener struct {
	*net.UnixListener
	lock *os.File
}

func (l *lockedListener) Close() error {
	err := l.UnixListener.Close() // unlinks the socket
	l.lock.Close()
	return err
}

// privateDir creates dir 0700 if missing and refuses one that is a
// symlink, not a directory, not ours, or open to group or world.
func privateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("runtime dir %s: %w", dir, err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return refuse("runtime dir %s is a symlink: remove it or set PATINA_SOCKET elsewhere", dir)
	case !fi.IsDir():
		return refuse("runtime dir %s is not a directory", dir)
	case ownerOf(fi) != os.Getuid():
		return refuse("runtime dir %s is owned by uid %d, not by us (uid %d)", dir, ownerOf(fi), os.Getuid())
	case fi.Mode().Perm()&0o077 != 0:
		return refuse("runtime dir %s has mode %#o, group/world accessible: run chmod 700 %s", dir, fi.Mode().Perm(), dir)
	}
	return nil
}

// checkSocketPath refuses, changing nothing, a path that is not a socket
// or is someone else's. A missing path is fine.
func checkSocketPath(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("socket %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return refuse("%s exists and is not a socket: not touching it", path)
	}
	if ownerOf(fi) != os.Getuid() {
		return refuse("socket %s belongs to uid %d, not to us (uid %d)", path, ownerOf(fi), os.Getuid())
	}
	return nil
}

// clearStaleSocket removes path if it is our socket and dead. Call it with
// the start-up lock held.
func clearStaleSocket(path string) error {
	if err := checkSocketPath(path); err != nil {
		return err
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return refuse("a daemon already answers on %s (see `patina mother status`)", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale socket %s: %w", path, err)
	}
	return nil
}

func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// ListenTCP adds a network listener (`--tcp HOST:PORT`); hosts are extra
// names accepted in the Host header.
func ListenTCP(addr string, hosts []string) (Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return Listener{}, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return Listener{Listener: l, Name: "tcp", Network: true, Hosts: hosts}, nil
}
