package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// Shell completion: the scripts are thin and the same for every version;
// each TAB runs the hidden `patina __complete WORD… CURRENT`, which knows
// the verbs and flags (from describe) and the registered projects and
// models. The scripts are in completion_scripts.go; contrib/completions
// holds their output, which a test keeps up to date.

// completionScript is the script for shell, if there is one.
func completionScript(shell string) (string, bool) {
	switch shell {
	case "bash":
		return bashCompletion, true
	case "zsh":
		return zshCompletion, true
	case "fish":
		return fishCompletion, true
	}
	return "", false
}

func completionVerb() *verb {
	v := &verb{name: "completion", summary: "print the shell completion script for bash, zsh or fish"}
	v.run = func(args []string) error {
		fs := flags("completion")
		if err := parse(fs, "completion bash|zsh|fish", v.summary+`.

bash:  source <(patina completion bash)   in ~/.bashrc, or
       patina completion bash > ~/.local/share/bash-completion/completions/patina
zsh:   patina completion zsh > "${fpath[1]}/_patina"   (a directory in $fpath)
fish:  patina completion fish > ~/.config/fish/completions/patina.fish

Verbs, flags, registered project names (--project, projects remove) and
model names (--model, model verify) are completed; the names are read from
projects.toml and the models directory when TAB is pressed.`, args); err != nil {
			return err
		}
		script, ok := completionScript(fs.Arg(0))
		if fs.NArg() != 1 || !ok {
			return usagef("completion takes one SHELL: bash, zsh or fish")
		}
		fmt.Print(script)
		return nil
	}
	return v
}

func completeVerb() *verb {
	v := &verb{name: "__complete", summary: "list completions for a command line (used by the completion scripts)", hidden: true}
	v.run = func(args []string) error {
		// Every argument is a word of the line being completed, flags
		// included: nothing here is parsed as our own flag.
		if len(args) == 0 {
			args = []string{""}
		}
		for _, c := range complete(root(), args) {
			fmt.Println(c)
		}
		return nil
	}
	return v
}

// Directives the scripts act on, printed as the last line: let the shell
// complete file or directory names.
const (
	completeFiles = ":files"
	completeDirs  = ":dirs"
)

// complete is the candidates for the last of words (the line after
// "patina", the word under the cursor last, maybe ""): "word\tdescription"
// lines, perhaps followed by a directive. It prints only its own words,
// never one typed on the line.
func complete(top *verb, words []string) []string {
	words = joinEquals(words)
	cur, before := words[len(words)-1], words[:len(words)-1]
	v, path, i := top, "", 0
	asHelp := len(before) > 0 && before[0] == "help"
	if asHelp {
		i = 1
	}
	for ; i < len(before) && v.sub != nil; i++ {
		s := findSub(v, before[i])
		if s == nil {
			break
		}
		v, path = s, strings.TrimPrefix(path+" "+s.name, " ")
	}
	if asHelp {
		if i < len(before) || v.sub == nil {
			return nil
		}
		return subCandidates(v, cur, false)
	}
	if v.sub != nil && i == len(before) && !strings.HasPrefix(cur, "-") {
		return subCandidates(v, cur, v == top)
	}
	d, ok := describe(v)
	if !ok {
		return nil
	}
	rest := before[i:]
	for _, w := range rest {
		if w == "--" {
			return nil // the rest is a command's (secrets run -- CMD…)
		}
	}
	if name, val, isFlag := strings.Cut(cur, "="); isFlag && strings.HasPrefix(name, "--") {
		if f := d.fs.Lookup(name[2:]); f != nil {
			return prefixed(name+"=", flagValues(f, val))
		}
		return nil
	}
	if len(rest) > 0 {
		if f := flagBefore(d.fs, rest[len(rest)-1]); f != nil {
			return flagValues(f, cur)
		}
	}
	if strings.HasPrefix(cur, "-") {
		var out []string
		d.fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && strings.HasPrefix("--"+f.Name, cur) {
				_, usage := pflag.UnquoteUsage(f)
				out = append(out, "--"+f.Name+"\t"+oneLine(usage))
			}
		})
		return out
	}
	return positional(path, cur)
}

