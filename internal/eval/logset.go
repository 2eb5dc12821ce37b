package eval

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// MaxLogSetFiles: WriteLogSet leaves out commits touching more files; "where
// did this change happen" has no useful answer for a sweep.
const MaxLogSetFiles = 20

// WriteLogSet writes a query file of commit-subject queries over the
// repository at repo, at commit: one per commit reachable from it that
// touched at most MaxLogSetFiles files, at least one of which exists at
// commit; its expected places are those files. Subjects in skip (the
// hand-written commit queries) are left out. `patina-eval --write-log-set`
// runs it.
func WriteLogSet(w io.Writer, repo, commit string, skip []Query) error {
	tree, err := exec.Command("git", "-C", repo, "ls-tree", "-r", "--name-only", commit).Output()
	if err != nil {
		return fmt.Errorf("git ls-tree: %w", err)
	}
	exists := map[string]bool{}
	for _, f := range strings.Split(string(tree), "\n") {
		exists[f] = true
	}
	log, err := exec.Command("git", "-C", repo, "log", "--no-renames", "--name-only", "--format=%x01%H%x00%s", commit).Output()
	if err != nil {
		return fmt.Errorf("git log: %w", err)
	}
	skipped := map[string]bool{}
	for _, q := range skip {
		if q.Kind == Commit {
			skipped[q.Text] = true
		}
	}
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `# Commit-subject queries over this repository at commit %s (see package eval),
# made mechanically, not by hand (patina-eval --write-log-set): one per commit reachable
# from that commit that touched at most %d files, at least one of which still exists
# there (subjects already in patina.tsv left out). query is the commit's subject
# verbatim; expected is every file it touched that exists at the pinned commit: the
# question is where the change happened.
%s
`, commit, MaxLogSetFiles, header)
	for _, rec := range strings.Split(string(log), "\x01")[1:] {
		head, names, _ := strings.Cut(rec, "\n")
		hash, subject, ok := strings.Cut(head, "\x00")
		subject = strings.TrimSpace(subject)
		if !ok || subject == "" || skipped[subject] || strings.ContainsAny(subject, "\t") {
			continue
		}
		var touched, kept []string
		for _, n := range strings.Split(names, "\n") {
			if n = strings.TrimSpace(n); n != "" {
				touched = append(touched, n)
			}
		}
		if len(touched) == 0 || len(touched) > MaxLogSetFiles {
			continue
		}
		for _, n := range touched {
			if exists[n] && !strings.Contains(n, ",") && !slices.Contains(kept, n) {
				kept = append(kept, n)
			}
		}
		if len(kept) == 0 {
			continue
		}
		slices.Sort(kept)
		fmt.Fprintf(b, "log-%s\t%s\t%s\t%s\n", hash[:7], Commit, subject, strings.Join(kept, ","))
	}
	return b.Flush()
}
