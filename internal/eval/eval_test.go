package eval

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseQueries(t *testing.T) {
	in := "# comment\n\nid\tkind\tquery\texpected\r\n" +
		"a\tnatural\thow do I x\thmac.py,email/parser.py\n" +
		"# another\n" +
		"b\tidentifier\tos.path.join\tposixpath.py\n"
	qs, err := ParseQueries(strings.NewReader(in), "q.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Query{
		{ID: "a", Kind: Natural, Text: "how do I x", Expected: []string{"hmac.py", "email/parser.py"}},
		{ID: "b", Kind: Identifier, Text: "os.path.join", Expected: []string{"posixpath.py"}},
	}
	if len(qs) != len(want) {
		t.Fatalf("got %d queries, want %d", len(qs), len(want))
	}
	for i := range want {
		if qs[i].ID != want[i].ID || qs[i].Kind != want[i].Kind || qs[i].Text != want[i].Text || !slices.Equal(qs[i].Expected, want[i].Expected) {
			t.Errorf("query %d = %+v, want %+v", i, qs[i], want[i])
		}
	}
}

func TestParseQueriesErrors(t *testing.T) {
	const head = "id\tkind\tquery\texpected\n"
	for _, c := range []struct{ in, want string }{
		{"", "no queries"},
		{head, "no queries"},
		{"id kind query expected\n", "q.tsv:1: want the header line"},
		{"a\tnatural\tq\ta.py\n", "q.tsv:1: want the header line"},
		{head + "a\tnatural\tq\n", "q.tsv:2: want 4 tab-separated fields"},
		{head + "a\tnatural\tq\ta.py\textra\n", "q.tsv:2: want 4"},
		{head + "\n# c\na\tnatural\t\ta.py\n", "q.tsv:4: field 3 (query) is empty"},
		{head + "a\tnatural\t q\ta.py\n", "q.tsv:2: field 3 (query) is empty or has surrounding spaces"},
		{head + "a b\tnatural\tq\ta.py\n", "id \"a b\" contains a space"},
		{head + "a\tnatural\tq\ta.py\na\tnatural\tr\tb.py\n", "q.tsv:3: id \"a\" already used on line 2"},
		{head + "a\tNatural\tq\ta.py\n", "q.tsv:2: kind \"Natural\""},
		{head + "a\tnatural\tq\t\n", "has no expected file"},
		{head + "a\tnatural\tq\ta.py,\n", "empty expected path"},
		{head + "a\tnatural\tq\ta.py, b.py\n", "surrounding spaces"},
		{head + "a\tnatural\tq\t/usr/lib/python3.11/a.py\n", "relative to the corpus root"},
		{head + "a\tnatural\tq\t./a.py\n", "not clean"},
		{head + "a\tnatural\tq\t../a.py\n", "leaves the corpus"},
		{head + "a\tnatural\tq\tgit:abc123\n", "full 40-hex hash"},
		{head + "a\tnatural\tq\tgit:" + strings.Repeat("G", 40) + "\n", "full 40-hex hash"},
		{head + "a\tnatural\tq\ta.py,a.py\n", "lists a.py twice"},
	} {
		_, err := ParseQueries(strings.NewReader(c.in), "q.tsv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseQueries(%q) error %v, want one containing %q", c.in, err, c.want)
		}
	}
	if _, err := LoadQueries(filepath.Join(t.TempDir(), "missing.tsv")); err == nil {
		t.Error("LoadQueries of a missing file: no error")
	}
}

func TestInCorpus(t *testing.T) {
	for p, want := range map[string]bool{
		"hmac.py":                                       true,
		"email/parser.py":                               true,
		"concurrent/futures/thread.py":                  true,
		"email/mime/multipart.py":                       true,
		"hmac.pyc":                                      false,
		"email/architecture.rst":                        false,
		"test/test_hmac.py":                             false,
		"unittest/test/test_case.py":                    false,
		"ctypes/test/__init__.py":                       false,
		"sqlite3/tests/foo.py":                          false,
		"idlelib/editor.py":                             false,
		"lib2to3/main.py":                               false,
		"tkinter/__init__.py":                           false,
		"turtledemo/clock.py":                           false,
		"ensurepip/__init__.py":                         false,
		"pydoc_data/topics.py":                          false,
		"distutils/core.py":                             false,
		"config-3.11-x86_64-linux-gnu/python-config.py": false,
		"site-packages/x.py":                            false,
		"dist-packages/x.py":                            false,
		"json/__pycache__/x.py":                         false,
		"email/idlelib/x.py":                            true, // the top-level exclusions are top-level only
		"xml/dom/tkinter_helpers.py":                    true,
	} {
		if got := InCorpus(p); got != want {
			t.Errorf("InCorpus(%q) = %v, want %v", p, got, want)
		}
	}
	for _, p := range append(slices.Clone(ExcludedDirs), ExcludedTopDirs...) {
		if _, err := path.Match(p, "x"); err != nil {
			t.Errorf("pattern %q: %v", p, err)
		}
	}
}

