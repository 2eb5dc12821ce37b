package main

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/secrets"
)

func secretsInitVerb() *verb {
	v := &verb{name: "init", summary: "create your identity (keychain, or identity.age under a passphrase) and print your public key"}
	v.run = func(args []string) error {
		fs := flags("init")
		if err := parseSecrets(fs, "secrets init", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("secrets init takes no arguments")
		}
		p, err := findPlaces()
		if err != nil {
			return err
		}
		res, err := secrets.Init(context.Background(), newSession(), p)
		if err != nil {
			return secretsErr(err)
		}
		switch {
		case res.Created && res.Source == identity.SourceFile:
			note("created your identity in %s, protected by your passphrase", res.Where)
		case res.Created:
			note("created your identity in the %s", res.Source)
		case res.Source == identity.SourceEnv:
			note("using the identity in %s", identity.EnvIdentity)
		case res.Source == identity.SourceFile:
			note("your identity already exists in %s", res.Where)
		default:
			note("your identity already exists in the %s", res.Source)
		}
		if res.RecipientFile != "" {
			note("wrote your public key to %s", res.RecipientFile)
		}
		if res.NotInRecipients {
			note("warning: %s does not hold this key: add it with `patina secrets recipients add --global KEY`", p.Global.Recipients)
		}
		if res.Recipient != "" {
			note("your public key (share it; never the identity):")
			fmt.Println(res.Recipient)
		}
		return nil
	}
	return v
}

func secretsExportKeyVerb() *verb {
	v := &verb{name: "export-key", summary: "back up your identity to a new 0600 file (--stdout prints it, only when asked)"}
	const usage = "secrets export-key --out FILE | --stdout"
	v.run = func(args []string) error {
		fs := flags("export-key")
		out := fs.String("out", "", "write the identity to `FILE` (mode 0600; an existing file is never replaced)")
		stdout := fs.Bool("stdout", false, "print the identity on stdout: it is your secret key, so only when you mean it")
		if err := parseSecrets(fs, usage, v.summary, args); err != nil {
			return err
		}
		switch {
		case fs.NArg() > 0:
			return usagef("secrets export-key takes no arguments (usage: patina %s)", usage)
		case *out == "" && !*stdout:
			return usagef("say where the identity goes: --out FILE, or --stdout to print your secret key (usage: patina %s)", usage)
		case *out != "" && *stdout:
			return usagef("give --out FILE or --stdout, not both")
		}
		rec, err := secrets.ExportKey(context.Background(), newSession(), *out, os.Stdout)
		if err != nil {
			return secretsErr(err)
		}
		if *out != "" {
			note("wrote the identity for %s to %s (0600): keep it offline", rec, *out)
		}
		return nil
	}
	return v
}

func secretsImportKeyVerb() *verb {
	v := &verb{name: "import-key", summary: "store an identity read from stdin (age-keygen format), e.g. from export-key"}
	const usage = "secrets import-key [--replace] < KEYFILE"
	v.run = func(args []string) error {
		fs := flags("import-key")
		replace := fs.Bool("replace", false, "replace the stored identity (the old key is lost unless exported)")
		if err := parseSecrets(fs, usage, v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("secrets import-key reads the key from stdin, never from the command line (usage: patina %s)", usage)
		}
		if term.IsTerminal(int(os.Stdin.Fd())) {
			return withHint(fmt.Errorf("secrets import-key reads the key from stdin, and stdin is a terminal that would echo it"),
				"pipe the key file in: patina secrets import-key < KEYFILE")
		}
		p, err := findPlaces()
		if err != nil {
			return err
		}
		res, err := secrets.ImportKey(context.Background(), newSession(), p, os.Stdin, *replace)
		if err != nil {
			return secretsErr(err)
		}
		if res.Source == identity.SourceFile {
			note("stored the identity in %s, protected by your passphrase", res.Where)
		} else {
			note("stored the identity in the %s", res.Source)
		}
		if res.RecipientFile != "" {
			note("wrote its public key to %s", res.RecipientFile)
		}
		if res.NotInRecipients {
			note("warning: %s does not list this key, so the global vault is not encrypted to it: add it with `patina secrets recipients add --global KEY`, unlocking with an identity that can read the vault (e.g. PATINA_IDENTITY)", p.Global.Recipients)
		}
		fmt.Println(res.Recipient)
		return nil
	}
	return v
}
