package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/projects"
)

// TestScrapeIncremental edits, deletes, renames and leaves files alone
// between scrapes of the fixture, and checks what each scrape reports and
// what scry then finds through a daemon that keeps the index open all
// along.
func TestScrapeIncremental(t *testing.T) {
	root := indextest.Fixture(t)
	indextest.Age(root, time.Hour)
	env := daemonEnv(t, startDaemon(t, shortSocket(t)))
	find := func(q string) []string {
		t.Helper()
		resp, r := scryJSON(t, env, q, "--project", "fx", "--mode", "lexical") // exact words: found or not
		if r.stderr != "" && !strings.Contains(r.stderr, "no results") {
			t.Errorf("scry %q: %s", q, r.stderr)
		}
		var ps []string
		for _, r := range resp.Results {
			if slices.Contains(r.Sources, "lexical") { // not files a matching commit touched
				ps = append(ps, r.Path)
			}
		}
		return ps
	}

	first, _ := scrapeJSON(t, env, root, "--name", "fx")
	if first.FilesIndexed != len(indextest.FixtureFiles) || first.Writes == 0 {
		t.Fatalf("first scrape: %+v", first)
	}
	// Unchanged: nothing written, and the human summary says so.
	r := runPatina(t, env, "scrape", root)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "scraped fx: 0 files indexed, 5 unchanged, 0 removed,") ||
		!strings.Contains(r.stdout, "nothing written") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("unchanged re-scrape: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "registered") {
		t.Errorf("re-scrape registered the project again: %q", r.stderr)
	}

	// Edit one file, delete one, rename one (work tree only: git still
	// tracks the old names).
	guide := filepath.Join(root, "docs", "guide.md")
	must(t, os.WriteFile(guide, []byte(strings.Replace(indextest.FixtureFiles["docs/guide.md"], "wobbulator", "gyroscope", 1)), 0o644))
	must(t, os.Remove(filepath.Join(root, "util", "strings.go")))
	must(t, os.MkdirAll(filepath.Join(root, "cmd"), 0o755))
	must(t, os.Rename(filepath.Join(root, "main.go"), filepath.Join(root, "cmd", "main.go")))
	indextest.Age(root, time.Hour)

	second, _ := scrapeJSON(t, env, root)
	if second.FilesIndexed != 2 || second.FilesRemoved != 2 || second.FilesUnchanged != 2 || second.ChunksRemoved == 0 || second.ChunksAdded == 0 || second.CommitsAdded != 0 {
		t.Fatalf("after edit, delete, rename: %+v", second)
	}
	if got := find("wobbulator"); len(got) != 0 {
		t.Errorf("the edited-away word is still found in %v", got)
	}
	if got := find("gyroscope"); len(got) != 1 || got[0] != "docs/guide.md" {
		t.Errorf("the edited-in word: %v", got)
	}
	if got := strings.Join(find("fluxcapacitor"), " "); !strings.Contains(got, "cmd/main.go") || strings.Contains(got, " main.go") || strings.HasPrefix(got, "main.go") {
		t.Errorf("the renamed file: %v", got)
	}
	if got := find("Reverse"); len(got) != 0 {
		t.Errorf("the deleted file is still found: %v", got)
	}

	third, _ := scrapeJSON(t, env, root)
	if third.Writes != 0 || third.FilesIndexed != 0 || third.ChunksAdded != 0 || third.FilesUnchanged != 4 {
		t.Errorf("unchanged after the edits: %+v", third)
	}
	// A new commit adds its message, and only that.
	indextest.Commit(t, root, "Retune the gyroscope\n\nNow with a flangelator.", time.Date(2024, 4, 4, 10, 0, 0, 0, time.UTC))
	fourth, _ := scrapeJSON(t, env, root)
	if fourth.CommitsAdded != 1 || fourth.FilesIndexed != 0 {
		t.Errorf("after a commit: %+v", fourth)
	}
	if got := find("flangelator"); len(got) != 1 || !strings.HasPrefix(got[0], "git:") {
		t.Errorf("the new commit: %v", got)
	}
}

