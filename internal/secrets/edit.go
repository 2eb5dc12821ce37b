package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/vault"
)

// Every edit checks everything it can (names, files, the identity, the
// vault's decryption) before it asks for a value or writes a byte, so a
// refusal leaves the files as they were. Writes go recipients file first,
// then the vault, then the registry: a crash between two of them leaves
// files that still load, and running the command again completes it.

// AddResult says what Add did.
type AddResult struct {
	Env        string // the variable the secret is exported as
	Vault      string // the vault file written
	Replaced   bool   // the secret existed and has a new value
	Recipients string // non-empty: this recipients file was created, with your key
	// NotRecipient: your identity is not among the recipients, so you will
	// not be able to read the vault any more.
	NotRecipient bool
}

// Add stores a secret in scope's vault under name, exported as env ("" keeps
// the registered variable, or derives one from the name). value is called
// once the vault is open, so a wrong identity fails before anybody types a
// secret; Add wipes what it returns.
func Add(ctx context.Context, s *Session, scope Scope, name, env string, value func() ([]byte, error)) (AddResult, error) {
	res := AddResult{Vault: scope.Vault}
	if err := vault.ValidateName(name); err != nil {
		return res, err
	}
	if env != "" {
		if err := vault.ValidateEnv(env); err != nil {
			return res, err
		}
	}
	reg, err := vault.LoadRegistryOrNew(scope.Registry)
	if err != nil {
		return res, err
	}
	if env == "" {
		if e, ok := reg.Lookup(name); ok {
			env = e
		}
	}
	if env == "" {
		env = vault.EnvFor(name)
	}
	for _, other := range reg.Names() {
		if other != name && reg.Env(other) == env {
			return res, &vault.Error{Kind: vault.KindRegistry, Path: reg.Path(),
				Problem: fmt.Sprintf("%s is already exported as %s", other, env),
				Fix:     "choose another variable with --env VAR"}
		}
	}
	if err := reg.Set(name, env); err != nil {
		return res, err
	}
	res.Env = env

	// A project's first secret: the recipients file starts with you.
	rs, newRecipients, err := loadRecipients(ctx, s, scope, scope.Name == Project)
	if err != nil {
		return res, err
	}
	v, _, err := openVault(ctx, s, scope)
	if err != nil {
		return res, err
	}
	if v == nil {
		v = vault.New(scope.Vault)
	}
	defer v.Wipe()
	for _, other := range v.Names() {
		if other != name && reg.Env(other) == res.Env {
			return res, &vault.Error{Kind: vault.KindRegistry, Path: reg.Path(),
				Problem: fmt.Sprintf("%s is already exported as %s", other, res.Env),
				Fix:     "choose another variable with --env VAR"}
		}
	}
	if id := s.Unlocked(); id != nil && !slices.Contains(rs.Keys(), id.Recipient()) {
		res.NotRecipient = true
	}
	_, res.Replaced = v.Get(name)

	val, err := value()
	defer clear(val)
	if err != nil {
		return res, err
	}
	if err := v.Set(name, val); err != nil {
		return res, err
	}
	if newRecipients {
		if err := rs.Save(); err != nil {
			return res, err
		}
		res.Recipients = rs.Path()
	}
	if err := v.Save(rs.AgeRecipients()); err != nil {
		return res, err
	}
	return res, reg.Save()
}

// ErrNoSuchSecret is Remove's error for a name in neither the vault nor
// the registry. Its message does not repeat the name: the caller knows it.
var ErrNoSuchSecret = errors.New("no such secret")

// RemoveResult says what Remove did.
type RemoveResult struct {
	Vault      string
	InVault    bool // the value was removed (and the vault re-encrypted)
	Registered bool // the registry entry was removed
}

// Remove deletes a secret from scope's vault and registry.
func Remove(ctx context.Context, s *Session, scope Scope, name string) (RemoveResult, error) {
	res := RemoveResult{Vault: scope.Vault}
	if err := vault.ValidateName(name); err != nil {
		return res, err
	}
	reg, err := vault.LoadRegistryOrNew(scope.Registry)
	if err != nil {
		return res, err
	}
	var rs *vault.Recipients
	if exists(scope.Vault) {
		if rs, err = vault.LoadRecipients(scope.Recipients); err != nil {
			return res, err
		}
	}
	v, _, err := openVault(ctx, s, scope)
	if err != nil {
		return res, err
	}
	if v != nil {
		defer v.Wipe()
		_, res.InVault = v.Get(name)
	}
	_, res.Registered = reg.Lookup(name)
	if !res.InVault && !res.Registered {
		return res, &vault.Error{Kind: vault.KindVault, Path: scope.Vault, Err: ErrNoSuchSecret,
			Problem: "no such secret", Fix: "`patina secrets` lists the secrets of each vault"}
	}
	if res.InVault {
		v.Remove(name)
		if err := v.Save(rs.AgeRecipients()); err != nil {
			return res, err
		}
	}
	if res.Registered {
		reg.Remove(name)
		return res, reg.Save()
	}
	return res, nil
}

