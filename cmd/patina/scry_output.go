package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/patina-dev/patina/internal/scry"
)

// How `patina scry` prints results, in ripgrep's shape:
//
//	service/serve.go:81: Serve  [lexical #1, semantic #4]
//	  80-func Serve(ctx context.Context) error {
//	  81:	ln, err := «listen»(ctx)
//	  82-	if err != nil {
//	  also: 120-160 Shutdown; 200-230 drain
//	  changed in: git:abc1234
//
// The path is relative to the current directory (../service/serve.go
// from a sibling), so a terminal or editor can open it at the line; a
// commit is git:<hash>, its excerpt unnumbered. Text from the index is
// stripped of control characters first, so an indexed file can never
// drive the terminal.

// ANSI styles for a colour terminal.
const (
	ansiPath  = "\x1b[35m"   // magenta, like grep's file names
	ansiLine  = "\x1b[32m"   // green, like grep's line numbers
	ansiTitle = "\x1b[1m"    // bold
	ansiMatch = "\x1b[1;31m" // bold red, like grep's matches
	ansiReset = "\x1b[0m"
)

// printResults writes each result's "path:line: title" line, its excerpt,
// its other matching passages and the commits that ranked it, a blank
// line between results. cwd (canonical, "" if unknown) is what paths
// are made relative to.
func printResults(w io.Writer, resp scry.Response, cwd string, color bool) {
	multi := false
	for _, r := range resp.Results {
		if r.Project != "" && r.Project != resp.Results[0].Project {
			multi = true
		}
	}
	style := styler(color)
	start, end := "", ""
	if color {
		start, end = ansiMatch, ansiReset
	}
	for i, r := range resp.Results {
		if i > 0 {
			fmt.Fprintln(w)
		}
		loc := style(ansiPath, displayPath(r, resp.Projects[r.Project].Root, cwd, multi))
		if r.Kind != "commit" && r.MatchLine > 0 {
			loc += ":" + style(ansiLine, strconv.Itoa(r.MatchLine))
		}
		if t := displayTitle(r); t != "" {
			fmt.Fprintf(w, "%s: %s  %s\n", loc, style(ansiTitle, t), foundBy(r))
		} else {
			fmt.Fprintf(w, "%s: %s\n", loc, foundBy(r))
		}
		width := 0
		if n := len(r.Excerpt); n > 0 {
			width = len(strconv.Itoa(r.Excerpt[n-1].Line))
		}
		for _, l := range r.Excerpt {
			text := scry.Highlight(printableLine(l.Text), start, end)
			switch {
			case r.Kind == "commit" && (l.Line == 1 || strings.TrimSpace(l.Text) == ""):
				continue // the subject is in the title
			case r.Kind == "commit":
				fmt.Fprintf(w, "  %s\n", text)
			default:
				sep := "-"
				if l.Line == r.MatchLine {
					sep = ":"
				}
				fmt.Fprintf(w, "  %s%s%s\n", style(ansiLine, fmt.Sprintf("%*d", width, l.Line)), sep, text)
			}
		}
		if len(r.Excerpt) == 0 && r.Snippet != "" { // from a daemon that sends no excerpt
			fmt.Fprintf(w, "  %s\n", scry.Highlight(printable(r.Snippet), start, end))
		}
		if len(r.Matches) > 0 {
			fmt.Fprintf(w, "  also: %s\n", alsoList(r))
		}
		if len(r.Commits) > 0 {
			fmt.Fprintf(w, "  changed in: %s\n", strings.Join(r.Commits, ", "))
		}
	}
}

// maxAlsoWidth bounds the "also:" line; the passages that do not fit are
// counted.
const maxAlsoWidth = 100

// alsoList is r's other matching passages, "START-END title; …", as many
// as fit in maxAlsoWidth (at least one), then "(+N more)".
func alsoList(r scry.Result) string {
	var b strings.Builder
	for i, m := range r.Matches {
		item := fmt.Sprintf("%d-%d %s", m.StartLine, m.EndLine, printable(strings.TrimPrefix(m.Title, r.Path+": ")))
		if i > 0 && b.Len()+len("; ")+len(item) > maxAlsoWidth {
			fmt.Fprintf(&b, " (+%d more)", len(r.Matches)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(item)
	}
	return b.String()
}

// displayPath is where a result is, for a human: a file relative to cwd
// when it lies below cwd or cwd lies in its project, else absolute; as
// the index names it ("project:" first when several projects answered)
// when the project's root is unknown (a remote daemon does not say).
func displayPath(r scry.Result, root, cwd string, multi bool) string {
	if r.Kind != "commit" && root != "" && cwd != "" {
		abs := filepath.Join(root, filepath.FromSlash(r.Path))
		if rel, err := filepath.Rel(cwd, abs); err == nil && (!escapes(rel) || within(cwd, root)) {
			return printable(rel)
		}
		return printable(abs)
	}
	if multi && r.Project != "" {
		return printable(r.Project) + ":" + printable(r.Path)
	}
	return printable(r.Path)
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && !escapes(rel)
}

// escapes reports whether a relative path climbs out of its base.
func escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// displayTitle is the title without what the line already says: a code
// chunk's "path: " prefix, a title that is only the path, a commit's
// short hash.
func displayTitle(r scry.Result) string {
	t := r.Title
	switch {
	case r.Kind == "commit":
		// "2024-02-02 abc1234 Subject" → "2024-02-02 Subject"
		if hash := strings.TrimPrefix(r.Path, "git:"); hash != r.Path {
			t = strings.Replace(t, " "+hash, "", 1)
		}
	case t == r.Path:
		t = ""
	default:
		t = strings.TrimPrefix(t, r.Path+": ")
	}
	return printable(t)
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

// printableLine is one excerpt line made safe to print: tabs kept (they
// indent code), other control and invisible format characters dropped.
func printableLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			return -1
		}
		return r
	}, s)
}
