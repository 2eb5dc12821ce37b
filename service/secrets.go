package service

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// The secrets session cache: decrypted values the CLI pushed after a human
// unlocked the identity, kept in memory only, so the next `secrets run`
// needs no prompt. The daemon never reads a vault or an identity itself.
// Entries expire after an idle TTL (reset on each use) and a hard maximum,
// the gpg-agent model; they are wiped on lock, on expiry and on exit.

// Cache limits: a vault id is a hex SHA-256; bounds keep one client from
// filling the daemon's memory.
const (
	maxCachedVaults  = 64
	maxCachedSecrets = 256
)

// maxCachedName bounds a cached secret's name (its env var name).
const maxCachedName = 128

// isVaultID reports whether id is a vault id: 64 lowercase hex digits
// (`^[0-9a-f]{64}$`). Byte checks, not regexps: a compiled bounded
// repetition costs every process that links this package at start-up.
func isVaultID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isCachedName reports whether name can key a secret in the cache: an env
// var name of at most maxCachedName bytes (`^[A-Za-z_][A-Za-z0-9_]{0,127}$`).
func isCachedName(name string) bool {
	if len(name) == 0 || len(name) > maxCachedName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

type cacheEntry struct {
	secrets  map[string][]byte
	created  time.Time
	lastUsed time.Time
	idleTTL  time.Duration
	timer    *time.Timer // wipes the entry when it expires, with no request needed
}

// SecretsCache holds unlocked vaults' values by vault id.
type SecretsCache struct {
	idleTTL, maxTTL time.Duration
	now             func() time.Time

	mu      sync.Mutex
	entries map[string]*cacheEntry
}

// NewSecretsCache returns a cache with the given default idle TTL and hard
// maximum lifetime.
func NewSecretsCache(idleTTL, maxTTL time.Duration) *SecretsCache {
	if idleTTL <= 0 {
		idleTTL = 10 * time.Minute
	}
	if maxTTL <= 0 {
		maxTTL = 2 * time.Hour
	}
	if idleTTL > maxTTL {
		idleTTL = maxTTL
	}
	return &SecretsCache{idleTTL: idleTTL, maxTTL: maxTTL, now: time.Now, entries: map[string]*cacheEntry{}}
}

// Register adds the /secrets routes (unix sockets only), keeps the daemon
// from idling out while an entry is live, and wipes everything on exit.
func (c *SecretsCache) Register(s *Server) {
	s.Handle(Route{Method: http.MethodGet, Path: "/secrets/cache", LocalOnly: true, Handler: c.get})
	s.Handle(Route{Method: http.MethodPost, Path: "/secrets/cache", LocalOnly: true, Handler: c.put})
	s.Handle(Route{Method: http.MethodPost, Path: "/secrets/lock", LocalOnly: true, Handler: c.lock})
	s.BlockIdleExit(c.Live)
	s.OnShutdown(c.Wipe)
}

func (c *SecretsCache) get(ctx context.Context, r *Request) (any, error) {
	id := r.URL.Query().Get("vault")
	if !isVaultID(id) {
		return nil, Errorf(http.StatusBadRequest, "vault: want a 64-character lowercase hex id")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked()
	e, ok := c.entries[id]
	if !ok {
		return nil, Errorf(http.StatusNotFound, "vault not cached: unlock needed")
	}
	// peek=1 answers whether the vault is cached and until when, without
	// the values and without counting as use (for `patina secrets` status).
	if r.URL.Query().Get("peek") == "1" {
		idle, hard := c.expiry(e)
		return map[string]any{"cached": true, "count": len(e.secrets),
			"idle_expires_in_s": idle, "expires_in_s": hard}, nil
	}
	e.lastUsed = c.now()
	out := make(map[string]string, len(e.secrets))
	for k, v := range e.secrets {
		out[k] = string(v)
	}
	return map[string]any{"secrets": out}, nil
}

type cachePut struct {
	Vault   string            `json:"vault"`
	Secrets map[string]string `json:"secrets"`
	TTLSecs *int64            `json:"ttl_secs,omitempty"`
}

func (c *SecretsCache) put(ctx context.Context, r *Request) (any, error) {
	var in cachePut
	if err := r.DecodeJSON(&in); err != nil {
		return nil, err
	}
	if !isVaultID(in.Vault) {
		return nil, Errorf(http.StatusBadRequest, "vault: want a 64-character lowercase hex id")
	}
	if len(in.Secrets) > maxCachedSecrets {
		return nil, Errorf(http.StatusBadRequest, "secrets: at most %d per vault", maxCachedSecrets)
	}
	for name := range in.Secrets {
		if !isCachedName(name) {
			// Names are not secret, but echoing input back is never needed.
			return nil, Errorf(http.StatusBadRequest, "secrets: a name is not a valid environment variable name")
		}
	}
	ttl := c.idleTTL
	if in.TTLSecs != nil {
		if *in.TTLSecs <= 0 {
			return nil, Errorf(http.StatusBadRequest, "ttl_secs must be positive")
		}
		if *in.TTLSecs < int64(c.maxTTL/time.Second) {
			ttl = time.Duration(*in.TTLSecs) * time.Second
		} else {
			ttl = c.maxTTL
		}
	}
	e := &cacheEntry{secrets: make(map[string][]byte, len(in.Secrets)), idleTTL: ttl}
	for k, v := range in.Secrets {
		e.secrets[k] = []byte(v)
	}
	e.created = c.now()
	e.lastUsed = e.created

	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked()
	if old, ok := c.entries[in.Vault]; ok {
		wipe(old)
	} else if len(c.entries) >= maxCachedVaults {
		return nil, Errorf(http.StatusServiceUnavailable, "secrets cache full (%d vaults): run `patina secrets lock`", maxCachedVaults)
	}
	c.entries[in.Vault] = e
	e.timer = time.AfterFunc(ttl, func() { c.expire(in.Vault, e) })
	return map[string]string{"status": "cached"}, nil
}

func (c *SecretsCache) lock(ctx context.Context, r *Request) (any, error) {
	c.Wipe()
	return map[string]string{"status": "locked"}, nil
}

// Live reports whether any entry is still valid; expired ones are wiped.
func (c *SecretsCache) Live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked()
	return len(c.entries) > 0
}

// Wipe zeroes and drops every entry.
func (c *SecretsCache) Wipe() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		wipe(e)
		delete(c.entries, id)
	}
}

