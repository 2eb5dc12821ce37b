package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/scry"
)

// ScryInput is the scry tool's arguments: the body of POST /api/scry.
type ScryInput struct {
	Query       string `json:"query" jsonschema:"what to look for, in plain words; no query syntax (quotes, operators, wildcards are treated as separators). At most 1024 bytes."`
	Project     string `json:"project,omitempty" jsonschema:"the registered name of the project to search (see the projects tool). Default: the project holding the server's working directory."`
	AllProjects bool   `json:"all_projects,omitempty" jsonschema:"search every registered project and fuse the rankings. Do not combine with project."`
	Limit       Limit  `json:"limit,omitempty" jsonschema:"how many results to return, 1 to 1000 (default 10); larger values are clamped to 1000, smaller to 1."`
	Mode        string `json:"mode,omitempty" jsonschema:"lexical (full-text BM25), semantic (embeddings) or hybrid (both, fused). Default: the best available. Without an embedding model semantic and hybrid run lexically and a note says so."`
}

// Limit is a result count that clamps instead of failing: any whole
// number is accepted and brought into 1..scry.MaxLimit (0, or absent,
// means the default), as the HTTP API does.
type Limit int

// UnmarshalJSON clamps the number, however large.
func (l *Limit) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("limit must be a whole number, got %s", b)
	}
	if f != math.Trunc(f) {
		return fmt.Errorf("limit must be a whole number, got %s", b)
	}
	switch {
	case f == 0:
		*l = 0
	case f < 1:
		*l = 1
	case f > scry.MaxLimit:
		*l = scry.MaxLimit
	default:
		*l = Limit(f)
	}
	return nil
}

// ScryOutput is the scry tool's structured result.
type ScryOutput struct {
	Results  []ScryResult `json:"results" jsonschema:"the ranked results, best first"`
	Count    int          `json:"count" jsonschema:"how many results there are"`
	Mode     string       `json:"mode" jsonschema:"the mode actually used"`
	Degraded bool         `json:"degraded,omitempty" jsonschema:"set when mode is not the one asked for; notes say why"`
	Notes    []string     `json:"notes,omitempty" jsonschema:"anything worth knowing about the search, such as a project that could not be searched"`
	Via      string       `json:"via" jsonschema:"who answered: daemon (the mother daemon) or in-process (no daemon answered, so this server searched itself)"`
}

// ScryResult is one chunk found.
type ScryResult struct {
	Project   string   `json:"project,omitempty" jsonschema:"the registered project it is in"`
	Path      string   `json:"path" jsonschema:"the file, relative to the project root; git:<hash> for a commit message"`
	StartLine int      `json:"start_line" jsonschema:"first line of the chunk (1-based)"`
	EndLine   int      `json:"end_line" jsonschema:"last line of the chunk"`
	Kind      string   `json:"kind" jsonschema:"doc, code or commit"`
	Title     string   `json:"title" jsonschema:"where the chunk sits: heading path, symbol or commit subject"`
	Snippet   string   `json:"snippet" jsonschema:"an excerpt with the matched words between « and »"`
	Score     float64  `json:"score" jsonschema:"fused rank score, comparable within one answer only"`
	Sources   []string `json:"sources" jsonschema:"the lists that found it: lexical, semantic, history (a matching commit touched it)"`
	ID        string   `json:"id" jsonschema:"project:chunk id of the best passage, stable until the chunk changes"`
	Matches   []Match  `json:"matches,omitempty" jsonschema:"the file's other matching passages, best first"`
	Commits   []string `json:"commits,omitempty" jsonschema:"matching commits that touched the file (git:<hash>)"`
}

// Match is a further matching passage of a result's file.
type Match struct {
	StartLine int    `json:"start_line" jsonschema:"first line of the passage"`
	EndLine   int    `json:"end_line" jsonschema:"last line of the passage"`
	Title     string `json:"title" jsonschema:"where it sits"`
}

const scryDescription = `Search the developer's indexed projects (Markdown docs and session notes, source code, git commit messages) and get the files to open, best first, each at its best passage's line range. ` +
	`Use it before reading files blindly: to find where a feature, decision, command or error is written down or implemented. ` +
	`Give a few plain words (no query syntax). By default it searches the project the agent is working in; name another with project (see the projects tool) or set all_projects. ` +
	`Questions about how or where something works rank implementation code first; why/when questions rank commits and notes first. ` +
	`Each result is one file (or commit) with path, start_line-end_line, title, a snippet with matches marked «», the file's other matching passages, and which lists found it; via says whether the mother daemon or this server answered. ` +
	`Returns nothing secret and takes no credentials.`

