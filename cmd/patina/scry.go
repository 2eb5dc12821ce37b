package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	"golang.org/x/term"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/scry"
)

func scryVerb() *verb {
	v := &verb{name: "scry", summary: "search indexed projects (docs, code, git history)"}
	v.run = func(args []string) error {
		fs := flags("scry")
		limit := fs.Int("limit", 0, "at most `N` results (default 10, max 1000)")
		project := fs.String("project", "", "search the registered project `NAME` (default: the one holding the current directory)")
		all := fs.Bool("all-projects", false, "search every registered project and merge the results")
		mode := fs.String("mode", "", "hybrid, lexical or semantic (default: hybrid where the project has embeddings)")
		asJSON := fs.Bool("json", false, "print the API's JSON answer")
		file := fs.String("file", "", "instead of a query: list the files that change together with `PATH` in git history")
		mother := fs.String("mother", "", "ask this daemon: unix:///PATH, tcp://HOST:PORT (token from $"+client.EnvToken+" or the token file) or ssh://[USER@]HOST (default $"+client.EnvMother+", then the local socket)")
		if err := parse(fs, "scry QUERY... [--limit N] [--project NAME] [--all-projects] [--mode MODE] [--json] [--mother URL]\n       patina scry --file PATH [--limit N] [--project NAME] [--json]", v.summary+`.

The words of QUERY are searched as plain text: quotes, operators and
punctuation have no special meaning, and stopwords (the, how, is, ...)
are neither searched nor highlighted. Results are places to open: one per
file (or commit), at its best matching passage, printed as
"path:lines  title  [list #rank, ...]", an excerpt with the matched words
highlighted (colour only on a terminal, and never with NO_COLOR set), the
file's other matching passages ("also:") and, when a matching commit
touched the file, that commit ("changed in:").

Ranking. Each retriever's passages rank the files they are in; a commit
that matches ranks the files it touched (the "history" list); the lists
are fused by weighted reciprocal rank, and each file's score is scaled by
its role under the question's intent. "How does X work", "where is X"
and other questions prefer implementation code over tests, docs and
notes; "why", "when" and "who" questions, and ones about what changed,
prefer commits and notes; a query that is one name prefers its
declaration. See the README for the rules.

Modes: lexical is full-text search (BM25 over stemmed words, a passage's
names, its file's path and its doc comments weighted above its text);
semantic ranks passages by the cosine similarity of their embeddings to
the query's; hybrid (the default) fuses both, the semantic list counting
less. A project without usable embeddings (scraped with --no-embed, model
missing or changed) is searched lexically, and a note on stderr says why.

--file PATH lists the files that changed together with PATH (relative to
the current directory, or to the project root) in the project's git
history, the most often first, with how many commits touched both.

The local daemon is asked first (socket activation starts it); if none
answers, the search runs in this process and a note says so. A --mother
that does not answer is an error.

Exit status: 0 when the search ran, with or without results ("no results"
is said on stderr); 1 on an error, such as an unknown project or a query
with no words; 2 on a bad command line.`, args); err != nil {
			return err
		}
		query := strings.TrimSpace(strings.Join(fs.Args(), " "))
		if fs.Changed("file") {
			switch {
			case query != "":
				return usagef("give either a QUERY or --file PATH, not both")
			case *file == "":
				return usagef("--file needs a PATH")
			case *all:
				return usagef("--file looks in one project: give --project NAME or none, not --all-projects")
			case fs.Changed("mode"):
				return usagef("--mode applies to a QUERY, not to --file")
			}
			if fs.Changed("limit") && *limit < 1 {
				return usagef("--limit must be at least 1 (got %d)", *limit)
			}
			req := knowledge.RelatedRequest{Path: *file, Project: *project, Limit: *limit}
			if client.IsLocal(*mother) {
				// A relative PATH is read from here first, then from the
				// project root.
				if filepath.IsAbs(*file) {
					// Its directory's symlinks resolved, as the project
					// root's are; the file itself is named as given.
					if d, err := filepath.EvalSymlinks(filepath.Dir(*file)); err == nil {
						req.Path = filepath.Join(d, filepath.Base(*file))
					}
				} else if wd, err := os.Getwd(); err == nil {
					req.Dir = wd
				}
			}
			return runRelated(req, *mother, *asJSON)
		}
		if query == "" {
			return usagef("scry needs a QUERY (usage: patina scry QUERY... [flags])")
		}
		if *all && *project != "" {
			return usagef("give either --project or --all-projects, not both")
		}
		if fs.Changed("limit") && *limit < 1 {
			return usagef("--limit must be at least 1 (got %d)", *limit)
		}
		switch *mode {
		case "", scry.ModeHybrid, scry.ModeLexical, scry.ModeSemantic:
		default:
			return usagef("--mode %q: want hybrid, lexical or semantic", *mode)
		}
		req := knowledge.Request{Query: query, Project: *project, AllProjects: *all, Limit: *limit, Mode: *mode}
		return runScry(req, *mother, *asJSON)
	}
	return v
}

