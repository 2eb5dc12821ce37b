//go:build !darwin || !cgo

package identity

// No Keychain here: Linux has none, and a darwin build without cgo cannot
// call Security.framework. Identities live in the passphrase file.
var platformKeychain keychainStore
