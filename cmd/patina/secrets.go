package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/secrets"
	"github.com/patina-dev/patina/internal/vault"
)

// `patina secrets …`: the verbs parse flags and print; internal/secrets
// does the work. Nothing here ever prints, logs or passes on argv a secret
// value or the identity (export-key --stdout, asked for explicitly, aside).

func secretsVerb() *verb {
	v := &verb{
		name:    "secrets",
		summary: "age-encrypted secrets for your commands (no COMMAND: status, --json for JSON)",
		sub: []*verb{
			secretsInitVerb(),
			secretsAddVerb(),
			secretsRemoveVerb(),
			secretsRunVerb(),
			secretsLockVerb(),
			secretsRecipientsVerb(),
			secretsExportKeyVerb(),
			secretsImportKeyVerb(),
		},
	}
	v.run = func(args []string) error { return secretsStatus(args) }
	harden(v)
	return v
}

// harden makes every secrets verb run non-dumpable (secrets.Harden): it
// may hold decrypted values or the identity, and the agent runs as us.
func harden(v *verb) {
	v.quiet = true
	if run := v.run; run != nil {
		v.run = func(args []string) error {
			if err := secrets.Harden(); err != nil {
				note("warning: cannot make this process non-dumpable: %v", err)
			}
			return run(args)
		}
	}
	for _, s := range v.sub {
		harden(s)
	}
}

// parseSecrets is parse for the secrets verbs, except that a flag error
// never repeats what was typed: a confused user may have put a secret on
// the command line, and repeating it would print it.
func parseSecrets(fs *pflag.FlagSet, usage, summary string, args []string) error {
	err := fs.Parse(args)
	if err == nil {
		return nil
	}
	if errors.Is(err, pflag.ErrHelp) {
		return parse(fs, usage, summary, []string{"--help"})
	}
	return usagef("%s (usage: patina %s)", redactArgs(err.Error(), args, fs), usage)
}

