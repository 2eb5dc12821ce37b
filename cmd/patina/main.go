// Command patina is the Patina CLI and, as `patina mother serve`, its
// daemon.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// verb is one command (`patina VERB …`) or a group of them.
type verb struct {
	name    string
	summary string
	run     func(args []string) error
	sub     []*verb
	hidden  bool
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
			modelVerb(),
			doctorVerb(),
			mcpVerb(),
			legacyServeVerb(),
			versionVerb(),
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
	case "-h", "--help", "help":
		printGroupHelp(stdout, v, path)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		if v.run != nil {
			return v.run(args)
		}
		return usageError{fmt.Sprintf("unknown flag %q for %q (see %s --help)", args[0], strings.Join(path, " "), strings.Join(path, " "))}
	}
	for _, s := range v.sub {
		if s.name == args[0] {
			return dispatch(s, args[1:], path, stdout)
		}
	}
	if v.quiet {
		return usageError{fmt.Sprintf("argument 1 is not a command of %q (see %s --help)", strings.Join(path, " "), strings.Join(path, " "))}
	}
	return usageError{fmt.Sprintf("unknown command %q for %q (see %s --help)", args[0], strings.Join(path, " "), strings.Join(path, " "))}
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
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags.\n", strings.Join(path, " "))
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
			fmt.Fprintf(os.Stdout, "usage: patina %s\n\n%s\n", usage, summary)
			if fs.HasAvailableFlags() {
				fmt.Fprintf(os.Stdout, "\nflags:\n%s", fs.FlagUsages())
			}
			return exitError{0}
		}
		return usageError{fmt.Sprintf("%s (usage: patina %s)", err, usage)}
	}
	return nil
}

// usageError is a bad command line: one line, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

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

func versionVerb() *verb {
	v := &verb{name: "version", summary: "print the version"}
	v.run = func(args []string) error {
		fs := flags("version")
		if err := parse(fs, "version", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("version takes no arguments")
		}
		fmt.Println("patina", versionString())
		return nil
	}
	return v
}
