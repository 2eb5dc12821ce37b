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
		mother := fs.String("mother", "", "ask this daemon: unix:///PATH, tcp://HOST:PORT (token from $"+client.EnvToken+" or the token file) or ssh://[USER@]HOST (default $"+client.EnvMother+", then the local socket)")
		if err := parse(fs, "scry QUERY... [--limit N] [--project NAME] [--all-projects] [--mode MODE] [--json] [--mother URL]", v.summary+`.

The words of QUERY are searched as plain text: quotes, operators and
punctuation have no special meaning. Each result is printed as
"path:lines  title  [retriever #rank, ...]" and an excerpt with the
matched words highlighted (colour only on a terminal, and never with
NO_COLOR set).

Modes: lexical is full-text search (BM25, stemmed words; for a query that
is one name, such as shutil.rmtree, the chunks declaring it rank first);
semantic ranks chunks by the cosine similarity of their embeddings to the
query's; hybrid (the default) fuses both by weighted reciprocal rank, the
lexical list counting three times the semantic one (ten times for a
one-word query, which is usually a name). A project without usable
embeddings (scraped with --no-embed, model missing or changed) is searched
lexically, and a note on stderr says why.

The local daemon is asked first (socket activation starts it); if none
answers, the search runs in this process and a note says so. A --mother
that does not answer is an error.

Exit status: 0 when the search ran, with or without results ("no results"
is said on stderr); 1 on an error, such as an unknown project or a query
with no words; 2 on a bad command line.`, args); err != nil {
			return err
		}
		query := strings.TrimSpace(strings.Join(fs.Args(), " "))
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

func runScry(req knowledge.Request, mother string, asJSON bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &knowledge.Asker{Mother: mother}
	defer a.Close()
	resp, via, err := a.Scry(ctx, req)
	if v := a.DaemonVersion(); v != "" && v != buildinfo.Version {
		fmt.Fprintf(os.Stderr, "patina: warning: mother at %s runs %s, this CLI is %s: restart it (or update one side)\n", a.Target(), v, buildinfo.Version)
	}
	if via == knowledge.ViaInProcess {
		fmt.Fprintf(os.Stderr, "patina: note: mother not answering at %s; searched in-process\n", a.Target())
	}
	if err != nil {
		return scryError(err)
	}
	for _, n := range resp.Notes {
		fmt.Fprintf(os.Stderr, "patina: note: %s\n", oneLine(n))
	}
	if asJSON {
		// The daemon's encoding (json.Marshal), so in-process output is
		// the same bytes as the API's.
		b, err := json.Marshal(resp)
		if err != nil {
			return err
		}
		os.Stdout.Write(append(b, '\n'))
	} else {
		color := term.IsTerminal(int(os.Stdout.Fd())) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
		printResults(os.Stdout, resp, color)
	}
	if resp.Count == 0 {
		fmt.Fprintln(os.Stderr, "patina: no results")
	}
	return nil
}

// scryError turns a failed search into the message the user needs.
func scryError(err error) error {
	var api *client.APIError
	switch {
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
	style := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
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