// redactArgs replaces in msg every argument that may be a value: a
// positional one, a flag's value (--flag VALUE or --flag=VALUE), anything
// after "--", and any token that is not flag-shaped. A flag-shaped token
// in a flag's place, known or not, is named: "unknown flag: --frob".
func redactArgs(msg string, args []string, fs *pflag.FlagSet) string {
	var cands []string
	value := false // the previous argument is a flag that takes this one
	for i, a := range args {
		if a == "--" {
			cands = append(cands, args[i+1:]...)
			break
		}
		if value || !strings.HasPrefix(a, "-") || a == "-" {
			cands, value = append(cands, a), false
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if hasVal {
			cands = append(cands, val)
		}
		if !flagShaped(name) {
			cands = append(cands, a, name)
			continue
		}
		value = !hasVal && takesValue(fs, name)
	}
	// Longest first, so a shorter candidate inside a longer one cannot
	// leave the rest of it behind.
	sort.Slice(cands, func(i, j int) bool { return len(cands[i]) > len(cands[j]) })
	for _, c := range cands {
		if len(c) >= 2 {
			msg = strings.ReplaceAll(msg, c, "…")
		}
	}
	return msg
}

// maxFlagShaped bounds a token redactArgs may name: flags are short words,
// a longer token is more likely something pasted.
const maxFlagShaped = 32

// flagShaped is whether a looks like a flag rather than a value: -x, or
// -- and lower-case words joined by '-' (--no-masking), at most
// maxFlagShaped bytes.
func flagShaped(a string) bool {
	if len(a) == 2 && a[0] == '-' && ('a' <= a[1] && a[1] <= 'z' || 'A' <= a[1] && a[1] <= 'Z') {
		return true
	}
	name, ok := strings.CutPrefix(a, "--")
	if !ok || len(a) > maxFlagShaped || name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// takesValue is whether the defined flag a (--name or -x) wants the next
// argument as its value.
func takesValue(fs *pflag.FlagSet, a string) bool {
	var f *pflag.Flag
	if name, ok := strings.CutPrefix(a, "--"); ok {
		f = fs.Lookup(name)
	} else {
		f = fs.ShorthandLookup(a[1:])
	}
	return f != nil && f.NoOptDefVal == ""
}

// badArg is a bad positional argument, named by its position and its
// placeholder in the usage, never by what was typed: a value pasted in the
// wrong place would be printed back (to the agent reading our output).
func badArg(pos int, placeholder, problem, rule string) error {
	return usagef("argument %d (%s) %s: %s", pos, placeholder, problem, rule)
}

// secretsErr turns the domain packages' errors into an "error:" line plus
// a "hint:" line with the fix.
func secretsErr(err error) error {
	if err == nil {
		return nil
	}
	var ve *vault.Error
	var ie *identity.Error
	var se *secrets.Error
	var line, fix string
	switch {
	case errors.As(err, &se):
		line, fix = se.Problem, se.Fix
	case errors.As(err, &ve):
		line, fix = ve.Kind+" "+ve.Path+": "+ve.Problem, ve.Fix
	case errors.As(err, &ie):
		line = "identity"
		if ie.Where != "" {
			line += " " + ie.Where
		}
		line, fix = line+": "+ie.Problem, ie.Fix
	default:
		return err
	}
	if fix == "" {
		return errors.New(line)
	}
	return withHint(errors.New(line), fix)
}

// note prints a remark on stderr: never a value.
func note(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "patina: "+format+"\n", args...)
}

func findPlaces() (secrets.Places, error) {
	p, err := secrets.Find("")
	return p, secretsErr(err)
}

// pickScope is the scope an edit applies to, with a clear error outside a
// project.
func pickScope(p secrets.Places, global bool, verb string) (secrets.Scope, error) {
	s, err := p.Pick(global)
	if errors.Is(err, secrets.ErrNoProject) {
		wd, _ := os.Getwd()
		return s, withHint(fmt.Errorf("not inside a project: no .git or .patina at or above %s", wd),
			fmt.Sprintf("use `patina secrets %s --global` for your global vault, or run it inside a project (`mkdir .patina` makes one)", verb))
	}
	return s, err
}

func secretsStatus(args []string) error {
	fs := flags("secrets")
	asJSON := fs.BoolP("json", "j", false, "print the status as JSON")
	if err := parseSecrets(fs, "secrets [--json] | secrets COMMAND", "status: vaults, secret names and variables (never values), recipients, identity source, cache", args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unknown command for \"patina secrets\" (see patina secrets --help)")
	}
	p, err := findPlaces()
	if err != nil {
		return err
	}
	cache, err := secrets.LocalCache()
	if err != nil {
		return err
	}
	st, err := secrets.GetStatus(context.Background(), p, cache)
	if err != nil {
		return secretsErr(err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printSecretsStatus(os.Stdout, st)
	return nil
}

func printSecretsStatus(w io.Writer, st secrets.Status) {
	id := st.Identity
	switch {
	case id.Source == string(identity.SourceEnv):
		fmt.Fprintf(w, "identity:   %s (environment)\n", identity.EnvIdentity)
	case id.Source == string(identity.SourceFile):
		fmt.Fprintf(w, "identity:   %s (passphrase-protected)\n", id.Path)
	case id.Source != "":
		fmt.Fprintf(w, "identity:   %s\n", id.Source)
	case id.Fix != "":
		fmt.Fprintf(w, "identity:   %s (%s)\n", id.Problem, id.Fix)
	default:
		fmt.Fprintf(w, "identity:   %s\n", id.Problem)
	}
	if st.Recipient != "" {
		fmt.Fprintf(w, "recipient:  %s\n", st.Recipient)
	}
	c := st.Cache
	switch {
	case c.Error != "":
		fmt.Fprintf(w, "cache:      %s\n", c.Error)
	case !c.Reachable:
		fmt.Fprintf(w, "cache:      mother not running on %s (each run unlocks)\n", c.Socket)
	case c.Cached && c.ExpiresIn > 0:
		fmt.Fprintf(w, "cache:      unlocked in mother (%s; locks after %s unused, in %s at most; `patina secrets lock` forgets them)\n",
			plural(c.Count, "variable"), remaining(c.IdleExpiresIn), remaining(c.ExpiresIn))
	case c.Cached:
		fmt.Fprintf(w, "cache:      unlocked in mother (%s; `patina secrets lock` forgets them)\n", plural(c.Count, "variable"))
	default:
		fmt.Fprintf(w, "cache:      locked (the next run unlocks)\n")
	}
	for _, v := range st.Vaults {
		state := ""
		if !v.Exists {
			state = " (no vault yet)"
		}
		fmt.Fprintf(w, "\n%-8s %s%s\n", v.Scope+":", v.Vault, state)
		fmt.Fprintf(w, "  recipients: %d (%s)\n", v.RecipientCount, v.Recipients)
		fmt.Fprintf(w, "  secrets:    %d\n", len(v.Secrets))
		width := 0
		for _, s := range v.Secrets {
			width = max(width, len(s.Name))
		}
		for _, s := range v.Secrets {
			fmt.Fprintf(w, "    %-*s  %s\n", width, s.Name, s.Env)
		}
	}
	if !st.InProject {
		fmt.Fprintf(w, "\nproject: none (no .git or .patina at or above the working directory)\n")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// remaining shows a time left: 42s, 9m58s, 1h59m (seconds matter less
// the further away it is).
func remaining(secs int64) string {
	d := time.Duration(secs) * time.Second
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	}
	return fmt.Sprintf("%ds", secs)
}
