// Package shellquote writes POSIX shell text that reproduces exact strings.
//
// It exists for `patina secrets run --ssh HOST -- CMD…`, which pipes a
// script into `ssh HOST bash -s` so secret values travel on stdin and never
// appear in any process's argv:
//
//	script, err := shellquote.Script(env.Pairs(), []string{"deploy", "--prod"})
//	// export API_KEY='sk-…'
//	// exec 'deploy' '--prod'
//
// Everything is single-quoted, the only quoting in which the shell
// interprets nothing ($, `, \, !, newlines are all literal). A single quote
// inside a value closes the quoted run, adds an escaped quote, and reopens:
//
//	it's  →  'it'\''s'
//
// The output is plain POSIX sh, so it runs the same under bash, dash or zsh.
package shellquote

import (
	"errors"
	"fmt"
	"strings"
)

// Quote returns s as one POSIX shell word that expands to exactly s.
// s must not contain NUL, which no shell string can hold; Script checks
// that, Quote does not.
func Quote(s string) string {
	b := make([]byte, 0, quotedLen(s))
	return string(appendQuoted(b, s))
}

// Script returns `export NAME='value'` lines for env, in order, then
// `exec 'argv0' 'argv1'…`, so the shell replaces itself with the command.
// Because bash reads a script on stdin one line at a time, whatever follows
// the script on the same stdin becomes the command's stdin.
//
// It refuses what a shell cannot carry or would misread: names that are not
// shell variable names ([A-Za-z_][A-Za-z0-9_]*), NUL bytes in values or
// arguments, an empty argv, and a command starting with "-" (exec would
// take it for an option). Errors name the variable or argument position,
// never a value.
//
// The script holds the values in clear: it is returned as a byte slice,
// sized up front so no stale copy is left behind, for the caller to write
// to the pipe and then wipe.
func Script(env [][2]string, argv []string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("shellquote: no command to run")
	}
	if argv[0] == "" || strings.HasPrefix(argv[0], "-") {
		return nil, errors.New("shellquote: the command must not be empty or start with \"-\"")
	}
	size := 0
	for _, kv := range env {
		if !validName(kv[0]) {
			return nil, fmt.Errorf("shellquote: %q is not a shell variable name", kv[0])
		}
		if strings.IndexByte(kv[1], 0) >= 0 {
			return nil, fmt.Errorf("shellquote: the value of %s contains a NUL byte, which a shell cannot hold", kv[0])
		}
		size += len("export ") + len(kv[0]) + 1 + quotedLen(kv[1]) + 1
	}
	size += len("exec") + 1
	for i, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, fmt.Errorf("shellquote: argument %d contains a NUL byte, which a shell cannot hold", i)
		}
		size += 1 + quotedLen(a)
	}
	b := make([]byte, 0, size)
	for _, kv := range env {
		b = append(b, "export "...)
		b = append(b, kv[0]...)
		b = append(b, '=')
		b = appendQuoted(b, kv[1])
		b = append(b, '\n')
	}
	b = append(b, "exec"...)
	for _, a := range argv {
		b = append(b, ' ')
		b = appendQuoted(b, a)
	}
	b = append(b, '\n')
	return b, nil
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, `'\''`...)
		} else {
			b = append(b, s[i])
		}
	}
	return append(b, '\'')
}

func quotedLen(s string) int {
	return 2 + len(s) + 3*strings.Count(s, "'")
}

// validName is a POSIX shell variable name. Lower case is allowed here
// (the shell accepts it); Patina's own env names are stricter upstream.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