// joinEquals undoes bash's split of --flag=value at '=' (COMP_WORDBREAKS):
// "--project", "=", "pa" is "--project=pa" again, and a "=" ending the
// line is "--project=".
func joinEquals(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		if words[i] == "=" && len(out) > 0 && strings.HasPrefix(out[len(out)-1], "--") {
			out[len(out)-1] += "="
			if i+1 < len(words) {
				out[len(out)-1] += words[i+1]
				i++
			}
			continue
		}
		out = append(out, words[i])
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}

// prefixed puts p before each candidate (--flag= for --flag=VALUE);
// directives are left alone. For bash, whose word is only VALUE, the
// script strips it again.
func prefixed(p string, cands []string) []string {
	for i, c := range cands {
		if !strings.HasPrefix(c, ":") {
			cands[i] = p + c
		}
	}
	return cands
}

func findSub(v *verb, name string) *verb {
	for _, s := range v.sub {
		if s.name == name {
			return s
		}
	}
	return nil
}

// subCandidates is v's visible subcommands starting with cur; at the top,
// help too.
func subCandidates(v *verb, cur string, top bool) []string {
	var out []string
	for _, s := range v.sub {
		if !s.hidden && strings.HasPrefix(s.name, cur) {
			out = append(out, s.name+"\t"+s.summary)
		}
	}
	sort.Strings(out) // by name, as group help lists them
	if top && strings.HasPrefix("help", cur) {
		out = append(out, "help\tshow a command's help (help COMMAND [SUBCOMMAND])")
	}
	return out
}

// flagBefore is the flag that word names when that flag wants a value
// next (--project, -p), else nil.
func flagBefore(fs *pflag.FlagSet, word string) *pflag.Flag {
	var f *pflag.Flag
	switch {
	case strings.HasPrefix(word, "--") && !strings.Contains(word, "="):
		f = fs.Lookup(word[2:])
	case len(word) == 2 && word[0] == '-' && word[1] != '-':
		f = fs.ShorthandLookup(word[1:])
	}
	if f == nil || f.NoOptDefVal != "" { // a bool needs no value
		return nil
	}
	return f
}

// flagValues is what flag f may be given, starting with cur.
func flagValues(f *pflag.Flag, cur string) []string {
	var vals []string
	switch f.Name {
	case "project":
		vals = projectNames()
	case "model":
		vals = modelNames()
	case "mode":
		vals = []string{scry.ModeHybrid, scry.ModeLexical, scry.ModeSemantic}
	case "kind":
		vals = []string{"code", "doc", "commit"}
	case "log-level":
		vals = []string{"debug", "info", "warn", "error"}
	case "family":
		vals = []string{embed.FamilyBERT, embed.FamilyUSELite}
	default:
		switch name, _ := pflag.UnquoteUsage(f); name {
		case "FILE", "PATH":
			return []string{completeFiles}
		case "DIR":
			return []string{completeDirs}
		}
	}
	return withPrefix(vals, cur)
}

// positional is what the verb at path takes as an argument.
func positional(path, cur string) []string {
	switch path {
	case "scrape", "projects add":
		return []string{completeDirs}
	case "projects remove":
		return withPrefix(projectNames(), cur)
	case "model verify":
		return withPrefix(modelNames(), cur)
	case "completion":
		return withPrefix([]string{"bash", "zsh", "fish"}, cur)
	}
	return nil
}

func withPrefix(vals []string, cur string) []string {
	var out []string
	for _, v := range vals {
		if strings.HasPrefix(v, cur) {
			out = append(out, v)
		}
	}
	return out
}

// projectNames is the registered projects' names, from projects.toml;
// nothing on any error (a TAB never prints one).
func projectNames() []string {
	reg, err := projects.Default()
	if err != nil {
		return nil
	}
	ps, _ := reg.List()
	var names []string
	for _, p := range ps {
		if p.Status != projects.StatusInvalid {
			names = append(names, p.Name)
		}
	}
	return names
}

// modelNames is the built-in model and the added ones, from their
// manifests (no file is hashed).
func modelNames() []string {
	ms, _ := embed.List()
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	return names
}
