package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/patina-dev/patina/internal/paths"
)

// maxIdentityFile bounds identity.age: an armored key is under 1 KiB.
const maxIdentityFile = 64 << 10

// Load returns the identity from the first source that has one:
// PATINA_IDENTITY, then the Keychain (darwin+cgo builds), then
// $PATINA_HOME/identity.age, whose passphrase is asked through p (nil p:
// the file source fails with ErrNoTerminal). A source that is present but
// broken is an error, not a reason to fall through: silently using another
// key would be more confusing than the error. With nothing anywhere the
// error wraps ErrNoIdentity. The Source is returned with errors too, saying
// which source failed.
func Load(ctx context.Context, p Prompter) (*Identity, Source, error) {
	if s := os.Getenv(EnvIdentity); s != "" {
		id, err := parseEnv(s)
		return id, SourceEnv, err
	}
	if kc := platformKeychain; kc != nil {
		data, found, err := kc.Get(ctx)
		if err != nil {
			return nil, SourceKeychain, err
		}
		if found {
			defer wipe(data)
			id, err := parse(data)
			if err != nil {
				return nil, SourceKeychain, &Error{Where: "keychain", Problem: "item " + err.Error(),
					Fix: "delete the \"" + keychainLabel + "\" item in Keychain Access and import your key again"}
			}
			return id, SourceKeychain, nil
		}
	}
	path, err := paths.IdentityFile()
	if err != nil {
		return nil, SourceFile, err
	}
	id, err := loadFile(ctx, path, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", noIdentity(path)
	}
	return id, SourceFile, err
}

// Locate says which source Load would use and, for the file source, its
// path — without reading the key, so it never prompts. For `patina secrets`
// status. With nothing anywhere the error wraps ErrNoIdentity.
func Locate() (Source, string, error) {
	if os.Getenv(EnvIdentity) != "" {
		return SourceEnv, "", nil
	}
	src, path, err := stored()
	if err != nil {
		return "", "", err
	}
	if src == "" {
		return "", "", noIdentity(path)
	}
	return src, path, nil
}

// stored finds an identity in the keychain or the file, ignoring the
// environment; src is "" when there is none (path is then the file that
// would hold it).
func stored() (src Source, path string, err error) {
	if kc := platformKeychain; kc != nil {
		ok, err := kc.Exists()
		if err != nil {
			return "", "", err
		}
		if ok {
			return SourceKeychain, "", nil
		}
	}
	path, err = paths.IdentityFile()
	if err != nil {
		return "", "", err
	}
	switch _, err := os.Lstat(path); {
	case err == nil:
		return SourceFile, path, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", path, nil
	default:
		return "", "", &Error{Where: path, Problem: "cannot check it: " + err.Error(), Fix: "check that you own it and its directory", Err: err}
	}
}

func noIdentity(path string) error {
	where := "PATINA_IDENTITY, " + path
	if platformKeychain != nil {
		where = "PATINA_IDENTITY, the keychain, " + path
	}
	return &Error{Where: "", Problem: "none found (looked in " + where + ")",
		Fix: "run `patina secrets init` or set " + EnvIdentity, Err: ErrNoIdentity}
}

// parseEnv reads PATINA_IDENTITY. The value arrives as a Go string (an
// environment copy we cannot wipe); the byte copy we parse is wiped.
func parseEnv(s string) (*Identity, error) {
	b := []byte(s)
	defer wipe(b)
	id, err := parse(b)
	if err != nil {
		return nil, &Error{Where: EnvIdentity, Problem: err.Error(),
			Fix: "set it to the contents of a key file made by `age-keygen` or `patina secrets export-key`, or unset it"}
	}
	return id, nil
}

// loadFile unlocks identity.age with a passphrase from p.
func loadFile(ctx context.Context, path string, p Prompter) (*Identity, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	pass, err := askPassphrase(ctx, p, path)
	if err != nil {
		return nil, err
	}
	plain, err := openWithPassphrase(path, data, pass)
	wipe(pass)
	if err != nil {
		return nil, err
	}
	defer wipe(plain)
	id, err := parse(plain)
	if err != nil {
		return nil, &Error{Where: path, Problem: "decrypts, but " + err.Error(),
			Fix: "move it aside and import your key with `patina secrets import-key`"}
	}
	return id, nil
}

// readBounded reads a file of at most maxIdentityFile bytes; a missing file
// is returned as is (fs.ErrNotExist) for Load to turn into ErrNoIdentity.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, &Error{Where: path, Problem: "cannot read: " + err.Error(), Fix: "check that you own it and its directory", Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIdentityFile+1))
	if err != nil {
		return nil, &Error{Where: path, Problem: "cannot read: " + err.Error(), Fix: "check that you own it and its directory", Err: err}
	}
	if len(data) > maxIdentityFile {
		return nil, &Error{Where: path, Problem: fmt.Sprintf("is over %d bytes, too big for an identity file", maxIdentityFile),
			Fix: "move it aside and import your key with `patina secrets import-key`"}
	}
	return data, nil
}
