package identity

import "context"

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

// Keychain item coordinates.
const (
	keychainService = "dev.patina.identity"
	keychainAccount = "age-identity"
	keychainLabel   = "Patina age identity"
)
