// Package projects is the registry of indexed projects, kept in
// $PATINA_HOME/projects.toml. The daemon only ever opens the index of a
// registered project, addressed by name, so the registry is what stands
// between a client and an arbitrary path.
//
// The file is TOML, written atomically and 0600:
//
//	version = 1
//
//	[[project]]
//	name = "patina"
//	path = "/home/me/src/patina"
//	added_at = 2024-05-01T10:00:00Z
//
//	[[project]]
//	name = "cobra"
//	path = "/home/me/.patina/repos/cobra"
//	added_at = 2024-05-02T10:00:00Z
//	kind = "reference"
//
// A reference is a clone `patina repo` keeps under $PATINA_HOME/repos, read
// only; an entry without kind is a project. (A patina that predates kind
// reads a reference as a project, and drops the key if it rewrites the
// file.)
// Paths are stored canonical (absolute, symlinks resolved, clean). They
// are checked again whenever the registry is read: an entry whose path no
// longer resolves to itself (a retargeted symlink, ".." components, a
// relative path), whose directory is gone, whose index would be reached
// through a symlink (.patina, .patina/local or index.db), or whose project
// has no index is listed with a Status and a Problem, and Resolve refuses
// it. Writing
// the file keeps only known keys; comments are not preserved.
package projects

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/patina-dev/patina/internal/atomicfile"
	"github.com/patina-dev/patina/internal/paths"
)

// fileVersion is the registry format this package reads and writes.
const fileVersion = 1

// Status says whether a registered project can be queried.
type Status string

// Statuses. Only StatusOK projects are ever opened.
const (
	StatusOK      Status = "ok"
	StatusMissing Status = "missing"  // the directory does not exist or is not a directory
	StatusMoved   Status = "moved"    // the path resolves somewhere other than what was registered
	StatusNoIndex Status = "no_index" // the directory has no index yet
	StatusDamaged Status = "damaged"  // a directory, a symlink or another non-file in the index's place
	StatusInvalid Status = "invalid"  // a bad name, a duplicate, a relative path, or a symlinked .patina or .patina/local
)

// Kind says what a registered directory is.
type Kind string

// Kinds.
const (
	KindProject   Kind = "project"   // the user's own, indexed where it lies
	KindReference Kind = "reference" // a clone under $PATINA_HOME/repos, managed by `patina repo`
)

// Project is one registry entry, with its state as of the last read.
type Project struct {
	Name    string    `json:"name"`
	Kind    Kind      `json:"kind"`
	Path    string    `json:"path"` // as registered; canonical when Status is ok
	AddedAt time.Time `json:"added_at"`
	Index   string    `json:"index"`              // the index file, paths.ProjectIndex(Path)
	Status  Status    `json:"status"`             // see Status
	Problem string    `json:"problem,omitempty"`  // what is wrong, when Status is not ok
	Target  string    `json:"resolves,omitempty"` // where Path leads now, when it is not Path
}

// OK reports whether the project can be queried.
func (p Project) OK() bool { return p.Status == StatusOK }

// Errors a caller may branch on.
var (
	ErrNotFound    = errors.New("no such project")
	ErrExists      = errors.New("project already registered")
	ErrInvalidName = errors.New("invalid project name: use 1-64 of a-z 0-9 . _ - starting with a letter or digit")
	ErrNoRoot      = errors.New("no project root (a directory with .git or .patina) at or above")
)

// UnusableError is returned by Resolve for a registered project that must
// not be opened; Project says why.
type UnusableError struct{ Project Project }

func (e *UnusableError) Error() string {
	return fmt.Sprintf("project %q is not usable: %s", e.Project.Name, e.Project.Problem)
}

// maxNameLen bounds a project name.
const maxNameLen = 64

// ValidName checks a project name: 1-64 characters of a-z, 0-9, '.', '_'
// and '-', starting with a letter or digit (`^[a-z0-9][a-z0-9._-]{0,63}$`,
// checked byte by byte: compiling that regexp cost every command at
// start-up).
func ValidName(name string) error {
	if !isName(name) {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

func isName(name string) bool {
	if len(name) == 0 || len(name) > maxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')) {
			return false
		}
	}
	return true
}

