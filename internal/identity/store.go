package identity

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/patina-dev/patina/internal/atomicfile"
	"github.com/patina-dev/patina/internal/paths"
)

// ImportMode says whether Import may replace a stored identity.
type ImportMode int

const (
	// KeepExisting refuses to import over a stored identity (ErrExists).
	KeepExisting ImportMode = iota
	// Replace overwrites it: the old key is gone unless it was exported.
	Replace
)

// Init creates a new identity and stores it where it belongs on this
// platform: the Keychain when the build has one (and the Keychain accepts
// it), else identity.age under a new passphrase asked twice through p. It refuses (ErrExists) when an
// identity is already stored, and when PATINA_IDENTITY is set (the stored
// one would never be used). Print Recipient() afterwards, never the key.
func Init(ctx context.Context, p Prompter) (*Identity, Source, error) {
	if os.Getenv(EnvIdentity) != "" {
		return nil, SourceEnv, &Error{Where: EnvIdentity, Problem: "is set, so a stored identity would never be used",
			Fix: "unset it and run `patina secrets init` again, or keep using it", Err: ErrExists}
	}
	if err := refuseExisting(); err != nil {
		return nil, "", err
	}
	id, err := generate()
	if err != nil {
		return nil, "", err
	}
	src, err := store(ctx, id, p, false)
	if err != nil {
		return nil, src, err
	}
	return id, src, nil
}

// Import reads one identity in age-keygen's format from r (comments
// allowed, e.g. a file from Export) and stores it like Init. With
// KeepExisting it refuses to replace a stored identity; with Replace it
// overwrites it. PATINA_IDENTITY is not consulted: importing into the store
// is legitimate while the variable is set.
func Import(ctx context.Context, r io.Reader, p Prompter, mode ImportMode) (*Identity, Source, error) {
	text, err := io.ReadAll(io.LimitReader(r, maxKeyText+1))
	defer wipe(text)
	if err != nil {
		return nil, "", &Error{Where: "import", Problem: "cannot read the key: " + err.Error(), Fix: "pipe the key file to stdin"}
	}
	id, err := parse(text)
	if err != nil {
		return nil, "", &Error{Where: "import", Problem: "input " + err.Error(),
			Fix: "give the contents of a key file made by `age-keygen` or `patina secrets export-key`"}
	}
	if mode != Replace {
		if err := refuseExisting(); err != nil {
			return nil, "", err
		}
	}
	src, err := store(ctx, id, p, mode == Replace)
	if err != nil {
		return nil, src, err
	}
	return id, src, nil
}

// Export writes the identity to path in age-keygen's format, mode 0600,
// and refuses to overwrite an existing file (ErrExists): an export is
// usually a backup, and clobbering the previous backup could lose a key.
func (i *Identity) Export(path string) error {
	text := i.marshal()
	defer wipe(text)
	err := atomicfile.Create(path, text, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return &Error{Where: path, Problem: "already exists", Fix: "choose another path, or remove the file first", Err: ErrExists}
	}
	if err != nil {
		return &Error{Where: path, Problem: "cannot write: " + errors.Unwrap(err).Error(), Fix: "check that the directory exists and is writable", Err: err}
	}
	return nil
}

func refuseExisting() error {
	src, path, err := stored()
	if err != nil {
		return err
	}
	switch src {
	case SourceKeychain:
		return &Error{Where: "keychain", Problem: "already holds a Patina identity", Err: ErrExists,
			Fix: "keep it; to replace it, back it up with `patina secrets export-key --out FILE` and import with --replace"}
	case SourceFile:
		return &Error{Where: path, Problem: "already exists", Err: ErrExists,
			Fix: "keep it; to replace it, back it up with `patina secrets export-key --out FILE` and import with --replace"}
	}
	return nil
}

// store puts the identity in the platform's store and says which.
func store(ctx context.Context, id *Identity, p Prompter, replace bool) (Source, error) {
	text := id.marshal()
	defer wipe(text)
	if kc := platformKeychain; kc != nil {
		err := kc.Put(text, replace)
		if !errors.Is(err, errKeychainUnavailable) {
			return SourceKeychain, err
		}
		// This build cannot keep the key in the keychain: use the file.
	}
	if _, err := paths.EnsureHome(); err != nil {
		return SourceFile, &Error{Where: "home", Problem: "cannot create it: " + err.Error(), Fix: "check $PATINA_HOME and its parent", Err: err}
	}
	path, err := paths.IdentityFile()
	if err != nil {
		return SourceFile, err
	}
	pass, err := askNewPassphrase(ctx, p, path)
	if err != nil {
		return SourceFile, err
	}
	sealed, err := sealWithPassphrase(text, pass)
	wipe(pass)
	if err != nil {
		return SourceFile, &Error{Where: path, Problem: "cannot encrypt: " + err.Error(), Fix: "report this as a bug"}
	}
	write := atomicfile.Create
	if replace {
		write = atomicfile.Write
	}
	err = write(path, sealed, 0o600)
	if errors.Is(err, fs.ErrExist) { // lost a race with another init
		return SourceFile, &Error{Where: path, Problem: "already exists", Fix: "keep it, or import with --replace", Err: ErrExists}
	}
	if err != nil {
		return SourceFile, &Error{Where: path, Problem: "cannot write: " + errors.Unwrap(err).Error(), Fix: "check that the directory is writable", Err: err}
	}
	return SourceFile, nil
}
