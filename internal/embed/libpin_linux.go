//go:build cgo && linux

package embed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// openPinnedLibrary opens the library at path, hashes it through that
// open file and, if the hash is want, returns /proc/self/fd/N for the
// loader: dlopen then maps the very file that was hashed, even if path is
// replaced in between. done closes the file once the library is loaded.
func openPinnedLibrary(path, want string) (load string, done func(), err error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return "", nil, &FileError{Path: path, Want: want, Err: fmt.Errorf("not a regular file"), hint: "run `make models`"}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil, &FileError{Path: path, Want: want, Err: err, hint: "run `make models`"}
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return "", nil, &FileError{Path: path, Want: want, Err: err, hint: "run `make models`"}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		f.Close()
		return "", nil, &FileError{Path: path, Want: want, Got: got, hint: "run `make models`"}
	}
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd()), func() { f.Close() }, nil
}
