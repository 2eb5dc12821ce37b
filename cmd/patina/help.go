package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// helpDoc is one verb's help: what parse prints for --help, and what the
// man page and the completions are made from.
type helpDoc struct {
	usage   string // after "patina ", maybe several lines
	summary string // the summary, then the long text, if any
	fs      *pflag.FlagSet
}

// showHelp prints a verb's --help; describe replaces it to read the help
// instead.
var showHelp = func(d helpDoc) {
	fmt.Fprintf(os.Stdout, "usage: patina %s\n\n%s\n", d.usage, d.summary)
	if d.fs.HasAvailableFlags() {
		fmt.Fprintf(os.Stdout, "\nflags:\n%s", d.fs.FlagUsages())
	}
}

// describe is v's help, got by running v with --help: each verb defines
// its flags inside its run, so asking it is the one way to see them all.
// Every verb parses its flags before doing anything, so this does nothing
// else (the secrets verbs make the process non-dumpable first, which is
// harmless).
func describe(v *verb) (d helpDoc, ok bool) {
	if v.run == nil {
		return d, false
	}
	saved := showHelp
	defer func() { showHelp = saved }()
	showHelp = func(h helpDoc) { d, ok = h, true }
	v.run([]string{"--help"})
	return d, ok
}

// maxSuggestDistance is how many edits away a command may be from a
// mistyped word to be suggested (as git and cobra do).
const maxSuggestDistance = 2

// suggest is the visible subcommands of v nearest to the mistyped word:
// within maxSuggestDistance edits, or starting with it; nil for none.
func suggest(v *verb, typed string) []string {
	typed = strings.ToLower(typed)
	best, near := maxSuggestDistance+1, []string(nil)
	for _, s := range v.sub {
		if s.hidden {
			continue
		}
		d := editDistance(typed, s.name)
		if strings.HasPrefix(s.name, typed) {
			d = min(d, 1) // "scr" is a fine start of "scrape"
		}
		switch {
		case d < best:
			best, near = d, []string{s.name}
		case d == best:
			near = append(near, s.name)
		}
	}
	return near
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (command names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
