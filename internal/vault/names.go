package vault

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on names and values, named so the checks and the messages agree.
const (
	MaxNameLen   = 64       // secret names: lowercase letters, digits, hyphens
	MaxEnvLen    = 128      // environment variable names
	MaxValueSize = 64 << 10 // one secret value; Linux caps one env string at 128 KiB
)

// NameRule and EnvRule say what a valid name is, as the fix of an error.
var (
	NameRule = fmt.Sprintf("use lowercase letters, digits and hyphens, starting with a letter, at most %d characters (e.g. api-key)", MaxNameLen)
	EnvRule  = fmt.Sprintf("use upper-case letters, digits and underscores, not starting with a digit, at most %d characters (e.g. API_KEY)", MaxEnvLen)
)

// ValidateName checks a secret name: lowercase ASCII letters, digits and
// hyphens, starting with a letter, at most MaxNameLen bytes. The error does
// not repeat the name: what was checked may be a value typed where the name
// belongs, so the caller says where it came from (a file's loader quotes
// it, with quoteName; the CLI names the argument by its position).
func ValidateName(name string) error {
	ok := name != "" && len(name) <= MaxNameLen && isLower(name[0])
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = isLower(c) || isDigit(c) || c == '-'
	}
	if !ok {
		return &nameError{problem: "not a valid secret name", fix: NameRule}
	}
	return nil
}

// ValidateEnv checks an environment variable name: the POSIX portable form
// [A-Z_][A-Z0-9_]*, upper case only (lower-case names are legal in POSIX
// but are conventionally the shell's own variables), at most MaxEnvLen.
// Like ValidateName's, the error does not repeat the name.
func ValidateEnv(env string) error {
	ok := env != "" && len(env) <= MaxEnvLen && (isUpper(env[0]) || env[0] == '_')
	for i := 0; ok && i < len(env); i++ {
		c := env[i]
		ok = isUpper(c) || isDigit(c) || c == '_'
	}
	if !ok {
		return &nameError{problem: "not a valid environment variable name", fix: EnvRule}
	}
	return nil
}

// nameError is a rejected name: what is wrong and what to use instead, kept
// apart so a file error can put the two in its own problem and fix slots.
type nameError struct{ problem, fix string }

func (e *nameError) Error() string { return e.problem + ": " + e.fix }

// EnvFor is the default environment variable for a valid secret name:
// upper-cased, hyphens to underscores (api-key → API_KEY).
func EnvFor(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// validateValue checks what a TOML string and an environment variable can
// carry. The message names neither the value nor the secret (whose name
// may have been typed by mistake; the caller knows which one it is).
func validateValue(value []byte) error {
	switch {
	case len(value) > MaxValueSize:
		return fmt.Errorf("the value is %d bytes: at most %d bytes fit in an environment variable", len(value), MaxValueSize)
	case !utf8.Valid(value):
		return errors.New("the value is not valid UTF-8: store binary secrets base64-encoded")
	case bytes.IndexByte(value, 0) >= 0:
		return errors.New("the value contains a NUL byte, which no environment variable can hold: store it base64-encoded")
	}
	return nil
}

// quoteName quotes a user-supplied name for a message, cut short so a
// pasted blob cannot flood the terminal.
func quoteName(s string) string {
	const max = MaxEnvLen + 8
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
