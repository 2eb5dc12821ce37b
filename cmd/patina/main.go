// Command patina is the Patina CLI and, as `patina mother serve`, its
// daemon.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// verb is one command (`patina VERB …`) or a group of them.
type verb struct {
	name    string
	summary string
	// run parses its flags (parse, parseSecrets) before doing anything:
	// describe runs it with --help to read them for completion and the
	// man page.
	run    func(args []string) error
	sub    []*verb
	hidden bool
	// quiet verbs may be handed a secret where a command belongs: their
	// errors never repeat an argument.
	quiet bool
}

func root() *verb {
	return &verb{
		name:    "patina",
		summary: "developer knowledge (scry) and secrets, served by the mother daemon",
		sub: []*verb{
			motherVerb(),
			secretsVerb(),
			scrapeVerb(),
			scryVerb(),
			projectsVerb(),
			repoVerb(),
			modelVerb(),
			doctorVerb(),
			mcpVerb(),
			legacyServeVerb(),
			versionVerb(),
			completionVerb(),
			completeVerb(),
			manVerb(),
		},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code: 0 success,
// 1 failure, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(root(), args, nil, stdout)
	var ue usageError
	var ex exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ex):
		return ex.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "patina: error: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(stderr, "patina: hint: %s\n", ue.hint)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "patina: error: %s\n", oneLine(err.Error()))
		var h hinted
		if errors.As(err, &h) {
			fmt.Fprintf(stderr, "patina: hint: %s\n", h.hint)
		}
		return 1
	}
}

func dispatch(v *verb, args []string, path []string, stdout io.Writer) error {
	path = append(path, v.name)
	if v.sub == nil {
		return v.run(args)
	}
	if len(args) == 0 {
		if v.run != nil {
			return v.run(args)
		}
		printGroupHelp(stdout, v, path)
		return nil
	}
	switch args[0] {
	case "-h", "--help":
		printGroupHelp(stdout, v, path)
		return nil
	case "help":
		if len(args) == 1 {
			printGroupHelp(stdout, v, path)
			return nil
		}
		// `help VERB [SUB]` is `VERB [SUB] --help`.
		return dispatch(v, append(slices.Clone(args[1:]), "--help"), path[:len(path)-1], stdout)
	case "--version":
		if len(path) == 1 {
			fmt.Fprintln(stdout, "patina", versionString())
			return nil
		}
	}
	cmd := strings.Join(path, " ")
	if strings.HasPrefix(args[0], "-") {
		if v.run != nil {
			return v.run(args)
		}
		return usagef("unknown flag %q for %q (see %s --help)", args[0], cmd, cmd)
	}
	for _, s := range v.sub {
		if s.name == args[0] {
			return dispatch(s, args[1:], path, stdout)
		}
	}
	if v.quiet {
		// Not even a suggestion: it would say what the word resembles.
		return usagef("argument 1 is not a command of %q (see %s --help)", cmd, cmd)
	}
	err := usageError{msg: fmt.Sprintf("unknown command %q for %q (see %s --help)", args[0], cmd, cmd)}
	if near := suggest(v, args[0]); len(near) > 0 {
		err.hint = "did you mean `" + cmd + " " + strings.Join(near, "` or `"+cmd+" ") + "`?"
	}
	return err
}

func printGroupHelp(w io.Writer, v *verb, path []string) {
	fmt.Fprintf(w, "%s: %s\n\nusage: %s COMMAND [flags]\n\ncommands:\n", strings.Join(path, " "), v.summary, strings.Join(path, " "))
	subs := append([]*verb(nil), v.sub...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	for _, s := range subs {
		if !s.hidden {
			fmt.Fprintf(w, "  %-12s %s\n", s.name, s.summary)
		}
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' (or '%s help COMMAND') for a command's flags.\n", strings.Join(path, " "), strings.Join(path, " "))
	if len(path) == 1 {
		fmt.Fprintf(w, "'%s --version' prints the version; '%s completion SHELL' a completion script.\n", path[0], path[0])
	}
}

// flags makes a verb's flag set: errors are returned, not printed, so each
// becomes one line and exit code 2.
func flags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {}
	return fs
}

// parse parses args; --help prints the usage to stdout and stops the verb.
func parse(fs *pflag.FlagSet, usage, summary string, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			showHelp(helpDoc{usage, summary, fs})
			return exitError{0}
		}
		return usagef("%s (usage: patina %s)", err, usage)
	}
	return nil
}

// usageError is a bad command line: one line (and maybe a hint), exit 2.
type usageError struct{ msg, hint string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{msg: fmt.Sprintf(format, args...)} }

// exitError ends the command with a code and no further message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// hinted is an error with a line telling the user how to fix it.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() }
func (h hinted) Unwrap() error { return h.err }

func withHint(err error, hint string) error { return hinted{err, hint} }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
