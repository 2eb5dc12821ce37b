package service

import (
	"regexp"
	"strings"
	"testing"
)

// The regexps isVaultID and isCachedName replaced: they must accept and
// reject exactly the same inputs.
var (
	oldVaultIDRe = regexp.MustCompile(`^[0-9a-f]{64}$`)
	oldEnvNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

// nameInputs is every string of up to two bytes over an alphabet that
// straddles each class boundary, the lengths around each limit, and bytes a
// regexp reads as runes (UTF-8, invalid UTF-8, a trailing newline).
func nameInputs() []string {
	alphabet := []string{"", "0", "9", "a", "f", "g", "z", "A", "F", "Z", "_", "-", ".", " ", "\n", "\x00", "/", ":", "@", "`", "{", "[", "\x7f", "\x80", "\xff", "é", "\u212a"}
	var in []string
	for _, a := range alphabet {
		for _, b := range alphabet {
			in = append(in, a+b)
		}
	}
	for _, n := range []int{1, 2, 63, 64, 65, 127, 128, 129, 200} {
		for _, unit := range []string{"a", "0", "f", "A", "_", "g"} {
			s := strings.Repeat(unit, n)
			in = append(in, s, "a"+s, "_"+s, "0"+s, s+"\n", s+"-", s[:n-1]+"é")
		}
	}
	return in
}

func TestIsVaultIDMatchesRegexp(t *testing.T) {
	for _, s := range nameInputs() {
		if got, want := isVaultID(s), oldVaultIDRe.MatchString(s); got != want {
			t.Errorf("isVaultID(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func TestIsCachedNameMatchesRegexp(t *testing.T) {
	for _, s := range nameInputs() {
		if got, want := isCachedName(s), oldEnvNameRe.MatchString(s); got != want {
			t.Errorf("isCachedName(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func FuzzIsVaultID(f *testing.F) {
	for _, s := range nameInputs() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isVaultID(s), oldVaultIDRe.MatchString(s); got != want {
			t.Errorf("isVaultID(%q) = %v, regexp says %v", s, got, want)
		}
	})
}

func FuzzIsCachedName(f *testing.F) {
	for _, s := range nameInputs() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isCachedName(s), oldEnvNameRe.MatchString(s); got != want {
			t.Errorf("isCachedName(%q) = %v, regexp says %v", s, got, want)
		}
	})
}