// RecipientsResult says what a recipients edit did.
type RecipientsResult struct {
	File        string
	Changed     bool   // the file gained or lost the key
	Reencrypted string // the vault re-encrypted to the new set, if there is one
	Count       int    // recipients now
}

// AddRecipient adds key to scope's recipients and re-encrypts its vault to
// the new set. A missing recipients file is created with your key first,
// so adding a teammate never locks you out.
func AddRecipient(ctx context.Context, s *Session, scope Scope, key string) (RecipientsResult, error) {
	return editRecipients(ctx, s, scope, key, false, false)
}

// RemoveRecipient removes key and re-encrypts the vault without it.
// Removing your own key is refused unless force: you could not read the
// vault afterwards.
func RemoveRecipient(ctx context.Context, s *Session, scope Scope, key string, force bool) (RecipientsResult, error) {
	return editRecipients(ctx, s, scope, key, true, force)
}

func editRecipients(ctx context.Context, s *Session, scope Scope, key string, remove, force bool) (RecipientsResult, error) {
	res := RecipientsResult{File: scope.Recipients}
	key = strings.TrimSpace(key)
	rec, err := vault.ParseRecipient(key)
	if err != nil {
		if strings.HasPrefix(strings.ToUpper(key), "AGE-SECRET-KEY-") {
			return res, &Error{Problem: "the key given is an age secret key, not a recipient",
				Fix: "pass its public key instead (`age-keygen -y KEYFILE` prints it), and never share the secret one"}
		}
		return res, &Error{Problem: "the key given is not an age X25519 recipient",
			Fix: "pass a public key: age1… (62 characters)"}
	}
	key = rec.String()

	rs, created, err := loadRecipients(ctx, s, scope, !remove)
	if err != nil {
		return res, err
	}
	v, id, err := openVault(ctx, s, scope)
	if err != nil {
		return res, err
	}
	if v != nil {
		defer v.Wipe()
		if remove && key == id.Recipient() && !force {
			return res, &vault.Error{Kind: vault.KindRecipients, Path: rs.Path(),
				Problem: "that is your own key: you could no longer read " + scope.Vault,
				Fix:     "add the key that should keep access first, then pass --force if you really mean it"}
		}
	}
	if remove {
		res.Changed, err = rs.Remove(key)
	} else {
		res.Changed, err = rs.Add(key)
	}
	if err != nil {
		return res, &vault.Error{Kind: vault.KindRecipients, Path: rs.Path(), Problem: trimFilePrefix(err.Error(), rs.Path())}
	}
	res.Changed = res.Changed || created
	// Save even when nothing changed, and always re-encrypt: running the
	// command again is how a crash between the two writes is repaired.
	if err := rs.Save(); err != nil {
		return res, err
	}
	res.Count = len(rs.Keys())
	if v != nil {
		if err := v.Save(rs.AgeRecipients()); err != nil {
			return res, err
		}
		res.Reencrypted = v.Path()
	}
	return res, nil
}

// loadRecipients loads scope's recipients file. When it is missing and
// startWithYou is set, it starts a new one (not yet saved) holding your key.
func loadRecipients(ctx context.Context, s *Session, scope Scope, startWithYou bool) (rs *vault.Recipients, created bool, err error) {
	rs, err = vault.LoadRecipients(scope.Recipients)
	if !errors.Is(err, fs.ErrNotExist) || !startWithYou {
		return rs, false, err
	}
	id, _, err := s.Identity(ctx)
	if err != nil {
		return nil, false, err
	}
	rs = vault.NewRecipients(scope.Recipients)
	if _, err := rs.Add(id.Recipient()); err != nil {
		return nil, false, err
	}
	return rs, true, nil
}

// openVault decrypts scope's vault with your identity (unlocking it if
// needed). With no vault file yet it returns nil and no error.
func openVault(ctx context.Context, s *Session, scope Scope) (*vault.Vault, *identity.Identity, error) {
	if !exists(scope.Vault) {
		return nil, nil, nil
	}
	id, _, err := s.Identity(ctx)
	if err != nil {
		return nil, nil, err
	}
	v, err := vault.Load(scope.Vault, id.Age())
	if err != nil {
		return nil, nil, err
	}
	return v, id, nil
}

// trimFilePrefix drops a leading "recipients PATH: " that Add/Remove put in
// their messages, since our Error names the file itself.
func trimFilePrefix(msg, path string) string {
	return strings.TrimPrefix(msg, "recipients "+path+": ")
}

// OwnRecipient is your public key when it is known without unlocking:
// from $PATINA_IDENTITY, else the first key of the global recipient.txt.
// "" when neither says.
func OwnRecipient(p Places) string {
	if src, _, err := identity.Locate(); err == nil && src == identity.SourceEnv {
		if id, _, err := identity.Load(context.Background(), nil); err == nil {
			return id.Recipient()
		}
	}
	if rs, err := vault.LoadRecipients(p.Global.Recipients); err == nil {
		if keys := rs.Keys(); len(keys) > 0 {
			return keys[0]
		}
	}
	return ""
}
