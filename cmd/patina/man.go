package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/identity"
	"github.com/patina-dev/patina/internal/paths"
)

// The man page, patina(1), is made from the verbs' --help (describe), so
// it says what --help says. `make man` writes it to bin/patina.1.

func manVerb() *verb {
	v := &verb{name: "__man", summary: "print the patina(1) man page in roff (make man writes bin/patina.1)", hidden: true}
	v.run = func(args []string) error {
		fs := flags("__man")
		if err := parse(fs, "__man", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("__man takes no arguments")
		}
		writeMan(os.Stdout, root())
		return nil
	}
	return v
}

// manEnv is the ENVIRONMENT section: the variables a user may set.
var manEnv = [][2]string{
	{paths.EnvHome, "the persistent home: projects.toml, the global vault, the token, added models (default ~/.patina)"},
	{paths.EnvSocket, "the daemon's unix socket (default $XDG_RUNTIME_DIR/patina/mother.sock)"},
	{paths.EnvCache, "where ONNX Runtime and the default model are provisioned (default $XDG_CACHE_HOME/patina)"},
	{client.EnvMother, "the default --mother URL: unix:///PATH, tcp://HOST:PORT or ssh://[USER@]HOST"},
	{client.EnvToken, "the bearer token for a tcp:// mother (default: the token file)"},
	{identity.EnvIdentity, "an age identity to decrypt the vaults with, instead of identity.age"},
	{"NO_COLOR", "when set, scry prints no colour"},
}

// writeMan writes patina(1) for the verbs under top.
func writeMan(w io.Writer, top *verb) {
	fmt.Fprintf(w, `.\" patina(1), made by "patina __man" from the commands' --help: edit those, not this.
.TH PATINA 1 "" "patina %s" "User Commands"
.SH NAME
patina \- %s
.SH SYNOPSIS
.B patina
.I COMMAND
.RI [ flags ]
.br
.B patina help
.I COMMAND
.RI [ SUBCOMMAND ]
.br
.B patina \-\-version
.SH DESCRIPTION
Patina indexes your projects (docs, code, git history) for search with
.BR "patina scry" ,
and keeps age\-encrypted secrets for your commands with
.BR "patina secrets" .
The per\-user daemon, mother, serves both; without it, commands work in\-process.
.PP
Every command has \fB\-\-help\fR, which says what its section below says.
Errors are one line on stderr, \fBpatina: error: \fR..., often followed by a
\fBpatina: hint: \fRline saying how to fix it.
.SH COMMANDS
`, roff(versionString()), roff(top.summary))
	walkVerbs(top, "patina", func(v *verb, path string) {
		if d, ok := describe(v); ok {
			writeManVerb(w, path, d)
		}
	})
	fmt.Fprint(w, `.SH "EXIT STATUS"
.TP
.B 0
success
.TP
.B 1
failure (an error line says what failed)
.TP
.B 2
a bad command line
.TP
.B 130
interrupted
.PP
.B patina secrets run
exits with its command's status.
.SH ENVIRONMENT
`)
	for _, e := range manEnv {
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", e[0], roff(e[1]))
	}
	fmt.Fprint(w, `.SH "SEE ALSO"
.BR age (1),
.BR git (1),
.BR systemctl (1)
`)
}

// walkVerbs calls fn for every visible verb under v, v itself included,
// by name at each level (as group help lists them).
func walkVerbs(v *verb, path string, fn func(*verb, string)) {
	fn(v, path)
	subs := append([]*verb(nil), v.sub...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	for _, s := range subs {
		if !s.hidden {
			walkVerbs(s, path+" "+s.name, fn)
		}
	}
}

// writeManVerb writes one verb's section: usage, text, flags.
func writeManVerb(w io.Writer, path string, d helpDoc) {
	fmt.Fprintf(w, ".SS \"%s\"\n.nf\n", roff(path))
	for _, line := range strings.Split(d.usage, "\n") {
		fmt.Fprintf(w, "\\fBpatina\\fR %s\n", roff(strings.TrimPrefix(strings.TrimSpace(line), "patina ")))
	}
	fmt.Fprint(w, ".fi\n")
	for _, para := range strings.Split(d.summary, "\n\n") {
		if strings.Contains(para, "\n ") { // laid out by hand: keep its lines
			fmt.Fprintf(w, ".PP\n.nf\n%s\n.fi\n", roff(para))
		} else {
			fmt.Fprintf(w, ".PP\n%s\n", roff(para))
		}
	}
	d.fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		fmt.Fprint(w, ".TP\n")
		if f.Shorthand != "" {
			fmt.Fprintf(w, "\\fB\\-%s\\fR, ", f.Shorthand)
		}
		fmt.Fprintf(w, "\\fB\\-\\-%s\\fR", roff(f.Name))
		if name != "" && f.NoOptDefVal == "" {
			fmt.Fprintf(w, " \\fI%s\\fR", roff(name))
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" && def != "[]" {
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(w, "\n%s\n", roff(usage))
	})
}

// roffText escapes text for roff: backslashes, and hyphens as minus
// signs, so flags copy and paste. Made on first use: package
// initialisation runs in every command.
var roffText = sync.OnceValue(func() *strings.Replacer { return strings.NewReplacer(`\`, `\e`, "-", `\-`) })

// roff escapes s for roff: roffText, non-ASCII characters as \[uXXXX]
// (groff reads ASCII), and a line starting with a period or an apostrophe
// guarded so that it is not a request.
func roff(s string) string {
	var b strings.Builder
	for _, r := range roffText().Replace(s) {
		if r > 127 {
			fmt.Fprintf(&b, `\[u%04X]`, r)
		} else {
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}
