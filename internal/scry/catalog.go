package scry

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
)

// Catalog turns registered project names into Sources, opening each
// project's index read-only once and keeping it open. It only ever opens
// the index of a project the registry lists as usable (projects.StatusOK),
// never through a symlink inside the project (see paths.CheckProjectIndex),
// and reopens an index whose file was replaced (a rebuild, or a fresh
// scrape after the old one was deleted) or written since. It is safe for
// concurrent use.
type Catalog struct {
	reg *projects.Registry

	mu   sync.Mutex
	open map[string]*openIndex // by index path
}

type openIndex struct {
	db *index.DB
	fi os.FileInfo
}

// NewCatalog is a catalog over reg.
func NewCatalog(reg *projects.Registry) *Catalog {
	return &Catalog{reg: reg, open: map[string]*openIndex{}}
}

// Selection picks the projects to search: the named ones, or the project
// holding Dir (see projects.Registry.ResolveDir), or with All every usable
// registered project.
type Selection struct {
	Names []string
	Dir   string
	All   bool
}

// Sources resolves sel and opens what it names. A named project that is
// unknown fails with projects.ErrNotFound, one that is not usable with a
// *projects.UnusableError, and one whose index cannot be opened with a
// *ProjectError (holding an *index.DamagedError when the index is
// damaged). With All, unusable projects are skipped and each is described
// in notes; if none is usable the error is ErrNoProjects.
func (c *Catalog) Sources(sel Selection) (srcs []Source, notes []string, err error) {
	var ps []projects.Project
	switch {
	case sel.All:
		all, err := c.reg.List()
		if err != nil {
			return nil, nil, err
		}
		for _, p := range all {
			if p.OK() {
				ps = append(ps, p)
			} else {
				notes = append(notes, fmt.Sprintf("project %s skipped: %s", p.Name, p.Problem))
			}
		}
		if len(ps) == 0 {
			return nil, notes, ErrNoProjects
		}
	case len(sel.Names) > 0:
		for _, n := range sel.Names {
			p, err := c.reg.Resolve(n)
			if err != nil && p.Status != projects.StatusDamaged {
				return nil, nil, err
			}
			ps = append(ps, p)
		}
	case sel.Dir != "":
		p, err := c.reg.ResolveDir(sel.Dir)
		if err != nil && p.Status != projects.StatusDamaged {
			return nil, nil, err
		}
		ps = append(ps, p)
	default:
		return nil, nil, ErrNoProjects
	}
	for _, p := range ps {
		// A damaged project got here to learn how it is damaged: index
		// says so before opening anything.
		db, err := c.index(p)
		if err != nil {
			if !sel.All {
				return nil, nil, &ProjectError{Project: p.Name, Err: err}
			}
			notes = append(notes, fmt.Sprintf("project %s skipped: %v", p.Name, err))
			continue
		}
		srcs = append(srcs, Source{Name: p.Name, Root: p.Path, Index: db})
	}
	if len(srcs) == 0 {
		return nil, notes, ErrNoProjects
	}
	return srcs, notes, nil
}

// index returns the open handle for p's index, (re)opening it if needed.
// The registry checked p a moment ago; the path is checked again here,
// where it is opened, so a .patina, local or index.db swapped for a
// symlink since is never followed.
func (c *Catalog) index(p projects.Project) (*index.DB, error) {
	path := p.Index
	if err := paths.CheckProjectIndexDir(p.Path); err != nil {
		return nil, err
	}
	// Not followed if it is a symlink: that, a directory or an empty file
	// is a damaged index.
	if err := index.Inspect(path); err != nil {
		return nil, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.open[path]; o != nil {
		if unchanged(o.fi, fi) {
			return o.db, nil
		}
		// Replaced or written: queries already holding the old handle
		// finish on it; it is closed once they do (database/sql waits).
		go o.db.Close()
		delete(c.open, path)
	}
	db, err := index.OpenReadOnly(path)
	if err != nil {
		return nil, err
	}
	c.open[path] = &openIndex{db: db, fi: fi}
	return db, nil
}

// unchanged reports whether the index file is the one opened, as it was.
// A scrape's writes reach the file at a checkpoint, which changes its
// size or time; so does damage, which a connection's page cache would
// otherwise hide (in WAL mode SQLite trusts the -shm, not the file, to
// say whether the database changed).
func unchanged(was, is os.FileInfo) bool {
	return os.SameFile(was, is) && was.Size() == is.Size() && was.ModTime().Equal(is.ModTime())
}

// Close closes every open index.
func (c *Catalog) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for p, o := range c.open {
		errs = append(errs, o.db.Close())
		delete(c.open, p)
	}
	return errors.Join(errs...)
}
