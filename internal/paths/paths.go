// Package paths is the one place that knows where Patina keeps things:
// the runtime dir and socket, the persistent home, vaults, token and indexes.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Environment variables that override the defaults.
const (
	EnvHome   = "PATINA_HOME"   // persistent home, default ~/.patina
	EnvSocket = "PATINA_SOCKET" // socket path for clients and standalone serve
	EnvCache  = "PATINA_CACHE"  // provisioned runtime and models, default $XDG_CACHE_HOME/patina
)

const (
	runtimeDirName = "patina"
	socketName     = "mother.sock"
	tokenName      = "mother.token"
)

// Home is the persistent home: $PATINA_HOME, else ~/.patina.
func Home() (string, error) {
	if h := os.Getenv(EnvHome); h != "" {
		return filepath.Abs(h)
	}
	u, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("cannot find the home directory: set $HOME or $PATINA_HOME")
	}
	return filepath.Join(u, ".patina"), nil
}

// Socket is the daemon's unix socket: $PATINA_SOCKET, else
// <RuntimeDir>/mother.sock.
func Socket() (string, error) {
	if s := os.Getenv(EnvSocket); s != "" {
		return filepath.Abs(s)
	}
	dir, err := RuntimeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, socketName), nil
}

// RuntimeDir is the 0700 directory holding the socket. With $PATINA_SOCKET
// set it is that socket's directory.
func RuntimeDir() (string, error) {
	if s := os.Getenv(EnvSocket); s != "" {
		abs, err := filepath.Abs(s)
		if err != nil {
			return "", err
		}
		return filepath.Dir(abs), nil
	}
	return platformRuntimeDir()
}

// Cache holds what `make` provisions and anyone could provision again:
// the ONNX Runtime library and the default embedding model. It is
// $PATINA_CACHE, else $XDG_CACHE_HOME/patina, else ~/.cache/patina
// (~/Library/Caches/patina on macOS, per os.UserCacheDir).
func Cache() (string, error) {
	if c := os.Getenv(EnvCache); c != "" {
		return filepath.Abs(c)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", errors.New("cannot find the cache directory: set $HOME, $XDG_CACHE_HOME or $PATINA_CACHE")
	}
	return filepath.Join(base, "patina"), nil
}

// Models is where `patina model add` keeps user-added models, one
// directory per model name.
func Models() (string, error) { return inHome("models") }

// Repos holds the clones of reference repositories (`patina repo`), one
// directory per registered name.
func Repos() (string, error) { return inHome("repos") }

// Token is the TCP bearer-token file.
func Token() (string, error) { return inHome(tokenName) }

// GlobalVault, GlobalRegistry and GlobalRecipient are the global vault files.
func GlobalVault() (string, error)     { return inHome("vault.age") }
func GlobalRegistry() (string, error)  { return inHome("secrets.toml") }
func GlobalRecipient() (string, error) { return inHome("recipient.txt") }

// IdentityFile is the passphrase-encrypted age identity.
func IdentityFile() (string, error) { return inHome("identity.age") }

// ProjectsRegistry is the registry of indexed projects.
func ProjectsRegistry() (string, error) { return inHome("projects.toml") }

// ProjectDir is a project's own Patina directory, <project>/.patina.
func ProjectDir(project string) string { return filepath.Join(project, ".patina") }

// ProjectVault, ProjectRegistry and ProjectRecipients are a project's vault files.
func ProjectVault(project string) string { return filepath.Join(ProjectDir(project), "vault.age") }
func ProjectRegistry(project string) string {
	return filepath.Join(ProjectDir(project), "secrets.toml")
}
func ProjectRecipients(project string) string {
	return filepath.Join(ProjectDir(project), "recipients.txt")
}

// ProjectIndex is a project's SQLite index.
func ProjectIndex(project string) string {
	return filepath.Join(ProjectDir(project), "local", "index.db")
}

// ErrIndexSymlink means a project's index path goes through a symlink.
var ErrIndexSymlink = errors.New("index path goes through a symlink")

// CheckProjectIndex refuses a project whose index would be reached through
// a symlink: .patina, .patina/local or index.db being one. A project's
// contents are not trusted the way its registration is (a cloned
// repository could point .patina at another project's index, or at a
// crafted database), so Patina reads and writes an index only at its real
// place under the canonical project root. A missing component is fine.
func CheckProjectIndex(project string) error {
	return checkNoSymlinks(project, ".patina", "local", "index.db")
}

// CheckProjectIndexDir is CheckProjectIndex for the directories only
// (.patina and .patina/local): a symlink at index.db itself is a damaged
// index, which a scrape replaces with a real file.
func CheckProjectIndexDir(project string) error {
	return checkNoSymlinks(project, ".patina", "local")
}

// checkNoSymlinks checks that no component of project/names... is a symlink.
func checkNoSymlinks(project string, names ...string) error {
	p := project
	for _, name := range names {
		p = filepath.Join(p, name)
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s is a symlink", ErrIndexSymlink, p)
		}
	}
	return nil
}

func inHome(name string) (string, error) {
	h, err := Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, name), nil
}

// EnsureHome creates the home directory 0700 if it is missing.
func EnsureHome() (string, error) {
	h, err := Home()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(h, 0o700); err != nil {
		return "", err
	}
	return h, nil
}
