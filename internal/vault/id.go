package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// VaultID is the daemon's cache key for a vault file: hex SHA-256 over the
// canonical absolute path, a NUL byte, and the SHA-256 of the file's bytes.
// Editing the vault changes its content hash, so a cached entry is never
// served stale; two projects' vaults differ in path, so they never share an
// entry even with identical content.
func VaultID(path string, content []byte) string {
	sum := sha256.Sum256(content)
	h := sha256.New()
	h.Write([]byte(canonicalPath(path)))
	h.Write([]byte{0})
	h.Write(sum[:])
	return hex.EncodeToString(h.Sum(nil))
}

// FileID reads the vault file at path and returns its VaultID, without
// decrypting: the CLI asks the daemon's cache with it before prompting.
func FileID(path string) (string, error) {
	path = absPath(path)
	data, err := readFile(KindVault, path)
	if err != nil {
		return "", err
	}
	return VaultID(path, data), nil
}

// canonicalPath resolves symlinks so every spelling of one file gives one
// id (e.g. /var vs /private/var on macOS, or a symlinked project). A file
// that does not exist yet is resolved through its directory.
func canonicalPath(p string) string {
	abs := absPath(p)
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(d, filepath.Base(abs))
	}
	return abs
}
