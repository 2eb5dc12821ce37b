// Package secrets is what `patina secrets` does, between the command line
// (cmd/patina parses flags and prints) and the file formats (internal/vault,
// internal/identity): where the vaults are, the daemon's session cache,
// editing a vault, and running a command with the secrets in its
// environment, locally or through `ssh HOST bash -s`.
//
// Everything here keeps the CLI's promise: a secret value never reaches
// any output, argv, log, error or file other than the encrypted vault,
// except the environment of the command that asked for it.
package secrets

import (
	"errors"
	"io/fs"
	"os"

	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
)

// Scope names, as the CLI prints them.
const (
	Global  = "global"
	Project = "project"
)

// Scope is one vault with its registry and recipients file.
type Scope struct {
	Name       string // Global or Project
	Dir        string // $PATINA_HOME, or the project root
	Vault      string
	Registry   string
	Recipients string
}

// Places are the vaults that apply in a directory: the global one always,
// the project's when the directory is inside a project.
type Places struct {
	Global  Scope
	Project *Scope // nil outside a project
}

// ErrNoProject means the directory is not inside a project (no .git or
// .patina at or above it).
var ErrNoProject = errors.New("not inside a project")

// Find returns the places that apply in dir ("" for the working directory).
func Find(dir string) (Places, error) {
	var p Places
	home, err := paths.Home()
	if err != nil {
		return p, err
	}
	gv, err := paths.GlobalVault()
	if err != nil {
		return p, err
	}
	greg, err := paths.GlobalRegistry()
	if err != nil {
		return p, err
	}
	grec, err := paths.GlobalRecipient()
	if err != nil {
		return p, err
	}
	p.Global = Scope{Name: Global, Dir: home, Vault: gv, Registry: greg, Recipients: grec}
	if dir == "" {
		if dir, err = os.Getwd(); err != nil {
			return p, nil // no working directory: no project
		}
	}
	root, err := projects.FindRoot(dir)
	if err != nil {
		return p, nil
	}
	p.Project = &Scope{
		Name:       Project,
		Dir:        root,
		Vault:      paths.ProjectVault(root),
		Registry:   paths.ProjectRegistry(root),
		Recipients: paths.ProjectRecipients(root),
	}
	return p, nil
}

// Pick returns the scope a command edits: the project's, or the global one
// when global is set. Outside a project without global it is ErrNoProject.
func (p Places) Pick(global bool) (Scope, error) {
	if global {
		return p.Global, nil
	}
	if p.Project == nil {
		return Scope{}, ErrNoProject
	}
	return *p.Project, nil
}

// Scopes lists the places, global first.
func (p Places) Scopes() []Scope {
	s := []Scope{p.Global}
	if p.Project != nil {
		s = append(s, *p.Project)
	}
	return s
}

// exists reports whether path exists; errors other than "missing" count as
// existing so that the load that follows reports them properly.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
