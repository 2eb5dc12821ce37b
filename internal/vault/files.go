package vault

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/patina-dev/patina/internal/atomicfile"
)

// maxFileSize bounds every file this package reads: vaults hold a few
// dozen secrets, so anything bigger is a mistake or an attack.
const maxFileSize = 16 << 20

// fileMode is the mode of every file this package writes, key material or
// not: one rule is easier to audit than three.
const fileMode = 0o600

// missingFix says how to create each kind of file when it is absent.
var missingFix = map[string]string{
	KindVault:      "add a secret with `patina secrets add NAME` to create it",
	KindRegistry:   "add a secret with `patina secrets add NAME` to create it",
	KindRecipients: "run `patina secrets init` (global) or `patina secrets recipients add KEY` (project) to create it",
}

// readFile reads a whole file, bounded, and turns the usual failures into
// one-line errors. A missing file wraps fs.ErrNotExist.
func readFile(kind, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openErr(kind, path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, openErr(kind, path, err)
	}
	if st.IsDir() {
		return nil, fileErr(kind, path, nil, "is a directory", "move it aside; patina expects a file here")
	}
	if st.Size() > maxFileSize {
		return nil, fileErr(kind, path, nil, fmt.Sprintf("is %d bytes, over the %d byte limit", st.Size(), maxFileSize), fixRestore)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, openErr(kind, path, err)
	}
	if len(data) > maxFileSize {
		return nil, fileErr(kind, path, nil, fmt.Sprintf("is over the %d byte limit", maxFileSize), fixRestore)
	}
	return data, nil
}

func openErr(kind, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fileErr(kind, path, fs.ErrNotExist, "no such file", missingFix[kind])
	case errors.Is(err, fs.ErrPermission):
		return fileErr(kind, path, fs.ErrPermission, "permission denied", "check that you own the file and its directory")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is already in our message
	}
	return fileErr(kind, path, err, "cannot read: "+err.Error(), "check the file and its directory")
}

// writeFile replaces path atomically with mode 0600, creating the directory
// (0700) if needed.
func writeFile(kind, path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fileErr(kind, path, err, "cannot create its directory: "+unwrapPath(err), "check the parent directory is writable")
	}
	if err := atomicfile.Write(path, data, fileMode); err != nil {
		return fileErr(kind, path, err, "cannot write: "+unwrapPath(err), "check the directory is writable; the previous file is unchanged")
	}
	return nil
}

func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// absPath makes a path absolute; only a vanished working directory makes
// that fail, and then the cleaned path is the best we have.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}
