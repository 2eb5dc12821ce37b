package sshdest

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// good are destinations ssh users write; evil are what a hostile argument
// or URL could slip into a ProxyCommand's %h, or past ssh's option parser.
var (
	good = []string{
		"host", "build-box", "dev@build-box", "first.last@host.example.com", "host_1",
		"10.0.0.1", "[::1]", "[fe80::1%eth0]", "git@github.com", "HOST.EXAMPLE",
		"a", strings.Repeat("a", MaxLen),
	}
	evil = []string{
		"", "-", "-oProxyCommand=x", "-oProxyCommand=touch${IFS}pwned",
		"a b", "a\tb", "a\nb", "a\rb", "a\x00b",
		"`id`", "$(id)", "${HOME}", "$HOME", "a;id", "a|id", "a&id", "a>f", "a<f",
		"a'b", `a"b`, "(x)", "{a,b}", `a\b`, "!x", "a*", "a?", "~x", "a/b", "a,b",
		"a=b", "a#b", "é.example", "host\u200b", strings.Repeat("a", MaxLen+1),
	}
)

func TestValid(t *testing.T) {
	for _, d := range good {
		if err := Valid(d); err != nil {
			t.Errorf("Valid(%q) = %v", d, err)
		}
	}
	for _, d := range evil {
		err := Valid(d)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Valid(%q) accepted (%v)", d, err)
			continue
		}
		if len(d) > 2 && strings.Contains(err.Error(), d) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Valid(%q): the error repeats the input or spans lines: %v", d, err)
		}
	}
}

// oldAllowed is the regexp allowed replaced: on any non-empty string they
// must agree.
var oldAllowed = regexp.MustCompile(`^[A-Za-z0-9._@:\[\]%-]+$`)

func TestAllowedMatchesRegexp(t *testing.T) {
	var in []string
	for c := 0; c < 256; c++ {
		in = append(in, string(rune(c)), string([]byte{byte(c)}), "a"+string([]byte{byte(c)}), string([]byte{byte(c)})+"a")
	}
	in = append(in, good...)
	in = append(in, evil...)
	for _, s := range in {
		if s == "" {
			continue
		}
		if got, want := allowed(s), oldAllowed.MatchString(s); got != want {
			t.Errorf("allowed(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func FuzzAllowed(f *testing.F) {
	for _, s := range append(append([]string{}, good...), evil...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		if got, want := allowed(s), oldAllowed.MatchString(s); got != want {
			t.Errorf("allowed(%q) = %v, regexp says %v", s, got, want)
		}
	})
}