// TestScrapeDefaultsToTheProjectRoot runs scrape with no PATH from a
// subdirectory of a git repository: it indexes (and registers) the root.
func TestScrapeDefaultsToTheProjectRoot(t *testing.T) {
	root := indextest.Fixture(t)
	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
	r := runPatinaIn(t, filepath.Join(root, "docs"), env, "scrape", "--json", "--name", "fx")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var sum struct {
		Root         string `json:"root"`
		FilesIndexed int    `json:"files_indexed"`
	}
	must(t, json.Unmarshal([]byte(r.stdout), &sum))
	if sum.Root != root || sum.FilesIndexed != len(indextest.FixtureFiles) {
		t.Errorf("scrape from docs/: %s", r.stdout)
	}
	r = runPatina(t, env, "projects", "list", "--json")
	var ps []map[string]any
	must(t, json.Unmarshal([]byte(r.stdout), &ps))
	if len(ps) != 1 || ps[0]["name"] != "fx" || ps[0]["path"] != root || ps[0]["status"] != "ok" || ps[0]["chunks"] == nil {
		t.Errorf("projects list: %s", r.stdout)
	}
	// projects remove leaves the index; add brings the project back.
	if r := runPatina(t, env, "projects", "remove", "fx"); r.code != 0 || r.stdout != "removed fx\n" {
		t.Errorf("remove: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runPatina(t, env, "scry", "quasar", "--project", "fx"); r.code != 1 || !strings.Contains(r.stderr, `unknown project "fx"`) {
		t.Errorf("scry a removed project: %d %q", r.code, r.stderr)
	}
	if r := runPatina(t, env, "projects", "add", root, "--name", "fx"); r.code != 0 || r.stdout != "registered fx ("+root+")\n" {
		t.Errorf("add: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := runPatina(t, env, "projects", "add", root); r.code != 0 || !strings.Contains(r.stdout, "already registered") {
		t.Errorf("add again: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if _, r := scryJSON(t, env, "quasar", "--project", "fx"); !strings.Contains(r.stdout, "README.md") {
		t.Errorf("scry after re-adding: %s", r.stdout)
	}
}

// TestRegistryHygiene hand-edits projects.toml with entries that must not
// be followed: ".." in a path, a symlink, a missing directory, a relative
// path, a bad name, a duplicate, and a directory never indexed.
func TestRegistryHygiene(t *testing.T) {
	root := indextest.Fixture(t)
	sock := shortSocket(t)
	d := startDaemon(t, sock)
	env := daemonEnv(t, d)
	home := strings.TrimPrefix(env[0], "PATINA_HOME=")
	scrapeJSON(t, env, root, "--name", "good")

	base, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	must(t, os.Symlink(root, filepath.Join(base, "link")))
	must(t, os.Mkdir(filepath.Join(base, "plain"), 0o755))
	entries := []struct{ name, path string }{
		{"good", root},
		{"dotdot", root + "/docs/.."},
		{"escape", root + strings.Repeat("/..", 30) + "/etc"},
		{"symlink", filepath.Join(base, "link")},
		{"missing", filepath.Join(base, "gone")},
		{"relative", "some/where"},
		{"Bad Name", root},
		{"good", filepath.Join(base, "plain")},
		{"unindexed", filepath.Join(base, "plain")},
	}
	var reg struct {
		Version  int `toml:"version"`
		Projects []struct {
			Name string `toml:"name"`
			Path string `toml:"path"`
		} `toml:"project"`
	}
	reg.Version = 1
	for _, e := range entries {
		reg.Projects = append(reg.Projects, struct {
			Name string `toml:"name"`
			Path string `toml:"path"`
		}{e.name, e.path})
	}
	f, err := os.Create(filepath.Join(home, "projects.toml"))
	must(t, err)
	must(t, toml.NewEncoder(f).Encode(reg))
	f.Close()

	want := []struct {
		name    string
		status  projects.Status
		problem string
	}{
		{"good", projects.StatusOK, ""},
		{"dotdot", projects.StatusMoved, "which now resolves to " + root},
		{"escape", projects.StatusMoved, "which now resolves to /etc"},
		{"symlink", projects.StatusMoved, "which now resolves to " + root},
		{"missing", projects.StatusMissing, "does not exist"},
		{"relative", projects.StatusInvalid, "is not absolute"},
		{"Bad Name", projects.StatusInvalid, "invalid name"},
		{"good", projects.StatusInvalid, "duplicate name"},
		{"unindexed", projects.StatusNoIndex, "no index"},
	}
	r := runPatina(t, env, "projects", "list", "--json")
	var got []struct {
		Name    string          `json:"name"`
		Status  projects.Status `json:"status"`
		Problem string          `json:"problem"`
		Chunks  *int            `json:"chunks"`
	}
	must(t, json.Unmarshal([]byte(r.stdout), &got))
	if len(got) != len(want) {
		t.Fatalf("projects list --json: %s", r.stdout)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Status != w.status || !strings.Contains(g.Problem, w.problem) || (g.Chunks != nil) != (w.status == projects.StatusOK) {
			t.Errorf("entry %d: %+v, want %+v", i, g, w)
		}
	}
	r = runPatina(t, env, "projects", "list")
	t.Logf("projects list:\n%s", r.stdout)
	for _, w := range want[1:] {
		if !strings.Contains(r.stdout, "  "+w.name+": ") {
			t.Errorf("human list does not explain %q:\n%s", w.name, r.stdout)
		}
	}

	// Asked by name, each bad entry is refused with its reason, over the
	// socket and in-process alike.
	inProc := []string{env[0], "PATINA_SOCKET=" + noDaemonSocket(t)}
	for _, e := range []struct{ name, want string }{
		{"dotdot", `project "dotdot" is not usable: registered as`},
		{"escape", `project "escape" is not usable: registered as`},
		{"symlink", `project "symlink" is not usable: registered as ` + filepath.Join(base, "link")},
		{"missing", `project "missing" is not usable: directory`},
		{"relative", `project "relative" is not usable: path "some/where" is not absolute`},
		{"unindexed", `project "unindexed" is registered but not indexed yet: run ` + "`patina scrape`"},
	} {
		for _, env := range [][]string{env, inProc} {
			r := runPatina(t, env, "scry", "quasar", "--project", e.name)
			if r.code != 1 || !strings.Contains(r.stderr, "patina: error: "+e.want) || r.stdout != "" {
				t.Errorf("scry --project %s: exit %d, stdout %q, stderr %q", e.name, r.code, r.stdout, r.stderr)
			}
		}
	}
	// --all-projects searches the good one and notes each skipped one.
	for _, env := range [][]string{env, inProc} {
		resp, r := scryJSON(t, env, "quasar", "--all-projects", "--mode", "lexical")
		if resp.Count != 1 || resp.Results[0].Project != "good" || resp.Results[0].Path != "README.md" {
			t.Errorf("--all-projects: %s", r.stdout)
		}
		for _, w := range want[1:] {
			if !strings.Contains(r.stderr, "patina: note: project "+w.name+" skipped: ") {
				t.Errorf("--all-projects does not note %q: %q", w.name, r.stderr)
			}
		}
	}
}

func TestProgressLine(t *testing.T) {
	cases := []struct {
		p       index.Progress
		elapsed time.Duration
		width   int
		want    []string
	}{
		{index.Progress{Phase: "files", Done: 0, Total: 10000}, 0, 79, []string{"files   0/10000 [>", "  0%  chunks 0"}},
		{index.Progress{Phase: "files", Done: 2500, Total: 10000, Chunks: 7500}, 500 * time.Millisecond, 79,
			[]string{"2500/10000 [====>", " 25%  chunks 7500  5000 files/s  ETA 2s"}},
		{index.Progress{Phase: "commits", Done: 30, Total: 30, Chunks: 99}, time.Second, 79, []string{"commits 30/30 [=", "100%", "30 commits/s"}},
		{index.Progress{Phase: "files", Done: 1, Total: 3}, time.Second, 30, []string{"files   1/3"}},
	}
	for _, c := range cases {
		got := progressLine(c.p, c.elapsed, c.width)
		if len([]rune(got)) > c.width {
			t.Errorf("%+v: %d columns, more than %d: %q", c.p, len(got), c.width, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: %q lacks %q", c.p, got, w)
			}
		}
		if c.p.Done == c.p.Total && strings.Contains(got, "ETA") {
			t.Errorf("ETA on a finished phase: %q", got)
		}
	}
}

func TestProgressBarRedrawsAtMostTenTimesASecond(t *testing.T) {
	var buf strings.Builder
	now := time.Unix(0, 0)
	b := &progressBar{w: &buf, width: 80, now: func() time.Time { return now }}
	b.update(index.Progress{Phase: "files", Done: 0, Total: 1000})
	for i := 1; i <= 999; i++ {
		now = now.Add(time.Millisecond) // a batch a millisecond: ~1 s in all
		b.update(index.Progress{Phase: "files", Done: i, Total: 1000})
	}
	b.update(index.Progress{Phase: "files", Done: 1000, Total: 1000}) // the end is always drawn
	b.update(index.Progress{Phase: "commits", Done: 0, Total: 5})     // so is a new phase
	draws := strings.Count(buf.String(), "\r")
	if draws < 10 || draws > 13 {
		t.Errorf("%d redraws for ~1 s of progress, want about 10", draws)
	}
	if !strings.Contains(buf.String(), "files   1000/1000") || !strings.HasSuffix(buf.String(), "\x1b[K") || !strings.Contains(buf.String(), "commits 0/5") {
		t.Errorf("bar output %q", buf.String())
	}
	b.clear()
	if !strings.HasSuffix(buf.String(), "\r\x1b[K") {
		t.Error("clear does not wipe the line")
	}
}
