package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// Reference repositories, cloned from local bare repositories (no
// network) with the real git, indexed with the real model, searched
// through a real daemon.

// upstream is a work tree and a bare repository cloned from it, standing
// in for a library's public repository.
type upstream struct {
	work, bare string
}

func newUpstream(t *testing.T, files map[string]string) upstream {
	t.Helper()
	u := upstream{work: t.TempDir(), bare: filepath.Join(t.TempDir(), "lib.git")}
	indextest.Git(t, u.work, "init", "-q")
	indextest.WriteFiles(t, u.work, files)
	indextest.Commit(t, u.work, "first", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	indextest.Git(t, u.work, "clone", "-q", "--bare", u.work, u.bare)
	return u
}

func (u upstream) push(t *testing.T, msg string, files map[string]string) {
	t.Helper()
	indextest.WriteFiles(t, u.work, files)
	indextest.Commit(t, u.work, msg, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	indextest.Git(t, u.work, "push", "-q", u.bare, "main")
}

// gitEnv keeps the user's and the system's git configuration out of the
// CLI's git.
var gitEnv = []string{"GIT_CONFIG_GLOBAL=" + os.DevNull, "GIT_CONFIG_NOSYSTEM=1"}

// repoEnv is a fresh PATINA_HOME with no daemon, and its repos dir.
func repoEnv(t *testing.T) ([]string, string) {
	home := t.TempDir()
	return append([]string{"PATINA_HOME=" + home, "PATINA_SOCKET=" + noDaemonSocket(t)}, gitEnv...), filepath.Join(home, "repos")
}

// entries lists a directory's names ("" for a missing directory).
func entries(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return ""
	}
	must(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

func TestRepoAddUpdateRemove(t *testing.T) {
	up := newUpstream(t, map[string]string{
		"README.md": "# Flagset\n\nParses zanzibar flags from the command line.\n",
		"flags.go":  "package flagset\n\n// Parse reads the flags.\nfunc Parse() {}\n",
	})
	d := startDaemon(t, shortSocket(t))
	env := append(daemonEnv(t, d), gitEnv...)
	home := strings.TrimPrefix(env[0], "PATINA_HOME=")
	own := t.TempDir()
	indextest.WriteFiles(t, own, map[string]string{"NOTES.md": "# Plan\n\nUse the zanzibar flags library.\n"})
	if r := runPatina(t, env, "scrape", "--no-embed", "--name", "mine", own); r.code != 0 {
		t.Fatalf("scrape: %d %s", r.code, r.stderr)
	}

	// add: cloned, indexed with embeddings (as scrape does), registered.
	r := runPatina(t, env, "repo", "add", "file://"+up.bare)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "scraped lib: 2 files indexed") || !strings.Contains(r.stdout, "embedded (use-lite)") ||
		!strings.Contains(r.stderr, "patina: registered reference lib ("+filepath.Join(home, "repos", "lib")+")") {
		t.Fatalf("repo add: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if got := entries(t, filepath.Join(home, "repos")); got != "lib" {
		t.Errorf("repos/ holds %q, want only lib", got)
	}
	var list []struct {
		Name, Kind, Status, URL, Commit, Branch string
	}
	r = runPatina(t, env, "repo", "list", "--json")
	must(t, json.Unmarshal([]byte(r.stdout), &list))
	head := strings.TrimSpace(indextest.Git(t, up.work, "rev-parse", "HEAD"))
	if len(list) != 1 || list[0].Name != "lib" || list[0].Kind != "reference" || list[0].Status != "ok" ||
		list[0].URL != "file://"+up.bare || list[0].Commit != head || list[0].Branch != "main" {
		t.Errorf("repo list --json: %s", r.stdout)
	}
	if r := runPatina(t, env, "repo", "list"); !strings.Contains(r.stdout, "lib   ok      "+head[:12]+"  main    file://"+up.bare) {
		t.Errorf("repo list:\n%s", r.stdout)
	}
	if r := runPatina(t, env, "projects", "list"); !strings.Contains(r.stdout, "lib   reference  ok") || !strings.Contains(r.stdout, "mine  project    ok") {
		t.Errorf("projects list does not show the kinds:\n%s", r.stdout)
	}

	// scry: by name and across projects, through the daemon, each result
	// saying which project it came from.
	resp, r := scryJSON(t, env, "--project", "lib", "parse the flags")
	if resp.Count == 0 || resp.Results[0].Project != "lib" || strings.Contains(r.stderr, "in-process") {
		t.Errorf("scry --project lib: %+v\n%s", resp, r.stderr)
	}
	resp, _ = scryJSON(t, env, "--all-projects", "--mode", "lexical", "zanzibar")
	if from := resultProjects(resp); from["lib"] == 0 || from["mine"] == 0 {
		t.Errorf("scry --all-projects: results from %v, want lib and mine", from)
	}

	// update: fetch, fast-forward, re-index only what changed.
	up.push(t, "Document quasar mode", map[string]string{"QUASAR.md": "# Quasar\n\nThe quasar mode parses twice.\n"})
	r = runPatina(t, env, "repo", "update", "lib")
	if r.code != 0 || !strings.Contains(r.stderr, "patina: lib moved from "+head[:12]+" to ") ||
		!strings.HasPrefix(r.stdout, "scraped lib: 1 files indexed, 2 unchanged") {
		t.Fatalf("repo update: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if resp, _ := scryJSON(t, env, "--project", "lib", "--mode", "lexical", "quasar"); resp.Count == 0 {
		t.Error("the update's new file is not found")
	}
	r = runPatina(t, env, "repo", "update") // every reference; nothing new
	if r.code != 0 || !strings.Contains(r.stderr, "patina: lib is at ") || !strings.Contains(r.stdout, "nothing written") {
		t.Errorf("repo update with nothing new: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}

	// A reference goes with repo remove, not projects remove; a project
	// is not repo update's or repo remove's.
	if r := runPatina(t, env, "projects", "remove", "lib"); r.code != 1 || !strings.Contains(r.stderr, "hint: remove it and its clone: patina repo remove lib") {
		t.Errorf("projects remove of a reference: exit %d %s", r.code, r.stderr)
	}
	for _, verb := range []string{"update", "remove"} {
		if r := runPatina(t, env, "repo", verb, "mine"); r.code != 1 || !strings.Contains(r.stderr, "mine is a project, not a reference repository") {
			t.Errorf("repo %s of a project: exit %d %s", verb, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(own, "NOTES.md")); err != nil {
		t.Errorf("repo remove of a project touched it: %v", err)
	}
	r = runPatina(t, env, "repo", "remove", "lib")
	if r.code != 0 || entries(t, filepath.Join(home, "repos")) != "" {
		t.Fatalf("repo remove: exit %d %s; repos/ holds %q", r.code, r.stderr, entries(t, filepath.Join(home, "repos")))
	}
	if r := runPatina(t, env, "scry", "--project", "lib", "flags"); r.code != 1 || !strings.Contains(r.stderr, `unknown project "lib"`) {
		t.Errorf("scry of a removed reference: exit %d %s", r.code, r.stderr)
	}
	if r := runPatina(t, env, "repo", "remove", "lib"); r.code != 1 || !strings.Contains(r.stderr, "no such project") {
		t.Errorf("repo remove twice: exit %d %s", r.code, r.stderr)
	}
}

func resultProjects(resp scry.Response) map[string]int {
	from := map[string]int{}
	for _, r := range resp.Results {
		from[r.Project]++
	}
	return from
}

// A local path is cloned, not referenced: the reference is a snapshot of
// what was committed, whatever happens in the working copy after.
func TestRepoAddLocalPath(t *testing.T) {
	up := newUpstream(t, map[string]string{"README.md": "# Tool\n\nCommitted text.\n"})
	env, repos := repoEnv(t)
	indextest.WriteFiles(t, up.work, map[string]string{"DRAFT.md": "# Draft\n\nUncommitted quasar text.\n"})
	r := runPatina(t, env, "repo", "add", up.work, "--name", "tool", "--no-embed")
	if r.code != 0 {
		t.Fatalf("repo add PATH: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(repos, "tool", "README.md")); err != nil {
		t.Errorf("not cloned into repos/tool: %v", err)
	}
	if resp, _ := scryJSON(t, env, "--project", "tool", "--mode", "lexical", "quasar"); resp.Count != 0 {
		t.Errorf("the working copy's uncommitted file is in the reference: %+v", resp.Results)
	}
	if st := indextest.Git(t, filepath.Join(repos, "tool"), "status", "--porcelain"); st != "" {
		t.Errorf("the clone is not clean with patina's index in it: %q", st)
	}
}

// Bad sources, clashes and failed clones: a clear error, nothing cloned
// or registered.
func TestRepoAddRefusals(t *testing.T) {
	up := newUpstream(t, map[string]string{"README.md": "# Lib\n"})
	tracked := newUpstream(t, map[string]string{"README.md": "# Evil\n", ".patina/local/index.db": "crafted"})
	broken := newUpstream(t, map[string]string{"README.md": "# Broken\n", "big.txt": strings.Repeat("data ", 1000)})
	// A blob gone from the remote: the clone fails part-way.
	blob := strings.TrimSpace(indextest.Git(t, broken.bare, "rev-parse", "HEAD:big.txt"))
	must(t, os.Remove(filepath.Join(broken.bare, "objects", blob[:2], blob[2:])))

	env, repos := repoEnv(t)
	if r := runPatina(t, env, "scrape", "--no-embed", "--name", "mine", t.TempDir()); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := runPatina(t, env, "repo", "add", "--no-embed", "--name", "taken", "file://"+up.bare); r.code != 0 {
		t.Fatal(r.stderr)
	}
	must(t, os.Mkdir(filepath.Join(repos, "leftover"), 0o700))
	registry := filepath.Join(strings.TrimPrefix(env[0], "PATINA_HOME="), "projects.toml")
	registryBefore, err := os.ReadFile(registry)
	must(t, err)

	marker := filepath.Join(t.TempDir(), "ran")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-uupload-pack=touch " + marker}, 2, "unknown shorthand flag"},
		{[]string{"--", "-uupload-pack=touch " + marker}, 2, "starts with '-'"},
		{[]string{"ext::sh -c touch% " + marker}, 2, "remote-helper syntax"},
		{[]string{"fd::3"}, 2, "remote-helper syntax"},
		{[]string{"http://example.invalid/lib.git"}, 2, "plain http is refused"},
		{[]string{"/no/such/dir"}, 2, "not a directory, and not a URL"},
		{[]string{"file://" + up.bare, "--name", "Bad Name"}, 2, "invalid project name"},
		{[]string{"file://" + up.bare, "--name", "mine"}, 1, `the name "mine" is taken`},
		{[]string{"file://" + up.bare, "--name", "taken"}, 1, `the name "taken" is taken`},
		{[]string{"file://" + up.bare, "--name", "leftover"}, 1, "exists but is not registered"},
		{[]string{"file://" + filepath.Join(t.TempDir(), "missing.git")}, 1, "repo add file://"},
		{[]string{"file://" + broken.bare}, 1, "git clone:"},
		{[]string{"file://" + tracked.bare, "--name", "evil"}, 1, "tracks .patina/local"},
	} {
		r := runPatina(t, env, append([]string{"repo", "add", "--no-embed"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("repo add %q: exit %d, want %d and %q\n%s", c.args, r.code, c.code, c.want, r.stderr)
		}
		if got := entries(t, repos); got != "leftover taken" {
			t.Errorf("repo add %q left repos/ holding %q", c.args, got)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a refused URL ran a command")
	}
	if after, _ := os.ReadFile(registry); string(after) != string(registryBefore) {
		t.Errorf("refused adds changed the registry:\n%s", after)
	}
	// The leftover goes with repo remove.
	if r := runPatina(t, env, "repo", "remove", "leftover"); r.code != 0 || entries(t, repos) != "taken" {
		t.Errorf("repo remove of a leftover: exit %d %s", r.code, r.stderr)
	}
}

// Ctrl-C while the clone is under way: git is stopped, the part-made
// clone removed, nothing registered, exit 130.
func TestRepoAddInterrupted(t *testing.T) {
	up := newUpstream(t, map[string]string{"README.md": "# Lib\n"})
	env, repos := repoEnv(t)
	// The remote stalls while it packs (upload-pack runs this hook, from
	// the global configuration only), so the clone is caught mid-way.
	started := filepath.Join(t.TempDir(), "started")
	cfg := filepath.Join(t.TempDir(), "gitconfig")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf("[uploadpack]\n\tpackObjectsHook = \"touch %s; sleep 3; false\"\n", started)), 0o644))
	cmd := exec.Command(patinaBin, "repo", "add", "--no-embed", "file://"+up.bare)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PATINA_CACHE=" + modelCache}, env...)
	cmd.Env = append(cmd.Env, "GIT_CONFIG_GLOBAL="+cfg)
	var errb lockedBuffer
	cmd.Stderr = &errb
	must(t, cmd.Start())
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the clone never reached the remote's packing\n%s", &errb)
		}
	}
	if got := entries(t, repos); !strings.HasPrefix(got, ".lib.adding-") {
		t.Errorf("repos/ during the clone: %q, want the temporary clone", got)
	}
	must(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 || !strings.Contains(errb.String(), "interrupted: nothing was added") {
		t.Errorf("repo add after Ctrl-C: %v\n%s", err, &errb)
	}
	if got := entries(t, repos); got != "" {
		t.Errorf("repos/ after an interrupted add: %q", got)
	}
	reg := projects.New(filepath.Join(strings.TrimPrefix(env[0], "PATINA_HOME="), "projects.toml"))
	if ps, err := reg.List(); err != nil || len(ps) != 0 {
		t.Errorf("registry after an interrupted add: %+v %v", ps, err)
	}
}

// Without a model the text index is still made, so the reference is
// registered (scry of it is lexical) and repo add says what is missing.
func TestRepoAddWithoutModel(t *testing.T) {
	up := newUpstream(t, map[string]string{"README.md": "# Lib\n\nThe quasar parser.\n"})
	env, repos := repoEnv(t)
	env = append(env, "PATINA_CACHE="+t.TempDir()) // nothing provisioned there
	r := runPatina(t, env, "repo", "add", "file://"+up.bare)
	if r.code != 1 || !strings.Contains(r.stderr, "patina: error: embeddings not made") || !strings.Contains(r.stderr, "registered reference lib") {
		t.Fatalf("repo add without a model: exit %d\n%s", r.code, r.stderr)
	}
	if entries(t, repos) != "lib" {
		t.Errorf("repos/ holds %q", entries(t, repos))
	}
	if resp, _ := scryJSON(t, env, "--project", "lib", "--mode", "lexical", "quasar"); resp.Count == 0 {
		t.Error("the reference's text index is not searched")
	}
}
