// Package identity finds, creates, imports and exports the user's age
// X25519 identity, the key that decrypts Patina vaults.
//
// Sources, tried in this order by Load:
//
//  1. SourceEnv: $PATINA_IDENTITY holds the key itself ("AGE-SECRET-KEY-1…",
//     optionally with age-keygen's comment lines) — for CI and headless use.
//  2. SourceKeychain: a macOS Keychain item that only the present user can
//     read (Touch ID or the login password). Only in darwin builds with cgo.
//  3. SourceFile: $PATINA_HOME/identity.age, the key encrypted with a
//     passphrase (age scrypt, armored), asked for through a Prompter. It is
//     an ordinary age passphrase file: `age -d identity.age` opens it too.
//
// API in brief:
//
//	id, src, err := identity.Load(ctx, identity.TTY{})   // unlock for use
//	v, err := vault.Load(path, id.Age())
//	src, where, err := identity.Locate()                 // status, no prompt
//	id, src, err := identity.Init(ctx, identity.TTY{})   // new key, stored where it belongs
//	id, src, err := identity.Import(ctx, os.Stdin, identity.TTY{}, identity.KeepExisting)
//	err = id.Export(path)                                // 0600, never overwrites
//	err = id.ExportTo(os.Stdout)                         // only when asked explicitly
//	fmt.Println(id.Recipient())                          // the public key, safe to print
//
// Secrets hygiene: no error, and no fmt verb applied to an Identity, ever
// contains the key or a passphrase, and the package never logs. Keys and
// passphrases are read into byte slices that are wiped after use. Go cannot
// wipe everything: age parses keys from strings and keeps the scalar in an
// unexported field, scrypt takes the passphrase as a string, os.Getenv
// returns a string. Those copies live until the garbage collector reuses
// their memory; exiting the process is the final wipe.
package identity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"filippo.io/age"
)

// EnvIdentity is the environment variable that overrides every stored
// identity.
const EnvIdentity = "PATINA_IDENTITY"

// Source says where an identity came from.
type Source string

const (
	SourceEnv      Source = "env"
	SourceKeychain Source = "keychain"
	SourceFile     Source = "file"
)

// Sentinels for errors.Is; every error is an *Error wrapping one of them
// where a caller has a reason to branch.
var (
	// ErrNoIdentity: nothing in any source. The fix: `patina secrets init`
	// or set PATINA_IDENTITY.
	ErrNoIdentity = errors.New("no age identity")
	// ErrExists: Init, Import or Export would overwrite an identity.
	ErrExists = errors.New("identity already exists")
	// ErrWrongPassphrase: the passphrase does not open identity.age. The
	// CLI may ask again.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrNoTerminal: a passphrase is needed and there is no way to ask.
	ErrNoTerminal = errors.New("no terminal to ask for a passphrase")
)

// Error is one line: where (PATINA_IDENTITY, keychain, or a file), what is
// wrong, and how to fix it. Problem and Fix are separate so a CLI can print
// "error:" and "hint:" lines.
type Error struct {
	Where   string
	Problem string
	Fix     string
	Err     error
}

func (e *Error) Error() string {
	msg := "identity " + e.Where + ": " + e.Problem
	if e.Fix != "" {
		msg += ": " + e.Fix
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)), " ")
}

func (e *Error) Unwrap() error { return e.Err }

// Identity is an unlocked age X25519 identity.
type Identity struct {
	x         *age.X25519Identity
	recipient string
}

// Recipient is the public key ("age1…"): safe to print and to share.
func (i *Identity) Recipient() string { return i.recipient }

// Age is the identity for age.Decrypt and vault.Load.
func (i *Identity) Age() age.Identity { return i.x }

// String describes the identity by its public key; Format routes every fmt
// verb through it, so printing an Identity can never show the key. Value
// receivers, so a copied Identity is covered too.
func (i Identity) String() string { return "age identity for " + i.recipient }

func (i Identity) Format(f fmt.State, verb rune) { fmt.Fprint(f, i.String()) }

// ExportTo writes the identity in age-keygen's format (comment lines, then
// the key) to w. Only for an explicit request such as `export-key --stdout`.
func (i *Identity) ExportTo(w io.Writer) error {
	text := i.marshal()
	defer wipe(text)
	_, err := w.Write(text)
	return err
}

func generate() (*Identity, error) {
	x, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	return &Identity{x: x, recipient: x.Recipient().String()}, nil
}

// marshal renders age-keygen's key file format, so an exported key works
// with `age -d -i FILE`.
func (i *Identity) marshal() []byte {
	var b bytes.Buffer
	b.Grow(256) // room for all of it: no reallocation leaves a stale copy
	b.WriteString("# created: " + time.Now().UTC().Format(time.RFC3339) + "\n")
	b.WriteString("# public key: " + i.recipient + "\n")
	b.WriteString(i.x.String()) // a string copy we cannot wipe (age API)
	b.WriteString("\n")
	return b.Bytes()
}

// maxKeyText bounds what parse reads: a key file is about 200 bytes.
const maxKeyText = 64 << 10

// parse reads age-keygen's format: '#' comments, blank lines, and exactly
// one AGE-SECRET-KEY-1… line. Errors never quote the input.
func parse(text []byte) (*Identity, error) {
	if len(text) > maxKeyText {
		return nil, fmt.Errorf("is over %d bytes, too big for a key", maxKeyText)
	}
	var found *age.X25519Identity
	n := 0
	for i, line := range bytes.Split(text, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		// age parses from a string: one more copy only the GC can reclaim.
		x, err := age.ParseX25519Identity(string(line))
		if err != nil {
			// age's message can quote part of the key (a bad checksum),
			// so it is dropped.
			return nil, fmt.Errorf("line %d is not an age X25519 identity (AGE-SECRET-KEY-1…)", i+1)
		}
		found = x
		n++
	}
	switch {
	case n == 0:
		return nil, errors.New("holds no age identity (AGE-SECRET-KEY-1…)")
	case n > 1:
		return nil, fmt.Errorf("holds %d identities; patina uses exactly one", n)
	}
	return &Identity{x: found, recipient: found.Recipient().String()}, nil
}

// wipe zeroes b; see the package comment for what Go leaves out of reach.
func wipe(b []byte) { clear(b) }
