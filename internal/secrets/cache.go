package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/vault"
)

// The daemon caches the merged environment of `secrets run` (variable →
// value), not the vaults themselves: its keys must be environment variable
// names, and the merge depends on both registries as well as both vaults.
// So the cache id covers all four files:
//
//	sha256("patina secrets cache v1\n" +
//	       "global vault "     + vault.FileID(global vault)     + "\n" +
//	       "global registry "  + sha256(global secrets.toml)    + "\n" +
//	       "project vault "    + vault.FileID(project vault)    + "\n" +
//	       "project registry " + sha256(project secrets.toml)   + "\n")
//
// with "-" for a file that does not exist. vault.FileID hashes the vault's
// canonical path with its content, so editing any of the files gives a new
// id (a stale entry is never served) and two projects never share an
// entry. Computing the id reads the files but decrypts nothing, so a cache
// hit needs no identity at all.

// maxRegistryHash bounds what CacheID reads of a registry; vault.LoadRegistry
// refuses far smaller files anyway.
const maxRegistryHash = 16 << 20

// ErrNoVaults means no vault exists in any of the places: nothing to run with.
var ErrNoVaults = errors.New("no vault")

// CacheID computes the daemon cache id of the places' merged environment.
// It fails with ErrNoVaults when neither vault exists.
func CacheID(p Places) (string, error) {
	var g, gr, pv, pr string = "-", "-", "-", "-"
	var err error
	if g, err = vaultID(p.Global.Vault); err != nil {
		return "", err
	}
	if gr, err = fileHash(p.Global.Registry); err != nil {
		return "", err
	}
	if p.Project != nil {
		if pv, err = vaultID(p.Project.Vault); err != nil {
			return "", err
		}
		if pr, err = fileHash(p.Project.Registry); err != nil {
			return "", err
		}
	}
	if g == "-" && pv == "-" {
		return "", ErrNoVaults
	}
	return combineID(g, gr, pv, pr), nil
}

func combineID(gvault, greg, pvault, preg string) string {
	h := sha256.New()
	fmt.Fprintf(h, "patina secrets cache v1\nglobal vault %s\nglobal registry %s\nproject vault %s\nproject registry %s\n",
		gvault, greg, pvault, preg)
	return hex.EncodeToString(h.Sum(nil))
}

func vaultID(path string) (string, error) {
	if !exists(path) {
		return "-", nil
	}
	return vault.FileID(path)
}

// fileHash is the hex SHA-256 of a registry file, "-" when it is missing.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		if !exists(path) {
			return "-", nil
		}
		// LoadRegistry turns this into a proper one-line error.
		_, lerr := vault.LoadRegistry(path)
		if lerr == nil {
			lerr = err
		}
		return "", lerr
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxRegistryHash)); err != nil {
		_, lerr := vault.LoadRegistry(path)
		if lerr == nil {
			lerr = err
		}
		return "", lerr
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ErrNotCached is the daemon's 404: nothing unlocked under this id (never
// unlocked, expired, locked, or the files changed since).
var ErrNotCached = errors.New("not cached")

// cacheTimeout bounds each request to the daemon, socket activation
// included: the cache is a convenience, never a reason to hang.
const cacheTimeout = 10 * time.Second

// Cache is the daemon's session cache, reached over the local unix socket
// only: never over TCP or ssh, even when --mother or $PATINA_MOTHER points
// elsewhere. The daemon refuses /secrets/* over TCP, but by then the values
// would already have crossed the network in the request body.
type Cache struct {
	c *client.Client
}

// LocalCache returns the cache of the daemon on the local socket
// ($PATINA_SOCKET or the default).
func LocalCache() (*Cache, error) {
	sock, err := paths.Socket()
	if err != nil {
		return nil, err
	}
	return &Cache{c: client.Local(sock)}, nil
}

// Socket is the path the cache is reached at, for messages.
func (c *Cache) Socket() string { return c.c.Target }

// isEnvName reports whether k is an environment variable name,
// `^[A-Za-z_][A-Za-z0-9_]*$` checked byte by byte: no regexp compiled at
// init in every command.
func isEnvName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Get returns the cached environment for id. A miss is ErrNotCached; no
// daemon is an error wrapping client.ErrUnreachable.
func (c *Cache) Get(ctx context.Context, id string) (vault.Env, error) {
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	var out struct {
		Secrets map[string]string `json:"secrets"`
	}
	err := c.c.Get(ctx, "/secrets/cache?vault="+url.QueryEscape(id), &out)
	if err := cacheErr(err); err != nil {
		return nil, err
	}
	env := make(vault.Env, len(out.Secrets))
	for k, v := range out.Secrets {
		if !isEnvName(k) {
			env.Wipe()
			return nil, fmt.Errorf("mother at %s answered a malformed cache entry", c.c.Target)
		}
		env[k] = []byte(v)
	}
	return env, nil
}

// Peeked is what a peek at one cache entry says.
type Peeked struct {
	Cached bool
	Count  int // variables
	// IdleLeft is how long until the entry goes if nobody uses it, MaxLeft
	// how long at most, whatever the use; zero from a daemon too old to say.
	IdleLeft, MaxLeft time.Duration
}

// Peek reports whether id is cached, how many variables it holds and when
// it expires, without the values and without counting as use.
func (c *Cache) Peek(ctx context.Context, id string) (Peeked, error) {
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	var out struct {
		Cached   bool  `json:"cached"`
		Count    int   `json:"count"`
		IdleSecs int64 `json:"idle_expires_in_s"`
		MaxSecs  int64 `json:"expires_in_s"`
	}
	err := cacheErr(c.c.Get(ctx, "/secrets/cache?peek=1&vault="+url.QueryEscape(id), &out))
	if errors.Is(err, ErrNotCached) {
		return Peeked{}, nil
	}
	if err != nil {
		return Peeked{}, err
	}
	return Peeked{Cached: out.Cached, Count: out.Count,
		IdleLeft: time.Duration(out.IdleSecs) * time.Second, MaxLeft: time.Duration(out.MaxSecs) * time.Second}, nil
}

// Put caches env under id for the daemon's default idle TTL.
func (c *Cache) Put(ctx context.Context, id string, env vault.Env) error {
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	in := struct {
		Vault   string            `json:"vault"`
		Secrets map[string]string `json:"secrets"`
	}{Vault: id, Secrets: make(map[string]string, len(env))}
	for k, v := range env {
		// JSON needs strings: copies only the garbage collector reclaims.
		in.Secrets[k] = string(v)
	}
	return cacheErr(c.c.Post(ctx, "/secrets/cache", in, nil))
}

// Lock clears every entry of the daemon's cache.
func (c *Cache) Lock(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	return cacheErr(c.c.Post(ctx, "/secrets/lock", nil, nil))
}

func cacheErr(err error) error {
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return fmt.Errorf("%w: %s", ErrNotCached, ae.Msg)
	}
	return err
}

// Unreachable reports whether err means no daemon answered.
func Unreachable(err error) bool { return errors.Is(err, client.ErrUnreachable) }
