package secrets

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/vault"
)

// Status is what `patina secrets` shows: never a value, never the key, and
// nothing that needs unlocking.
type Status struct {
	Identity  IdentityStatus `json:"identity"`
	Recipient string         `json:"recipient,omitempty"` // your public key, when known without unlocking
	Vaults    []VaultStatus  `json:"vaults"`
	InProject bool           `json:"in_project"`
	Cache     CacheStatus    `json:"cache"`
}

// IdentityStatus says where the identity would come from.
type IdentityStatus struct {
	Source  string `json:"source,omitempty"` // env, keychain, file; "" for none
	Path    string `json:"path,omitempty"`   // identity.age, for the file source
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// VaultStatus is one scope's files. Secret names come from the registry:
// listing the vault's own names would need decrypting it.
type VaultStatus struct {
	Scope          string         `json:"scope"`
	Dir            string         `json:"dir"`
	Vault          string         `json:"vault"`
	Exists         bool           `json:"exists"`
	Registry       string         `json:"registry"`
	Recipients     string         `json:"recipients"`
	RecipientCount int            `json:"recipient_count"`
	Secrets        []SecretStatus `json:"secrets"`
}

// SecretStatus is a secret's name and variable.
type SecretStatus struct {
	Name string `json:"name"`
	Env  string `json:"env"`
}

// CacheStatus says whether the daemon holds these vaults unlocked, and
// for how long: IdleExpiresIn if no run uses them meanwhile, ExpiresIn at
// most (omitted when not cached, or from a daemon too old to say).
type CacheStatus struct {
	Socket        string `json:"socket"`
	Reachable     bool   `json:"reachable"`
	Cached        bool   `json:"cached"`
	Count         int    `json:"count,omitempty"` // variables cached
	IdleExpiresIn int64  `json:"idle_expires_in_s,omitempty"`
	ExpiresIn     int64  `json:"expires_in_s,omitempty"`
	Error         string `json:"error,omitempty"`
}

// GetStatus reads the places' files (without decrypting) and asks the
// daemon, if one answers, whether it holds them unlocked (a peek that does
// not count as use). A malformed registry or recipients file is an error.
func GetStatus(ctx context.Context, p Places, cache *Cache) (Status, error) {
	st := Status{InProject: p.Project != nil, Vaults: []VaultStatus{}}
	src, where, err := identity.Locate()
	var ie *identity.Error
	switch {
	case err == nil:
		st.Identity = IdentityStatus{Source: string(src), Path: where}
	case errors.As(err, &ie):
		st.Identity = IdentityStatus{Problem: ie.Problem, Fix: ie.Fix}
	default:
		st.Identity = IdentityStatus{Problem: err.Error()}
	}
	st.Recipient = OwnRecipient(p)
	for _, s := range p.Scopes() {
		vs := VaultStatus{Scope: s.Name, Dir: s.Dir, Vault: s.Vault, Exists: exists(s.Vault),
			Registry: s.Registry, Recipients: s.Recipients, Secrets: []SecretStatus{}}
		rs, err := vault.LoadRecipients(s.Recipients)
		switch {
		case err == nil:
			vs.RecipientCount = len(rs.Keys())
		case !errors.Is(err, fs.ErrNotExist):
			return st, err
		}
		reg, err := vault.LoadRegistryOrNew(s.Registry)
		if err != nil {
			return st, err
		}
		for _, n := range reg.Names() {
			vs.Secrets = append(vs.Secrets, SecretStatus{Name: n, Env: reg.Env(n)})
		}
		st.Vaults = append(st.Vaults, vs)
	}
	if cache == nil {
		return st, nil
	}
	st.Cache.Socket = cache.Socket()
	id, err := CacheID(p)
	if errors.Is(err, ErrNoVaults) {
		// Nothing to cache; still say whether a daemon answers.
		_, perr := cache.Peek(ctx, combineID("-", "-", "-", "-"))
		st.Cache.Reachable = perr == nil
		if perr != nil && !Unreachable(perr) {
			st.Cache.Reachable, st.Cache.Error = true, perr.Error()
		}
		return st, nil
	}
	if err != nil {
		return st, err
	}
	pk, err := cache.Peek(ctx, id)
	switch {
	case err == nil:
		st.Cache.Reachable, st.Cache.Cached, st.Cache.Count = true, pk.Cached, pk.Count
		st.Cache.IdleExpiresIn, st.Cache.ExpiresIn = int64(pk.IdleLeft/time.Second), int64(pk.MaxLeft/time.Second)
	case Unreachable(err):
	default:
		st.Cache.Reachable, st.Cache.Error = true, err.Error()
	}
	return st, nil
}