// DefaultName derives a name from a directory's base name: lower-cased,
// runs of other characters turned into '-', leading punctuation dropped,
// cut to 64 characters.
func DefaultName(dir string) (string, error) {
	base := strings.ToLower(filepath.Base(dir))
	var b strings.Builder
	dash := false
	for _, r := range base {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	name := strings.TrimLeft(b.String(), "._-")
	if len(name) > 64 {
		name = name[:64]
	}
	if ValidName(name) != nil {
		return "", fmt.Errorf("cannot derive a project name from %q: give one", dir)
	}
	return name, nil
}

// Registry is a projects.toml file.
type Registry struct {
	file string
}

// New is the registry kept in file (which need not exist yet).
func New(file string) *Registry { return &Registry{file: file} }

// Default is the registry in $PATINA_HOME/projects.toml.
func Default() (*Registry, error) {
	f, err := paths.ProjectsRegistry()
	if err != nil {
		return nil, err
	}
	return New(f), nil
}

// File is the registry's file path.
func (r *Registry) File() string { return r.file }

// fileData is the on-disk form.
type fileData struct {
	Version  int         `toml:"version"`
	Projects []fileEntry `toml:"project"`
}

type fileEntry struct {
	Name    string    `toml:"name"`
	Path    string    `toml:"path"`
	AddedAt time.Time `toml:"added_at"`
	Kind    Kind      `toml:"kind,omitempty"` // "" is KindProject
}

func (r *Registry) read() (fileData, error) {
	var d fileData
	b, err := os.ReadFile(r.file)
	if errors.Is(err, os.ErrNotExist) {
		return fileData{Version: fileVersion}, nil
	}
	if err != nil {
		return d, fmt.Errorf("projects: %w", err)
	}
	if _, err := toml.Decode(string(b), &d); err != nil {
		return d, fmt.Errorf("projects: malformed %s: %v", r.file, err)
	}
	if d.Version > fileVersion {
		return d, fmt.Errorf("projects: %s is version %d, newer than this patina reads (%d)", r.file, d.Version, fileVersion)
	}
	return d, nil
}

func (r *Registry) write(d fileData) error {
	d.Version = fileVersion
	var buf bytes.Buffer
	buf.WriteString("# Projects indexed by patina. Managed by `patina projects`.\n")
	if err := toml.NewEncoder(&buf).Encode(d); err != nil {
		return fmt.Errorf("projects: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(r.file), 0o700); err != nil {
		return fmt.Errorf("projects: %w", err)
	}
	return atomicfile.Write(r.file, buf.Bytes(), 0o600)
}

// List reads the registry and checks every entry, in file order. A missing
// file is an empty registry.
func (r *Registry) List() ([]Project, error) {
	d, err := r.read()
	if err != nil {
		return nil, err
	}
	out := make([]Project, 0, len(d.Projects))
	byName := map[string]bool{}
	byPath := map[string]string{}
	for _, e := range d.Projects {
		p := check(e)
		switch {
		case p.Status == StatusInvalid:
		case byName[e.Name]:
			p.Status, p.Problem = StatusInvalid, "duplicate name (an earlier entry has it)"
		case p.OK() && byPath[p.Path] != "":
			p.Status, p.Problem = StatusInvalid, fmt.Sprintf("same directory as project %q", byPath[p.Path])
		}
		byName[e.Name] = true
		if p.OK() {
			byPath[p.Path] = p.Name
		}
		out = append(out, p)
	}
	return out, nil
}

// check canonicalises an entry's path and works out its status.
func check(e fileEntry) Project {
	p := Project{Name: e.Name, Kind: KindProject, Path: e.Path, AddedAt: e.AddedAt, Status: StatusOK}
	if e.Kind != "" {
		p.Kind = e.Kind
	}
	if e.Path != "" {
		p.Index = paths.ProjectIndex(e.Path)
	}
	bad := func(s Status, format string, args ...any) Project {
		p.Status, p.Problem = s, fmt.Sprintf(format, args...)
		return p
	}
	if err := ValidName(e.Name); err != nil {
		return bad(StatusInvalid, "invalid name %q", e.Name)
	}
	if p.Kind != KindProject && p.Kind != KindReference {
		return bad(StatusInvalid, "unknown kind %q", e.Kind)
	}
	if !filepath.IsAbs(e.Path) {
		return bad(StatusInvalid, "path %q is not absolute", e.Path)
	}
	canon, err := filepath.EvalSymlinks(e.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return bad(StatusMissing, "directory %s does not exist", e.Path)
		}
		return bad(StatusMissing, "directory %s: %v", e.Path, err)
	}
	if canon != e.Path {
		p.Target = canon
		return bad(StatusMoved, "registered as %s, which now resolves to %s; re-add the project if that is intended", e.Path, canon)
	}
	fi, err := os.Stat(canon)
	if err != nil || !fi.IsDir() {
		return bad(StatusMissing, "%s is not a directory", e.Path)
	}
	if err := paths.CheckProjectIndexDir(canon); err != nil {
		return bad(StatusInvalid, "%v; patina does not follow symlinks inside a project's .patina", err)
	}
	// What is in the index's place is checked without following it; a
	// scrape replaces anything that is not a file (see index.Scrape).
	fi, err = os.Lstat(p.Index)
	switch {
	case err != nil:
		return bad(StatusNoIndex, "no index at %s (run patina scrape %s)", p.Index, e.Path)
	case fi.Mode()&os.ModeSymlink != 0:
		return bad(StatusDamaged, "%v: %s is a symlink; rebuild it: patina scrape --rebuild %s (which removes the link, not its target)", paths.ErrIndexSymlink, p.Index, e.Path)
	case !fi.Mode().IsRegular():
		return bad(StatusDamaged, "%s is not a file; rebuild it: patina scrape --rebuild %s (which moves it aside)", p.Index, e.Path)
	}
	if real, err := filepath.EvalSymlinks(p.Index); err != nil {
		return bad(StatusInvalid, "index %s: %v", p.Index, err)
	} else if real != p.Index {
		return bad(StatusInvalid, "%v: %s resolves to %s", paths.ErrIndexSymlink, p.Index, real)
	}
	return p
}

// Resolve finds a project by name. It fails with ErrNotFound for an
// unknown name and with an *UnusableError for a project whose status is
// not ok; the Project it returns always has a canonical, existing Path and
// an existing Index.
func (r *Registry) Resolve(name string) (Project, error) {
	ps, err := r.List()
	if err != nil {
		return Project{}, err
	}
	for _, p := range ps {
		if p.Name != name {
			continue
		}
		if !p.OK() {
			return p, &UnusableError{Project: p}
		}
		return p, nil
	}
	return Project{}, fmt.Errorf("%w: %q", ErrNotFound, name)
}

// ResolveDir finds the registered project holding dir: the one whose
// directory is dir or its nearest ancestor. A project registered there
// whose index is missing or damaged is an *UnusableError, as from
// Resolve: it is this directory's project, and the error says how to make
// it usable. It never returns a project that is not registered, whatever
// dir is.
func (r *Registry) ResolveDir(dir string) (Project, error) {
	canon, err := canonicalDir(dir)
	if err != nil {
		return Project{}, err
	}
	ps, err := r.List()
	if err != nil {
		return Project{}, err
	}
	var best Project
	for _, p := range ps {
		holds := p.OK() || p.Status == StatusNoIndex || p.Status == StatusDamaged
		if holds && within(canon, p.Path) && len(p.Path) > len(best.Path) {
			best = p
		}
	}
	switch {
	case best.Name == "":
		return Project{}, fmt.Errorf("%w: %s is in no registered project", ErrNotFound, canon)
	case !best.OK():
		return best, &UnusableError{Project: best}
	}
	return best, nil
}

// within reports whether path is dir or below it (both canonical).
func within(path, dir string) bool {
	if path == dir {
		return true
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// canonicalDir resolves dir the way the kernel would: made absolute
// without lexical cleaning (so "link/.." means the symlink target's
// parent), then symlinks evaluated.
func canonicalDir(dir string) (string, error) {
	abs := dir
	if !filepath.IsAbs(dir) {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("projects: %w", err)
		}
		abs = wd + string(filepath.Separator) + dir
	}
	canon, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("projects: %w", err)
	}
	fi, err := os.Stat(canon)
	if err != nil {
		return "", fmt.Errorf("projects: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("projects: %s is not a directory", dir)
	}
	return canon, nil
}

// Add registers the directory at path (canonicalised) under name; an empty
// name is DefaultName(path). Adding a project that is already registered
// with the same name and directory changes nothing and reports added ==
// false; so does adding an already registered directory with no name. A
// name registered for another directory is ErrExists, as is naming a
// directory registered under another name.
func (r *Registry) Add(path, name string) (p Project, added bool, err error) {
	canon, err := canonicalDir(path)
	if err != nil {
		return Project{}, false, err
	}
	explicit := name != ""
	if !explicit {
		if name, err = DefaultName(canon); err != nil {
			return Project{}, false, fmt.Errorf("projects: %w", err)
		}
	}
	if err := ValidName(name); err != nil {
		return Project{}, false, err
	}
	unlock, err := lockFile(r.file)
	if err != nil {
		return Project{}, false, err
	}
	defer unlock()
	d, err := r.read()
	if err != nil {
		return Project{}, false, err
	}
	for _, e := range d.Projects {
		switch {
		case e.Name == name && e.Path == canon:
			return check(e), false, nil
		case e.Name == name:
			return Project{}, false, fmt.Errorf("%w: the name %q is taken by %s", ErrExists, name, e.Path)
		case e.Path == canon && !explicit:
			return check(e), false, nil
		case e.Path == canon:
			return Project{}, false, fmt.Errorf("%w: %s is registered as %q", ErrExists, canon, e.Name)
		}
	}
	e := fileEntry{Name: name, Path: canon, AddedAt: time.Now().UTC().Truncate(time.Second)}
	d.Projects = append(d.Projects, e)
	if err := r.write(d); err != nil {
		return Project{}, false, err
	}
	return check(e), true, nil
}

// AddReference registers the clone at path (canonicalised) as a reference
// called name. Unlike Add it never finds an entry to reuse: a name or a
// directory already registered, of either kind, is ErrExists.
func (r *Registry) AddReference(path, name string) (Project, error) {
	canon, err := canonicalDir(path)
	if err != nil {
		return Project{}, err
	}
	if err := ValidName(name); err != nil {
		return Project{}, err
	}
	unlock, err := lockFile(r.file)
	if err != nil {
		return Project{}, err
	}
	defer unlock()
	d, err := r.read()
	if err != nil {
		return Project{}, err
	}
	for _, e := range d.Projects {
		switch {
		case e.Name == name:
			return Project{}, fmt.Errorf("%w: the name %q is taken by %s", ErrExists, name, e.Path)
		case e.Path == canon:
			return Project{}, fmt.Errorf("%w: %s is registered as %q", ErrExists, canon, e.Name)
		}
	}
	e := fileEntry{Name: name, Path: canon, AddedAt: time.Now().UTC().Truncate(time.Second), Kind: KindReference}
	d.Projects = append(d.Projects, e)
	if err := r.write(d); err != nil {
		return Project{}, err
	}
	return check(e), nil
}

// Remove unregisters every entry called name (the project's index is left
// alone). An unknown name is ErrNotFound.
func (r *Registry) Remove(name string) error {
	unlock, err := lockFile(r.file)
	if err != nil {
		return err
	}
	defer unlock()
	d, err := r.read()
	if err != nil {
		return err
	}
	kept := d.Projects[:0]
	for _, e := range d.Projects {
		if e.Name != name {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(d.Projects) {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	d.Projects = kept
	return r.write(d)
}

// FindRoot walks up from dir to the nearest directory holding .git (a
// directory or a worktree's file) or a .patina directory, and returns it
// canonical. Patina's home (~/.patina) does not make its parent a root.
func FindRoot(dir string) (string, error) {
	d, err := canonicalDir(dir)
	if err != nil {
		return "", err
	}
	home := ""
	if h, err := paths.Home(); err == nil {
		home, _ = filepath.EvalSymlinks(h)
	}
	for {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		pd := paths.ProjectDir(d)
		if fi, err := os.Stat(pd); err == nil && fi.IsDir() && pd != home {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w %s", ErrNoRoot, dir)
		}
		d = parent
	}
}
