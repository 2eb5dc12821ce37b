package projects

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/patina-dev/patina/internal/paths"
)

// tempDir is t.TempDir with symlinks resolved (macOS /var → /private/var).
func tempDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// project makes a directory, with an (empty) index file unless noIndex.
func project(t *testing.T, parent, name string, noIndex bool) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if !noIndex {
		idx := paths.ProjectIndex(dir)
		os.MkdirAll(filepath.Dir(idx), 0o700)
		if err := os.WriteFile(idx, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAddListRemove(t *testing.T) {
	base := tempDir(t)
	reg := New(filepath.Join(base, "home", "projects.toml"))
	if ps, err := reg.List(); err != nil || len(ps) != 0 {
		t.Fatalf("empty registry: %v %v", ps, err)
	}
	dir := project(t, base, "My Project!", false)

	p, added, err := reg.Add(dir, "")
	if err != nil || !added {
		t.Fatalf("add: %v %v", added, err)
	}
	if p.Name != "my-project-" || p.Path != dir || !p.OK() || p.Index != paths.ProjectIndex(dir) || p.AddedAt.IsZero() {
		t.Errorf("added %+v", p)
	}
	fi, err := os.Stat(reg.File())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("registry file: %v %v", fi, err)
	}
	before, _ := os.ReadFile(reg.File())
	if !strings.Contains(string(before), "[[project]]") || !strings.Contains(string(before), "version = 1") {
		t.Errorf("file format:\n%s", before)
	}

	// Re-adding is a no-op that writes nothing, with or without the name,
	// and through a symlink or a ".." path to the same directory.
	link := filepath.Join(base, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range [][2]string{{dir, ""}, {dir, "my-project-"}, {link, ""}, {filepath.Join(dir, "..", "My Project!"), ""}} {
		p, added, err := reg.Add(tc[0], tc[1])
		if err != nil || added || p.Name != "my-project-" {
			t.Errorf("re-add %q %q: %+v %v %v", tc[0], tc[1], p, added, err)
		}
	}
	if after, _ := os.ReadFile(reg.File()); string(after) != string(before) {
		t.Error("re-adding rewrote the registry")
	}

	other := project(t, base, "other", false)
	if _, _, err := reg.Add(other, "my-project-"); !errors.Is(err, ErrExists) {
		t.Errorf("name taken: %v", err)
	}
	if _, _, err := reg.Add(dir, "second-name"); !errors.Is(err, ErrExists) {
		t.Errorf("dir registered under another name: %v", err)
	}
	if _, _, err := reg.Add(filepath.Join(base, "nope"), ""); err == nil {
		t.Error("added a missing directory")
	}
	if _, _, err := reg.Add(filepath.Join(dir, ".patina", "local", "index.db"), "file"); err == nil {
		t.Error("added a file")
	}
	if _, _, err := reg.Add(other, ""); err != nil {
		t.Fatal(err)
	}
	ps, err := reg.List()
	if err != nil || len(ps) != 2 || ps[0].Name != "my-project-" || ps[1].Name != "other" {
		t.Fatalf("list: %+v %v", ps, err)
	}
	got, err := reg.Resolve("other")
	if err != nil || got.Path != other {
		t.Errorf("resolve: %+v %v", got, err)
	}
	if err := reg.Remove("my-project-"); err != nil {
		t.Fatal(err)
	}
	if err := reg.Remove("my-project-"); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
	if _, err := reg.Resolve("my-project-"); !errors.Is(err, ErrNotFound) {
		t.Errorf("resolve removed: %v", err)
	}
	if _, err := os.Stat(paths.ProjectIndex(dir)); err != nil {
		t.Errorf("remove deleted the index: %v", err)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"a", true}, {"patina", true}, {"my-proj_1.2", true}, {"0day", true},
		{strings.Repeat("a", 64), true}, {strings.Repeat("a", 65), false},
		{"", false}, {"-lead", false}, {".hidden", false}, {"_x", false}, {"UPPER", false},
		{"sp ace", false}, {"sl/ash", false}, {"../up", false}, {"naïve", false}, {"a\x00b", false},
	} {
		if err := ValidName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidName(%q) = %v", tc.name, err)
		}
	}
	for _, tc := range []struct{ dir, want string }{
		{"/x/Patina", "patina"}, {"/x/my repo", "my-repo"}, {"/x/.dotfiles", "dotfiles"},
		{"/x/日本", ""}, {"/x/" + strings.Repeat("b", 80), strings.Repeat("b", 64)},
	} {
		got, err := DefaultName(tc.dir)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("DefaultName(%q) = %q, %v", tc.dir, got, err)
		}
	}
}

