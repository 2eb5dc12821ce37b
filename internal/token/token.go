// Package token manages the TCP bearer token: a 0600 file under
// $PATINA_HOME, created on first need and stable across daemon restarts.
// Its value is never printed; commands print the file's path.
package token

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/patina-dev/patina/internal/atomicfile"
)

const tokenBytes = 32 // 256 bits, hex-encoded to 64 characters

// Ensure returns the token at path, creating the file (and its 0700
// directory) if it does not exist. An existing file that is not 0600, not
// ours or malformed is refused rather than silently trusted or replaced.
func Ensure(path string) ([]byte, error) {
	tok, err := Read(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("token %s: %w", path, err)
	}
	return Rotate(path)
}

// Rotate writes a fresh random token to path atomically.
func Rotate(path string) ([]byte, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	tok := []byte(hex.EncodeToString(raw))
	if err := atomicfile.Write(path, append(tok, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("token %s: %w", path, err)
	}
	return tok, nil
}

// Read loads the token at path. It refuses a file readable by others.
func Read(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("token %s: mode %#o is too open: run chmod 600 %s or `patina mother token --rotate`", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tok := bytes.TrimSpace(data)
	if len(tok) < 32 {
		return nil, fmt.Errorf("token %s: malformed: run `patina mother token --rotate`", path)
	}
	return tok, nil
}

// Checker compares presented tokens with the file's current value in
// constant time. It re-reads the file when it changes, so `token --rotate`
// takes effect without a restart.
type Checker struct {
	path string

	mu   sync.Mutex
	tok  []byte
	seen os.FileInfo // the file the token was read from
}

// NewChecker loads (creating if needed) the token at path.
func NewChecker(path string) (*Checker, error) {
	c := &Checker{path: path}
	if _, err := Ensure(path); err != nil {
		return nil, err
	}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Checker) reload() error {
	fi, err := os.Stat(c.path)
	if err != nil {
		return err
	}
	// Rotation renames a new file into place: a new inode. Mode is checked
	// too, so a file made world-readable stops being trusted at once.
	if c.seen != nil && os.SameFile(fi, c.seen) && fi.ModTime().Equal(c.seen.ModTime()) &&
		fi.Size() == c.seen.Size() && fi.Mode() == c.seen.Mode() {
		return nil
	}
	tok, err := Read(c.path)
	if err != nil {
		return err
	}
	c.tok, c.seen = tok, fi
	return nil
}

// Valid reports whether presented matches the token. A token file that has
// become unreadable fails closed.
func (c *Checker) Valid(presented []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.reload(); err != nil {
		return false
	}
	return len(presented) > 0 && subtle.ConstantTimeCompare(presented, c.tok) == 1
}
