package secrets

import "strings"

// Error is one line about what went wrong, with a separate fix, like
// vault.Error and identity.Error, so the CLI can print "error:" and "hint:"
// lines. No field ever holds a secret value or an identity.
type Error struct {
	Problem string
	Fix     string
	Err     error // wrapped cause for errors.Is, may be nil
}

func (e *Error) Error() string {
	msg := e.Problem
	if e.Fix != "" {
		msg += ": " + e.Fix
	}
	return strings.Join(strings.Fields(msg), " ")
}

func (e *Error) Unwrap() error { return e.Err }
