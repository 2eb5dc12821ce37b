package eval

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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
