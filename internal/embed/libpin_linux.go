//go:build cgo && linux

package embed

import "fmt"

// openPinnedLibrary checks the library at path through an open file and,
// if its hash is want, returns /proc/self/fd/N for the loader: dlopen then
// maps the very file that was hashed, even if path is replaced in between.
// done closes the file once the library is loaded.
func openPinnedLibrary(path, want string) (load string, done func(), err error) {
	f, err := openRuntime(path, want)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd()), func() { f.Close() }, nil
}
