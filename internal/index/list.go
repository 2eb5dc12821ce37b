package index

import (
	"context"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// skipDirs are directory names never indexed, wherever they appear, even
// when git tracks them: version control, Patina's own directory, and
// vendored code.
var skipDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true, ".patina": true,
	"node_modules": true, "vendor": true, "third_party": true, "third-party": true,
	"bower_components": true,
}

// buildDirs are also skipped by the walk (without git). In a git
// repository build output is normally ignored already, and a tracked
// build/ or dist/ directory is the project's choice to keep.
var buildDirs = map[string]bool{
	"dist": true, "build": true, "target": true,
	"__pycache__": true, "venv": true,
}

// sensitiveNames are files that commonly hold credentials. They are never
// indexed: whatever the index holds can end up in an agent's context.
var sensitiveNames = map[string]bool{
	".env": true, ".envrc": true, ".netrc": true, ".npmrc": true, ".pypirc": true, ".git-credentials": true,
	".htpasswd": true, ".pgpass": true, ".my.cnf": true, ".s3cfg": true,
	"credentials": true, "credentials.json": true,
	"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "id_ecdsa_sk": true, "id_ed25519_sk": true,
	// Patina's own secrets, should a project hold a copy of them.
	"mother.token": true, "identity.age": true,
}

// sensitiveExts are extensions of key material and encrypted vaults.
var sensitiveExts = map[string]bool{
	".pem": true, ".key": true, ".p12": true, ".pfx": true, ".jks": true, ".keystore": true,
	".age": true, ".kdbx": true, ".gpg": true, ".asc": true,
	// Terraform variables and state hold provider credentials and every
	// resource's secrets in plain text.
	".tfvars": true, ".tfstate": true,
}

// sensitiveSuffixes are name endings of credentials that the extension
// alone does not catch.
var sensitiveSuffixes = []string{".tfvars.json", ".tfstate.backup"}

// envExamples are .env.* files meant to be committed as documentation.
var envExamples = map[string]bool{".env.example": true, ".env.sample": true, ".env.template": true, ".env.dist": true}

// generatedNames are lock files and other machine-written text that would
// drown real results.
var generatedNames = map[string]bool{
	"package-lock.json": true, "yarn.lock": true, "pnpm-lock.yaml": true, "Cargo.lock": true,
	"go.sum": true, "poetry.lock": true, "composer.lock": true, "Gemfile.lock": true,
	"Pipfile.lock": true, "uv.lock": true, "bun.lockb": true, "flake.lock": true,
}

// Skip reasons, as counted in Summary.Skipped.
const (
	skipSensitive  = "sensitive"   // by name: see sensitiveNames and sensitiveExts
	skipKeyContent = "private_key" // by content: see holdsPrivateKey
	skipGenerated  = "generated"
	skipBinary     = "binary"
	skipTooLarge   = "too_large"
	skipSymlinkOut = "symlink_outside_root"
	skipNotRegular = "not_regular"
	skipUnreadable = "unreadable"
)

// skipByName says why a file is never indexed because of its path alone,
// or "" if the path is fine. rel is slash separated, relative to the root.
func skipByName(rel string) string {
	dir, name := path.Split(rel)
	for _, d := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if skipDirs[d] {
			return skipDirName
		}
	}
	ext := strings.ToLower(path.Ext(name))
	switch {
	case sensitiveNames[name], sensitiveExts[ext],
		strings.HasPrefix(name, ".env.") && !envExamples[name],
		slices.ContainsFunc(sensitiveSuffixes, func(s string) bool { return strings.HasSuffix(name, s) }):
		return skipSensitive
	case generatedNames[name], strings.HasSuffix(name, ".min.js"), strings.HasSuffix(name, ".min.css"),
		ext == ".map":
		return skipGenerated
	}
	return ""
}

// skipDirName marks a path inside a skipped directory: not counted as
// seen, the way a walk never enters such a directory.
const skipDirName = "skip_dir"

// walkFiles lists root's files the way git would without a repository:
// skipping skipDirs, buildDirs, every dot-directory, and what .gitignore
// files say.
// Symlinks are listed (the scrape decides about them); the walk never
// follows a directory symlink.
func walkFiles(ctx context.Context, root string) ([]string, error) {
	var ig ignorer
	ig.load(root, "")
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return err
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			// An unreadable directory is skipped, not fatal.
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if skipDirs[name] || buildDirs[name] || strings.HasPrefix(name, ".") || ig.ignored(rel, true) {
				return fs.SkipDir
			}
			ig.load(root, rel)
			return nil
		}
		if ig.ignored(rel, false) {
			return nil
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}
