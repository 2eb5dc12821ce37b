package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/secrets"
	"github.com/patina-dev/patina/internal/vault"
)

func newSession() *secrets.Session { return &secrets.Session{Prompter: identity.TTY{}} }

func secretsAddVerb() *verb {
	v := &verb{name: "add", summary: "store a secret, typed at a prompt without echo (or piped with --stdin)"}
	const usage = "secrets add NAME [--env VAR] [--stdin] [--global]"
	v.run = func(args []string) error {
		fs := flags("add")
		env := fs.String("env", "", "export it as `VAR` (default: NAME upper-cased, - → _)")
		stdin := fs.Bool("stdin", false, "read the value from stdin (one trailing newline is dropped)")
		global := fs.Bool("global", false, "the global vault ($PATINA_HOME), not the project's")
		if err := parseSecrets(fs, usage, v.summary, args); err != nil {
			return err
		}
		switch {
		case fs.NArg() == 0:
			return usagef("secrets add needs the secret's NAME (usage: patina %s)", usage)
		case fs.NArg() > 1:
			return usagef("a secret value on the command line is refused: every process can read it (ps, /proc/PID/cmdline) and your shell history keeps it — rotate it if it was real; type it at the prompt, or pipe it with --stdin")
		case strings.Contains(fs.Arg(0), "="):
			return usagef("NAME=VALUE is refused: a value on the command line is visible to every process (ps, /proc/PID/cmdline) and kept in shell history — rotate it if it was real; give the NAME alone and type the value at the prompt, or pipe it with --stdin")
		}
		name := fs.Arg(0)
		if vault.ValidateName(name) != nil {
			return badArg(1, "NAME", "is not a valid secret name", vault.NameRule)
		}
		if *env != "" && vault.ValidateEnv(*env) != nil {
			return usagef("--env is not a valid environment variable name: %s", vault.EnvRule)
		}
		p, err := findPlaces()
		if err != nil {
			return err
		}
		scope, err := pickScope(p, *global, "add")
		if err != nil {
			return err
		}
		ctx := context.Background()
		value := func() ([]byte, error) {
			if *stdin {
				return readValueStdin()
			}
			return promptValue(ctx, name)
		}
		res, err := secrets.Add(ctx, newSession(), scope, name, *env, value)
		if err != nil {
			return secretsErr(err)
		}
		if res.Recipients != "" {
			note("created %s with your public key (add teammates with `patina secrets recipients add KEY`)", res.Recipients)
		}
		verbDone := "added"
		if res.Replaced {
			verbDone = "replaced"
		}
		note("%s %s (exported as %s) in %s", verbDone, name, res.Env, res.Vault)
		if res.NotRecipient {
			note("warning: your key is not in %s: you can no longer read this vault", scope.Recipients)
		}
		return nil
	}
	return v
}

// promptValue asks for a value twice on the terminal, without echo. The
// prompt names the secret (the person typing it should see which one);
// the errors do not, like every secrets error about an argument.
func promptValue(ctx context.Context, name string) ([]byte, error) {
	tty := identity.TTY{}
	first, err := tty.ReadSecret(ctx, "Value for "+name+" (not shown): ")
	if err != nil {
		return nil, valuePromptErr(err)
	}
	second, err := tty.ReadSecret(ctx, "Repeat the value: ")
	if err != nil {
		clear(first)
		return nil, valuePromptErr(err)
	}
	defer clear(second)
	if !bytes.Equal(first, second) {
		clear(first)
		return nil, &secrets.Error{Problem: "the two values typed differ", Fix: "run the command again; nothing was changed"}
	}
	if len(first) == 0 {
		return nil, &secrets.Error{Problem: "empty value", Fix: "type the value, or remove the secret with `patina secrets remove NAME`"}
	}
	return first, nil
}

func valuePromptErr(err error) error {
	if errors.Is(err, identity.ErrNoTerminal) {
		return &secrets.Error{Problem: "no terminal to ask for the value on",
			Fix: "pipe it in: patina secrets add NAME --stdin < FILE", Err: err}
	}
	return err
}

// readValueStdin reads one value from stdin into a buffer sized up front,
// so no growing copy is left behind, and drops one trailing newline.
func readValueStdin() ([]byte, error) {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return nil, &secrets.Error{Problem: "--stdin reads a pipe, but stdin is a terminal that would echo the value",
			Fix: "drop --stdin to be asked without echo, or pipe the value in"}
	}
	buf := make([]byte, vault.MaxValueSize+3)
	n, err := io.ReadFull(os.Stdin, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		clear(buf)
		return nil, &secrets.Error{Problem: "cannot read the value from stdin: " + err.Error(), Fix: "pipe the value in"}
	}
	if n == len(buf) {
		clear(buf)
		return nil, &secrets.Error{Problem: fmt.Sprintf("the value on stdin is over %d bytes", vault.MaxValueSize),
			Fix: "store a path to the data instead, or compress and base64-encode it"}
	}
	v := buf[:n]
	if bytes.HasSuffix(v, []byte("\n")) {
		v = v[:len(v)-1]
		if bytes.HasSuffix(v, []byte("\r")) {
			v = v[:len(v)-1]
		}
	}
	if len(v) == 0 {
		clear(buf)
		return nil, &secrets.Error{Problem: "empty value on stdin", Fix: "pipe the value in: patina secrets add NAME --stdin < FILE"}
	}
	return v, nil
}

