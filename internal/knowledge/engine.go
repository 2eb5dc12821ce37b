// Package knowledge is the one scry engine behind every way in: the
// daemon's POST /api/scry, `patina scry` working in-process when no daemon
// answers, and the MCP server. It turns an API request into a search over
// registered projects only; a client never makes it open an arbitrary path.
package knowledge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// Request is the body of POST /api/scry.
type Request struct {
	Query       string `json:"query"`
	Project     string `json:"project,omitempty"`
	AllProjects bool   `json:"all_projects,omitempty"`
	Limit       int    `json:"limit,omitempty"`
	Mode        string `json:"mode,omitempty"`
	// Kind keeps results of one kind: code, doc or commit (several
	// separated by commas); PathPrefix keeps the files at or under a
	// file or directory relative to the project root, and the commits
	// that touched one. Both apply inside retrieval, so Limit counts the
	// results that pass (see scry.ParseFilter).
	Kind       string `json:"kind,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
	// Cwd is the caller's directory, used (over the unix socket only) to
	// pick the registered project holding it when no project is named. It
	// is only matched against registered paths, never opened.
	Cwd string `json:"cwd,omitempty"`
}

// InputError is a problem with the request (HTTP 400).
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// IsInputError reports whether err is the caller's fault, from this
// package or from scry.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie) || scry.IsInputError(err)
}

// DamagedError is a request that met a damaged index. Its message names
// the project and the fix, and nothing else (no path, nothing of the
// file), so any caller over any transport may read it.
type DamagedError struct {
	Project string
	Reason  string // fixed text from index.DamagedError
	Err     error  // the failure: a *scry.ProjectError holding the *index.DamagedError
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("index of project %q is damaged (%s); rebuild it: patina scrape --rebuild (in %s's directory)", e.Project, e.Reason, e.Project)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// damaged makes a failure that met a damaged index a *DamagedError and
// returns any other as it is.
func damaged(err error) error {
	var pe *scry.ProjectError
	var de *index.DamagedError
	if errors.As(err, &pe) && errors.As(err, &de) {
		return &DamagedError{Project: pe.Project, Reason: de.Reason, Err: err}
	}
	return err
}

// Engine answers scry requests over the projects registry.
type Engine struct {
	reg      *projects.Registry
	catalog  *scry.Catalog
	models   *Models
	searcher *scry.Searcher

	warm     bool // see WarmOnUse
	warmMu   sync.Mutex
	warmedAt map[string]*index.DB // project → the open index last warmed
}

// WarmOnUse makes every scry start, in the background, loading the model
// and the vectors of each project it searches, once per index: the daemon
// calls it, so that its first semantic query finds them ready while its
// start-up (which must stay light) loads nothing. An in-process engine,
// gone when its one query is answered, does not.
func (e *Engine) WarmOnUse() { e.warm = true }

// warmUp starts the warm-up of the sources not yet warmed.
// An index reopened since (a scrape wrote it) is warmed again.
func (e *Engine) warmUp(srcs []scry.Source) {
	e.warmMu.Lock()
	defer e.warmMu.Unlock()
	if e.warmedAt == nil {
		e.warmedAt = map[string]*index.DB{}
	}
	for _, src := range srcs {
		if e.warmedAt[src.Name] == src.Index {
			continue
		}
		e.warmedAt[src.Name] = src.Index
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			name, _, err := src.Index.EmbeddingModel(ctx)
			if err != nil || name == "" {
				return
			}
			e.models.Preload(name)
			src.Index.WarmVectors(ctx) // an error shows again on the query that needs them
		}()
	}
}

// NewEngine is an engine over the default registry ($PATINA_HOME/projects.toml).
func NewEngine() (*Engine, error) {
	reg, err := projects.Default()
	if err != nil {
		return nil, err
	}
	return NewEngineFor(reg), nil
}

// NewEngineFor is an engine over reg. It searches lexically and, for
// projects scraped with embeddings, semantically: the model a project was
// embedded with is loaded on the first query that needs it, and kept.
func NewEngineFor(reg *projects.Registry) *Engine {
	models := &Models{}
	return &Engine{reg: reg, catalog: scry.NewCatalog(reg), models: models, searcher: scry.NewHybridSearcher(models)}
}

// Models are the engine's loaded embedding models.
func (e *Engine) Models() *Models { return e.models }

// Registry is the engine's projects registry.
func (e *Engine) Registry() *projects.Registry { return e.reg }

// Close releases the open indexes and loaded models.
func (e *Engine) Close() error {
	err := e.catalog.Close()
	if merr := e.models.Close(); err == nil {
		err = merr
	}
	return err
}

// Scry runs req. Input problems are InputErrors (or scry's); a cancelled or
// timed-out ctx returns ctx.Err().
func (e *Engine) Scry(ctx context.Context, req Request) (scry.Response, error) {
	// Input errors first, before any project is resolved or opened
	// (ParseQuery also reports an empty or blank query).
	if _, err := scry.ParseQuery(req.Query); err != nil {
		return scry.Response{}, err
	}
	if _, err := scry.ParseFilter(req.Kind, req.PathPrefix); err != nil {
		return scry.Response{}, err
	}
	sel, err := selection(req.Project, req.AllProjects, req.Cwd)
	if err != nil {
		return scry.Response{}, err
	}
	srcs, notes, err := e.catalog.Sources(sel)
	if err != nil {
		return scry.Response{}, selectionError(err, req)
	}
	if err := ctx.Err(); err != nil {
		return scry.Response{}, err
	}
	if e.warm {
		e.warmUp(srcs)
	}
	resp, err := e.searcher.Search(ctx, scry.Request{Query: req.Query, Projects: srcs, Limit: req.Limit, Mode: req.Mode,
		Kind: req.Kind, PathPrefix: req.PathPrefix})
	if err != nil {
		if ctx.Err() != nil {
			return scry.Response{}, ctx.Err()
		}
		return scry.Response{}, damaged(err)
	}
	resp.Notes = append(notes, resp.Notes...)
	return resp, nil
}

// selection is what a request asks to search: a named project, all of
// them, or the one holding the caller's directory.
func selection(project string, all bool, cwd string) (scry.Selection, error) {
	sel := scry.Selection{All: all}
	switch {
	case all && project != "":
		return sel, &InputError{"give either project or all_projects, not both"}
	case project != "":
		if err := projects.ValidName(project); err != nil {
			return sel, &InputError{err.Error()}
		}
		sel.Names = []string{project}
	case all:
	case cwd != "":
		if !filepath.IsAbs(cwd) {
			return sel, &InputError{"cwd must be an absolute path"}
		}
		// Only ever matched against registered paths; a caller's directory
		// that is gone (or a file) is its problem, not a server fault.
		if fi, err := os.Stat(cwd); err != nil || !fi.IsDir() {
			return sel, &InputError{"cwd is not an existing directory"}
		}
		sel.Dir = cwd
	default:
		return sel, &InputError{"no project: name one (--project), use --all-projects, or run inside a registered project"}
	}
	return sel, nil
}

// RelatedRequest is the body of POST /api/related: the files that change
// together with Path in a project's history.
type RelatedRequest struct {
	// Path is the file, relative to the project root or absolute below it.
	Path    string `json:"path"`
	Project string `json:"project,omitempty"`
	Limit   int    `json:"limit,omitempty"`
	// Cwd, over the unix socket only, picks the project holding it when
	// none is named (as for Request).
	Cwd string `json:"cwd,omitempty"`
	// Dir, over the unix socket only, is a directory inside the project
	// that a relative Path is read against first (the CLI's current
	// directory); a path not indexed there is read from the project root.
	Dir string `json:"dir,omitempty"`
}

// Related runs req. Input problems are InputErrors (or scry's).
func (e *Engine) Related(ctx context.Context, req RelatedRequest) (scry.RelatedResponse, error) {
	switch {
	case req.Path == "":
		return scry.RelatedResponse{}, &InputError{"path is required: the file whose co-changes to list"}
	case req.Dir != "" && !filepath.IsAbs(req.Dir):
		return scry.RelatedResponse{}, &InputError{"dir must be an absolute path"}
	}
	sel, err := selection(req.Project, false, req.Cwd)
	if err != nil {
		return scry.RelatedResponse{}, err
	}
	srcs, notes, err := e.catalog.Sources(sel)
	if err != nil {
		return scry.RelatedResponse{}, selectionError(err, Request{Project: req.Project})
	}
	resp, err := scry.Related(ctx, srcs[0], req.Path, req.Dir, req.Limit)
	if err != nil {
		return scry.RelatedResponse{}, damaged(err)
	}
	resp.Notes = append(notes, resp.Notes...)
	return resp, nil
}

// selectionError says which project could not be used and what to do.
func selectionError(err error, req Request) error {
	var unusable *projects.UnusableError
	var pe *scry.ProjectError
	switch {
	case errors.As(err, &unusable) && unusable.Project.Status == projects.StatusNoIndex:
		return notIndexed(unusable.Project.Name)
	case errors.As(err, &pe) && errors.Is(err, index.ErrNoIndex):
		return notIndexed(pe.Project) // gone since the registry looked
	case errors.As(err, &pe) && errors.Is(err, index.ErrDamaged):
		return damaged(err)
	case errors.Is(err, projects.ErrNotFound) && req.Project != "":
		return &InputError{fmt.Sprintf("unknown project %q: see `patina projects list`", req.Project)}
	case errors.Is(err, projects.ErrNotFound) || errors.Is(err, projects.ErrNoRoot):
		return &InputError{"this directory is in no registered project: run `patina scrape` here, or use --project / --all-projects"}
	case errors.As(err, &unusable):
		return &InputError{err.Error()}
	case errors.Is(err, scry.ErrNoProjects):
		return &InputError{"no usable project is registered: run `patina scrape PATH` first"}
	case errors.Is(err, projects.ErrInvalidName):
		return &InputError{err.Error()}
	}
	return err
}

// notIndexed is the answer for a registered project with no index: the
// caller is in the right place, and one scrape makes it usable.
func notIndexed(name string) error {
	return &InputError{fmt.Sprintf("project %q is registered but not indexed yet: run `patina scrape` in its directory (see `patina projects list`)", name)}
}
