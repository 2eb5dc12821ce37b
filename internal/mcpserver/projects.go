package mcpserver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/projects"
)

// noModel is what embedding_model says of a project without embeddings.
const noModel = "none"

// ProjectsInput takes nothing.
type ProjectsInput struct{}

// ProjectsOutput is the projects tool's structured result.
type ProjectsOutput struct {
	Projects []ProjectInfo `json:"projects" jsonschema:"the registered projects, in registry order"`
	Count    int           `json:"count" jsonschema:"how many projects are registered"`
	Notes    []string      `json:"notes,omitempty" jsonschema:"anything worth knowing, such as how to register a project"`
}

// ProjectInfo is one registered project and its index.
type ProjectInfo struct {
	Name           string `json:"name" jsonschema:"the name to pass as scry's project"`
	Path           string `json:"path" jsonschema:"the project's directory"`
	Status         string `json:"status" jsonschema:"ok (searchable), missing, moved, no_index or invalid"`
	Problem        string `json:"problem,omitempty" jsonschema:"what is wrong and how to fix it, when status is not ok"`
	Chunks         int    `json:"chunks" jsonschema:"indexed chunks (doc sections, code blocks, commit messages)"`
	Files          int    `json:"files" jsonschema:"indexed files"`
	Commits        int    `json:"commits" jsonschema:"indexed git commits"`
	LastScrape     string `json:"last_scrape,omitempty" jsonschema:"when the index was last written by patina scrape (RFC 3339)"`
	EmbeddingModel string `json:"embedding_model" jsonschema:"the embedding model behind semantic search, or none (search is lexical)"`
}

const projectsDescription = `List the projects Patina has indexed on this machine, with each one's name (what scry's project argument takes), directory, and index state: status (ok, missing, moved, no_index, invalid) and the problem when not ok, counts of chunks, files and commits, when it was last scraped, and the embedding model (none means search is lexical only). ` +
	`Use it to pick a project for scry or to tell the user that a project needs ` + "`patina scrape PATH`" + `. Takes no arguments and returns nothing secret.`

func (s *Server) addProjects() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "projects",
		Description: projectsDescription,
		Annotations: readOnly("List indexed projects"),
	}, s.projects)
}

func (s *Server) projects(ctx context.Context, _ *mcp.CallToolRequest, _ ProjectsInput) (*mcp.CallToolResult, ProjectsOutput, error) {
	reg, err := projects.Default()
	if err != nil {
		return nil, ProjectsOutput{}, err
	}
	list, err := reg.List()
	if err != nil {
		return nil, ProjectsOutput{}, err
	}
	out := ProjectsOutput{Projects: make([]ProjectInfo, 0, len(list)), Count: len(list)}
	for _, p := range list {
		if err := ctx.Err(); err != nil {
			return nil, ProjectsOutput{}, err
		}
		out.Projects = append(out.Projects, s.projectInfo(ctx, p))
	}
	if len(list) == 0 {
		out.Notes = append(out.Notes, "no project is registered: run `patina scrape PATH` to index one")
	}
	if !client.IsLocal(s.mother) {
		out.Notes = append(out.Notes, "this is the registry on the machine running this server; the remote mother searches its own")
	}
	return textResult(renderProjects(out)), out, nil
}

// projectInfo reads a usable project's index counts; an index that cannot
// be read is reported as the project's problem.
func (s *Server) projectInfo(ctx context.Context, p projects.Project) ProjectInfo {
	info := ProjectInfo{Name: p.Name, Path: p.Path, Status: string(p.Status), Problem: p.Problem, EmbeddingModel: noModel}
	if !p.OK() {
		return info
	}
	db, err := index.OpenReadOnly(p.Index)
	if err != nil {
		info.Problem = fmt.Sprintf("index unreadable: %v", err)
		return info
	}
	defer db.Close()
	st, err := db.Stats(ctx)
	if err != nil {
		info.Problem = fmt.Sprintf("index unreadable: %v", err)
		return info
	}
	info.Chunks, info.Files, info.Commits = st.Chunks, st.Files, st.Commits
	// The model behind the stored vectors: the one a semantic scry of
	// this project loads.
	switch name, _, err := db.EmbeddingModel(ctx); {
	case err != nil:
		info.Problem = fmt.Sprintf("index unreadable: %v", err)
	case name != "":
		info.EmbeddingModel = name
	}
	if t := lastWrite(p.Index); !t.IsZero() {
		info.LastScrape = t.UTC().Format(time.RFC3339)
	}
	return info
}

// lastWrite is when the index database (or its WAL) last changed: only
// scrape writes it.
func lastWrite(db string) time.Time {
	var last time.Time
	for _, f := range []string{db, db + "-wal"} {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(last) {
			last = fi.ModTime()
		}
	}
	return last
}

func renderProjects(out ProjectsOutput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d registered project(s)\n", out.Count)
	for _, p := range out.Projects {
		if p.Status == string(projects.StatusOK) && p.Problem == "" {
			fmt.Fprintf(&b, "%s  %s  ok: %d chunks, %d files, %d commits, scraped %s, embedding model %s\n",
				p.Name, p.Path, p.Chunks, p.Files, p.Commits, orUnknown(p.LastScrape), p.EmbeddingModel)
		} else {
			fmt.Fprintf(&b, "%s  %s  %s: %s\n", p.Name, p.Path, p.Status, p.Problem)
		}
	}
	for _, n := range out.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return strings.TrimRight(b.String(), "\n")
}

func orUnknown(s string) string {
	if s == "" {
		return "at an unknown time"
	}
	return s
}
