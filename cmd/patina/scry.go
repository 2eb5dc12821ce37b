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
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

func scryVerb() *verb {
	v := &verb{name: "scry", summary: "search indexed projects (docs, code, git history)"}
	v.run = func(args []string) error {
		fs := flags("scry")
		limit := fs.IntP("limit", "n", 0, "at most `N` results (default 10, max 1000)")
		project := fs.StringP("project", "p", "", "search the registered project `NAME` (default: the one holding the current directory)")
		all := fs.BoolP("all-projects", "a", false, "search every registered project and merge the results")
		mode := fs.StringP("mode", "m", "", "hybrid, lexical or semantic (default: hybrid where the project has embeddings)")
		kind := fs.String("kind", "", "only results of kind `K`: code, doc or commit (several separated by commas)")
		under := fs.String("path", "", "only files at or under `PREFIX` (a file or directory), and the commits that touched one")
		asJSON := fs.BoolP("json", "j", false, "print the API's JSON answer")
		file := fs.String("file", "", "instead of a query: list the files that change together with `PATH` in git history")
		mother := fs.String("mother", "", "ask this daemon: unix:///PATH, tcp://HOST:PORT (token from $"+client.EnvToken+" or the token file) or ssh://[USER@]HOST (default $"+client.EnvMother+", then the local socket)")
		if err := parse(fs, "scry QUERY... [--limit N] [--project NAME] [--all-projects] [--mode MODE] [--kind K] [--path PREFIX] [--json] [--mother URL]\n       patina scry --file PATH [--limit N] [--project NAME] [--json]", v.summary+`.

The words of QUERY are searched as plain text: quotes, operators and
punctuation have no special meaning, and stopwords (the, how, is, ...)
are neither searched nor highlighted. Results are places to open: one per
file (or commit), at its best matching passage, printed as ripgrep does:

    service/serve.go:81: Serve  [lexical #1, semantic #4]
      80-func Serve(ctx context.Context) error {
      81:    ln, err := listen(ctx)
      82-    if err != nil {
      also: 120-160 Shutdown
      changed in: git:abc1234

"path:line:" is the file (relative to the current directory) at the
line holding the most words of the query, then the passage's title and
which lists found it at which rank; a few numbered lines around that
line follow, the matched words highlighted (colour only on a terminal,
and never with NO_COLOR set); then the file's other matching passages
("also:") and, when a matching commit touched the file, that commit
("changed in:"). A commit is "git:HASH: date subject", its message
below.

--json prints the API's answer: every result with its path relative to
the project root, its passage (start_line, end_line), match_line, an
excerpt of numbered lines, the snippet, score and ranks, and the
projects' roots ("projects": {"NAME": {"root": DIR}}). In snippet and
excerpt text the matched words are between « and » (text that itself
holds « or » shows them too).

--kind keeps one kind of result: code, doc (Markdown and text) or
commit, or several separated by commas. --path keeps the files at or
under a file or directory (relative to the current directory when it
names something there inside the project, else to the project root) and
the commits that touched one. Both filter before --limit counts.

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
less. In hybrid mode, when no passage holds a word of the query and
nothing comes near it in meaning (a nonsense word, a misspelling), the
answer is no results and a note, not the nearest unrelated passages;
semantic mode always lists the nearest. A project without usable
embeddings (scraped with --no-embed, model missing or changed) is
searched lexically, and a note on stderr says why.

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
			}
			for _, f := range []string{"mode", "kind", "path"} {
				if fs.Changed(f) {
					return usagef("--%s applies to a QUERY, not to --file", f)
				}
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
		prefix, err := pathPrefix(*under, *project, *all, *mother)
		if err != nil {
			return err
		}
		if _, err := scry.ParseFilter(*kind, prefix); err != nil {
			return usagef("%s", asFlags(err.Error()))
		}
		req := knowledge.Request{Query: query, Project: *project, AllProjects: *all, Limit: *limit, Mode: *mode, Kind: *kind, PathPrefix: prefix}
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
			noteFallback(a.Target())
		}
	} else if a.DaemonVersion() != "" { // a daemon answered, if only with an error
		fallbackAnswered()
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
		printResults(os.Stdout, resp, canonicalWd(), colorOut())
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
		return errors.New(asFlags(api.Msg))
	case errors.As(err, &api) && api.Status == http.StatusUnauthorized:
		return withHint(err, "set $"+client.EnvToken+" or copy the daemon's token file (`patina mother token` prints its path there) to this machine's")
	case errors.As(err, &api) && api.Status == http.StatusGatewayTimeout:
		return withHint(err, "narrow the query, or raise the daemon's --query-timeout")
	case errors.As(err, &api) && api.Status == http.StatusServiceUnavailable:
		return withHint(err, "the daemon is busy: try again in a moment")
	case knowledge.IsInputError(err):
		return errors.New(asFlags(err.Error()))
	case errors.Is(err, client.ErrUnreachable):
		return withHint(err, "is mother running there? `patina mother status` on that machine says")
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "patina: interrupted")
		return exitError{exitInterrupted}
	}
	return err
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

// asFlags names a request field in an API error as the flag that sets
// it: "path_prefix must be ..." is "--path must be ...".
func asFlags(msg string) string {
	for field, flag := range map[string]string{"path_prefix": "--path", "kind": "--kind"} {
		if rest, ok := strings.CutPrefix(msg, field+" "); ok {
			return flag + " " + rest
		}
	}
	return msg
}

// canonicalWd is the current directory with its symlinks resolved, as
// project roots are; "" if unknown.
func canonicalWd() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(wd); err == nil {
		return real
	}
	return wd
}

// pathPrefix turns --path into the request's path_prefix, relative to
// the project root. Against the local daemon, a relative PATH that names
// something from the current directory, inside the searched project, is
// read from there (as ripgrep reads paths); anything else is read from
// the project root. An absolute PATH must lie in the project.
func pathPrefix(arg, project string, all bool, mother string) (string, error) {
	if arg == "" || all || !client.IsLocal(mother) {
		return filepath.ToSlash(arg), nil
	}
	wd := canonicalWd()
	root := localRoot(project, wd)
	if root == "" {
		return filepath.ToSlash(arg), nil // the search says what is wrong with the project
	}
	abs := arg
	if filepath.IsAbs(arg) {
		// Its directory's symlinks resolved, as the root's are.
		if d, err := filepath.EvalSymlinks(filepath.Dir(arg)); err == nil {
			abs = filepath.Join(d, filepath.Base(arg))
		}
	} else {
		abs = filepath.Join(wd, arg)
		if _, err := os.Lstat(abs); err != nil || wd == "" || !within(wd, root) {
			return filepath.ToSlash(arg), nil
		}
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || escapes(rel) {
		return "", usagef("--path %s is outside the project (%s)", printable(arg), printable(root))
	}
	return filepath.ToSlash(rel), nil
}

// localRoot is the root of the project a local search would search: the
// one named, else the one holding wd; "" if none is found.
func localRoot(project, wd string) string {
	reg, err := projects.Default()
	if err != nil {
		return ""
	}
	var p projects.Project
	if project != "" {
		p, err = reg.Resolve(project)
	} else {
		p, err = reg.ResolveDir(wd)
	}
	if err != nil {
		return ""
	}
	return p.Path
}
