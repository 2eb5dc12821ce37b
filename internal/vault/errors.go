package vault

import (
	"errors"
	"strconv"
	"strings"
)

// Kinds of file an Error can be about; the first word of its message.
const (
	KindVault      = "vault"
	KindRegistry   = "registry"
	KindRecipients = "recipients"
)

// ErrWrongIdentity means none of the identities given to Load is a recipient
// of the vault. Callers branch on it with errors.Is.
var ErrWrongIdentity = errors.New("not encrypted to your identity")

// Error is what every function in this package returns about a file: one
// line naming the file, what is wrong, and how to fix it, e.g.
//
//	vault /x/.patina/vault.age: not an age file (truncated armor?): restore it from backup or remove it and re-add secrets
//
// Problem and Fix are exported so a CLI can print them as separate "error:"
// and "hint:" lines. None of the fields ever holds a secret value or an
// identity: messages are built here from fixed text, names and line numbers,
// never from file content or from a parser's message about secret content.
type Error struct {
	Kind    string // KindVault, KindRegistry or KindRecipients
	Path    string // the file
	Problem string // what is wrong, lower-case, no trailing period
	Fix     string // what the user should do about it
	Err     error  // wrapped cause for errors.Is (fs.ErrNotExist, ErrWrongIdentity…), may be nil
}

func (e *Error) Error() string {
	msg := e.Kind + " " + displayPath(e.Path) + ": " + e.Problem
	if e.Fix != "" {
		msg += ": " + e.Fix
	}
	return oneLine(msg)
}

func (e *Error) Unwrap() error { return e.Err }

func fileErr(kind, path string, cause error, problem, fix string) *Error {
	return &Error{Kind: kind, Path: path, Problem: problem, Fix: fix, Err: cause}
}

// displayPath quotes a path only when it holds characters that would break
// the one-line promise or hide in a terminal.
func displayPath(p string) string {
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return strconv.Quote(p)
		}
	}
	return p
}

// oneLine makes sure a message stays on one line whatever a wrapped
// library message contained.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}
