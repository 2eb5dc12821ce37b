package mcpserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

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
	Kind        string `json:"kind,omitempty" jsonschema:"keep results of one kind: code, doc or commit (several separated by commas). Default: all."`
	PathPrefix  string `json:"path_prefix,omitempty" jsonschema:"keep the files at or under this file or directory, relative to the project root (and the commits that touched one). Default: all."`
	Cursor      string `json:"cursor,omitempty" jsonschema:"next_cursor from the previous reply, to get the results after it; repeat the same arguments with it"`
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
	Results    []ScryResult           `json:"results" jsonschema:"the ranked results, best first: from offset on, as many as fit in one reply"`
	Count      int                    `json:"count" jsonschema:"how many results are in this reply"`
	Total      int                    `json:"total" jsonschema:"how many results the search found"`
	Offset     int                    `json:"offset,omitempty" jsonschema:"how many results earlier replies held (0 without a cursor)"`
	NextCursor string                 `json:"next_cursor,omitempty" jsonschema:"set when more results follow: call scry again with the same arguments and this as cursor"`
	Mode       string                 `json:"mode" jsonschema:"the mode actually used"`
	Degraded   bool                   `json:"degraded,omitempty" jsonschema:"set when mode is not the one asked for; notes say why"`
	Notes      []string               `json:"notes,omitempty" jsonschema:"anything worth knowing about the search, such as a project that could not be searched"`
	Via        string                 `json:"via" jsonschema:"who answered: daemon (the mother daemon) or in-process (no daemon answered, so this server searched itself)"`
	Projects   map[string]ScryProject `json:"projects,omitempty" jsonschema:"where each project with a result lies, by name: join a result's path to its project's root to open the file"`
}

// ScryProject is where a project lies.
type ScryProject struct {
	Root string `json:"root" jsonschema:"the project's directory, absolute"`
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
	MatchLine int      `json:"match_line" jsonschema:"the line of the best passage holding the most query words (for a commit, a line of its message)"`
	Excerpt   []Line   `json:"excerpt,omitempty" jsonschema:"a few numbered lines around match_line, matched words between « and »"`
	Score     float64  `json:"score" jsonschema:"fused rank score, comparable within one answer only"`
	Sources   []string `json:"sources" jsonschema:"the lists that found it: lexical, semantic, history (a matching commit touched it)"`
	ID        string   `json:"id" jsonschema:"project:chunk id of the best passage, stable until the chunk changes"`
	Matches   []Match  `json:"matches,omitempty" jsonschema:"the file's other matching passages, best first"`
	Commits   []string `json:"commits,omitempty" jsonschema:"matching commits that touched the file (git:<hash>)"`
}

// Line is a numbered line of an excerpt.
type Line struct {
	Line int    `json:"line" jsonschema:"its number in the file (1-based)"`
	Text string `json:"text" jsonschema:"the line, matched words between « and »"`
}

// Match is a further matching passage of a result's file.
type Match struct {
	ID        string `json:"id" jsonschema:"project:chunk id of the passage, for read"`
	StartLine int    `json:"start_line" jsonschema:"first line of the passage"`
	EndLine   int    `json:"end_line" jsonschema:"last line of the passage"`
	Title     string `json:"title" jsonschema:"where it sits"`
}

const scryDescription = `Search the developer's indexed projects (Markdown docs and session notes, source code, git commit messages) and get the files to open, best first, each at its best passage's line range. ` +
	`Use it before reading files blindly: to find where a feature, decision, command or error is written down or implemented. ` +
	`Give a few plain words (no query syntax). By default it searches the project the agent is working in; name another with project (see the projects tool) or set all_projects. ` +
	`Questions about how or where something works rank implementation code first; why/when questions rank commits and notes first. ` +
	`Each result is one file (or commit) with path, start_line-end_line, title, a snippet with matches marked «», the file's other matching passages, and which lists found it; via says whether the mother daemon or this server answered. ` +
	`Narrow it with kind (code, doc, commit) and path_prefix (a directory or file). ` +
	`Each result's match_line is the line to look at, with an excerpt around it; projects gives each project's root. Pass a result's id to read to see its lines. ` +
	`A reply holds at most %d KiB of text: when more results were found, next_cursor is set; call scry again with the same arguments and cursor set to it for the next ones. ` +
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
		Description: fmt.Sprintf(scryDescription, maxScryReply>>10),
		InputSchema: scryInputSchema(),
		Annotations: readOnly("Search indexed projects"),
	}, s.scry)
}

