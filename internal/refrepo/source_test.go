package refrepo

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		arg, name string
		local     bool
		refused   string // in the error; "" means accepted
	}{
		{"https://github.com/spf13/cobra.git", "cobra", false, ""},
		{"https://github.com/spf13/cobra/", "cobra", false, ""},
		{"ssh://git@example.com:2222/team/Big_Lib.git", "big_lib", false, ""},
		{"git@github.com:spf13/pflag.git", "pflag", false, ""},
		{"git://example.com/x", "x", false, ""},
		{"file:///srv/git/tool.git", "tool", false, ""},
		{dir, "", true, ""},
		{"-uupload-pack=touch /tmp/x", "", false, "starts with '-'"},
		{"--upload-pack=x", "", false, "starts with '-'"},
		{"ext::sh -c touch% /tmp/pwned", "", false, "remote-helper"},
		{"fd::3", "", false, "remote-helper"},
		{"http://example.com/x.git", "", false, "plain http"},
		{"ftp://example.com/x.git", "", false, `transport "ftp"`},
		{"https://", "", false, "names no repository"},
		{"/no/such/dir", "", false, "not a directory, and not a URL"},
		{"relative/missing", "", false, "not a directory, and not a URL"},
		{"", "", false, "empty"},
		{"https://example.com/x\n.git", "", false, "control character"},
	} {
		s, err := ParseSource(c.arg)
		switch {
		case c.refused != "":
			if !errors.Is(err, ErrBadSource) || !strings.Contains(err.Error(), c.refused) {
				t.Errorf("ParseSource(%q): %v, want a refusal with %q", c.arg, err, c.refused)
			}
		case err != nil:
			t.Errorf("ParseSource(%q): %v", c.arg, err)
		case s.Local != c.local || (!c.local && (s.Name != c.name || s.Arg != c.arg)) || (c.local && s.Arg != dir):
			t.Errorf("ParseSource(%q) = %+v, want name %q local %v", c.arg, s, c.name, c.local)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://me:s3cret-token@example.com/x.git": "https://me:xxxxx@example.com/x.git",
		"https://me@example.com/x.git":              "https://me@example.com/x.git",
		"git@github.com:spf13/pflag.git":            "git@github.com:spf13/pflag.git",
		"/home/me/src/lib":                          "/home/me/src/lib",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
