package identity

import (
	"context"
	"errors"
)

// keychainStore is the macOS Keychain item holding the identity text. The
// platform files set platformKeychain: a real store in darwin builds with
// cgo, nil everywhere else (Linux, or darwin built with CGO_ENABLED=0),
// which makes Load skip the source and Init/Import use the file instead.
type keychainStore interface {
	// Exists reports whether the item is there without reading its data,
	// so it never asks for Touch ID.
	Exists() (bool, error)
	// Get reads the item; the system asks for user presence first.
	Get(ctx context.Context) (data []byte, found bool, err error)
	// Put stores data. With replace false an existing item is an error
	// wrapping ErrExists; with replace true it is updated in place.
	Put(data []byte, replace bool) error
}

// errKeychainUnavailable is what Put wraps when this process cannot use an
// access-controlled keychain item at all (an unsigned binary without the
// keychain entitlement, no keychain in the session). store then falls back
// to the passphrase file rather than leaving the user without a key.
var errKeychainUnavailable = errors.New("keychain unavailable to this program")

// Keychain item coordinates.
const (
	keychainService = "dev.patina.identity"
	keychainAccount = "age-identity"
	keychainLabel   = "Patina age identity"
)
