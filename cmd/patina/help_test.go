package main

import (
	"strings"
	"testing"
)

// --version, help VERB, the short flags, "did you mean" (never under
// secrets) and how a secrets verb names an unknown flag.
func TestCLIConventions(t *testing.T) {
	t.Parallel()
	version := runPatina(t, nil, "version").stdout
	cases := []struct {
		args   []string
		code   int
		want   []string // each in stdout (code 0) or stderr
		absent []string // none of these in stdout or stderr
	}{
		{[]string{"--version"}, 0, []string{version}, nil},
		{[]string{"--help"}, 0, []string{"'patina --version' prints the version", "help COMMAND"}, nil},

		// The short flags: each is its long flag.
		{[]string{"scry", "--help"}, 0, []string{"-n, --limit N", "-p, --project NAME", "-a, --all-projects", "-m, --mode string", "-j, --json"}, nil},
		{[]string{"scry", "-n", "0", "quasar"}, 2, []string{"--limit must be at least 1 (got 0)"}, nil},
		{[]string{"scry", "-p", "fx", "-a", "quasar"}, 2, []string{"give either --project or --all-projects"}, nil},
		{[]string{"scry", "-m", "fuzzy", "quasar"}, 2, []string{`--mode "fuzzy": want hybrid, lexical or semantic`}, nil},
		{[]string{"scry", "-j", "-m", "lexical"}, 2, []string{"scry needs a QUERY"}, nil},

		// A mistyped verb: the nearest ones, as a hint line.
		{[]string{"scrap"}, 2, []string{`unknown command "scrap" for "patina"`, "patina: hint: did you mean `patina scrape`?\n"}, nil},
		{[]string{"scr"}, 2, []string{"did you mean `patina scrape` or `patina scry`?"}, nil},
		{[]string{"model", "lsit"}, 2, []string{"did you mean `patina model list`?"}, nil},
		{[]string{"help", "mothr", "status"}, 2, []string{"did you mean `patina mother`?"}, nil},
		{[]string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}, []string{"did you mean"}},
		// …but under secrets the word may be a pasted value: neither
		// repeated nor compared.
		{[]string{"secrets", "lokc"}, 2, []string{"argument 1 is not a command"}, []string{"lokc", "did you mean", "lock"}},
		{[]string{"secrets", "recipients", "lsit"}, 2, []string{"argument 1 is not a command"}, []string{"lsit", "did you mean"}},
		{[]string{"help", "secrets", "lokc"}, 2, []string{"argument 1 is not a command"}, []string{"lokc", "did you mean"}},

		// An unknown flag on a secrets verb is named when it is
		// flag-shaped and in a flag's place; a value never is.
		{[]string{"secrets", "lock", "--frob"}, 2, []string{"unknown flag: --frob (usage: patina secrets lock)"}, nil},
		{[]string{"secrets", "--frob"}, 2, []string{"unknown flag: --frob"}, nil},
		{[]string{"secrets", "recipients", "list", "-x"}, 2, []string{"unknown shorthand flag: 'x' in -x"}, nil},
		{[]string{"secrets", "add", "--frob=s3cr3t-value"}, 2, []string{"unknown flag: --frob"}, []string{"s3cr3t"}},
		{[]string{"secrets", "add", "--S3cr3tValue"}, 2, []string{"unknown flag: …"}, []string{"S3cr3t"}},
		{[]string{"secrets", "add", "--S3cr3tValue=x"}, 2, []string{"unknown flag: …"}, []string{"S3cr3t"}},
		{[]string{"secrets", "add", "api-key", "--env", "--s3cr3t-value", "--frob"}, 2, []string{"unknown flag: --frob"}, []string{"s3cr3t"}},
		{[]string{"secrets", "lock", "--" + strings.Repeat("s3cr3t", 6)}, 2, []string{"unknown flag: …"}, []string{"s3cr3t"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runPatina(t, nil, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, c.code, r.stdout, r.stderr)
			}
			out := r.stdout
			if c.code != 0 {
				out = r.stderr
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output %q does not contain %q", out, w)
				}
			}
			for _, a := range c.absent {
				if strings.Contains(r.stdout+r.stderr, a) {
					t.Errorf("output %q contains %q", r.stdout+r.stderr, a)
				}
			}
		})
	}
}

// `patina help VERB [SUB]` prints what `VERB [SUB] --help` does.
func TestHelpVerb(t *testing.T) {
	t.Parallel()
	for _, path := range [][]string{
		{"scry"},
		{"mother"},
		{"mother", "token"},
		{"secrets"},
		{"secrets", "recipients", "list"},
		{"help"},
	} {
		want := runPatina(t, nil, append(path, "--help")...)
		got := runPatina(t, nil, append([]string{"help"}, path...)...)
		if got.code != 0 || want.code != 0 || got.stdout != want.stdout || got.stdout == "" {
			t.Errorf("help %v: exit %d\n%s\nwant (exit %d)\n%s", path, got.code, got.stdout, want.code, want.stdout)
		}
	}
}
