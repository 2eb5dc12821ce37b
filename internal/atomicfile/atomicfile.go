// Package atomicfile writes files so that a reader, or a crash, sees either
// the old content or the new one, never a torn file.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// afterTempWritten is a test hook: it runs once the temp file is complete
// and synced, before the rename. Tests use it to simulate a crash.
var afterTempWritten = func(tmp string) error { return nil }

// Write replaces path with data: a temp file in the same directory, written
// with perm, fsynced, renamed over path, then the directory fsynced.
func Write(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
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
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync() // best effort: make the rename itself durable
		d.Close()
	}
	return nil
}
