//go:build cgo && !linux

package embed

// openPinnedLibrary checks the library's hash and loads it by path: there
// is no /proc/self/fd to load the checked file itself through.
func openPinnedLibrary(path, want string) (load string, done func(), err error) {
	got, _, err := hashFile(path, false)
	if err != nil {
		return "", nil, &FileError{Path: path, Want: want, Err: err, hint: "run `make models`"}
	}
	if got != want {
		return "", nil, &FileError{Path: path, Want: want, Got: got, hint: "run `make models`"}
	}
	return path, func() {}, nil
}
