// Package agearmor encrypts to age recipients in the ASCII-armored form
// every Patina file uses (vaults and the passphrase-protected identity).
package agearmor

import (
	"bytes"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Encrypt returns plain encrypted to rs, armored.
func Encrypt(plain []byte, rs ...age.Recipient) ([]byte, error) {
	var out bytes.Buffer
	aw := armor.NewWriter(&out)
	w, err := age.Encrypt(aw, rs...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