// scryInputSchema is ScryInput's schema with the modes spelt out.
func scryInputSchema() *jsonschema.Schema {
	s, err := jsonschema.For[ScryInput](nil)
	if err != nil {
		panic(err)
	}
	s.Properties["mode"].Enum = []any{scry.ModeLexical, scry.ModeSemantic, scry.ModeHybrid}
	return s
}

func (s *Server) addScry() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "scry",
		Description: scryDescription,
		InputSchema: scryInputSchema(),
		Annotations: readOnly("Search indexed projects"),
	}, s.scry)
}

func (s *Server) scry(ctx context.Context, _ *mcp.CallToolRequest, in ScryInput) (*mcp.CallToolResult, ScryOutput, error) {
	if strings.TrimSpace(in.Query) == "" {
		return nil, ScryOutput{}, errors.New("query is empty: give a few words to search for")
	}
	resp, via, err := s.asker.Scry(ctx, knowledge.Request{
		Query: in.Query, Project: in.Project, AllProjects: in.AllProjects,
		Limit: int(in.Limit), Mode: in.Mode,
	})
	if err != nil {
		return nil, ScryOutput{}, scryError(err)
	}
	out := ScryOutput{Results: make([]ScryResult, 0, len(resp.Results)), Count: resp.Count, Mode: resp.Mode, Degraded: resp.Degraded, Notes: resp.Notes, Via: via}
	for _, r := range resp.Results {
		sources := r.Sources
		if sources == nil {
			sources = []string{}
		}
		res := ScryResult{
			Project: r.Project, Path: r.Path, StartLine: r.StartLine, EndLine: r.EndLine, Kind: r.Kind,
			Title: r.Title, Snippet: r.Snippet, Score: r.Score, Sources: sources, ID: r.ID, Commits: r.Commits,
		}
		for _, m := range r.Matches {
			res.Matches = append(res.Matches, Match{StartLine: m.StartLine, EndLine: m.EndLine, Title: m.Title})
		}
		out.Results = append(out.Results, res)
	}
	return textResult(renderScry(in.Query, out)), out, nil
}

// scryError turns a failure into the message the agent sees.
func scryError(err error) error {
	var api *client.APIError
	switch {
	case knowledge.IsInputError(err):
		return err
	case errors.As(err, &api) && api.Status/100 == 4:
		return errors.New(api.Msg)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &api) && api.Status == 504:
		return errors.New("the search took too long and was stopped: try fewer words or one project")
	case errors.Is(err, context.Canceled):
		return errors.New("the search was cancelled")
	}
	return fmt.Errorf("scry failed: %v", err)
}

// renderScry is the compact text form: one line per result and its
// snippet on the next.
func renderScry(query string, out ScryOutput) string {
	var b strings.Builder
	noun := "results"
	if out.Count == 1 {
		noun = "result"
	}
	if out.Count == 0 {
		fmt.Fprintf(&b, "no results for %q (%s, via %s)\n", query, out.Mode, out.Via)
	} else {
		fmt.Fprintf(&b, "%d %s for %q (%s, via %s)\n", out.Count, noun, query, out.Mode, out.Via)
	}
	for i, r := range out.Results {
		where := oneLine(r.Path) // a file name can hold a newline
		if r.Project != "" {
			where = r.Project + ":" + where
		}
		if r.StartLine > 0 {
			where += fmt.Sprintf(":%d-%d", r.StartLine, r.EndLine)
		}
		fmt.Fprintf(&b, "%d. %s  %s  [%s; %s]\n", i+1, where, oneLine(r.Title), r.Kind, strings.Join(r.Sources, "+"))
		if snip := oneLine(r.Snippet); snip != "" {
			fmt.Fprintf(&b, "   %s\n", snip)
		}
		if len(r.Matches) > 0 {
			also := make([]string, 0, len(r.Matches))
			for _, m := range r.Matches {
				also = append(also, fmt.Sprintf("%d-%d", m.StartLine, m.EndLine))
			}
			fmt.Fprintf(&b, "   also lines %s\n", strings.Join(also, ", "))
		}
		if len(r.Commits) > 0 {
			fmt.Fprintf(&b, "   changed in %s\n", strings.Join(r.Commits, ", "))
		}
	}
	for _, n := range out.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return strings.TrimRight(b.String(), "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var _ json.Unmarshaler = (*Limit)(nil)