// TestHandEdited: a registry edited by hand (or by an attacker with write
// access to it) is reported entry by entry and never followed blindly.
func TestHandEdited(t *testing.T) {
	base := tempDir(t)
	good := project(t, base, "good", false)
	elsewhere := project(t, base, "elsewhere", false)
	noIndex := project(t, base, "noindex", true)
	project(t, base, "sub", false)
	// A symlink registered as if it were the directory.
	link := filepath.Join(base, "link")
	must(t, os.Symlink(elsewhere, link))
	// A directory registered canonically, later replaced by a symlink to
	// another place.
	retarget := project(t, base, "retarget", false)
	must(t, os.RemoveAll(retarget))
	must(t, os.Symlink(elsewhere, retarget))
	file := filepath.Join(base, "plainfile")
	must(t, os.WriteFile(file, nil, 0o600))

	toml := fmt.Sprintf(`version = 1
[[project]]
name = "good"
path = %q
added_at = 2024-01-01T00:00:00Z

[[project]]
name = "dotdot"
path = %q

[[project]]
name = "symlink"
path = %q

[[project]]
name = "retargeted"
path = %q

[[project]]
name = "missing"
path = %q

[[project]]
name = "relative"
path = "good"

[[project]]
name = "Bad Name"
path = %q

[[project]]
name = "good"
path = %q

[[project]]
name = "noindex"
path = %q

[[project]]
name = "file"
path = %q

[[project]]
name = "alias"
path = %q
`, good, base+"/sub/../elsewhere", link, retarget, filepath.Join(base, "gone"),
		good, elsewhere, noIndex, file, good)
	reg := New(filepath.Join(base, "projects.toml"))
	must(t, os.WriteFile(reg.File(), []byte(toml), 0o600))

	ps, err := reg.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		status Status
		target string
	}{
		{"good", StatusOK, ""},
		{"dotdot", StatusMoved, elsewhere},
		{"symlink", StatusMoved, elsewhere},
		{"retargeted", StatusMoved, elsewhere},
		{"missing", StatusMissing, ""},
		{"relative", StatusInvalid, ""},
		{"Bad Name", StatusInvalid, ""},
		{"good", StatusInvalid, ""}, // duplicate name
		{"noindex", StatusNoIndex, ""},
		{"file", StatusMissing, ""},
		{"alias", StatusInvalid, ""}, // same directory as "good"
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d entries: %+v", len(ps), ps)
	}
	for i, w := range want {
		p := ps[i]
		if p.Name != w.name || p.Status != w.status || p.Target != w.target || (p.Status == StatusOK) != (p.Problem == "") {
			t.Errorf("entry %d: got %s %s target=%q problem=%q, want %s %s target=%q",
				i, p.Name, p.Status, p.Target, p.Problem, w.name, w.status, w.target)
		}
	}
	// Resolve refuses every unusable entry with a clear error.
	for _, name := range []string{"dotdot", "symlink", "retargeted", "missing", "relative", "noindex", "file", "alias"} {
		p, err := reg.Resolve(name)
		var ue *UnusableError
		if !errors.As(err, &ue) || ue.Project.Name != name || !strings.Contains(err.Error(), name) || p.OK() {
			t.Errorf("Resolve(%q) = %+v, %v", name, p, err)
		}
	}
	if p, err := reg.Resolve("good"); err != nil || p.Path != good {
		t.Errorf("Resolve(good) = %+v, %v", p, err)
	}
	// ResolveDir maps a directory to the usable project holding it, and
	// to nothing for the moved ones' targets.
	must(t, os.MkdirAll(filepath.Join(good, "deep", "er"), 0o755))
	if p, err := reg.ResolveDir(filepath.Join(good, "deep", "er")); err != nil || p.Name != "good" {
		t.Errorf("ResolveDir(good/deep/er) = %+v, %v", p, err)
	}
	for _, d := range []string{elsewhere, link, base, "/"} {
		if p, err := reg.ResolveDir(d); !errors.Is(err, ErrNotFound) {
			t.Errorf("ResolveDir(%s) = %+v, %v", d, p, err)
		}
	}
	// Adding to a hand-edited registry keeps the other entries.
	if _, _, err := reg.Add(project(t, base, "fresh", false), ""); err != nil {
		t.Fatal(err)
	}
	if ps2, _ := reg.List(); len(ps2) != len(ps)+1 {
		t.Errorf("add lost entries: %d → %d", len(ps), len(ps2))
	}
}