// ask runs one request through an Asker (the daemon, else in-process),
// warns about version skew, notes an in-process answer, and prints the
// answer's notes; do sends the request and returns the notes.
func ask(mother string, do func(context.Context, *knowledge.Asker) (via string, notes []string, err error)) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &knowledge.Asker{Mother: mother}
	defer a.Close()
	via, notes, err := do(ctx, a)
	if v := a.DaemonVersion(); v != "" && v != buildinfo.Version {
		fmt.Fprintf(os.Stderr, "patina: warning: mother at %s runs %s, this CLI is %s: restart it (or update one side)\n", a.Target(), v, buildinfo.Version)
	}
	if via == knowledge.ViaInProcess {
		// The Asker falls back without saying why: ask the socket again
		// (sending nothing) whether it is another user's.
		if fe := client.Refusal(ctx, a.Target()); fe != nil {
			fmt.Fprintf(os.Stderr, "patina: note: %s; searched in-process\npatina: hint: %s\n", fe, fe.Hint())
		} else {
			fmt.Fprintf(os.Stderr, "patina: note: mother not answering at %s; searched in-process\n", a.Target())
		}
	}
	if err != nil {
		return scryError(err)
	}
	for _, n := range notes {
		fmt.Fprintf(os.Stderr, "patina: note: %s\n", oneLine(n))
	}
	return nil
}

// printJSON writes v as the daemon encodes it (json.Marshal), so
// in-process output is the same bytes as the API's.
func printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(b, '\n'))
	return err
}

func colorOut() bool {
	return term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

func runScry(req knowledge.Request, mother string, asJSON bool) error {
	var resp scry.Response
	err := ask(mother, func(ctx context.Context, a *knowledge.Asker) (string, []string, error) {
		var via string
		var err error
		resp, via, err = a.Scry(ctx, req)
		return via, resp.Notes, err
	})
	if err != nil {
		return err
	}
	if asJSON {
		if err := printJSON(resp); err != nil {
			return err
		}
	} else {
		printResults(os.Stdout, resp, colorOut())
	}
	if resp.Count == 0 {
		fmt.Fprintln(os.Stderr, "patina: no results")
	}
	return nil
}

func runRelated(req knowledge.RelatedRequest, mother string, asJSON bool) error {
	var resp scry.RelatedResponse
	err := ask(mother, func(ctx context.Context, a *knowledge.Asker) (string, []string, error) {
		var via string
		var err error
		resp, via, err = a.Related(ctx, req)
		return via, resp.Notes, err
	})
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(resp)
	}
	printRelated(os.Stdout, resp, colorOut())
	if resp.Count == 0 {
		fmt.Fprintln(os.Stderr, "patina: no results")
	}
	return nil
}

// styler wraps text in an ANSI style when color is on.
func styler(color bool) func(code, s string) string {
	return func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
}

