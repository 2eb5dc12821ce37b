package scry

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// A result's match line and excerpt come from its best chunk's whole
// text with the query's words marked (index.DB.Marked): the match line is
// the line holding the most distinct query words, the first such; a chunk
// whose text holds none (found by its names, its path or its meaning)
// matches at its first non-blank line. The excerpt is a few lines around
// the match line, as the terminal prints them.

// Excerpt limits.
const (
	// ExcerptLines is how many lines an excerpt holds at most: the match
	// line, the one before it and two after (fewer at a chunk's edges).
	ExcerptLines = 4
	// MaxExcerptLineBytes caps each excerpt line (minified code is one
	// long line); a longer line is cut around its first marked word.
	MaxExcerptLineBytes = 240
)

// Line is one numbered line of an excerpt.
type Line struct {
	Line int    `json:"line"` // in the file (for a commit, in its message), from 1
	Text string `json:"text"` // query words between MarkStart and MarkEnd
}

// locate sets r.MatchLine and r.Excerpt from text, the marked text of r's
// best chunk, whose first line is r.StartLine.
func locate(r *Result, text string) {
	lines := strings.Split(text, "\n")
	best, most := -1, 0
	for i, l := range lines {
		if n := len(markedWords(l)); n > most {
			best, most = i, n
		}
	}
	if best < 0 {
		best = 0
		for i, l := range lines {
			if strings.TrimSpace(l) != "" {
				best = i
				break
			}
		}
	}
	lo := max(0, best-1)
	hi := min(len(lines), lo+ExcerptLines)
	lo = max(0, hi-ExcerptLines)
	for lo < best && strings.TrimSpace(lines[lo]) == "" {
		lo++
	}
	for hi > best+1 && strings.TrimSpace(lines[hi-1]) == "" {
		hi--
	}
	first := max(r.StartLine, 1)
	r.MatchLine = first + best
	r.Excerpt = make([]Line, 0, hi-lo)
	for i := lo; i < hi; i++ {
		r.Excerpt = append(r.Excerpt, Line{Line: first + i, Text: clip(strings.TrimRight(lines[i], " \t\r"), MaxExcerptLineBytes)})
	}
}

// markedWords are the distinct words (lower-cased) marked in s.
func markedWords(s string) map[string]bool {
	var words map[string]bool
	for {
		i := strings.Index(s, MarkStart)
		if i < 0 {
			return words
		}
		s = s[i+len(MarkStart):]
		j := strings.Index(s, MarkEnd)
		if j < 0 {
			return words
		}
		if words == nil {
			words = map[string]bool{}
		}
		words[strings.ToLower(s[:j])] = true
		s = s[j+len(MarkEnd):]
	}
}

// unmarkStopwords removes the marks around stopwords that are not among
// terms. The index stems what it matches, so a query word can mark a
// stopword that shares its stem ("ones" marks "on", "others" "other").
func unmarkStopwords(s string, terms []string) string {
	if !strings.Contains(s, MarkStart) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, MarkStart)
		if i < 0 {
			break
		}
		j := strings.Index(s[i+len(MarkStart):], MarkEnd)
		if j < 0 {
			break
		}
		w := s[i+len(MarkStart) : i+len(MarkStart)+j]
		b.WriteString(s[:i])
		if lw := strings.ToLower(w); IsStopword(lw) && !slices.Contains(terms, lw) {
			b.WriteString(w)
		} else {
			b.WriteString(MarkStart + w + MarkEnd)
		}
		s = s[i+len(MarkStart)+j+len(MarkEnd):]
	}
	b.WriteString(s)
	return b.String()
}

// clip cuts a line longer than n bytes to about n, keeping its first
// marked word in view and every mark whole; "…" stands for what was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	start := 0
	if m := strings.Index(s, MarkStart); m > n/2 {
		start = m - n/4
	}
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	end := min(len(s), start+n)
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end--
	}
	// Not inside a mark: an open MarkStart would colour the rest.
	if open := strings.LastIndex(s[start:end], MarkStart); open >= 0 && !strings.Contains(s[start+open:end], MarkEnd) {
		end = start + open
	}
	out := s[start:end]
	if start > 0 {
		out = "…" + out
	}
	if end < len(s) {
		out += "…"
	}
	return out
}
