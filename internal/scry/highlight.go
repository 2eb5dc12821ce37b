package scry

import "strings"

// Snippet markers: Result.Snippet has each matched term between MarkStart
// and MarkEnd. They read naturally in JSON and plain text; a terminal
// swaps them for colour with Highlight. (Text that itself contains « or »
// will show those characters as markers too.)
const (
	MarkStart = "«"
	MarkEnd   = "»"
)

// Highlight replaces the snippet markers with start and end, e.g. ANSI
// escape codes on a colour terminal, or "" to strip them.
func Highlight(snippet, start, end string) string {
	return strings.NewReplacer(MarkStart, start, MarkEnd, end).Replace(snippet)
}