// printRelated writes one line per co-changed file: its path, how many of
// the commits that touched the asked-for file touched it too, and the
// newest of them.
func printRelated(w io.Writer, resp scry.RelatedResponse, color bool) {
	style := styler(color)
	for _, r := range resp.Results {
		short := r.Last.Hash
		if len(short) > 7 {
			short = short[:7]
		}
		fmt.Fprintf(w, "%s  %d of %d commits  last %s %s %s\n", style(ansiPath, printable(r.Path)), r.Commits, resp.Commits,
			r.Last.Date.Format("2006-01-02"), short, printable(r.Last.Subject))
	}
}

// scryError turns a failed search into the message the user needs.
func scryError(err error) error {
	var api *client.APIError
	var foreign *client.ForeignError
	switch {
	case errors.As(err, &foreign):
		return withHint(err, foreign.Hint())
	case errors.As(err, &api) && api.Status == http.StatusBadRequest:
		return errors.New(api.Msg)
	case errors.As(err, &api) && api.Status == http.StatusUnauthorized:
		return withHint(err, "set $"+client.EnvToken+" or copy the daemon's token file (`patina mother token` prints its path there) to this machine's")
	case errors.As(err, &api) && api.Status == http.StatusGatewayTimeout:
		return withHint(err, "narrow the query, or raise the daemon's --query-timeout")
	case errors.As(err, &api) && api.Status == http.StatusServiceUnavailable:
		return withHint(err, "the daemon is busy: try again in a moment")
	case knowledge.IsInputError(err):
		return err
	case errors.Is(err, client.ErrUnreachable):
		return withHint(err, "is mother running there? `patina mother status` on that machine says")
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "patina: interrupted")
		return exitError{exitInterrupted}
	}
	return err
}

// ANSI styles for a colour terminal.
const (
	ansiPath  = "\x1b[35m"   // magenta, like grep's file names
	ansiTitle = "\x1b[1m"    // bold
	ansiMatch = "\x1b[1;31m" // bold red, like grep's matches
	ansiReset = "\x1b[0m"
)

// printResults writes the compact ranked list: one "path:lines  title"
// line per result, its snippet indented below. Text from the index is
// stripped of control characters first, so an indexed file can never
// drive the terminal.
func printResults(w io.Writer, resp scry.Response, color bool) {
	multi := false
	for _, r := range resp.Results {
		if r.Project != "" && r.Project != resp.Results[0].Project {
			multi = true
		}
	}
	style := styler(color)
	for _, r := range resp.Results {
		loc := printable(r.Path)
		if r.Kind != "commit" && r.StartLine > 0 {
			loc += fmt.Sprintf(":%d-%d", r.StartLine, r.EndLine)
		}
		if multi {
			loc = r.Project + ":" + loc
		}
		fmt.Fprintf(w, "%s  %s  %s\n", style(ansiPath, loc), style(ansiTitle, printable(r.Title)), foundBy(r))
		start, end := "", ""
		if color {
			start, end = ansiMatch, ansiReset
		}
		if s := scry.Highlight(printable(r.Snippet), start, end); s != "" {
			fmt.Fprintf(w, "    %s\n", s)
		}
		if len(r.Matches) > 0 {
			also := make([]string, 0, len(r.Matches))
			for _, m := range r.Matches {
				also = append(also, fmt.Sprintf("%d-%d %s", m.StartLine, m.EndLine, printable(strings.TrimPrefix(m.Title, r.Path+": "))))
			}
			fmt.Fprintf(w, "    also: %s\n", strings.Join(also, "; "))
		}
		if len(r.Commits) > 0 {
			fmt.Fprintf(w, "    changed in: %s\n", strings.Join(r.Commits, ", "))
		}
	}
}

// foundBy says which retrievers found r, and at which rank:
// "[lexical #1, semantic #4]".
func foundBy(r scry.Result) string {
	parts := make([]string, 0, len(r.Sources))
	for _, s := range r.Sources {
		parts = append(parts, fmt.Sprintf("%s #%d", s, r.Ranks[s]))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// printable folds whitespace runs to one space and drops other control
// characters (ESC included) and invisible format characters.
func printable(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
