package client

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/token"
)

// EnvMother sets the default --mother URL; EnvToken the TCP token.
const (
	EnvMother = "PATINA_MOTHER"
	EnvToken  = "PATINA_MOTHER_TOKEN"
)

// ErrEmptyTarget means no --mother URL was given: use the local socket.
var ErrEmptyTarget = errors.New("no mother URL")

// Open returns a client for a --mother URL: unix:///PATH, tcp://HOST:PORT
// or ssh://[USER@]HOST. An empty url means $PATINA_MOTHER, then the local
// socket. The token for tcp:// comes from $PATINA_MOTHER_TOKEN or the
// token file, never from the command line.
func Open(url string) (*Client, error) {
	if url == "" {
		url = os.Getenv(EnvMother)
	}
	if url == "" {
		sock, err := paths.Socket()
		if err != nil {
			return nil, err
		}
		return Local(sock), nil
	}
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return nil, fmt.Errorf("mother URL %q: want unix:///PATH, tcp://HOST:PORT or ssh://[USER@]HOST", url)
	}
	switch scheme {
	case "unix":
		if !strings.HasPrefix(rest, "/") {
			return nil, fmt.Errorf("mother URL %q: unix:// needs an absolute path", url)
		}
		return Local(rest), nil
	case "tcp":
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return nil, fmt.Errorf("mother URL %q: want tcp://HOST:PORT", url)
		}
		tok, err := tcpToken()
		if err != nil {
			return nil, err
		}
		return TCP(rest, tok), nil
	case "ssh":
		return SSH(strings.TrimSuffix(rest, "/"))
	default:
		return nil, fmt.Errorf("mother URL %q: unknown scheme %q (unix, tcp, ssh)", url, scheme)
	}
}

// IsLocal reports whether url (after $PATINA_MOTHER) means the local socket,
// where an unreachable daemon may be replaced by in-process work.
func IsLocal(url string) bool {
	if url == "" {
		url = os.Getenv(EnvMother)
	}
	return url == "" || strings.HasPrefix(url, "unix://")
}

func tcpToken() ([]byte, error) {
	if t := os.Getenv(EnvToken); t != "" {
		return []byte(strings.TrimSpace(t)), nil
	}
	path, err := paths.Token()
	if err != nil {
		return nil, err
	}
	tok, err := token.Read(path)
	if err != nil {
		return nil, fmt.Errorf("no token for tcp://: set %s or copy the daemon's token file to %s (%v)", EnvToken, path, err)
	}
	return tok, nil
}
