package scry

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/patina-dev/patina/internal/index"
)

// Related answers "what changes together with this file?" from a project's
// git history: the files that the same commits touched, the most often
// first. A user about to change a file learns where else to look; the
// original tool called it the temporal dimension.

// RelatedResponse is the answer to Related; its JSON is the API's.
type RelatedResponse struct {
	Project string `json:"project"`
	Path    string `json:"path"` // the file asked about, relative to the project root
	// Commits is how many indexed commits touched it (sweeping commits of
	// more than index.MaxCoChangeFiles files left out).
	Commits int              `json:"commits"`
	Results []index.CoChange `json:"results"`
	Count   int              `json:"count"`
	Notes   []string         `json:"notes,omitempty"`
}

// ErrBadPath means a file to relate is not a clean path inside the project.
var ErrBadPath = &InputError{"path must name a file inside the project: relative to its root, or absolute below it"}

// ProjectPath turns p, relative to the project root or absolute, into a
// clean slash path relative to root; a path that leaves the project is
// ErrBadPath.
func ProjectPath(root, p string) (string, error) {
	if p == "" || strings.ContainsRune(p, 0) {
		return "", ErrBadPath
	}
	if filepath.IsAbs(p) {
		if root == "" {
			return "", ErrBadPath
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return "", ErrBadPath
		}
		p = rel
	}
	p = path.Clean(filepath.ToSlash(p))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
		return "", ErrBadPath
	}
	return p, nil
}

// Related lists the files that changed together with file (relative to
// src's root, or absolute below it), at most limit (clamped like a
// search's). A relative file is first read against dir, when dir is given
// and lies inside the project, and used from there if the index holds it.
func Related(ctx context.Context, src Source, file, dir string, limit int) (RelatedResponse, error) {
	rel, err := ProjectPath(src.Root, file)
	if inDir, ok := indexedIn(ctx, src, dir, file); ok {
		rel, err = inDir, nil
	}
	if err != nil {
		return RelatedResponse{}, err
	}
	cc, total, err := src.Index.CoChanged(ctx, rel, clampLimit(limit))
	if errors.Is(err, index.ErrNotIndexed) {
		return RelatedResponse{}, &InputError{fmt.Sprintf("%s is not a file indexed in project %s", rel, src.label())}
	}
	if err != nil {
		if ctx.Err() != nil {
			return RelatedResponse{}, ctx.Err()
		}
		return RelatedResponse{}, failedOn(src, err)
	}
	resp := RelatedResponse{Project: src.Name, Path: rel, Commits: total, Results: cc, Count: len(cc)}
	if resp.Results == nil {
		resp.Results = []index.CoChange{}
	}
	switch {
	case total == 0:
		resp.Notes = append(resp.Notes, "no indexed commit touched "+rel+" (is the project a git repository, scraped with its history?)")
	case len(cc) == 0:
		resp.Notes = append(resp.Notes, "every commit that touched "+rel+" touched it alone")
	}
	return resp, nil
}

// indexedIn is file read against dir (a directory inside the project,
// symlinks resolved) as a project path, when file is relative and the
// index holds it there.
func indexedIn(ctx context.Context, src Source, dir, file string) (string, bool) {
	if dir == "" || src.Root == "" || filepath.IsAbs(file) {
		return "", false
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", false
	}
	rel, err := ProjectPath(src.Root, filepath.Join(real, file))
	if err != nil {
		return "", false
	}
	ok, err := src.Index.HasFile(ctx, rel)
	return rel, err == nil && ok
}