func secretsRemoveVerb() *verb {
	v := &verb{name: "remove", summary: "delete a secret from the vault and the registry"}
	const usage = "secrets remove NAME [--global]"
	v.run = func(args []string) error {
		fs := flags("remove")
		global := fs.Bool("global", false, "the global vault ($PATINA_HOME), not the project's")
		if err := parseSecrets(fs, usage, v.summary, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usagef("secrets remove takes one NAME (usage: patina %s)", usage)
		}
		name := fs.Arg(0)
		if vault.ValidateName(name) != nil {
			return badArg(1, "NAME", "is not a valid secret name", vault.NameRule)
		}
		p, err := findPlaces()
		if err != nil {
			return err
		}
		scope, err := pickScope(p, *global, "remove")
		if err != nil {
			return err
		}
		res, err := secrets.Remove(context.Background(), newSession(), scope, name)
		if errors.Is(err, secrets.ErrNoSuchSecret) {
			return withHint(fmt.Errorf("argument 1 (NAME): no such secret in %s", scope.Vault), "`patina secrets` lists the secrets of each vault")
		}
		if err != nil {
			return secretsErr(err)
		}
		note("removed %s from %s", name, res.Vault)
		return nil
	}
	return v
}

func secretsRecipientsVerb() *verb {
	g := &verb{name: "recipients", summary: "who can decrypt the project vault: list, add KEY, remove KEY"}
	list := &verb{name: "list", summary: "list the recipients' public keys"}
	list.run = func(args []string) error {
		fs := flags("list")
		global := fs.Bool("global", false, "the global recipient.txt, not the project's")
		asJSON := fs.BoolP("json", "j", false, "print the file and its keys as JSON")
		if err := parseSecrets(fs, "secrets recipients list [--global] [--json]", list.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("secrets recipients list takes no arguments")
		}
		p, err := findPlaces()
		if err != nil {
			return err
		}
		scope, err := pickScope(p, *global, "recipients list")
		if err != nil {
			return err
		}
		rs, err := vault.LoadRecipients(scope.Recipients)
		if err != nil {
			return secretsErr(err)
		}
		own := secrets.OwnRecipient(p)
		if *asJSON {
			type recipient struct {
				Key string `json:"key"`
				You bool   `json:"you"` // the key of the identity in use
			}
			out := struct {
				File       string      `json:"file"`
				Recipients []recipient `json:"recipients"`
			}{scope.Recipients, []recipient{}}
			for _, k := range rs.Keys() {
				out.Recipients = append(out.Recipients, recipient{k, k == own})
			}
			b, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(append(b, '\n'))
			return err
		}
		for _, k := range rs.Keys() {
			if k == own {
				fmt.Printf("%s (you)\n", k)
			} else {
				fmt.Println(k)
			}
		}
		return nil
	}
	edit := func(name, summary string, remove bool) *verb {
		v := &verb{name: name, summary: summary}
		usage := "secrets recipients " + name + " KEY [--global]"
		if remove {
			usage += " [--force]"
		}
		v.run = func(args []string) error {
			fs := flags(name)
			global := fs.Bool("global", false, "the global recipient.txt and vault, not the project's")
			force := new(bool)
			if remove {
				force = fs.Bool("force", false, "remove even your own key (you will not be able to read the vault)")
			}
			if err := parseSecrets(fs, usage, v.summary, args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return usagef("secrets recipients %s takes one KEY, an age1… public key (usage: patina %s)", name, usage)
			}
			if err := checkRecipientArg(fs.Arg(0)); err != nil {
				return err
			}
			p, err := findPlaces()
			if err != nil {
				return err
			}
			scope, err := pickScope(p, *global, "recipients "+name)
			if err != nil {
				return err
			}
			ctx, sess := context.Background(), newSession()
			var res secrets.RecipientsResult
			if remove {
				res, err = secrets.RemoveRecipient(ctx, sess, scope, fs.Arg(0), *force)
			} else {
				res, err = secrets.AddRecipient(ctx, sess, scope, fs.Arg(0))
			}
			if err != nil {
				return secretsErr(err)
			}
			what := map[bool]string{false: "added to", true: "removed from"}[remove]
			if !res.Changed {
				what = map[bool]string{false: "already in", true: "was not in"}[remove]
			}
			note("key %s %s (%d recipients)", what, res.File, res.Count)
			if res.Reencrypted != "" {
				note("re-encrypted %s to the %d recipients", res.Reencrypted, res.Count)
			}
			return nil
		}
		return v
	}
	g.sub = []*verb{
		list,
		edit("add", "add a public key and re-encrypt the vault to it", false),
		edit("remove", "remove a public key and re-encrypt the vault without it", true),
	}
	return g
}

// checkRecipientArg refuses a KEY argument that is not a public key before
// anything is unlocked, naming it by position: a secret key pasted there
// must not be printed back.
func checkRecipientArg(key string) error {
	key = strings.TrimSpace(key)
	if _, err := vault.ParseRecipient(key); err == nil {
		return nil
	}
	if strings.HasPrefix(strings.ToUpper(key), "AGE-SECRET-KEY-") {
		return badArg(1, "KEY", "is an age secret key, not a public key", "pass its public key (`age-keygen -y KEYFILE` prints it), and never share the secret one")
	}
	return badArg(1, "KEY", "is not an age X25519 recipient", "pass a public key: age1… (62 characters)")
}
