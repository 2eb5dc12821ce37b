package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patina-dev/patina/internal/childenv"
)

// runGit runs git in dir and returns its stdout. Repository config cannot
// make it run a program (fsmonitor), prompt, or take optional locks, and
// git never sees Patina's credentials (childenv).
func runGit(ctx context.Context, dir string, stdin io.Reader, args ...string) ([]byte, error) {
	full := append([]string{"-c", "core.fsmonitor=false", "-c", "core.quotepath=off", "-C", dir}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = append(childenv.Scrubbed(), "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C")
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}

// gitRepo describes the repository a scrape root lives in.
type gitRepo struct {
	top    string // the work tree's top level
	subdir bool   // the scrape root is below the top level
}

// findGit reports whether root is inside a git work tree. A missing git
// binary, or a repository git refuses to use, is not an error: the scrape
// walks the tree instead and says why in note.
func findGit(ctx context.Context, root string) (repo *gitRepo, note string, err error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, "git not found on PATH: walked the tree instead", nil
	}
	out, err := runGit(ctx, root, nil, "rev-parse", "--is-inside-work-tree", "--show-toplevel")
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		msg := err.Error()
		if strings.Contains(msg, "not a git repository") {
			return nil, "", nil
		}
		return nil, "not using git (" + msg + "): walked the tree instead", nil
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 || lines[0] != "true" {
		return nil, "", nil // e.g. inside a .git dir or a bare repository
	}
	top, err := filepath.EvalSymlinks(lines[1])
	if err != nil {
		return nil, "", fmt.Errorf("git top level %s: %w", lines[1], err)
	}
	return &gitRepo{top: top, subdir: filepath.Clean(top) != filepath.Clean(root)}, "", nil
}

// gitFiles lists the files under root that git tracks, plus untracked
// files git does not ignore, as slash paths relative to root.
func gitFiles(ctx context.Context, root string) ([]string, error) {
	out, err := runGit(ctx, root, nil, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var files []string
	for _, p := range strings.Split(string(out), "\x00") {
		// Entries ending in "/" are untracked nested repositories.
		if p == "" || strings.HasSuffix(p, "/") || seen[p] {
			continue
		}
		seen[p] = true
		files = append(files, p)
	}
	return files, nil
}

// commit is one git commit as indexed.
type commit struct {
	hash, short string
	date        time.Time
	message     string
	// files are the paths it touched, relative to the scrape root (at
	// most maxCommitFiles), filesChanged how many there were in all.
	files        []string
	filesChanged int
}

// maxCommitFiles caps the touched files recorded for one commit: a commit
// touching more (a reformat, a vendored import) says little about any one
// of them.
const maxCommitFiles = 200

// gitCommits lists the hashes of the newest max commits reachable from
// HEAD, newest first (limited to commits touching root when root is a
// subdirectory). A repository without commits has none.
func gitCommits(ctx context.Context, root string, repo *gitRepo, max int) ([]string, error) {
	if _, err := runGit(ctx, root, nil, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, nil // no commits yet
	}
	args := []string{"rev-list", "--max-count=" + strconv.Itoa(max), "HEAD"}
	if repo.subdir {
		args = append(args, "--", ".")
	}
	out, err := runGit(ctx, root, nil, args...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// gitMessages reads the given commits' short hash, author date, message
// and the files each touched below root (git log --name-only --relative;
// a merge lists none). Renames count as a deletion and an addition, so
// both names are touched.
func gitMessages(ctx context.Context, root string, hashes []string) ([]commit, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	in := strings.NewReader(strings.Join(hashes, "\n") + "\n")
	out, err := runGit(ctx, root, in, "log", "--no-walk=unsorted", "--stdin", "-z",
		"--name-only", "--relative", "--no-renames", "--format=%x01%H%x00%h%x00%at%x00%B")
	if err != nil {
		return nil, err
	}
	cs, err := parseLog(string(out))
	if err != nil {
		return nil, err
	}
	if len(cs) != len(hashes) {
		return nil, errors.New("git log: unexpected output")
	}
	return cs, nil
}

// parseLog reads the output of gitMessages's git log: for each commit
// "\x01" hash NUL short NUL date NUL message NUL, then, if it touched
// files, "\n" and each path NUL-terminated. A message cannot hold a NUL;
// a path can start with "\x01", so a record starts only where "\x01" is
// followed by a full hash and a NUL.
func parseLog(out string) ([]commit, error) {
	var cs []commit
	for len(out) > 0 {
		if !recordStart(out) {
			return nil, errors.New("git log: unexpected output")
		}
		fields := strings.SplitN(out[1:], "\x00", 5)
		if len(fields) < 4 {
			return nil, errors.New("git log: unexpected output")
		}
		secs, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git log: bad author date %q", fields[2])
		}
		c := commit{
			hash:    strings.TrimSpace(fields[0]),
			short:   fields[1],
			date:    time.Unix(secs, 0).UTC(),
			message: strings.ToValidUTF8(strings.TrimRight(fields[3], "\n"), "\uFFFD"),
		}
		out = ""
		if len(fields) == 5 {
			out = strings.TrimPrefix(fields[4], "\n")
		}
		for len(out) > 0 && !recordStart(out) {
			end := strings.IndexByte(out, 0)
			if end < 0 {
				end = len(out)
			}
			if p := out[:end]; p != "" && utf8.ValidString(p) {
				c.filesChanged++
				if len(c.files) < maxCommitFiles {
					c.files = append(c.files, p)
				}
			}
			out = out[min(end+1, len(out)):]
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// recordStart reports whether s starts a parseLog record: "\x01", a
// full object name (40 hex digits, or 64 in a SHA-256 repository), NUL.
func recordStart(s string) bool {
	if len(s) == 0 || s[0] != '\x01' {
		return false
	}
	end := strings.IndexByte(s, 0)
	h := s[1:max(end, 1)]
	return end > 0 && (len(h) == 40 || len(h) == 64) && strings.Trim(h, "0123456789abcdef") == ""
}

// commitChunk is the searchable form of a commit: titled with its author
// date, short hash and subject; path "git:<short hash>". Its names field
// is the subject and its path words are those of the files it touched.
func commitChunk(c commit) (path string, ch chunk) {
	subject, _, _ := strings.Cut(c.message, "\n")
	title := c.date.Format("2006-01-02") + " " + c.short
	if s := strings.TrimSpace(subject); s != "" {
		title += " " + s
	}
	lines := 1 + strings.Count(c.message, "\n")
	// Only the names scrape would index lend their words: a touched
	// id_rsa must not make the commit findable as "id rsa".
	var indexable []string
	for _, f := range c.files {
		if skipByName(f) == "" {
			indexable = append(indexable, f)
		}
	}
	return "git:" + c.short, chunk{Kind: KindCommit, Title: title, StartLine: 1, EndLine: lines, Content: c.message,
		Names: strings.TrimSpace(subject), PathWords: pathsField(indexable)}
}
