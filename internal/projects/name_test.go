package projects

import (
	"regexp"
	"strings"
	"testing"
)

// oldNameRE is the regexp isName replaced: they must accept and reject
// exactly the same inputs.
var oldNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// nameInputs is every string of up to two bytes over an alphabet that
// straddles each class boundary, the lengths around the limit, and bytes a
// regexp reads as runes (UTF-8, invalid UTF-8, a trailing newline).
func nameInputs() []string {
	alphabet := []string{"", "0", "9", "a", "z", "A", "Z", "_", "-", ".", "/", " ", "\n", "\x00", ",", "`", "{", "\x7f", "\x80", "\xff", "é", "\u212a"}
	var in []string
	for _, a := range alphabet {
		for _, b := range alphabet {
			in = append(in, a+b)
		}
	}
	for _, n := range []int{1, 2, 62, 63, 64, 65, 100} {
		for _, unit := range []string{"a", "0", "z", "-", ".", "_", "A"} {
			s := strings.Repeat(unit, n)
			in = append(in, s, "a"+s, "-"+s, s+"\n", s+"A", s[:n-1]+"é")
		}
	}
	return in
}

func TestIsNameMatchesRegexp(t *testing.T) {
	for _, s := range nameInputs() {
		if got, want := isName(s), oldNameRE.MatchString(s); got != want {
			t.Errorf("isName(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func FuzzIsName(f *testing.F) {
	for _, s := range nameInputs() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isName(s), oldNameRE.MatchString(s); got != want {
			t.Errorf("isName(%q) = %v, regexp says %v", s, got, want)
		}
	})
}
