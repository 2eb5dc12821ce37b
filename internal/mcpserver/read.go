package mcpserver

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/knowledge"
)

// ReadInput is the read tool's arguments: the body of POST /api/read.
type ReadInput struct {
	ID        string `json:"id,omitempty" jsonschema:"a scry result's id (<project>:<number>, also in matches): reads that passage's lines, or the whole commit for a git:<hash> result. Give id, path or cursor."`
	Project   string `json:"project,omitempty" jsonschema:"the registered name of path's project (see the projects tool). Default: the project holding the server's working directory."`
	Path      string `json:"path,omitempty" jsonschema:"a file relative to the project root, as scry gives it, or git:<hash> for a commit. Absolute paths and .. are refused."`
	StartLine int    `json:"start_line,omitempty" jsonschema:"with path: the first line to read (1-based; default 1)"`
	EndLine   int    `json:"end_line,omitempty" jsonschema:"with path: the last line to read (default: the file's last; a reply that cannot hold them all gives next_cursor)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor from the previous read: continues it. Give it alone."`
}

// ReadOutput is the read tool's structured result.
type ReadOutput struct {
	Project    string      `json:"project" jsonschema:"the project read"`
	Path       string      `json:"path" jsonschema:"the file, relative to the project root, or git:<hash>"`
	Kind       string      `json:"kind" jsonschema:"file or commit"`
	StartLine  int         `json:"start_line,omitempty" jsonschema:"the first line in text (1-based)"`
	EndLine    int         `json:"end_line,omitempty" jsonschema:"the last line in text"`
	TotalLines int         `json:"total_lines" jsonschema:"how many lines the file has"`
	Text       string      `json:"text" jsonschema:"the lines start_line to end_line, newline-separated, without their numbers"`
	NextCursor string      `json:"next_cursor,omitempty" jsonschema:"set when the lines asked for did not fit in this reply: pass it as cursor to read on"`
	Commit     *ReadCommit `json:"commit,omitempty" jsonschema:"for kind commit: the commit"`
	Notes      []string    `json:"notes,omitempty" jsonschema:"anything worth knowing, such as a line cut for length"`
	Via        string      `json:"via" jsonschema:"who answered: daemon or in-process"`
}

// ReadCommit is an indexed commit.
type ReadCommit struct {
	Hash         string   `json:"hash" jsonschema:"the full commit hash"`
	Date         string   `json:"date" jsonschema:"its author date (RFC 3339, UTC)"`
	Message      string   `json:"message" jsonschema:"its whole message"`
	Files        []string `json:"files" jsonschema:"the files it touched, relative to the project root (names patina never indexes, such as .env, left out)"`
	FilesChanged int      `json:"files_changed" jsonschema:"how many files it touched in all"`
}

const readDescription = `Read what a scry result points at: give its id to get that passage's lines (or, for a git:<hash> result, the commit's message, date and touched files), or a path (relative to the project root, as scry gives it) with start_line and end_line for other lines of the same file. ` +
	`The reply's text numbers each line (its structured text holds them raw); one reply holds at most %d lines and %d KiB, and next_cursor (passed back as cursor) reads on. ` +
	`It reads only files of registered projects that patina has indexed and would index now: never .env files, keys, credentials, binaries or files over 1 MiB, never a path with .. or an absolute one, never through a symlink out of the project. ` +
	`An id goes out of date when its file changes: the error says to scry again.`

// readInputSchema is ReadInput's schema with line numbers from 1.
func readInputSchema() *jsonschema.Schema {
	s, err := jsonschema.For[ReadInput](nil)
	if err != nil {
		panic(err)
	}
	one := 1.0
	s.Properties["start_line"].Minimum = &one
	s.Properties["end_line"].Minimum = &one
	return s
}

func (s *Server) addRead() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "read",
		Description: fmt.Sprintf(readDescription, knowledge.MaxReadLines, knowledge.MaxReadBytes>>10),
		InputSchema: readInputSchema(),
		Annotations: readOnly("Read a result's lines"),
	}, s.read)
}

func (s *Server) read(ctx context.Context, _ *mcp.CallToolRequest, in ReadInput) (*mcp.CallToolResult, ReadOutput, error) {
	resp, via, err := s.asker.Read(ctx, knowledge.ReadRequest{
		ID: in.ID, Project: in.Project, Path: in.Path, StartLine: in.StartLine, EndLine: in.EndLine, Cursor: in.Cursor,
	})
	if err != nil {
		return nil, ReadOutput{}, toolError("read", err)
	}
	out := ReadOutput{Project: resp.Project, Path: resp.Path, Kind: resp.Kind, StartLine: resp.StartLine, EndLine: resp.EndLine,
		TotalLines: resp.TotalLines, Text: resp.Text, NextCursor: resp.NextCursor, Notes: resp.Notes, Via: via}
	if c := resp.Commit; c != nil {
		out.Commit = &ReadCommit{Hash: c.Hash, Date: c.Date.UTC().Format(time.RFC3339), Message: c.Message, Files: c.Files, FilesChanged: c.FilesChanged}
		if out.Commit.Files == nil {
			out.Commit.Files = []string{}
		}
	}
	return textResult(renderRead(out)), out, nil
}

// renderRead is the text form: a header, then the numbered lines (or the
// commit), then how to read on.
func renderRead(o ReadOutput) string {
	var b strings.Builder
	where := o.Project + ":" + oneLine(o.Path)
	switch {
	case o.Commit != nil:
		c := o.Commit
		fmt.Fprintf(&b, "%s: commit %s, %s, %d files changed (via %s)\n", where, c.Hash, c.Date, c.FilesChanged, o.Via)
		for _, f := range c.Files {
			fmt.Fprintf(&b, "  %s\n", oneLine(f))
		}
		fmt.Fprintf(&b, "\n%s\n", c.Message)
	case o.EndLine == 0:
		fmt.Fprintf(&b, "%s: no lines (via %s)\n", where, o.Via)
	default:
		fmt.Fprintf(&b, "%s lines %d-%d of %d (via %s)\n", where, o.StartLine, o.EndLine, o.TotalLines, o.Via)
		for i, line := range strings.Split(o.Text, "\n") {
			fmt.Fprintf(&b, "%6d\t%s\n", o.StartLine+i, line)
		}
	}
	for _, n := range o.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if o.NextCursor != "" {
		fmt.Fprintf(&b, "more: call read with cursor %q for the lines after %d\n", o.NextCursor, o.EndLine)
	}
	return strings.TrimRight(b.String(), "\n")
}
