package secrets

import (
	"regexp"
	"strings"
	"testing"
)

// oldEnvNameRe is the regexp isEnvName replaced: they must accept and
// reject exactly the same inputs.
var oldEnvNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envNameInputs is every string of up to two bytes over an alphabet that
// straddles each class boundary, long names, and bytes a regexp reads as
// runes (UTF-8, invalid UTF-8, a trailing newline).
func envNameInputs() []string {
	alphabet := []string{"", "0", "9", "a", "z", "A", "Z", "_", "-", ".", "=", " ", "\n", "\x00", "/", "@", "`", "{", "[", "\x7f", "\x80", "\xff", "é", "\u212a"}
	var in []string
	for _, a := range alphabet {
		for _, b := range alphabet {
			in = append(in, a+b)
		}
	}
	for _, n := range []int{1, 64, 128, 129, 1000} {
		for _, unit := range []string{"a", "0", "Z", "_"} {
			s := strings.Repeat(unit, n)
			in = append(in, s, "a"+s, "0"+s, s+"\n", s+"-", s+"é")
		}
	}
	return in
}

func TestIsEnvNameMatchesRegexp(t *testing.T) {
	for _, s := range envNameInputs() {
		if got, want := isEnvName(s), oldEnvNameRe.MatchString(s); got != want {
			t.Errorf("isEnvName(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func FuzzIsEnvName(f *testing.F) {
	for _, s := range envNameInputs() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isEnvName(s), oldEnvNameRe.MatchString(s); got != want {
			t.Errorf("isEnvName(%q) = %v, regexp says %v", s, got, want)
		}
	})
}
