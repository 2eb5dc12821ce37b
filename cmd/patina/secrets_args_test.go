package main

import (
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/vault"
)

// No secrets-verb error repeats a positional argument: a value typed where
// a NAME, a KEY or the command belongs is named by its position instead.
func TestSecretsErrorsNeverRepeatArguments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "long-enough-value")
	_, core := distinctive(t)
	typed := []string{
		"sk_live_" + core, // no valid name or key
		core,              // lowercase hex: a valid secret name
		"AGE-SECRET-KEY-1" + strings.ToUpper(core), // a secret key
		"it's " + core + " $(x)",                   // shell syntax, spaces
	}
	for _, v := range typed {
		for _, c := range []struct {
			args  []string
			stdin string
			// A valid name is a name: adding it succeeds, and says so.
			addsValidName bool
		}{
			{[]string{"secrets", "add", v, "--stdin"}, "some-value", true},
			{[]string{"secrets", "add", v, "--global", "--stdin"}, "some-value", true},
			{[]string{"secrets", "add", v, "--stdin"}, "", false}, // a valid name fails later: no value
			{[]string{"secrets", "add", v}, "", false},            // …or no terminal to ask on
			{[]string{"secrets", "add", "api-key", v}, "", false},
			{[]string{"secrets", "add", "api-key", "--env", v, "--stdin"}, "x", false},
			{[]string{"secrets", "remove", v}, "", false},
			{[]string{"secrets", "remove", "api-key", v}, "", false},
			{[]string{"secrets", "recipients", "add", v}, "", false},
			{[]string{"secrets", "recipients", "remove", v}, "", false},
			{[]string{"secrets", "recipients", "list", v}, "", false},
			{[]string{"secrets", "run", "--", v}, "", false},
			{[]string{"secrets", "run", v}, "", false},
			{[]string{"secrets", "init", v}, "", false},
			{[]string{"secrets", "lock", v}, "", false},
			{[]string{"secrets", "export-key", v}, "", false},
			{[]string{"secrets", "import-key", v}, "", false},
			{[]string{"secrets", "--json", v}, "", false},
			{[]string{"secrets", v}, "", false},
			{[]string{"secrets", "recipients", v}, "", false},
			// Not here: --ssh V, which ssh itself may print back.
		} {
			if c.addsValidName && vault.ValidateName(v) == nil {
				continue
			}
			r := w.runWith(opts{stdin: strings.NewReader(c.stdin)}, c.args...)
			if r.code == 0 {
				t.Errorf("%q succeeded", c.args)
				continue
			}
			if strings.Contains(r.stdout+r.stderr, core) || strings.Contains(r.stdout+r.stderr, strings.ToUpper(core)) {
				t.Errorf("%q: the error repeats the argument:\n%s%s", c.args, r.stdout, r.stderr)
			}
		}
	}
	// The position is named instead.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"secrets", "add", "sk_live_" + core, "--stdin"}, "argument 1 (NAME) is not a valid secret name"},
		{[]string{"secrets", "remove", core}, "argument 1 (NAME): no such secret"},
		{[]string{"secrets", "recipients", "add", "sk_live_" + core}, "argument 1 (KEY) is not an age X25519 recipient"},
		{[]string{"secrets", "run", "--", core}, "argument 1 (CMD): executable file not found"},
	} {
		if r := w.run(c.args...); !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: stderr %q lacks %q", c.args, r.stderr, c.want)
		}
	}
}