func (s *Server) scry(ctx context.Context, _ *mcp.CallToolRequest, in ScryInput) (*mcp.CallToolResult, ScryOutput, error) {
	if strings.TrimSpace(in.Query) == "" {
		return nil, ScryOutput{}, errors.New("query is empty: give a few words to search for")
	}
	digest := in.digest()
	offset := 0
	if in.Cursor != "" {
		c, err := decodeScryCursor(in.Cursor)
		if err != nil {
			return nil, ScryOutput{}, err
		}
		if c.Args != digest {
			return nil, ScryOutput{}, errors.New("cursor belongs to a search with other arguments: repeat that search's query, project, all_projects, limit and mode with it, or drop it to start again")
		}
		offset = c.Offset
	}
	resp, via, err := s.asker.Scry(ctx, knowledge.Request{
		Query: in.Query, Project: in.Project, AllProjects: in.AllProjects,
		Limit: int(in.Limit), Mode: in.Mode, Kind: in.Kind, PathPrefix: in.PathPrefix,
	})
	if err != nil {
		return nil, ScryOutput{}, toolError("scry", err)
	}
	all := make([]ScryResult, 0, len(resp.Results))
	for _, r := range resp.Results {
		sources := r.Sources
		if sources == nil {
			sources = []string{}
		}
		res := ScryResult{
			Project: r.Project, Path: r.Path, StartLine: r.StartLine, EndLine: r.EndLine, Kind: r.Kind,
			Title: r.Title, Snippet: r.Snippet, MatchLine: r.MatchLine, Score: r.Score, Sources: sources, ID: r.ID, Commits: r.Commits,
		}
		for _, l := range r.Excerpt {
			res.Excerpt = append(res.Excerpt, Line{Line: l.Line, Text: l.Text})
		}
		for _, m := range r.Matches {
			res.Matches = append(res.Matches, Match{ID: m.ID, StartLine: m.StartLine, EndLine: m.EndLine, Title: m.Title})
		}
		all = append(all, res)
	}
	if offset > 0 && offset >= len(all) {
		return nil, ScryOutput{}, errors.New("cursor is past the last result (the index changed since?): call scry again without cursor")
	}
	out := ScryOutput{Total: len(all), Offset: offset, Mode: resp.Mode, Degraded: resp.Degraded, Notes: resp.Notes, Via: via}
	out.Results = page(in.Query, out, all[offset:])
	out.Count = len(out.Results)
	// The roots of the projects this reply's results are in, once each.
	for _, r := range out.Results {
		if p, ok := resp.Projects[r.Project]; ok {
			if out.Projects == nil {
				out.Projects = map[string]ScryProject{}
			}
			out.Projects[r.Project] = ScryProject{Root: p.Root}
		}
	}
	if next := offset + out.Count; next < len(all) {
		out.NextCursor = scryCursor{Offset: next, Args: digest}.encode()
	}
	return textResult(renderScry(in.Query, out)), out, nil
}

// maxScryReply bounds a reply's text, and its structured results alike:
// limit 1000 would otherwise send the agent most of a megabyte at once.
const maxScryReply = 32 << 10

// footerRoom is kept free for the line that hands out the cursor.
const footerRoom = 256

