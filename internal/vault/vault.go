package vault

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"filippo.io/age"
)

// Vault is one decrypted vault file held in memory. Values are byte slices
// so Wipe can zero them; a Vault is not safe for concurrent use.
type Vault struct {
	path       string
	createdAt  time.Time
	modifiedAt time.Time
	values     *valueSet
	id         string // VaultID of the bytes last loaded or saved; "" if never
}

// valueSet sits behind a pointer so that a Vault printed where fmt cannot
// call its Format (nested in another struct) shows an address, not values.
type valueSet struct{ m map[string][]byte }

// New returns an empty vault that Save will create at path.
func New(path string) *Vault {
	return &Vault{path: absPath(path), values: &valueSet{m: map[string][]byte{}}}
}

// Load reads and decrypts the vault at path with the first identity that
// matches. Errors are *Error: a missing file wraps fs.ErrNotExist, a vault
// not encrypted to any of ids wraps ErrWrongIdentity.
func Load(path string, ids ...age.Identity) (*Vault, error) {
	path = absPath(path)
	data, err := readFile(KindVault, path)
	if err != nil {
		return nil, err
	}
	plain, err := decrypt(path, data, ids)
	if err != nil {
		return nil, err
	}
	defer wipe(plain)
	created, modified, values, err := decodePlaintext(path, plain)
	if err != nil {
		return nil, err
	}
	return &Vault{
		path:       path,
		createdAt:  created,
		modifiedAt: modified,
		values:     &valueSet{m: values},
		id:         VaultID(path, data),
	}, nil
}

// LoadOrNew is Load, except that a missing file gives an empty vault.
func LoadOrNew(path string, ids ...age.Identity) (*Vault, error) {
	v, err := Load(path, ids...)
	if errors.Is(err, fs.ErrNotExist) {
		return New(path), nil
	}
	return v, err
}

// Path is the vault's absolute path.
func (v *Vault) Path() string { return v.path }

// ID is the daemon cache key of the file as last loaded or saved (see
// VaultID); "" for a vault never loaded or saved.
func (v *Vault) ID() string { return v.id }

// CreatedAt and ModifiedAt are the [meta] timestamps; zero if the file had
// none and was never saved.
func (v *Vault) CreatedAt() time.Time  { return v.createdAt }
func (v *Vault) ModifiedAt() time.Time { return v.modifiedAt }

// Len is the number of secrets.
func (v *Vault) Len() int { return len(v.values.m) }

// Names lists the secret names, sorted.
func (v *Vault) Names() []string {
	names := make([]string, 0, len(v.values.m))
	for n := range v.values.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the value of a secret. The slice is the vault's own: do not
// modify it, and do not use it after Wipe.
func (v *Vault) Get(name string) ([]byte, bool) {
	b, ok := v.values.m[name]
	return b, ok
}

// Set stores a copy of value under name, wiping any previous value. The name
// must pass ValidateName; the value must be valid UTF-8 without NUL bytes and
// at most MaxValueSize (what TOML and an environment variable can carry).
// Errors name the secret, never the value.
func (v *Vault) Set(name string, value []byte) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if err := validateValue(value); err != nil {
		return err
	}
	if old, ok := v.values.m[name]; ok {
		wipe(old)
	}
	v.values.m[name] = append(make([]byte, 0, len(value)), value...)
	return nil
}

// Remove deletes a secret and wipes its value; it reports whether it existed.
func (v *Vault) Remove(name string) bool {
	old, ok := v.values.m[name]
	if ok {
		wipe(old)
		delete(v.values.m, name)
	}
	return ok
}

// Save encrypts the vault to rs (armored age) and replaces the file
// atomically with mode 0600, creating its directory (0700) if needed. On
// error the previous file is unchanged.
func (v *Vault) Save(rs []age.Recipient) error {
	if len(rs) == 0 {
		return fileErr(KindVault, v.path, nil, "no recipients to encrypt to",
			"add your recipient (`patina secrets init` prints it) to the recipients file")
	}
	now := time.Now().UTC().Truncate(time.Second)
	created := v.createdAt
	if created.IsZero() {
		created = now
	}
	plain := encodePlaintext(created, now, v.values.m)
	data, err := encrypt(plain, rs)
	wipe(plain)
	if err != nil {
		// age's messages are about recipients (public), never the plaintext.
		return fileErr(KindVault, v.path, err, "cannot encrypt: "+err.Error(), "check the recipients file")
	}
	if err := writeFile(KindVault, v.path, data); err != nil {
		return err
	}
	v.createdAt, v.modifiedAt = created, now
	v.id = VaultID(v.path, data)
	return nil
}

// Snapshot returns a copy of the values keyed by secret name, e.g. to push
// to the daemon's session cache under v.ID(). The caller owns the copy and
// should wipe it (WipeValues) once sent.
func (v *Vault) Snapshot() map[string][]byte {
	out := make(map[string][]byte, len(v.values.m))
	for n, b := range v.values.m {
		out[n] = append([]byte(nil), b...)
	}
	return out
}

// FromSnapshot rebuilds a vault from values served by the daemon's cache,
// so a cache hit goes through Merge exactly like a decrypted vault. Names
// and values are validated as Set does, and copied. id is the VaultID the
// values were cached under. The result is for reading: it has no
// timestamps, so do not Save it over the real file.
func FromSnapshot(path, id string, values map[string][]byte) (*Vault, error) {
	v := New(path)
	v.id = id
	for n, b := range values {
		if err := v.Set(n, b); err != nil {
			v.Wipe()
			return nil, err
		}
	}
	return v, nil
}

// WipeValues zeroes and empties a values map such as Snapshot returns.
func WipeValues(m map[string][]byte) { wipeMap(m) }

// Wipe zeroes every value and empties the vault. Call it (defer it) as soon
// as the values have been used.
func (v *Vault) Wipe() {
	wipeMap(v.values.m)
}

// String describes the vault without its values; Format routes every verb
// (%v, %+v, %#v, %x, %d…) through it so no formatting can print a secret.
// Value receivers, so a copied Vault is covered too.
func (v Vault) String() string {
	n := 0
	if v.values != nil {
		n = len(v.values.m)
	}
	return fmt.Sprintf("vault %s (%d secrets)", v.path, n)
}

func (v Vault) Format(f fmt.State, verb rune) { fmt.Fprint(f, v.String()) }
