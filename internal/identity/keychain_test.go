package identity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// memKeychain stands in for the macOS Keychain so the source order and the
// store choice can be checked on Linux; the real item code is darwin-only.
type memKeychain struct {
	data        []byte
	gets        int
	unavailable bool // Put fails as an unsigned macOS binary's would
}

func (m *memKeychain) Exists() (bool, error) { return m.data != nil, nil }

func (m *memKeychain) Get(ctx context.Context) ([]byte, bool, error) {
	m.gets++
	if m.data == nil {
		return nil, false, nil
	}
	return append([]byte(nil), m.data...), true, nil
}

func (m *memKeychain) Put(data []byte, replace bool) error {
	if m.unavailable {
		return errKeychainUnavailable
	}
	if m.data != nil && !replace {
		return &Error{Where: "keychain", Problem: "already holds a Patina identity", Err: ErrExists}
	}
	m.data = append([]byte(nil), data...)
	return nil
}

func withKeychain(t *testing.T) *memKeychain {
	kc := &memKeychain{}
	platformKeychain = kc // isolate restores it
	return kc
}

func TestKeychainSourceOrder(t *testing.T) {
	home := isolate(t)
	kc := withKeychain(t)

	// Init on a keychain platform stores there and asks no passphrase.
	id, src, err := Init(ctx, answer(t))
	if err != nil || src != SourceKeychain {
		t.Fatalf("Init: %v %v", src, err)
	}
	if _, err := os.Stat(filepath.Join(home, "identity.age")); err == nil {
		t.Fatal("Init wrote a file on a keychain platform")
	}
	if s, _, err := Locate(); s != SourceKeychain || err != nil || kc.gets != 0 {
		t.Fatalf("Locate: %v %v (and it must not read the item: %d reads)", s, err, kc.gets)
	}
	got, src, err := Load(ctx, nil)
	if err != nil || src != SourceKeychain || got.Recipient() != id.Recipient() {
		t.Fatalf("Load: %v %v", src, err)
	}

	// The environment beats the keychain, without touching it.
	x := newKey(t)
	t.Setenv(EnvIdentity, x.String())
	kc.gets = 0
	got, src, _ = Load(ctx, nil)
	if src != SourceEnv || got.Recipient() != x.Recipient().String() || kc.gets != 0 {
		t.Fatalf("env did not win: %v, %d keychain reads", src, kc.gets)
	}
	t.Setenv(EnvIdentity, "")

	// Import refuses over the keychain item unless told to replace.
	y := newKey(t)
	if _, _, err := Import(ctx, strings.NewReader(y.String()), answer(t), KeepExisting); !errors.Is(err, ErrExists) {
		t.Fatalf("Import over keychain: %v", err)
	}
	if _, src, err := Import(ctx, strings.NewReader(y.String()), answer(t), Replace); err != nil || src != SourceKeychain {
		t.Fatalf("Import(Replace): %v %v", src, err)
	}
	got, _, _ = Load(ctx, nil)
	if got.Recipient() != y.Recipient().String() {
		t.Fatal("replaced keychain identity not used")
	}
}

// A damaged keychain item is an error, not a silent fall-through to the
// file (which would quietly switch keys).
func TestDamagedKeychainItem(t *testing.T) {
	isolate(t)
	kc := withKeychain(t)
	kc.data = []byte(secret("AGE-SECRET-KEY-1NOTAREALKEYATALL"))
	_, src, err := Load(ctx, answer(t))
	if err == nil || src != SourceKeychain || !strings.Contains(err.Error(), "Keychain Access") {
		t.Fatalf("got %v %v", src, err)
	}
	noLeak(t, err)
}

// When the keychain refuses the item (no entitlement), Init falls back to
// the passphrase file instead of failing.
func TestKeychainUnavailableFallsBackToFile(t *testing.T) {
	home := isolate(t)
	kc := withKeychain(t)
	kc.unavailable = true
	id, src, err := Init(ctx, answer(t, "fallback-pass", "fallback-pass"))
	if err != nil || src != SourceFile {
		t.Fatalf("Init: %v %v", src, err)
	}
	mustMode0600(t, filepath.Join(home, "identity.age"))
	got, src, err := Load(ctx, answer(t, "fallback-pass"))
	if err != nil || src != SourceFile || got.Recipient() != id.Recipient() {
		t.Fatalf("Load: %v %v", src, err)
	}
}
