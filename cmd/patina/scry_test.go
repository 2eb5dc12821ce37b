package main

// End to end: the real binary scrapes the indextest fixture (Markdown, Go,
// a git repository with commits) with real git and SQLite, then answers
// the same queries through a real daemon over the unix socket, over TCP
// with the token and over ssh:// (a stand-in ssh that runs dial-stdio
// here), and in-process with no daemon: the answers must be the same.

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/scry"
)

// daemonEnv is what a CLI run needs to share the daemon's home (registry,
// token file) and socket.
func daemonEnv(t *testing.T, d *daemon) []string {
	t.Helper()
	for _, kv := range d.cmd.Env {
		if strings.HasPrefix(kv, "PATINA_HOME=") {
			return []string{kv, "PATINA_SOCKET=" + d.sock}
		}
	}
	t.Fatal("daemon has no PATINA_HOME")
	return nil
}

// noDaemonSocket is a socket path in an existing directory where nothing
// listens.
func noDaemonSocket(t *testing.T) string {
	sock := shortSocket(t)
	must(t, os.MkdirAll(filepath.Dir(sock), 0o700))
	return sock
}

// loopbackPort finds a TCP port on 127.0.0.1 that is free right now
// (ListenTCP needs a concrete one for the daemon to be reachable).
func loopbackPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// runPatinaIn is runPatina with the working directory set.
func runPatinaIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(patinaBin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run patina %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// scrapeJSON runs `patina scrape PATH --json` and decodes the summary.
func scrapeJSON(t *testing.T, env []string, args ...string) (index.Summary, result) {
	t.Helper()
	r := runPatina(t, env, append([]string{"scrape", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("scrape %v: exit %d\n%s", args, r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "\r") {
		t.Errorf("scrape drew a progress bar on a pipe: %q", r.stderr)
	}
	var s index.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("scrape --json: %v\n%s", err, r.stdout)
	}
	return s, r
}

// scryJSON runs `patina scry … --json`, expecting success, and decodes it.
func scryJSON(t *testing.T, env []string, args ...string) (scry.Response, result) {
	t.Helper()
	r := runPatina(t, env, append([]string{"scry", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("scry %v: exit %d\n%s", args, r.code, r.stderr)
	}
	var resp scry.Response
	if err := json.Unmarshal([]byte(r.stdout), &resp); err != nil {
		t.Fatalf("scry --json: %v\n%s", err, r.stdout)
	}
	return resp, r
}

func resultKeys(resp scry.Response) []string {
	var ks []string
	for _, r := range resp.Results {
		ks = append(ks, r.ID+" "+r.Path+":"+strconv.Itoa(r.StartLine)+"-"+strconv.Itoa(r.EndLine))
	}
	return ks
}

func TestScryTransportsAgree(t *testing.T) {
	root := indextest.Fixture(t)
	sock := shortSocket(t)
	port := loopbackPort(t)
	d := startDaemon(t, sock, "--tcp", "127.0.0.1:"+port)
	env := daemonEnv(t, d)

	sum, r := scrapeJSON(t, env, root, "--name", "fixture")
	if sum.Root != root || !sum.Git || sum.FilesIndexed != len(indextest.FixtureFiles) || sum.CommitsAdded != len(indextest.FixtureCommits) || sum.ChunksAdded == 0 {
		t.Fatalf("scrape summary: %+v", sum)
	}
	if !strings.Contains(r.stderr, "registered project fixture ("+root+")") {
		t.Errorf("scrape did not say it registered the project: %q", r.stderr)
	}

	ssh := fakeSSH(t, "PATINA_SOCKET="+sock)
	ways := []struct {
		name string
		env  []string
		args []string
		note string // expected on stderr
	}{
		{"unix socket", env, nil, ""},
		{"in-process", []string{env[0], "PATINA_SOCKET=" + noDaemonSocket(t)}, nil, "searched in-process"},
		{"tcp with token file", env, []string{"--mother", "tcp://127.0.0.1:" + port}, ""},
		{"ssh", append([]string{"PATH=" + ssh + ":" + os.Getenv("PATH"), "PATINA_REMOTE_BIN=" + patinaBin}, env...), []string{"--mother", "ssh://dev@build-box"}, ""},
		{"PATINA_MOTHER=ssh", append([]string{"PATH=" + ssh + ":" + os.Getenv("PATH"), "PATINA_REMOTE_BIN=" + patinaBin, "PATINA_MOTHER=ssh://build-box"}, env...), nil, ""},
	}
	queries := []struct {
		q   string
		has string // a path among the results; "" for none
	}{
		{indextest.WordReadme, "README.md"},
		{indextest.WordGuide + " " + indextest.WordCode, ""},
		{indextest.WordCode, "main.go"},
		{indextest.WordCommit, "git:"},
		{"zephyr install", "README.md"},
		{indextest.WordSkipped, ""},
	}
	for _, q := range queries {
		var want []byte
		var wantKeys []string
		for _, w := range ways {
			args := append([]string{q.q, "--project", "fixture", "--limit", "20"}, w.args...)
			if q.has == "" {
				// Semantic search always has nearest neighbours: absence
				// is a lexical question.
				args = append(args, "--mode", "lexical")
			}
			resp, r := scryJSON(t, w.env, args...)
			if w.note != "" && q == queries[0] { // said once, then not again for an hour
				if !strings.Contains(r.stderr, "patina: note: mother not answering at ") || !strings.Contains(r.stderr, w.note) {
					t.Errorf("%s %q: stderr %q lacks the in-process note", w.name, q.q, r.stderr)
				}
				if n := strings.Count(r.stderr, "in-process"); n != 1 {
					t.Errorf("%s: the in-process note appears %d times", w.name, n)
				}
			} else if strings.Contains(r.stderr, "in-process") {
				t.Errorf("%s %q fell back to in-process: %q", w.name, q.q, r.stderr)
			}
			if want == nil {
				want, wantKeys = []byte(r.stdout), resultKeys(resp)
				switch {
				case q.q == indextest.WordSkipped:
					if resp.Count != 0 || !strings.Contains(r.stderr, "patina: no results") {
						t.Errorf("%q: %d results (stderr %q), want none and a note", q.q, resp.Count, r.stderr)
					}
				case resp.Count == 0:
					t.Fatalf("%q: no results", q.q)
				case q.has != "" && !strings.Contains(strings.Join(wantKeys, "\n"), " "+q.has):
					t.Errorf("%q: results %q, want %s among them", q.q, wantKeys, q.has)
				}
				continue
			}
			if got := resultKeys(resp); strings.Join(got, "\n") != strings.Join(wantKeys, "\n") {
				t.Errorf("%q over %s:\n%s\nwant (unix socket):\n%s", q.q, w.name, strings.Join(got, "\n"), strings.Join(wantKeys, "\n"))
			}
			wantJSON := string(want)
			if strings.HasPrefix(w.name, "tcp") {
				// Over TCP the answer leaves out where the project lies.
				if resp.Projects != nil || strings.Contains(r.stdout, root) {
					t.Errorf("%q over %s: the project's root is given away: %s", q.q, w.name, r.stdout)
				}
				wantJSON = strings.Replace(wantJSON, `,"projects":{"fixture":{"root":`+strconv.Quote(root)+`}}`, "", 1)
			}
			if r.stdout != wantJSON {
				t.Errorf("%q over %s: JSON differs\n%s\nwant\n%s", q.q, w.name, r.stdout, wantJSON)
			}
		}
	}

	hosts, _ := os.ReadFile(filepath.Join(ssh, "hosts"))
	if n := strings.Count(string(hosts), "dev@build-box\n"); n < len(queries) || !strings.Contains(string(hosts), "\nbuild-box\n") {
		t.Errorf("the stand-in ssh was used %d times for dev@build-box; hosts:\n%s", n, hosts)
	}

	// The landmarks land where the fixture put them.
	resp, _ := scryJSON(t, env, indextest.WordReadme, "--project", "fixture")
	if r := resp.Results[0]; r.Path != "README.md" || r.StartLine != 9 || r.EndLine != 12 || r.Kind != "doc" ||
		!strings.Contains(r.Snippet, "«quasar»") || r.Title != "Patina Fixture > Install > Linux" || r.Sources[0] != "lexical" ||
		r.MatchLine != 11 || len(r.Excerpt) != 4 || r.Excerpt[2] != (scry.Line{Line: 11, Text: "Use apt to install the «quasar» package."}) ||
		resp.Projects["fixture"].Root != root {
		t.Errorf("quasar: %+v (projects %+v)", r, resp.Projects)
	}
	resp, _ = scryJSON(t, env, indextest.WordCommit, "--project", "fixture")
	if r := resp.Results[0]; r.Kind != "commit" || !strings.Contains(r.Snippet, "«chronosynclastic»") {
		t.Errorf("commit word: %+v", r)
	}
}

func TestScryHumanOutputAndDefaults(t *testing.T) {
	root := indextest.Fixture(t)
	sock := shortSocket(t)
	d := startDaemon(t, sock)
	env := daemonEnv(t, d)
	scrapeJSON(t, env, root)
	name := filepath.Base(root) // default name; t.TempDir names are valid ones
	if _, err := os.Stat(filepath.Join(root, ".patina", "local", "index.db")); err != nil {
		t.Fatal(err)
	}

	// No --project: the project holding the working directory, over the
	// socket (the daemon matches the caller's directory to the registry).
	r := runPatinaIn(t, filepath.Join(root, "docs"), env, "scry", indextest.WordReadme)
	if r.code != 0 {
		t.Fatalf("scry from inside the project: exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	// From docs/, the path is relative to it.
	if len(lines) < 5 || !strings.HasPrefix(lines[0], "../README.md:11: Patina Fixture > Install > Linux  [lexical #1, semantic #") {
		t.Fatalf("human output:\n%s", r.stdout)
	}
	// Not a terminal: no colour, markers stripped.
	if got := strings.Join(lines[1:5], "\n"); got != "   9-### Linux\n  10-\n  11:Use apt to install the quasar package.\n  12-Then restart." ||
		strings.ContainsAny(r.stdout, "«»\x1b") {
		t.Errorf("excerpt:\n%s\n(output %q)", got, r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr on a plain answer: %q", r.stderr)
	}

	// Outside every project, without --project: a clear refusal.
	r = runPatinaIn(t, t.TempDir(), env, "scry", indextest.WordReadme)
	if r.code != 1 || !strings.Contains(r.stderr, "patina: error: this directory is in no registered project") {
		t.Errorf("outside a project: exit %d, %q", r.code, r.stderr)
	}
	// --all-projects from anywhere; commits print without a line, their
	// hash once, their message below.
	r = runPatinaIn(t, t.TempDir(), env, "scry", "--all-projects", indextest.WordCommit)
	if first, _, _ := strings.Cut(r.stdout, "\n"); r.code != 0 || !regexp.MustCompile(`^git:[0-9a-f]{7}: 2024-02-02 Add fluxcapacitor  \[`).MatchString(first) ||
		!strings.Contains(r.stdout, "\n  It runs on a chronosynclastic infundibulum.\n") {
		t.Errorf("--all-projects commit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	cases := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"scry"}, 2, "scry needs a QUERY"},
		{[]string{"scry", "x", "--limit", "0"}, 2, "--limit must be at least 1"},
		{[]string{"scry", "x", "--mode", "fuzzy"}, 2, `--mode "fuzzy"`},
		{[]string{"scry", "x", "--project", name, "--all-projects"}, 2, "not both"},
		{[]string{"scry", "x", "--project", "nosuch"}, 1, `patina: error: unknown project "nosuch"`},
		{[]string{"scry", "x", "--project", "Bad/Name"}, 1, "patina: error: invalid project name"},
		{[]string{"scry", "!!! ((", "--project", name}, 1, "patina: error: empty query"},
		{[]string{"scry", strings.Repeat("long ", 300), "--project", name}, 1, "patina: error: query too long"},
		{[]string{"scry", indextest.WordSkipped, "--project", name, "--mode", "lexical"}, 0, "patina: no results"},
		{[]string{"scry", "x", "--mother", "ftp://x"}, 1, "unknown scheme"},
		{[]string{"scry", "--help"}, 0, "--all-projects"},
		{[]string{"scrape", "--help"}, 0, "--name"},
		{[]string{"scrape", "a", "b"}, 2, "at most one PATH"},
		{[]string{"scrape", "--name", "Not Valid"}, 2, "invalid project name"},
		{[]string{"scrape", filepath.Join(root, "nope")}, 1, "no such file or directory"},
		{[]string{"scrape", filepath.Join(root, "README.md")}, 1, "not a directory"},
		{[]string{"projects", "list", "--help"}, 0, "--json"},
		{[]string{"projects", "remove"}, 2, "one NAME"},
		{[]string{"projects", "remove", "nosuch"}, 1, "no such project"},
		{[]string{"projects", "add", root, "--name", "other"}, 1, "already registered"},
	}
	for _, c := range cases {
		r := runPatina(t, env, c.args...)
		out := r.stderr
		if c.code == 0 && strings.Contains(strings.Join(c.args, " "), "--help") {
			out = r.stdout
		}
		if r.code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%q: exit %d, want %d with %q\nstdout: %s\nstderr: %s", c.args, r.code, c.code, c.want, r.stdout, r.stderr)
		}
	}
}

// TestScryRipgrepOutputAndFilters: results print as ripgrep's
// "path:line:" relative to the current directory, from the root and from
// a subdirectory, the path and hash once each; --kind and --path narrow
// them (--path read from the current directory when it names something
// there); a nonsense word in the default mode is no results, a note and
// exit 0.
func TestScryRipgrepOutputAndFilters(t *testing.T) {
	root := indextest.Fixture(t)
	sock := shortSocket(t)
	d := startDaemon(t, sock)
	env := daemonEnv(t, d)
	scrapeJSON(t, env, root)

	scry := func(dir string, args ...string) result {
		t.Helper()
		r := runPatinaIn(t, dir, env, append([]string{"scry"}, args...)...)
		if r.code != 0 {
			t.Fatalf("scry %v in %s: exit %d\n%s", args, dir, r.code, r.stderr)
		}
		return r
	}
	heads := func(out string) []string { // the results' first lines
		var hs []string
		for _, block := range strings.Split(strings.TrimRight(out, "\n"), "\n\n") {
			hs = append(hs, strings.SplitN(block, "\n", 2)[0])
		}
		return hs
	}

	// From the root and from a subdirectory, a declaration without its
	// path repeated in the title, and its numbered lines.
	for dir, path := range map[string]string{root: "main.go", filepath.Join(root, "docs"): "../main.go", filepath.Join(root, "util"): "../main.go"} {
		r := scry(dir, indextest.WordCode, "--kind", "code")
		want := path + ":10: main, fluxcapacitor  [lexical #1"
		if !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, "\n  10:// fluxcapacitor needs 1.21 gigawatts.\n  11-func fluxcapacitor(gw float64) bool {\n") ||
			strings.Count(r.stdout, "main.go") != 1 {
			t.Errorf("from %s: want %q first, then the lines:\n%s", dir, want, r.stdout)
		}
	}
	// A commit: its hash once, its subject in the title, its message below.
	r := scry(root, indextest.WordCommit, "--kind", "commit", "--mode", "lexical")
	if hs := heads(r.stdout); len(hs) != 1 || !regexp.MustCompile(`^git:([0-9a-f]{7}): 2024-02-02 Add fluxcapacitor  \[lexical #1`).MatchString(hs[0]) ||
		strings.Count(r.stdout, strings.TrimPrefix(strings.SplitN(hs[0], ":", 3)[1], "git")) != 1 ||
		!strings.HasSuffix(r.stdout, "\n  It runs on a chronosynclastic infundibulum.\n") {
		t.Errorf("commit:\n%s", r.stdout)
	}

	// --kind and --path keep what they name, and still fill --limit.
	q := "install quasar wobbulator fluxcapacitor reverse"
	for _, tc := range []struct {
		dir  string
		args []string
		want []string // the results' paths as printed, in any order
	}{
		{root, []string{"--kind", "doc"}, []string{"README.md", "docs/guide.md"}},
		{root, []string{"--path", "docs"}, []string{"docs/guide.md"}},
		{root, []string{"--path", "util", "--kind", "code,doc"}, []string{"util/strings.go"}},
		{filepath.Join(root, "docs"), []string{"--path", "guide.md"}, []string{"guide.md"}},              // from here
		{filepath.Join(root, "docs"), []string{"--path", "util"}, []string{"../util/strings.go", "git"}}, // from the root; the commit that added it
		{filepath.Join(root, "docs"), []string{"--path", "..", "--kind", "doc"}, []string{"../README.md", "guide.md"}},
		{root, []string{"--kind", "code", "--limit", "1"}, []string{"util/strings.go"}},
	} {
		r := scry(tc.dir, append([]string{q, "--mode", "lexical"}, tc.args...)...)
		var got []string
		for _, h := range heads(r.stdout) {
			got = append(got, strings.SplitN(h, ":", 2)[0])
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v from %s: %v, want %v\n%s", tc.args, tc.dir, got, tc.want, r.stdout)
		}
	}

	// A nonsense word, default mode: no results, a note, exit 0.
	r = scry(root, "qzxvbnmwyk")
	if r.stdout != "" || !strings.Contains(r.stderr, "patina: note: no indexed text holds the query's words") ||
		!strings.HasSuffix(r.stderr, "patina: no results\n") {
		t.Errorf("nonsense word: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	// --json keeps the match line, the excerpt and the root.
	resp, _ := scryJSON(t, env, indextest.WordReadme, "--project", filepath.Base(root), "--mode", "lexical")
	if resp.Count != 1 || resp.Results[0].MatchLine != 11 || len(resp.Results[0].Excerpt) == 0 || resp.Projects[filepath.Base(root)].Root != root {
		t.Errorf("--json: %+v", resp)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--kind", "tests"}, 2, `patina: error: --kind "tests": want code, doc or commit`},
		{[]string{"--path", "/etc"}, 2, "patina: error: --path /etc is outside the project"},
		{[]string{"--path", "../.."}, 2, "patina: error: --path ../.. is outside the project"},
		{[]string{"--path", "../nosuch"}, 2, `patina: error: --path "../nosuch" leads out of the project root`},
		{[]string{"--file", "main.go", "--kind", "code"}, 2, "--kind applies to a QUERY"},
	} {
		r := runPatinaIn(t, root, env, append([]string{"scry", "x"}, tc.args...)...)
		if tc.args[0] == "--file" {
			r = runPatinaIn(t, root, env, append([]string{"scry"}, tc.args...)...)
		}
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
	if out := runPatina(t, env, "scry", "--help").stdout; !strings.Contains(out, "between « and »") || !strings.Contains(out, "--kind") {
		t.Errorf("scry --help does not document the markers and --kind:\n%s", out)
	}
}

func TestScryOverTCPNeedsTheToken(t *testing.T) {
	root := indextest.Fixture(t)
	sock := shortSocket(t)
	port := loopbackPort(t)
	d := startDaemon(t, sock, "--tcp", "127.0.0.1:"+port)
	env := daemonEnv(t, d)
	scrapeJSON(t, env, root, "--name", "fixture")
	addr := "127.0.0.1:" + port

	post := func(auth string) (int, string) {
		req, err := http.NewRequest("POST", "http://"+addr+"/api/scry", strings.NewReader(`{"query":"quasar","project":"fixture"}`))
		must(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		must(t, err)
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if status, body := post(""); status != 401 || !strings.Contains(body, `"error"`) || strings.Contains(body, "quasar") {
		t.Errorf("no token: %d %s", status, body)
	}
	if status, body := post("Bearer not-the-token"); status != 401 {
		t.Errorf("wrong token: %d %s", status, body)
	}
	tok, err := os.ReadFile(filepath.Join(strings.TrimPrefix(env[0], "PATINA_HOME="), "mother.token"))
	must(t, err)
	if status, body := post("Bearer " + strings.TrimSpace(string(tok))); status != 200 || !strings.Contains(body, "README.md") {
		t.Errorf("with the token: %d %s", status, body)
	}
	// Over TCP the caller's directory means nothing: no project, no search.
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/scry", strings.NewReader(`{"query":"quasar","cwd":"`+root+`"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Errorf("cwd over TCP: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}

	// The CLI with a wrong token: one error line and a hint, never the token.
	other := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_MOTHER_TOKEN=wrong-token-value"}
	r := runPatina(t, other, "scry", "quasar", "--project", "fixture", "--mother", "tcp://"+addr)
	if r.code != 1 || !strings.Contains(r.stderr, "(HTTP 401)") || !strings.Contains(r.stderr, "patina: hint: ") || strings.Contains(r.stderr, "wrong-token-value") {
		t.Errorf("wrong token through the CLI: exit %d %q", r.code, r.stderr)
	}
	// No token anywhere: refused before connecting.
	r = runPatina(t, []string{"PATINA_HOME=" + t.TempDir()}, "scry", "quasar", "--mother", "tcp://"+addr)
	if r.code != 1 || !strings.Contains(r.stderr, "no token for tcp://") {
		t.Errorf("no token through the CLI: exit %d %q", r.code, r.stderr)
	}
	// A remote mother that does not answer is an error, never a local search.
	r = runPatina(t, env, "scry", "quasar", "--project", "fixture", "--mother", "tcp://127.0.0.1:"+loopbackPort(t))
	if r.code != 1 || !strings.Contains(r.stderr, "mother is not answering") || strings.Contains(r.stdout, "README") {
		t.Errorf("dead remote: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestPrintResults(t *testing.T) {
	resp := scry.Response{Results: []scry.Result{
		{Project: "a", Path: "README.md", Kind: "doc", Title: "Intro > \x1b]0;pwned\x07Linux", StartLine: 9, EndLine: 12, MatchLine: 10,
			Excerpt: []scry.Line{{Line: 9, Text: "# Linux"}, {Line: 10, Text: "\tuse the «quasar»\x1b[2J now"}},
			Sources: []string{"lexical", "semantic"}, Ranks: map[string]int{"lexical": 1, "semantic": 3},
			Matches: []scry.Match{{Title: "Intro", StartLine: 1, EndLine: 3}}},
		{Project: "a", Path: "src/main.go", Kind: "code", Title: "src/main.go: Run", StartLine: 1, EndLine: 3, MatchLine: 3,
			Excerpt: []scry.Line{{Line: 3, Text: "func Run() {}"}}, Sources: []string{"history"}, Ranks: map[string]int{"history": 1},
			Commits: []string{"git:abc1234"}},
		{Project: "a", Path: "git:abc1234", Kind: "commit", Title: "2024-02-02 abc1234 Add it", StartLine: 1, EndLine: 3, MatchLine: 1,
			Excerpt: []scry.Line{{Line: 1, Text: "Add «it»"}, {Line: 2, Text: ""}, {Line: 3, Text: "It is added."}},
			Sources: []string{"semantic"}, Ranks: map[string]int{"semantic": 1}},
	}, Projects: map[string]scry.ProjectInfo{"a": {Root: "/p/a"}}}
	var plain, colour strings.Builder
	printResults(&plain, resp, "/p/a", false)
	printResults(&colour, resp, "/p/a", true)
	want := "README.md:10: Intro > ]0;pwnedLinux  [lexical #1, semantic #3]\n" +
		"   9-# Linux\n" +
		"  10:\tuse the quasar[2J now\n" +
		"  also: 1-3 Intro\n" +
		"\n" +
		"src/main.go:3: Run  [history #1]\n" +
		"  3:func Run() {}\n" +
		"  changed in: git:abc1234\n" +
		"\n" +
		"git:abc1234: 2024-02-02 Add it  [semantic #1]\n" +
		"  It is added.\n"
	if plain.String() != want {
		t.Errorf("plain:\n%s\nwant\n%s", plain.String(), want)
	}
	if !strings.Contains(colour.String(), "use the "+ansiMatch+"quasar"+ansiReset) || strings.Contains(colour.String(), "\x1b]") || strings.Contains(colour.String(), "\x1b[2J") {
		t.Errorf("colour: %q", colour.String())
	}
	// From a subdirectory, paths climb out of it; from outside the
	// project, they are absolute; without the project's root (a remote
	// daemon), they are as the index has them, "project:" first when
	// several projects answered.
	for _, tc := range []struct {
		cwd   string
		roots map[string]scry.ProjectInfo
		multi bool
		want  string
	}{
		{"/p/a/docs", resp.Projects, false, "../README.md:10: "},
		{"/p/a/src", resp.Projects, false, "\nmain.go:3: "},
		{"/elsewhere", resp.Projects, false, "/p/a/README.md:10: "},
		{"/p", resp.Projects, false, "a/README.md:10: "},
		{"/p/a", nil, false, "README.md:10: "},
		{"/p/a", nil, true, "\nb:git:abc1234: "},
	} {
		r := resp
		r.Projects = tc.roots
		r.Results = slices.Clone(resp.Results)
		if tc.multi {
			r.Results[2].Project = "b"
		}
		plain.Reset()
		printResults(&plain, r, tc.cwd, false)
		if !strings.Contains("\n"+plain.String(), "\n"+strings.TrimPrefix(tc.want, "\n")) {
			t.Errorf("from %s (roots %v): want %q in\n%s", tc.cwd, tc.roots, tc.want, plain.String())
		}
	}
}

// TestScryAgainstAnotherVersion talks to a stand-in daemon of another
// version: the CLI warns once, and --json prints the answer's bytes.
func TestScryAgainstAnotherVersion(t *testing.T) {
	sock := shortSocket(t)
	must(t, os.MkdirAll(filepath.Dir(sock), 0o700))
	l, err := net.Listen("unix", sock)
	must(t, err)
	answer, err := json.Marshal(scry.Response{Mode: "lexical", Count: 1, Results: []scry.Result{{
		ID: "p:7", Project: "p", Path: "a <b> & c.md", Kind: "doc", Title: "T", StartLine: 1, EndLine: 2,
		Snippet: "x «y» z", Score: 0.016393442622950820, Sources: []string{"lexical"},
	}}})
	must(t, err)
	var mu sync.Mutex
	var got []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+b.String())
		mu.Unlock()
		w.Header().Set("Patina-Version", "v9.9.9-other")
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(answer, '\n'))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + sock}
	r := runPatina(t, env, "scry", "--json", "y", "--project", "p", "--limit", "3", "--mode", "lexical")
	if r.code != 0 || r.stdout != string(answer)+"\n" {
		t.Errorf("--json: exit %d\n%s\nwant\n%s", r.code, r.stdout, answer)
	}
	if !strings.HasPrefix(r.stderr, "patina: warning: mother at "+sock+" runs v9.9.9-other, this CLI is ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("version skew: %q", r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != `POST /api/scry {"query":"y","project":"p","limit":3,"mode":"lexical"}` {
		t.Errorf("the daemon was asked %q", got)
	}
}

// TestScryFile: `scry --file` lists the files that changed together with
// one, through the daemon and in-process alike, from a subdirectory with
// a path relative to it; and its usage mistakes are exit 2.
func TestScryFile(t *testing.T) {
	root := indextest.Fixture(t)
	sock := shortSocket(t)
	d := startDaemon(t, sock)
	env := daemonEnv(t, d)
	scrapeJSON(t, env, root)

	// util/strings.go, named from util/: the fixture's second commit
	// added it with main.go.
	r := runPatinaIn(t, filepath.Join(root, "util"), env, "scry", "--file", "strings.go")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "main.go  1 of 1 commits  last 2024-02-02 ") ||
		!strings.Contains(r.stdout, "Add fluxcapacitor") || r.stderr != "" {
		t.Fatalf("scry --file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// From a directory outside the project holding a file of the same
	// name, with --project: the project's file.
	elsewhere := t.TempDir()
	must(t, os.WriteFile(filepath.Join(elsewhere, "main.go"), []byte("package x\n"), 0o644))
	r = runPatinaIn(t, elsewhere, env, "scry", "--file", "main.go", "--project", filepath.Base(root))
	if r.code != 0 || !strings.HasPrefix(r.stdout, "util/strings.go  1 of 1 commits") {
		t.Errorf("--file from elsewhere: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// By absolute path, through a symlink to the project.
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.Symlink(root, link))
	r = runPatinaIn(t, elsewhere, env, "scry", "--file", filepath.Join(link, "util", "strings.go"), "--project", filepath.Base(root))
	if r.code != 0 || !strings.HasPrefix(r.stdout, "main.go  1 of 1 commits") {
		t.Errorf("--file by a symlinked absolute path: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var daemonJSON, localJSON scry.RelatedResponse
	r = runPatinaIn(t, root, env, "scry", "--file", "main.go", "--json")
	must(t, json.Unmarshal([]byte(r.stdout), &daemonJSON))
	if r.code != 0 || daemonJSON.Path != "main.go" || daemonJSON.Count != 1 || daemonJSON.Results[0].Path != "util/strings.go" {
		t.Errorf("--json: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	// In-process, with no daemon: the same answer, and a note.
	home := env[0]
	noDaemon := []string{home, "PATINA_SOCKET=" + noDaemonSocket(t)}
	r = runPatinaIn(t, root, noDaemon, "scry", "--file", "main.go", "--json")
	must(t, json.Unmarshal([]byte(r.stdout), &localJSON))
	if r.code != 0 || !strings.Contains(r.stderr, "searched in-process") || localJSON.Count != daemonJSON.Count ||
		localJSON.Results[0] != daemonJSON.Results[0] {
		t.Errorf("in-process: exit %d %s %s", r.code, r.stdout, r.stderr)
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"scry", "--file", "main.go", "quasar"}, 2, "either a QUERY or --file"},
		{[]string{"scry", "--file", ""}, 2, "--file needs a PATH"},
		{[]string{"scry", "--file", "main.go", "--all-projects"}, 2, "one project"},
		{[]string{"scry", "--file", "main.go", "--mode", "lexical"}, 2, "--mode applies to a QUERY"},
		{[]string{"scry", "--file", "main.go", "--limit", "0"}, 2, "--limit must be at least 1"},
		{[]string{"scry", "--file", "nosuch.go"}, 1, "nosuch.go is not a file indexed in project"},
		{[]string{"scry", "--file", "/etc/passwd"}, 1, "inside the project"},
	} {
		r := runPatinaIn(t, root, env, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
}
