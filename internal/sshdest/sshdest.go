// Package sshdest checks an ssh destination before Patina hands it to ssh
// (`secrets run --ssh HOST`, `--mother ssh://HOST`).
//
// ssh pastes the host name into the user's own config: %h in a
// ProxyCommand or LocalCommand is run by a shell, and Match exec likewise.
// A name holding shell syntax (backticks, $(), ;, |) would run as a
// command there (CVE-2023-51385 and kin), and one starting with '-' would
// be an option. So only the characters of a real destination pass.
package sshdest

import (
	"errors"
	"fmt"
)

// MaxLen is the longest destination accepted (a DNS name is at most 253
// characters, plus room for a user name).
const MaxLen = 255

// allowed reports whether every byte of s may be in [USER@]HOST, where
// HOST is a name, an IPv4 address or a bracketed IPv6 one with a %zone,
// and an optional :PORT (the regexp `^[A-Za-z0-9._@:\[\]%-]+$` for a
// non-empty s, checked byte by byte).
func allowed(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '@', c == ':', c == '[', c == ']', c == '%', c == '-':
		default:
			return false
		}
	}
	return true
}

// ErrInvalid is what Valid's errors wrap.
var ErrInvalid = errors.New("not a plain [USER@]HOST")

// Valid checks dest: 1 to MaxLen characters of letters, digits and
// . _ @ : [ ] % -, not starting with '-'. Its errors never repeat dest.
func Valid(dest string) error {
	switch {
	case dest == "":
		return fmt.Errorf("%w: it is empty", ErrInvalid)
	case len(dest) > MaxLen:
		return fmt.Errorf("%w: it is longer than %d characters", ErrInvalid, MaxLen)
	case dest[0] == '-':
		return fmt.Errorf("%w: it starts with '-', which ssh would read as an option", ErrInvalid)
	case !allowed(dest):
		return fmt.Errorf("%w: only letters, digits and . _ @ : [ ] %% - are allowed", ErrInvalid)
	}
	return nil
}
