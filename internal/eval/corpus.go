package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// DefaultCorpusRoot is where Debian's python3 (libpython3.11-minimal and
// libpython3.11-stdlib) installs the standard library.
const DefaultCorpusRoot = "/usr/lib/python3.11"

// ExcludedTopDirs are directories directly under the corpus root that are
// not part of the corpus, as path.Match patterns for one path element.
// They are tools, demos and data rather than the library (idlelib,
// turtledemo, pydoc_data, ensurepip, config-3.11-*), parts of the tree
// that Debian ships in packages python3 does not depend on (lib2to3 in
// python3-lib2to3, tkinter in python3-tk, distutils in python3-distutils),
// so that the corpus is the same on every machine with python3.
var ExcludedTopDirs = []string{
	"idlelib", "lib2to3", "tkinter", "turtledemo", "ensurepip",
	"pydoc_data", "distutils", "config-3.11-*",
}

// ExcludedDirs are directories excluded at any depth, as path.Match
// patterns for one path element: test suites (test/, */tests/), bytecode
// caches, third-party packages, and venv, which the scraper skips wherever
// it is (taking it for a virtual environment), so that the corpus is what
// gets indexed.
var ExcludedDirs = []string{
	"test", "tests", "__pycache__", "site-packages", "dist-packages", "venv",
}

// InCorpus reports whether rel, a slash-separated path relative to the
// corpus root, names a corpus file: a .py file under none of the excluded
// directories. It looks only at the name; CopyCorpus also leaves out
// symbolic links.
func InCorpus(rel string) bool {
	if !strings.HasSuffix(rel, ".py") {
		return false
	}
	dir := path.Dir(rel)
	if dir == "." {
		return true
	}
	for i, elem := range strings.Split(dir, "/") {
		if excludedDir(elem, i == 0) {
			return false
		}
	}
	return true
}

// excludedDir reports whether a directory named elem is excluded; top says
// whether it sits directly under the corpus root.
func excludedDir(elem string, top bool) bool {
	if matchAny(ExcludedDirs, elem) {
		return true
	}
	return top && matchAny(ExcludedTopDirs, elem)
}

func matchAny(patterns []string, elem string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, elem); ok { // the patterns are valid: see the tests
			return true
		}
	}
	return false
}

