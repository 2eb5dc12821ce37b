package secrets

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/vault"
)

// KeyResult says what Init or ImportKey did with the identity.
type KeyResult struct {
	Recipient string          // your public key; "" if not known without unlocking
	Source    identity.Source // where the identity lives
	Where     string          // identity.age for the file source
	Created   bool            // a new identity was made (Init) or stored (ImportKey)
	// RecipientFile is the global recipient.txt when this call created it.
	RecipientFile string
	// NotInRecipients: recipient.txt exists but lacks your key, so the
	// global vault is not encrypted to it.
	NotInRecipients bool
	Recipients      []string // the keys of recipient.txt, when it already existed
}

// Init makes sure there is an identity and a global recipient.txt holding
// its public key. With no identity anywhere it creates one where it belongs
// on this platform (identity.Init: keychain, else identity.age under a new
// passphrase). With one already there it changes nothing but a missing
// recipient.txt, so running it twice is harmless.
func Init(ctx context.Context, s *Session, p Places) (KeyResult, error) {
	var res KeyResult
	src, where, err := identity.Locate()
	switch {
	case errors.Is(err, identity.ErrNoIdentity):
		id, src, err := identity.Init(ctx, s.Prompter)
		if err != nil {
			return res, err
		}
		res.Created, res.Source, res.Recipient = true, src, id.Recipient()
		if src == identity.SourceFile {
			res.Where = where
			if res.Where == "" {
				_, res.Where, _ = identity.Locate()
			}
		}
		return res, ensureRecipientFile(p.Global.Recipients, id.Recipient(), &res)
	case err != nil:
		return res, err
	}
	res.Source, res.Where = src, where
	rs, err := vault.LoadRecipients(p.Global.Recipients)
	if err == nil {
		res.Recipients = rs.Keys()
		if src == identity.SourceEnv {
			// Free to read: no prompt.
			id, _, err := s.Identity(ctx)
			if err != nil {
				return res, err
			}
			res.Recipient = id.Recipient()
			res.NotInRecipients = !slices.Contains(res.Recipients, res.Recipient)
		} else if len(res.Recipients) > 0 {
			res.Recipient = res.Recipients[0]
		}
		return res, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return res, err
	}
	id, _, err := s.Identity(ctx)
	if err != nil {
		return res, err
	}
	res.Recipient = id.Recipient()
	return res, ensureRecipientFile(p.Global.Recipients, id.Recipient(), &res)
}

// ImportKey stores the identity read from r (age-keygen's format) like Init
// would, replacing a stored one only with replace, and creates recipient.txt
// if it is missing. Vaults encrypted to a replaced key are not re-encrypted:
// add the new key as a recipient with the old identity first.
func ImportKey(ctx context.Context, s *Session, p Places, r io.Reader, replace bool) (KeyResult, error) {
	var res KeyResult
	mode := identity.KeepExisting
	if replace {
		mode = identity.Replace
	}
	id, src, err := identity.Import(ctx, r, s.Prompter, mode)
	if err != nil {
		return res, err
	}
	res.Created, res.Source, res.Recipient = true, src, id.Recipient()
	if src == identity.SourceFile {
		_, res.Where, _ = identity.Locate()
	}
	return res, ensureRecipientFile(p.Global.Recipients, id.Recipient(), &res)
}

// ensureRecipientFile creates path holding key if it is missing; if it
// exists it is left alone and res says whether key is in it.
func ensureRecipientFile(path, key string, res *KeyResult) error {
	rs, err := vault.LoadRecipients(path)
	switch {
	case err == nil:
		res.Recipients = rs.Keys()
		res.NotInRecipients = !slices.Contains(res.Recipients, key)
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	rs = vault.NewRecipients(path)
	if _, err := rs.Add(key); err != nil {
		return err
	}
	if err := rs.Save(); err != nil {
		return err
	}
	res.RecipientFile = rs.Path()
	return nil
}

// ExportKey unlocks the identity and writes it to path (0600, never over an
// existing file) or, when path is "", to w — only on an explicit request.
func ExportKey(ctx context.Context, s *Session, path string, w io.Writer) (string, error) {
	id, _, err := s.Identity(ctx)
	if err != nil {
		return "", err
	}
	if path != "" {
		return id.Recipient(), id.Export(path)
	}
	return id.Recipient(), id.ExportTo(w)
}