func TestCopyCorpus(t *testing.T) {
	src := t.TempDir()
	write := func(rel string) {
		p := filepath.Join(src, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("# "+rel+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{
		"a.py", "b.txt", "pkg/__init__.py", "pkg/sub/c.py", "pkg/tests/t.py", "pkg/__pycache__/c.cpython-311.pyc",
		"test/test_a.py", "idlelib/x.py", "config-3.11-x86_64-linux-gnu/python-config.py", "pkg/idlelib/ok.py",
	} {
		write(rel)
	}
	if err := os.Symlink("a.py", filepath.Join(src, "alias.py")); err != nil {
		t.Fatal(err)
	}
	want := []string{"a.py", "pkg/__init__.py", "pkg/idlelib/ok.py", "pkg/sub/c.py"}
	got, err := CorpusFiles(src)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("CorpusFiles = %q, want %q", got, want)
	}

	dst := filepath.Join(t.TempDir(), "corpus")
	if err := CopyCorpus(src, dst); err != nil {
		t.Fatal(err)
	}
	var copied []string
	err = filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		copied = append(copied, filepath.ToSlash(rel))
		if !d.Type().IsRegular() {
			t.Errorf("%s is not a regular file", rel)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if string(b) != "# "+filepath.ToSlash(rel)+"\n" {
			t.Errorf("%s holds %q", rel, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(copied, want) {
		t.Errorf("copied %q, want %q", copied, want)
	}

	if err := CopyCorpus(src, dst); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("copy into a non-empty directory: %v", err)
	}
	if err := CopyCorpus(filepath.Join(src, "idlelib"), t.TempDir()); err != nil {
		t.Errorf("an excluded name above the root does not count: %v", err)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "b.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CopyCorpus(empty, t.TempDir()); err == nil {
		t.Error("copy of a tree without corpus files: no error")
	}
}

// TestQuerySets checks the shipped query sets: their size and mix, and
// that every expected place is in its corpus where the corpus is at hand.
func TestQuerySets(t *testing.T) {
	repo, _ := filepath.Abs("../..")
	total, natural := 0, 0
	for _, set := range Sets("testdata", repo) {
		qs, err := LoadQueries(set.Queries)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, q := range qs {
			kinds[q.Kind]++
		}
		tune, test := Split(qs)
		t.Logf("%s: %d queries %v, halves %d/%d", set.Name, len(qs), kinds, len(tune), len(test))
		if len(qs) < 30 || !set.Generated && (kinds[Natural] == 0 || kinds[Natural] == len(qs)) {
			t.Errorf("%s: %d queries %v: want at least 30, natural and not", set.Name, len(qs), kinds)
		}
		if set.Name != "pystdlib" && !set.Generated {
			total += len(qs)
			natural += kinds[Natural]
		}
		switch c := set.Corpus.(type) {
		case PyStdlib:
			checkPyStdlib(t, qs, c.Root)
		case GitRepo:
			checkAtCommit(t, qs, c)
		}
	}
	// The hand-labelled sets over further corpora: at least 60
	// questions, about half of them natural-language and half names and
	// commit subjects.
	if total < 60 || natural*3 < total || natural*3 > 2*total {
		t.Errorf("further sets: %d queries, %d natural; want at least 60, about half natural", total, natural)
	}
}

func checkPyStdlib(t *testing.T, qs []Query, root string) {
	if _, err := os.Stat(root); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the corpus is missing: %v (install python3)", err)
		}
		t.Skipf("the corpus is missing: %v (install python3; this fails when CI=true)", err)
	}
	corpus, err := CorpusFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	inCorpus := make(map[string]bool, len(corpus))
	for _, f := range corpus {
		inCorpus[f] = true
	}
	for _, q := range qs {
		for _, e := range q.Expected {
			if !inCorpus[e] {
				t.Errorf("query %s: %s is not a corpus file under %s", q.ID, e, root)
			}
		}
	}
}

// checkAtCommit checks the expected places against the pinned commit of
// this repository, when its history is at hand (a shallow clone lacks it).
func checkAtCommit(t *testing.T, qs []Query, g GitRepo) {
	if err := exec.Command("git", "-C", g.Source, "cat-file", "-e", g.Commit+"^{commit}").Run(); err != nil {
		t.Logf("commit %s is not in this clone (shallow?): the patina set's labels are not checked", g.Commit)
		return
	}
	out, err := exec.Command("git", "-C", g.Source, "ls-tree", "-r", "--name-only", g.Commit).Output()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, f := range strings.Split(string(out), "\n") {
		files[f] = true
	}
	for _, q := range qs {
		for _, e := range q.Expected {
			if h, ok := strings.CutPrefix(e, "git:"); ok {
				if exec.Command("git", "-C", g.Source, "merge-base", "--is-ancestor", h, g.Commit).Run() != nil {
					t.Errorf("query %s: %s is not in the history of %s", q.ID, e, g.Commit)
				}
			} else if !files[e] {
				t.Errorf("query %s: %s is not a file at %s", q.ID, e, g.Commit)
			}
		}
	}
}

// TestSplit: the halves partition the queries, each query's half depends
// on its id alone, and they are about even.
func TestSplit(t *testing.T) {
	var qs []Query
	for i := range 200 {
		qs = append(qs, Query{ID: fmt.Sprintf("q%d", i), Kind: Kinds[i%len(Kinds)]})
	}
	tune, test := Split(qs)
	if len(tune)+len(test) != len(qs) || len(tune) < 80 || len(test) < 80 {
		t.Fatalf("halves %d and %d of %d", len(tune), len(test), len(qs))
	}
	inTune := map[string]bool{}
	for _, q := range tune {
		inTune[q.ID] = true
	}
	for _, q := range test {
		if inTune[q.ID] {
			t.Fatalf("%s in both halves", q.ID)
		}
	}
	// Without every other query, each stays where it was.
	for _, q := range qs[:20] {
		a, _ := Split([]Query{q})
		if (len(a) == 1) != inTune[q.ID] {
			t.Errorf("%s changed halves", q.ID)
		}
	}
}

// TestWriteLogSet: one query per commit of at most MaxLogSetFiles files,
// expecting the touched files that still exist; hand-written subjects,
// sweeps and commits touching only deleted files left out.
func TestWriteLogSet(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=T", "-c", "user.email=t@invalid", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	n := 0
	write := func(names ...string) {
		n++
		for _, name := range names {
			n := name + fmt.Sprint(n)
			p := filepath.Join(repo, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git("add", "-A")
	}
	git("init", "-q")
	write("a.go", "b.go")
	git("commit", "-qm", "add a and b")
	write("gone.go")
	git("commit", "-qm", "add a file that goes")
	git("rm", "-q", "gone.go")
	git("commit", "-qm", "remove it")
	var sweep []string
	for i := range MaxLogSetFiles + 1 {
		sweep = append(sweep, fmt.Sprintf("gen/%d.go", i))
	}
	write(sweep...)
	git("commit", "-qm", "a sweep")
	write("b.go", "docs/c.md")
	git("commit", "-qm", "hand written")
	write("a.go", "docs/c.md")
	git("commit", "-qm", "touch a and c")
	var b strings.Builder
	if err := WriteLogSet(&b, repo, "HEAD", []Query{{Kind: Commit, Text: "hand written"}}); err != nil {
		t.Fatal(err)
	}
	qs, err := ParseQueries(strings.NewReader(b.String()), "log.tsv")
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	var got []string
	for _, q := range qs {
		got = append(got, q.Text+" => "+strings.Join(q.Expected, ","))
		if q.Kind != Commit || !strings.HasPrefix(q.ID, "log-") {
			t.Errorf("query %+v", q)
		}
	}
	want := []string{"touch a and c => a.go,docs/c.md", "add a and b => a.go,b.go"}
	if !slices.Equal(got, want) {
		t.Errorf("queries %q, want %q", got, want)
	}
}
