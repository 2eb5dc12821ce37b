// Package client is the one HTTP client for the mother daemon, used by the
// CLI and the MCP server. It speaks HTTP/1.1 over the local unix socket
// (which socket activation starts on demand), over TCP with the bearer
// token, or over `ssh HOST patina mother dial-stdio`.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/peercred"
)

// ErrUnreachable means nothing answered: no daemon, or the transport
// failed before a response. Callers fall back to working in-process.
var ErrUnreachable = errors.New("mother is not answering")

// APIError is a non-2xx answer from the daemon.
type APIError struct {
	Status int
	Msg    string
}

func (e *APIError) Error() string { return fmt.Sprintf("mother: %s (HTTP %d)", e.Msg, e.Status) }

// maxResponse bounds what the client reads from a daemon (a remote one
// included) so a broken peer cannot exhaust memory.
const maxResponse = 64 << 20

// fakeHost is the Host sent over unix sockets and ssh, where no host exists.
const fakeHost = "patina"

// Client talks to one daemon.
type Client struct {
	hc     *http.Client
	base   string
	token  []byte
	Target string // what we are talking to, for messages

	mu            sync.Mutex
	daemonVersion string
	serverUID     int  // who serves the local socket,
	serverKnown   bool // once it was dialled
}

// Local returns a client for the unix socket at path. Before anything is
// sent, the process serving the socket must be ours (or root's): a socket
// someone else planted at a shared $PATINA_SOCKET never sees a query, let
// alone a secret. Such a socket counts as unreachable. Another user's
// socket, or a daemon that refuses us, is a *ForeignError saying whose.
func Local(path string) *Client {
	c := &Client{base: "http://" + fakeHost, Target: path}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			uc, uid, err := dialLocal(ctx, path)
			if err == nil {
				c.mu.Lock()
				c.serverUID, c.serverKnown = uid, true
				c.mu.Unlock()
			}
			return uc, err
		},
		MaxIdleConns:    2,
		IdleConnTimeout: 30 * time.Second,
	}
	c.hc = &http.Client{Transport: tr}
	return c
}

// DialLocal connects to the unix socket at path and checks that its server
// is ours (see Local).
func DialLocal(ctx context.Context, path string) (*net.UnixConn, error) {
	uc, _, err := dialLocal(ctx, path)
	return uc, err
}

// dialLocal is DialLocal, also returning the server's uid.
func dialLocal(ctx context.Context, path string) (*net.UnixConn, int, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if fe := foreignOwner(path, err); fe != nil {
			return nil, -1, fe
		}
		return nil, -1, err
	}
	uc := c.(*net.UnixConn)
	uid, _, err := peercred.Of(uc)
	switch {
	case err != nil:
		uc.Close()
		return nil, -1, fmt.Errorf("%w: cannot tell who serves %s: %v", ErrUnreachable, path, err)
	case !peercred.Trusted(uid):
		uc.Close()
		return nil, -1, &ForeignError{Socket: path, UID: uid}
	}
	return uc, uid, nil
}

// TCP returns a client for a daemon's TCP listener at addr (HOST:PORT)
// that presents tok.
func TCP(addr string, tok []byte) *Client {
	tr := &http.Transport{
		DialContext:     (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		Proxy:           nil, // never send the token through a proxy
		MaxIdleConns:    2,
		IdleConnTimeout: 30 * time.Second,
	}
	return &Client{hc: &http.Client{Transport: tr}, base: "http://" + addr, token: tok, Target: "tcp://" + addr}
}

// DaemonVersion is the Patina-Version the daemon last answered with.
func (c *Client) DaemonVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.daemonVersion
}

// servedBy is the uid serving the local socket, once it was dialled.
func (c *Client) servedBy() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverUID, c.serverKnown
}

// VersionSkew reports whether the daemon runs another version than us.
func (c *Client) VersionSkew() bool {
	v := c.DaemonVersion()
	return v != "" && v != buildinfo.Version
}

// Get calls GET path and decodes the JSON answer into out.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.Do(ctx, http.MethodGet, path, nil, out)
}

// Post calls POST path with in as JSON and decodes the answer into out.
func (c *Client) Post(ctx context.Context, path string, in, out any) error {
	return c.Do(ctx, http.MethodPost, path, in, out)
}

// Do sends one request. Transport failures wrap ErrUnreachable; non-2xx
// answers are *APIError.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Patina-Version", buildinfo.Version)
	if len(c.token) > 0 {
		req.Header.Set("Authorization", "Bearer "+string(c.token))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var fe *ForeignError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &fe):
			return fe // it names the socket itself
		}
		return fmt.Errorf("%w at %s: %v", ErrUnreachable, c.Target, trimURL(err))
	}
	defer resp.Body.Close()
	if v := resp.Header.Get("Patina-Version"); v != "" {
		c.mu.Lock()
		c.daemonVersion = v
		c.mu.Unlock()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%w at %s: reading the answer: %v", ErrUnreachable, c.Target, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(http.StatusText(resp.StatusCode))
		}
		api := &APIError{Status: resp.StatusCode, Msg: e.Error}
		if uid, ok := c.servedBy(); ok && uid != os.Getuid() && resp.StatusCode == http.StatusForbidden {
			// A daemon serves its own user only (root's too): say whose.
			return &ForeignError{Socket: c.Target, UID: uid, Err: api}
		}
		return api
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("mother at %s answered malformed JSON: %v", c.Target, err)
	}
	return nil
}

// trimURL drops the fake URL from net/http errors, which only confuses.
func trimURL(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.Contains(err.Error(), "http://"+fakeHost) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// Health is GET /health.
type Health struct {
	Status     string `json:"status"`
	Version    string `json:"version"`
	UptimeSecs int64  `json:"uptime_secs"`
	Activation string `json:"activation"`
	PID        int    `json:"pid"`
}

// Health asks the daemon how it is.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.Get(ctx, "/health", &h)
	return h, err
}