// CorpusFiles returns the corpus files under srcRoot, slash-separated and
// relative to it, in lexical order. Symbolic links are left out: on Debian
// they are sitecustomize.py, which points into /etc, and a second name for
// the _sysconfigdata module.
func CorpusFiles(srcRoot string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(srcRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(srcRoot, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if excludedDir(d.Name(), !strings.Contains(rel, "/")) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && InCorpus(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", srcRoot, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("corpus %s: no .py files", srcRoot)
	}
	return files, nil
}

// CopyCorpus copies the corpus files under srcRoot to the same relative
// paths under dst, which must be absent or an empty directory, so that a
// scrape of dst indexes exactly the corpus.
func CopyCorpus(srcRoot, dst string) error {
	files, err := CorpusFiles(srcRoot)
	if err != nil {
		return err
	}
	switch entries, err := os.ReadDir(dst); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("copy corpus: %s is not empty", dst)
	}
	for _, rel := range files {
		to := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(srcRoot, filepath.FromSlash(rel)), to); err != nil {
			return fmt.Errorf("copy corpus: %w", err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// A Corpus is what a query set is asked over. Prepare makes a copy of it
// under work (once: later calls reuse the copy, so its index too) and
// returns the copy's root, which the runner scrapes; Git says whether the
// scrape should read git (history included).
type Corpus interface {
	Name() string
	Describe() string
	Git() bool
	Prepare(work string) (root string, err error)
}

// Set is a labelled query set and its corpus.
type Set struct {
	Name    string // also the query file: testdata/<name>.tsv
	Queries string // the query file's path
	Corpus  Corpus
	// Generated sets are made mechanically (see WriteLogSet), not
	// labelled by hand.
	Generated bool
}

// PinnedCommit is the commit of this repository the patina set is
// labelled at.
const PinnedCommit = "c15903bcc967f68b3e5806a904530b7164258179"

// Sets are the query sets `make eval` runs, their files found under dir
// (internal/eval/testdata). repo is this repository's work tree, the
// patina set's source.
func Sets(dir, repo string) []Set {
	self := GitRepo{Label: "patina", Source: repo, Commit: PinnedCommit}
	return []Set{
		{Name: "pystdlib", Queries: filepath.Join(dir, "pystdlib.tsv"), Corpus: PyStdlib{Root: DefaultCorpusRoot}},
		{Name: "mcpsdk", Queries: filepath.Join(dir, "mcpsdk.tsv"), Corpus: GoModule{Path: "github.com/modelcontextprotocol/go-sdk", Version: "v1.8.0"}},
		{Name: "gopls", Queries: filepath.Join(dir, "gopls.tsv"), Corpus: GoModule{Path: "golang.org/x/tools/gopls", Version: "v0.20.0"}},
		{Name: "patina", Queries: filepath.Join(dir, "patina.tsv"), Corpus: self},
		{Name: "patinalog", Queries: filepath.Join(dir, "patinalog.tsv"), Corpus: self, Generated: true},
	}
}

// PyStdlib is the Python standard library under Root, its .py files only
// (see InCorpus).
type PyStdlib struct{ Root string }

func (PyStdlib) Name() string       { return "pystdlib" }
func (c PyStdlib) Describe() string { return "the Python standard library under " + c.Root }
func (PyStdlib) Git() bool          { return false }

// Prepare copies the corpus files once.
func (c PyStdlib) Prepare(work string) (string, error) {
	return once(work, c.Name(), func(root string) error { return CopyCorpus(c.Root, root) })
}

// GoModule is a Go module's source as the module cache holds it: every
// regular file (docs, code, tests, examples).
type GoModule struct{ Path, Version string }

func (m GoModule) Name() string { return path.Base(m.Path) + "@" + m.Version }
func (m GoModule) Describe() string {
	return "Go module " + m.Path + "@" + m.Version + " (module cache)"
}
func (GoModule) Git() bool { return false }

// Prepare copies the module from the module cache, downloading it through
// the module proxy (go mod download) if it is not there yet.
func (m GoModule) Prepare(work string) (string, error) {
	return once(work, m.Name(), func(root string) error {
		out, err := exec.Command("go", "mod", "download", "-json", m.Path+"@"+m.Version).Output()
		if err != nil {
			return fmt.Errorf("go mod download %s@%s: %w", m.Path, m.Version, err)
		}
		var info struct{ Dir, Error string }
		if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
			return fmt.Errorf("go mod download %s@%s: no directory (%s)", m.Path, m.Version, info.Error)
		}
		return copyTree(info.Dir, root)
	})
}

// GitRepo is a git repository at a pinned commit, history included: a
// clone of Source checked out at Commit, so its history ends there.
type GitRepo struct{ Label, Source, Commit string }

func (g GitRepo) Name() string { return g.Label + "@" + g.Commit[:7] }
func (g GitRepo) Describe() string {
	return g.Label + " at commit " + g.Commit[:12] + ", with its git history"
}
func (GitRepo) Git() bool { return true }

// Prepare clones Source and checks out Commit. Source must hold the
// commit: a shallow clone of this repository does not.
func (g GitRepo) Prepare(work string) (string, error) {
	return once(work, g.Name(), func(root string) error {
		if err := exec.Command("git", "-C", g.Source, "cat-file", "-e", g.Commit+"^{commit}").Run(); err != nil {
			return fmt.Errorf("%s does not hold commit %s (a shallow clone? run git fetch --unshallow)", g.Source, g.Commit)
		}
		for _, args := range [][]string{
			{"clone", "--quiet", "--no-checkout", g.Source, root},
			{"-C", root, "checkout", "--quiet", "--detach", g.Commit},
		} {
			if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
				return fmt.Errorf("git %s: %v: %s", args[0], err, strings.TrimSpace(string(out)))
			}
		}
		return nil
	})
}

// once prepares work/name with fill the first time, marking it done, and
// reuses it afterwards.
func once(work, name string, fill func(root string) error) (string, error) {
	root := filepath.Join(work, name)
	done := root + ".ready"
	if _, err := os.Stat(done); err == nil {
		return root, nil
	}
	if err := os.RemoveAll(root); err != nil {
		return "", err
	}
	if err := os.MkdirAll(work, 0o700); err != nil {
		return "", err
	}
	if err := fill(root); err != nil {
		os.RemoveAll(root)
		return "", err
	}
	return root, os.WriteFile(done, nil, 0o600)
}

// copyTree copies every regular file under src to dst, writable by its
// owner (the module cache's files are read-only); symbolic links are left
// out.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, to)
	})
}

// CheckExpected reports the expected places of qs that the prepared
// corpus at root lacks: a missing file, or a commit git does not know.
func CheckExpected(qs []Query, root string, git bool) error {
	var errs []error
	for _, q := range qs {
		for _, e := range q.Expected {
			if h, ok := strings.CutPrefix(e, "git:"); ok {
				if !git || exec.Command("git", "-C", root, "cat-file", "-e", h+"^{commit}").Run() != nil {
					errs = append(errs, fmt.Errorf("query %s: commit %s is not in the corpus", q.ID, h))
				}
				continue
			}
			if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(e))); err != nil || !fi.Mode().IsRegular() {
				errs = append(errs, fmt.Errorf("query %s: %s is not a file of the corpus", q.ID, e))
			}
		}
	}
	return errors.Join(errs...)
}