// page is the longest run of rest, from its first, whose text and JSON
// both fit in one reply beside out's header and notes; never empty when
// rest is not.
func page(query string, out ScryOutput, rest []ScryResult) []ScryResult {
	fixed := len(renderScry(query, out)) + footerRoom
	text, js := fixed, fixed
	for i, r := range rest {
		var b strings.Builder
		renderResult(&b, out.Offset+i+1, r)
		j, _ := json.Marshal(r)
		text, js = text+b.Len(), js+len(j)+1
		if i > 0 && (text > maxScryReply || js > maxScryReply) {
			return rest[:i]
		}
	}
	return rest
}

// scryCursor is where the next reply starts, and a digest of the search
// it continues.
type scryCursor struct {
	Offset int    `json:"o"`
	Args   string `json:"a"`
}

func (c scryCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeScryCursor(s string) (scryCursor, error) {
	var c scryCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Offset < 1 || c.Args == "" {
		return c, errors.New("cursor is not one scry returned: pass next_cursor as it was, with the same arguments")
	}
	return c, nil
}

// digest identifies a search by its arguments, cursor aside.
func (in ScryInput) digest() string {
	in.Cursor = ""
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// renderScry is the compact text form: one line per result and its
// snippet on the next.
func renderScry(query string, out ScryOutput) string {
	var b strings.Builder
	switch {
	case out.Total == 0:
		fmt.Fprintf(&b, "no results for %q (%s, via %s)\n", query, out.Mode, out.Via)
	case out.Count == out.Total:
		noun := "results"
		if out.Total == 1 {
			noun = "result"
		}
		fmt.Fprintf(&b, "%d %s for %q (%s, via %s)\n", out.Total, noun, query, out.Mode, out.Via)
	default:
		fmt.Fprintf(&b, "results %d-%d of %d for %q (%s, via %s)\n", out.Offset+1, out.Offset+out.Count, out.Total, query, out.Mode, out.Via)
	}
	for _, name := range slices.Sorted(maps.Keys(out.Projects)) {
		fmt.Fprintf(&b, "project %s at %s\n", name, oneLine(out.Projects[name].Root))
	}
	for i, r := range out.Results {
		renderResult(&b, out.Offset+i+1, r)
	}
	for _, n := range out.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if out.NextCursor != "" {
		fmt.Fprintf(&b, "more: results %d-%d follow; call scry again with the same arguments and cursor %q\n",
			out.Offset+out.Count+1, out.Total, out.NextCursor)
	}
	return strings.TrimRight(b.String(), "\n")
}

// renderResult writes result n: where, title, kind and lists, id; then
// its snippet, other passages and commits.
func renderResult(b *strings.Builder, n int, r ScryResult) {
	where := oneLine(r.Path) // a file name can hold a newline
	if r.Project != "" {
		where = r.Project + ":" + where
	}
	if r.StartLine > 0 {
		where += fmt.Sprintf(":%d-%d", r.StartLine, r.EndLine)
	}
	if r.MatchLine > 0 && r.Kind != "commit" {
		where += fmt.Sprintf(" (line %d)", r.MatchLine)
	}
	fmt.Fprintf(b, "%d. %s  %s  [%s; %s]  id %s\n", n, where, oneLine(r.Title), r.Kind, strings.Join(r.Sources, "+"), r.ID)
	switch snip := oneLine(r.Snippet); {
	case len(r.Excerpt) > 0:
		for _, l := range r.Excerpt {
			fmt.Fprintf(b, "   %5d  %s\n", l.Line, strings.TrimRight(strings.ReplaceAll(l.Text, "\t", "    "), " "))
		}
	case snip != "":
		fmt.Fprintf(b, "   %s\n", snip)
	}
	if len(r.Matches) > 0 {
		also := make([]string, 0, len(r.Matches))
		for _, m := range r.Matches {
			also = append(also, fmt.Sprintf("%d-%d (id %s)", m.StartLine, m.EndLine, m.ID))
		}
		fmt.Fprintf(b, "   also lines %s\n", strings.Join(also, ", "))
	}
	if len(r.Commits) > 0 {
		fmt.Fprintf(b, "   changed in %s\n", strings.Join(r.Commits, ", "))
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var _ json.Unmarshaler = (*Limit)(nil)
