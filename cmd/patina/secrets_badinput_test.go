package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input through the CLI: each is one "patina: error:" line (and at
// most a "hint:" line) naming the file and the fix, a non-zero exit, and
// not a byte changed anywhere.
func TestSecretsBadInput(t *testing.T) {
	t.Parallel()
	pv := func(w *world) string { return filepath.Join(w.project, ".patina", "vault.age") }
	preg := func(w *world) string { return filepath.Join(w.project, ".patina", "secrets.toml") }
	prec := func(w *world) string { return filepath.Join(w.project, ".patina", "recipients.txt") }
	write := func(path func(*world) string, data string) func(*testing.T, *world) {
		return func(t *testing.T, w *world) { must(t, os.WriteFile(path(w), []byte(data), 0o600)) }
	}
	// ageVault replaces the project vault with one the age CLI made from
	// plaintext, to the world's key.
	ageVault := func(plain string) func(*testing.T, *world) {
		return func(t *testing.T, w *world) {
			f := filepath.Join(w.out, "plain.toml")
			must(t, os.WriteFile(f, []byte(plain), 0o600))
			if out, err := exec.Command("age", "-a", "-r", w.recipient, "-o", pv(w)+".new", f).CombinedOutput(); err != nil {
				t.Fatalf("age: %v %s", err, out)
			}
			must(t, os.Rename(pv(w)+".new", pv(w)))
		}
	}
	const meta = "[meta]\nversion = 1\ncreated_at = \"2024-05-01T10:00:00Z\"\nmodified_at = \"2024-05-01T10:00:00Z\"\n\n"
	run := []string{"secrets", "run", "--", "true"}
	add := []string{"secrets", "add", "new-one", "--stdin"}

	cases := []struct {
		name  string
		setup func(*testing.T, *world)
		o     func(*world) opts
		args  []string
		want  []string // in stderr; "{vault}" etc. are replaced by the paths
		code  int      // 0: any non-zero
	}{
		{name: "corrupt vault/run", setup: write(pv, "this is not an age file\n"), args: run, want: []string{"{vault}", "not an age file"}},
		{name: "corrupt vault/add", setup: write(pv, "this is not an age file\n"), args: add, want: []string{"{vault}"}},
		{name: "corrupt vault/remove", setup: write(pv, "-----BEGIN AGE ENCRYPTED FILE-----\nnot base64 !!\n-----END AGE ENCRYPTED FILE-----\n"), args: []string{"secrets", "remove", "api-key"}, want: []string{"{vault}"}},
		{name: "truncated armor", setup: func(t *testing.T, w *world) {
			data, err := os.ReadFile(pv(w))
			must(t, err)
			must(t, os.WriteFile(pv(w), data[:len(data)/2], 0o600))
		}, args: run, want: []string{"{vault}"}},
		{name: "wrong identity", o: func(w *world) opts { k, _, _ := newKey(w.t); return opts{identity: k} }, args: run, want: []string{"/vault.age", "not encrypted to your identity"}},
		{name: "wrong identity/recipients add", o: func(w *world) opts { k, _, _ := newKey(w.t); return opts{identity: k} }, args: []string{"secrets", "recipients", "add", "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"}, want: []string{"{vault}", "not encrypted to your identity"}},
		{name: "unknown key in vault plaintext", setup: ageVault(meta + "[values]\napi-key = \"x\"\n\n[extra]\ncolour = \"red\"\n"), args: run, want: []string{"{vault}"}},
		{name: "vault version 2", setup: ageVault(strings.Replace(meta, "version = 1", "version = 2", 1) + "[values]\napi-key = \"x\"\n"), args: run, want: []string{"{vault}", "version"}},
		{name: "unknown key in registry/run", setup: write(preg, "version = 1\ncolour = \"red\"\n\n[secrets]\n"), args: run, want: []string{"{registry}"}},
		{name: "unknown key in registry/add", setup: write(preg, "version = 1\n\n[secrets]\napi-key = { env = \"API_KEY\", colour = \"red\" }\n"), args: add, want: []string{"{registry}"}},
		{name: "registry maps two secrets to one variable", setup: write(preg, "version = 1\n\n[secrets]\napi-key = { env = \"SAME\" }\nother = { env = \"SAME\" }\n"), args: run, want: []string{"{registry}"}},
		{name: "empty recipients file", setup: write(prec, ""), args: add, want: []string{"{recipients}", "no recipients"}},
		{name: "comments-only recipients file", setup: write(prec, "# nobody\n"), args: add, want: []string{"{recipients}"}},
		{name: "invalid recipient in file", setup: write(prec, "age1thisisnotarecipient\n"), args: add, want: []string{"{recipients}", "line 1"}},
		{name: "secret key in recipients file", setup: func(t *testing.T, w *world) {
			must(t, os.WriteFile(prec(w), []byte(w.secretKey+"\n"), 0o600))
		}, args: add, want: []string{"{recipients}", "secret key"}},
		{name: "duplicate recipient", setup: func(t *testing.T, w *world) {
			must(t, os.WriteFile(prec(w), []byte(w.recipient+"\n"+w.recipient+"\n"), 0o600))
		}, args: add, want: []string{"{recipients}", "repeats"}},
		{name: "invalid recipient argument", args: []string{"secrets", "recipients", "add", "age1bogus"}, want: []string{"argument 1 (KEY) is not an age X25519 recipient"}, code: 2},
		{name: "secret key as recipient argument", o: func(w *world) opts { return opts{} }, args: nil, want: []string{"argument 1 (KEY) is an age secret key"}, code: 2},
		{name: "invalid name: upper case", args: []string{"secrets", "add", "API_KEY", "--stdin"}, want: []string{"argument 1 (NAME) is not a valid secret name", "lowercase"}, code: 2},
		{name: "invalid name: space", args: []string{"secrets", "add", "api key", "--stdin"}, want: []string{"argument 1 (NAME) is not a valid secret name"}, code: 2},
		{name: "invalid name: remove", args: []string{"secrets", "remove", "Api"}, want: []string{"argument 1 (NAME) is not a valid secret name"}, code: 2},
		{name: "invalid env", args: []string{"secrets", "add", "ok-name", "--env", "lower_case", "--stdin"}, want: []string{"--env is not a valid environment variable name", "upper-case"}, code: 2},
		{name: "env taken by another secret", args: []string{"secrets", "add", "ok-name", "--env", "API_KEY", "--stdin"}, want: []string{"{registry}", "API_KEY"}},
		{name: "bad PATINA_IDENTITY", o: func(w *world) opts { return opts{identity: "AGE-SECRET-KEY-1NOPE"} }, args: run, want: []string{"PATINA_IDENTITY"}},
		{name: "value with NUL", o: func(w *world) opts { return opts{stdin: strings.NewReader("a\x00b")} }, args: add, want: []string{"NUL"}},
		{name: "value too big", o: func(w *world) opts { return opts{stdin: strings.NewReader(strings.Repeat("x", 70000))} }, args: add, want: []string{"bytes"}},
		{name: "empty value", o: func(w *world) opts { return opts{stdin: strings.NewReader("\n")} }, args: add, want: []string{"empty value"}},
		{name: "remove unknown", args: []string{"secrets", "remove", "never-added"}, want: []string{"{vault}", "argument 1 (NAME): no such secret"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.ok(opts{}, "secrets", "init")
			w.add("api-key", "a-value")
			w.add("global-key", "g-value", "--global")
			if c.setup != nil {
				c.setup(t, w)
			}
			o := opts{stdin: strings.NewReader("some-value")}
			if c.o != nil {
				o = c.o(w)
				if o.stdin == nil {
					o.stdin = strings.NewReader("some-value")
				}
			}
			args := c.args
			if args == nil {
				args = []string{"secrets", "recipients", "add", w.secretKey}
			}
			before := snapshot(t, w.root)
			r := w.runWith(o, args...)
			if r.code == 0 || (c.code != 0 && r.code != c.code) {
				t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
			}
			oneErrorLine(t, r.stderr)
			repl := strings.NewReplacer("{vault}", pv(w), "{registry}", preg(w), "{recipients}", prec(w))
			for _, want := range c.want {
				if want = repl.Replace(want); !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q: %s", want, r.stderr)
				}
			}
			if strings.Contains(r.stderr, w.secretKey) || strings.Contains(r.stderr, "a-value") || strings.Contains(r.stderr, "some-value") {
				t.Errorf("the error holds a secret: %s", r.stderr)
			}
			if after := snapshot(t, w.root); after != before {
				t.Errorf("files changed")
			}
		})
	}
}