// expiry is the whole seconds (rounded up) until e is wiped: idle if
// nobody uses it meanwhile, hard at the latest, whatever the use.
func (c *SecretsCache) expiry(e *cacheEntry) (idle, hard int64) {
	now := c.now()
	hardLeft := e.created.Add(c.maxTTL).Sub(now)
	idleLeft := min(e.lastUsed.Add(e.idleTTL).Sub(now), hardLeft)
	secs := func(d time.Duration) int64 { return int64((max(d, 0) + time.Second - 1) / time.Second) }
	return secs(idleLeft), secs(hardLeft)
}

// sweepLocked wipes entries past their idle TTL or the hard maximum.
func (c *SecretsCache) sweepLocked() {
	now := c.now()
	for id, e := range c.entries {
		if now.Sub(e.lastUsed) >= e.idleTTL || now.Sub(e.created) >= c.maxTTL {
			wipe(e)
			delete(c.entries, id)
		}
	}
}

// expire runs from e's timer: it wipes e if it is due, else re-arms for the
// next possible expiry (use since the timer was set pushed it back).
func (c *SecretsCache) expire(id string, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[id] != e {
		return // replaced or locked meanwhile
	}
	due := e.lastUsed.Add(e.idleTTL)
	if hard := e.created.Add(c.maxTTL); hard.Before(due) {
		due = hard
	}
	if wait := due.Sub(c.now()); wait > 0 {
		e.timer.Reset(wait)
		return
	}
	wipe(e)
	delete(c.entries, id)
}

// wipe zeroes the values' bytes. Copies made for JSON on the way in and out
// are beyond reach; this bounds how long the cache's own copy lives.
func wipe(e *cacheEntry) {
	if e.timer != nil {
		e.timer.Stop()
	}
	for k, v := range e.secrets {
		clear(v)
		delete(e.secrets, k)
	}
}
