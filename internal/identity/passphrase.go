package identity

import (
	"bytes"
	"errors"
	"io"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/patina-dev/patina/internal/agearmor"
)

// scryptWorkFactor is log2 of the scrypt cost for new identity files: 18 is
// age's own default (about a second, 256 MiB). A package variable so tests
// can make it cheap.
var scryptWorkFactor = 18

// sealWithPassphrase encrypts the key text to a passphrase: armored age
// with one scrypt stanza, exactly what `age -p -a` produces.
func sealWithPassphrase(plain, pass []byte) ([]byte, error) {
	r, err := age.NewScryptRecipient(string(pass)) // age takes a string: a copy we cannot wipe
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(scryptWorkFactor)
	return agearmor.Encrypt(plain, r)
}

// openWithPassphrase decrypts an identity file (armored or binary).
func openWithPassphrase(path string, data, pass []byte) ([]byte, error) {
	id, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return nil, &Error{Where: path, Problem: "empty passphrase", Fix: "type the passphrase you chose at `patina secrets init`", Err: ErrWrongPassphrase}
	}
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armor.Header)) {
		src = armor.NewReader(src)
	}
	r, err := age.Decrypt(src, id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		switch {
		case errors.As(err, &noMatch) && len(noMatch.StanzaTypes) == 1 && noMatch.StanzaTypes[0] == "scrypt":
			return nil, &Error{Where: path, Problem: "wrong passphrase",
				Fix: "try again; if it is lost, import a backup with `patina secrets import-key`", Err: ErrWrongPassphrase}
		case errors.As(err, &noMatch):
			return nil, &Error{Where: path, Problem: "not passphrase-encrypted",
				Fix: "move it aside and run `patina secrets import-key` with the key it holds"}
		default:
			return nil, &Error{Where: path, Problem: "not an age file (truncated or damaged)",
				Fix: "restore it from backup, or move it aside and import your key with `patina secrets import-key`"}
		}
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxKeyText+1))
	if err != nil {
		wipe(plain)
		return nil, &Error{Where: path, Problem: "damaged (it fails authentication)",
			Fix: "restore it from backup, or move it aside and import your key with `patina secrets import-key`"}
	}
	return plain, nil
}
