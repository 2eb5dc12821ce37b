package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"filippo.io/age"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/vault"
)

// Session unlocks the identity at most once per command, and only when a
// step needs it, so a command that can do without it never prompts.
type Session struct {
	Prompter identity.Prompter // nil: never prompt

	once sync.Once
	id   *identity.Identity
	src  identity.Source
	err  error
}

// Identity unlocks the identity (PATINA_IDENTITY, keychain, or identity.age
// with a passphrase asked through Prompter) the first time it is called.
func (s *Session) Identity(ctx context.Context) (*identity.Identity, identity.Source, error) {
	s.once.Do(func() { s.id, s.src, s.err = identity.Load(ctx, s.Prompter) })
	return s.id, s.src, s.err
}

// Unlocked reports whether Identity has succeeded, and the identity if so.
func (s *Session) Unlocked() *identity.Identity {
	if s.id != nil && s.err == nil {
		return s.id
	}
	return nil
}

// Origin says where Environment found the values.
type Origin int

const (
	// FromCache: the daemon's session cache; no identity was needed.
	FromCache Origin = iota
	// Unlocked: decrypted with the identity and pushed to the daemon.
	Unlocked
	// UnlockedNoDaemon: decrypted in-process; no daemon answered, so
	// nothing is cached and the next run unlocks again.
	UnlockedNoDaemon
	// UnlockedNotCached: decrypted; the daemon answered but would not
	// cache them (Note has said why).
	UnlockedNotCached
)

// Resolver computes the environment for `secrets run`: from the daemon's
// cache when it holds these vaults, else by unlocking and decrypting them
// (and then caching the result).
type Resolver struct {
	Places  Places
	Cache   *Cache // nil: no daemon, decrypt in-process
	Session *Session
	// Note, if set, receives one-line remarks worth a user's attention
	// (such as a daemon that would not cache). Never values.
	Note func(msg string)
}

// Environment returns the merged environment and where it came from. The
// caller wipes it.
func (r *Resolver) Environment(ctx context.Context) (vault.Env, Origin, error) {
	id, err := CacheID(r.Places)
	if errors.Is(err, ErrNoVaults) {
		return nil, 0, r.noVaults()
	}
	if err != nil {
		return nil, 0, err
	}
	cache := r.Cache
	missed := false
	noCache := UnlockedNoDaemon
	if cache != nil {
		env, err := cache.Get(ctx, id)
		switch {
		case err == nil:
			return env, FromCache, nil
		case errors.Is(err, ErrNotCached):
			missed = true
		case Unreachable(err):
			cache = nil
		default:
			r.note(fmt.Sprintf("the secrets cache failed (%v); decrypting in-process", err))
			cache, noCache = nil, UnlockedNotCached
		}
	} else {
		noCache = UnlockedNotCached
	}
	idt, _, err := r.Session.Identity(ctx)
	if err != nil {
		if missed && errors.Is(err, identity.ErrNoTerminal) {
			return nil, 0, &Error{
				Problem: "secrets are locked (mother holds no unlocked copy of these vaults) and unlocking needs your passphrase, but there is no terminal to ask on",
				Fix:     "unlock once from a terminal (`patina secrets run -- true`), or set " + identity.EnvIdentity + " for headless use",
				Err:     err,
			}
		}
		if missed && errors.Is(err, identity.ErrNoIdentity) {
			var ie *identity.Error
			problem := "no identity found"
			if errors.As(err, &ie) {
				problem = "no identity found (" + strings.TrimPrefix(ie.Problem, "none found (")
			}
			return nil, 0, &Error{
				Problem: "secrets are locked (mother holds no unlocked copy of these vaults) and there is " + problem,
				Fix:     "set " + identity.EnvIdentity + ", or import your key with `patina secrets import-key`",
				Err:     err,
			}
		}
		return nil, 0, err
	}
	env, pushID, err := Decrypt(r.Places, idt.Age())
	if err != nil {
		return nil, 0, err
	}
	if cache == nil {
		return env, noCache, nil
	}
	if err := cache.Put(ctx, pushID, env); err != nil {
		if Unreachable(err) {
			return env, UnlockedNoDaemon, nil
		}
		r.note(fmt.Sprintf("mother did not cache the secrets (%v); the next run unlocks again", err))
		return env, UnlockedNotCached, nil
	}
	return env, Unlocked, nil
}

func (r *Resolver) noVaults() error {
	where := r.Places.Global.Vault
	if r.Places.Project != nil {
		where += " nor " + r.Places.Project.Vault
	}
	return &Error{Problem: "no secrets: neither " + where + " exists", Fix: "add one with `patina secrets add NAME` (or --global)", Err: ErrNoVaults}
}

func (r *Resolver) note(msg string) {
	if r.Note != nil {
		r.Note(msg)
	}
}

// Decrypt loads every vault of the places with id and merges them (the
// project's values win). It returns the environment and the cache id of
// exactly the vault bytes it decrypted.
func Decrypt(p Places, id age.Identity) (vault.Env, string, error) {
	ids := [4]string{"-", "-", "-", "-"}
	var scopes [2]vault.Scope
	defer func() {
		for _, s := range scopes {
			if s.Vault != nil {
				s.Vault.Wipe()
			}
		}
	}()
	for i, s := range p.Scopes() {
		if !exists(s.Vault) {
			continue
		}
		v, err := vault.Load(s.Vault, id)
		if err != nil {
			return nil, "", err
		}
		scopes[i].Vault = v
		ids[2*i] = v.ID()
		reg, err := vault.LoadRegistryOrNew(s.Registry)
		if err != nil {
			return nil, "", err
		}
		scopes[i].Registry = reg
		if ids[2*i+1], err = fileHash(s.Registry); err != nil {
			return nil, "", err
		}
	}
	env, err := vault.Merge(scopes[0], scopes[1])
	if err != nil {
		return nil, "", err
	}
	return env, combineID(ids[0], ids[1], ids[2], ids[3]), nil
}