func TestMalformed(t *testing.T) {
	base := tempDir(t)
	for _, content := range []string{"[[project]\nname=", "version = 2\n", "project = 3\n"} {
		reg := New(filepath.Join(base, "p.toml"))
		must(t, os.WriteFile(reg.File(), []byte(content), 0o600))
		if _, err := reg.List(); err == nil {
			t.Errorf("List accepted %q", content)
		}
		if _, _, err := reg.Add(base, "x"); err == nil {
			t.Errorf("Add accepted a registry of %q", content)
		}
	}
}

func TestConcurrentAdd(t *testing.T) {
	base := tempDir(t)
	reg := New(filepath.Join(base, "projects.toml"))
	var wg sync.WaitGroup
	for i := range 12 {
		dir := project(t, base, fmt.Sprintf("p%02d", i), false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := New(reg.File()).Add(dir, ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ps, err := reg.List(); err != nil || len(ps) != 12 {
		t.Errorf("after concurrent adds: %d entries, %v", len(ps), err)
	}
}

func TestFindRoot(t *testing.T) {
	base := tempDir(t)
	t.Setenv(paths.EnvHome, filepath.Join(base, "home", ".patina"))
	must(t, os.MkdirAll(filepath.Join(base, "home", ".patina"), 0o700))
	for _, d := range []string{"repo/.git", "repo/a/b", "repo/nested/.patina", "repo/nested/c", "home/notes/x", "worktree/src"} {
		must(t, os.MkdirAll(filepath.Join(base, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(base, "worktree", ".git"), []byte("gitdir: /elsewhere\n"), 0o644))
	for _, tc := range []struct{ dir, want string }{
		{"repo/a/b", "repo"},
		{"repo", "repo"},
		{"repo/nested/c", "repo/nested"},
		{"worktree/src", "worktree"},
		{"home/notes/x", ""}, // ~/.patina is Patina's home, not a project
	} {
		got, err := FindRoot(filepath.Join(base, tc.dir))
		if tc.want == "" {
			if !errors.Is(err, ErrNoRoot) && !(err == nil && !strings.HasPrefix(got, base)) {
				t.Errorf("FindRoot(%s) = %q, %v; want no root", tc.dir, got, err)
			}
			continue
		}
		if err != nil || got != filepath.Join(base, tc.want) {
			t.Errorf("FindRoot(%s) = %q, %v; want %s", tc.dir, got, err, tc.want)
		}
	}
	if _, err := FindRoot(filepath.Join(base, "nope")); err == nil {
		t.Error("FindRoot of a missing dir")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDotDotAfterSymlink: "link/../x" is resolved the way the kernel
// resolves it (relative to the link's target), not lexically.
func TestDotDotAfterSymlink(t *testing.T) {
	base := tempDir(t)
	real := project(t, filepath.Join(base, "deep"), "real", false)
	project(t, filepath.Join(base, "deep"), "sibling", false)
	project(t, base, "sibling", false) // the lexical reading's target
	must(t, os.Symlink(real, filepath.Join(base, "link")))
	reg := New(filepath.Join(base, "p.toml"))
	p, _, err := reg.Add(base+"/link/../sibling", "s")
	if err != nil || p.Path != filepath.Join(base, "deep", "sibling") {
		t.Errorf("add link/../sibling = %+v, %v", p, err)
	}
}

// TestSymlinkedIndexPath: a project whose .patina, .patina/local or
// index.db is a symlink (say, into another project) is never usable, even
// though its own directory is canonical.
func TestSymlinkedIndexPath(t *testing.T) {
	base := tempDir(t)
	other := project(t, base, "other", false)
	otherIndex := paths.ProjectIndex(other)
	for _, tc := range []struct{ name, link, target string }{
		{"dot-patina", ".patina", paths.ProjectDir(other)},
		{"local", ".patina/local", filepath.Dir(otherIndex)},
		{"index", ".patina/local/index.db", otherIndex},
		{"crafted", ".patina/local/index.db", filepath.Join(base, "crafted.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, base, "p-"+tc.name, true)
			link := filepath.Join(dir, filepath.FromSlash(tc.link))
			must(t, os.MkdirAll(filepath.Dir(link), 0o700))
			must(t, os.WriteFile(filepath.Join(base, "crafted.db"), nil, 0o600))
			must(t, os.Symlink(tc.target, link))
			reg := New(filepath.Join(base, tc.name+".toml"))
			p, _, err := reg.Add(dir, "p")
			must(t, err)
			// A symlink at index.db itself is a damaged index, which a
			// scrape replaces; a symlinked directory above it is refused.
			want := StatusInvalid
			if tc.link == ".patina/local/index.db" {
				want = StatusDamaged
			}
			if p.Status != want || !strings.Contains(p.Problem, "symlink") {
				t.Errorf("status %s, problem %q", p.Status, p.Problem)
			}
			var ue *UnusableError
			if _, err := reg.Resolve("p"); !errors.As(err, &ue) {
				t.Errorf("resolve: %v", err)
			}
			_, err = reg.ResolveDir(dir)
			if want == StatusInvalid && !errors.Is(err, ErrNotFound) || want == StatusDamaged && !errors.As(err, &ue) {
				t.Errorf("resolve dir: %v", err)
			}
			// The project it points into is fine on its own.
			reg.Add(other, "other")
			if p, err := reg.Resolve("other"); err != nil || !p.OK() {
				t.Errorf("the real project: %+v %v", p, err)
			}
		})
	}
}

// TestResolveDirUnindexed: inside a registered project whose index was
// deleted, or has a directory in its place, ResolveDir names that project
// as unusable (and why), never "in no registered project".
func TestResolveDirUnindexed(t *testing.T) {
	base := tempDir(t)
	dir := project(t, base, "p", false)
	reg := New(filepath.Join(base, "projects.toml"))
	_, _, err := reg.Add(dir, "p")
	must(t, err)
	sub := filepath.Join(dir, "sub")
	must(t, os.MkdirAll(sub, 0o755))
	idx := paths.ProjectIndex(dir)
	for _, tc := range []struct {
		name   string
		spoil  func()
		status Status
		want   string
	}{
		{"deleted", func() { must(t, os.Remove(idx)) }, StatusNoIndex, "no index at " + idx},
		{"directory", func() { must(t, os.Mkdir(idx, 0o700)) }, StatusDamaged, "is not a file"},
	} {
		tc.spoil()
		_, err := reg.ResolveDir(sub)
		var ue *UnusableError
		if !errors.As(err, &ue) || ue.Project.Name != "p" || ue.Project.Status != tc.status || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ResolveDir = %v", tc.name, err)
		}
	}
}
