// Package atomicfile writes files so that a reader, or a crash, sees either
// the old content or the new one, never a torn file.
//
// Write replaces a file; Create makes a new one and refuses to replace an
// existing file (for key exports, where clobbering would lose a key). Both
// write a temp file in the same directory, fsync it, and only then make it
// visible under the final name, so a crash at any point leaves the old file
// (or nothing) plus at worst a stray ".NAME.tmp-*" file, never a torn one;
// a later write of the same file removes such strays once they are stale
// (sweep.go).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// afterTempWritten is a test hook: it runs once the temp file is complete
// and synced, before the rename. Tests use it to simulate a crash.
var afterTempWritten = func(tmp string) error { return nil }

// Write replaces path with data: a temp file in the same directory, written
// with perm, fsynced, renamed over path, then the directory fsynced.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, os.Rename)
}

// Create writes data to path like Write, but fails with an error wrapping
// fs.ErrExist if path already exists. The check and the creation are one
// step (link(2) never replaces its target), so two racing creators cannot
// both win.
func Create(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, func(tmp, path string) error {
		if err := os.Link(tmp, path); err != nil {
			return err
		}
		// The data now lives under path; the temp name is just a second
		// link, so failing to remove it must not fail the create.
		os.Remove(tmp)
		return nil
	})
}

// write does the shared work; publish makes the synced temp file visible as
// path (rename to replace, link to create).
func write(path string, data []byte, perm os.FileMode, publish func(tmp, path string) error) (err error) {
	dir := filepath.Dir(path)
	sweepStale(dir, filepath.Base(path))
	f, err := os.CreateTemp(dir, tempPrefix(filepath.Base(path))+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file 0600; Chmod covers other modes and umask.
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = afterTempWritten(tmp); err != nil {
		return err
	}
	if err = publish(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("write %s: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: make the rename itself durable
		d.Close()
	}
	return nil
}
