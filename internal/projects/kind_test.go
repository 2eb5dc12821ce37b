package projects

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReferences(t *testing.T) {
	base := tempDir(t)
	reg := New(filepath.Join(base, "home", "projects.toml"))
	own := project(t, base, "own", false)
	ref := project(t, base, "cobra", false)
	if _, _, err := reg.Add(own, "own"); err != nil {
		t.Fatal(err)
	}
	p, err := reg.AddReference(ref, "cobra")
	if err != nil || p.Kind != KindReference || !p.OK() || p.Path != ref {
		t.Fatalf("AddReference: %+v %v", p, err)
	}
	// Never reused: a name or a directory of either kind is taken.
	for _, c := range []struct{ path, name string }{{ref, "cobra"}, {ref, "other"}, {own, "other"}, {project(t, base, "x", false), "own"}} {
		if _, err := reg.AddReference(c.path, c.name); !errors.Is(err, ErrExists) {
			t.Errorf("AddReference(%s, %s): %v, want ErrExists", c.path, c.name, err)
		}
	}
	ps, err := reg.List()
	if err != nil || len(ps) != 2 || ps[0].Kind != KindProject || ps[1].Kind != KindReference {
		t.Fatalf("list: %+v %v", ps, err)
	}
	// On disk a project has no kind (what older patinas wrote), a
	// reference says so.
	b, _ := os.ReadFile(reg.File())
	if strings.Count(string(b), "kind = ") != 1 || !strings.Contains(string(b), `kind = "reference"`) {
		t.Errorf("registry file:\n%s", b)
	}
	// An unknown kind (a newer patina's, a typo) is never opened.
	must(t, os.WriteFile(reg.File(), []byte(strings.Replace(string(b), `kind = "reference"`, `kind = "mirror"`, 1)), 0o600))
	if _, err := reg.Resolve("cobra"); err == nil || !strings.Contains(err.Error(), `unknown kind "mirror"`) {
		t.Errorf("resolve an unknown kind: %v", err)
	}
}
