package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/knowledge"
)

// RelatedInput is the related tool's arguments: the body of POST
// /api/related.
type RelatedInput struct {
	Path    string `json:"path" jsonschema:"the file, relative to the project root (as scry results give it)"`
	Project string `json:"project,omitempty" jsonschema:"the registered name of the project (see the projects tool). Default: the project holding the server's working directory."`
	Limit   Limit  `json:"limit,omitempty" jsonschema:"how many files to return, 1 to 1000 (default 10)"`
}

// RelatedOutput is the related tool's structured result.
type RelatedOutput struct {
	Project string          `json:"project" jsonschema:"the project searched"`
	Path    string          `json:"path" jsonschema:"the file asked about, relative to the project root"`
	Commits int             `json:"commits" jsonschema:"how many indexed commits touched it"`
	Results []RelatedResult `json:"results" jsonschema:"the files that changed with it, the most often first"`
	Count   int             `json:"count" jsonschema:"how many results there are"`
	Notes   []string        `json:"notes,omitempty" jsonschema:"anything worth knowing, such as a file with no history"`
	Via     string          `json:"via" jsonschema:"who answered: daemon or in-process"`
}

// RelatedResult is one file that changed together with the asked-for one.
type RelatedResult struct {
	Path        string  `json:"path" jsonschema:"the file, relative to the project root"`
	Commits     int     `json:"commits" jsonschema:"how many commits touched both files"`
	Share       float64 `json:"share" jsonschema:"commits over the commits that touched the asked-for file (1: every time)"`
	LastCommit  string  `json:"last_commit" jsonschema:"the newest commit that touched both (full hash)"`
	LastDate    string  `json:"last_date" jsonschema:"its author date, YYYY-MM-DD"`
	LastSubject string  `json:"last_subject" jsonschema:"its subject line"`
}

const relatedDescription = `List the files that change together with a file, from the project's git history: the files the same commits touched, the most often first. ` +
	`Use it after scry finds the file to change, to learn what else usually changes with it (its tests, callers, docs). ` +
	`Give path as scry returned it (relative to the project root).`

func (s *Server) addRelated() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "related",
		Description: relatedDescription,
		Annotations: readOnly("Files that change together"),
	}, s.related)
}

func (s *Server) related(ctx context.Context, _ *mcp.CallToolRequest, in RelatedInput) (*mcp.CallToolResult, RelatedOutput, error) {
	if strings.TrimSpace(in.Path) == "" {
		return nil, RelatedOutput{}, errors.New("path is empty: give a file relative to the project root")
	}
	resp, via, err := s.asker.Related(ctx, knowledge.RelatedRequest{Path: in.Path, Project: in.Project, Limit: int(in.Limit)})
	if err != nil {
		return nil, RelatedOutput{}, toolError("related", err)
	}
	out := RelatedOutput{Project: resp.Project, Path: resp.Path, Commits: resp.Commits, Results: []RelatedResult{},
		Count: resp.Count, Notes: resp.Notes, Via: via}
	for _, r := range resp.Results {
		out.Results = append(out.Results, RelatedResult{Path: r.Path, Commits: r.Commits, Share: r.Share,
			LastCommit: r.Last.Hash, LastDate: r.Last.Date.Format("2006-01-02"), LastSubject: r.Last.Subject})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d files changed together with %s (%d commits touched it; via %s)\n", out.Count, oneLine(out.Path), out.Commits, via)
	for i, r := range out.Results {
		fmt.Fprintf(&b, "%d. %s  %d of %d commits, last %s %s\n", i+1, oneLine(r.Path), r.Commits, out.Commits, r.LastDate, oneLine(r.LastSubject))
	}
	for _, n := range out.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return textResult(strings.TrimRight(b.String(), "\n")), out, nil
}
