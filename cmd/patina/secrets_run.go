package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/mask"
	"github.com/patina-dev/patina/internal/secrets"
	"github.com/patina-dev/patina/internal/sshdest"
)

// runMaskingHelp is the part of `secrets run --help` about masking.
var runMaskingHelp = fmt.Sprintf(`masking: when the command's stdout or stderr is not a terminal (a pipe, a
file, an agent's shell tool), patina relays it and replaces every secret value,
and its URL-encoded, JSON and base64 forms, with %s.
A terminal is handed to the command untouched: a person is reading it, not an
agent, and full-screen programs keep working. Stdout and stderr are decided
separately. Values shorter than %d bytes are not masked (patina names them in a
warning). --no-masking turns masking off.`, mask.Placeholder, mask.MinLen)

func secretsRunVerb() *verb {
	v := &verb{name: "run", summary: "run a command with the secrets in its environment (unlocked once, then from mother's cache)"}
	const usage = "secrets run [--ssh HOST] [--no-masking] -- CMD [ARG...]"
	help := v.summary + "\n\n" + runMaskingHelp
	v.run = func(args []string) error {
		fs := flags("run")
		fs.SetInterspersed(false) // everything from CMD on is the command's
		host := fs.String("ssh", "", "run on `HOST`: the secrets travel to `ssh -- HOST bash -s` on stdin, never in argv")
		noMasking := fs.Bool("no-masking", false, "show the command's output as it is, secret values included")
		if err := parseSecrets(fs, usage, help, args); err != nil {
			return err
		}
		argv := fs.Args()
		if len(argv) == 0 {
			return usagef("secrets run needs a command (usage: patina %s)", usage)
		}
		// Refuse a bad host before anything is unlocked. The message
		// never repeats it: a mistyped secret would be shown.
		if fs.Changed("ssh") {
			if err := sshdest.Valid(*host); err != nil {
				return usagef("--ssh: %v (give HOST or USER@HOST, as you would to ssh)", err)
			}
		}
		p, err := findPlaces()
		if err != nil {
			return err
		}
		cache, err := secrets.LocalCache()
		if err != nil {
			cache = nil // no socket path: decrypt in-process
		}
		sess := newSession()
		r := secrets.Resolver{Places: p, Cache: cache, Session: sess, Note: func(m string) { note("note: %s", m) }}
		env, origin, err := r.Environment(context.Background())
		if err != nil {
			return secretsErr(err)
		}
		if origin == secrets.UnlockedNoDaemon {
			// Someone typed a passphrase (or touched the sensor), and will
			// again next time: say why. With PATINA_IDENTITY, say nothing.
			if _, src, _ := sess.Identity(context.Background()); src != identity.SourceEnv {
				note("note: mother is not running, so the unlocked secrets are not cached (start it: `patina mother serve`)")
			}
		}
		if *noMasking {
			note("note: --no-masking: the command's output is shown as it is, secret values included")
		}
		code, err := secrets.Run(secrets.Command{Argv: argv, Env: env, SSHHost: *host, Mask: !*noMasking,
			Unmasked: func(names []string) {
				note("warning: not masking %s: values shorter than %d bytes would garble the output", strings.Join(names, ", "), mask.MinLen)
			}})
		if err != nil {
			var se *secrets.StartError
			if errors.As(err, &se) {
				fmt.Fprintf(os.Stderr, "patina: error: %s\n", oneLine(se.Error()))
				return exitError{se.Code}
			}
			return secretsErr(err)
		}
		if code != 0 {
			return exitError{code}
		}
		return nil
	}
	return v
}

func secretsLockVerb() *verb {
	v := &verb{name: "lock", summary: "make mother forget every unlocked vault now"}
	v.run = func(args []string) error {
		fs := flags("lock")
		if err := parseSecrets(fs, "secrets lock", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("secrets lock takes no arguments")
		}
		cache, err := secrets.LocalCache()
		if err != nil {
			return err
		}
		err = cache.Lock(context.Background())
		switch {
		case err == nil:
			note("locked: mother's secrets cache is cleared; the next run unlocks again")
		case secrets.Unreachable(err):
			note("nothing was cached: mother is not running on %s", cache.Socket())
		default:
			return err
		}
		return nil
	}
	return v
}
