package eval

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func files(n int, prefix string) Ranking {
	r := make(Ranking, n)
	for i := range r {
		r[i] = prefix + string(rune('a'+i)) + ".py"
	}
	return r
}

func TestRank(t *testing.T) {
	q := Query{ID: "q", Expected: []string{"x.py", "pkg/y.py"}}
	ten := files(10, "w") // ten distinct wrong files
	for _, c := range []struct {
		name string
		r    Ranking
		want int
	}{
		{"first", Ranking{"x.py", "a.py"}, 1},
		{"second expected file counts too", Ranking{"a.py", "pkg/y.py"}, 2},
		{"earliest expected file wins", Ranking{"a.py", "pkg/y.py", "x.py"}, 2},
		{"duplicates count once", Ranking{"a.py", "a.py", "a.py", "b.py", "x.py"}, 3},
		{"repeated hit counts at its first rank", Ranking{"a.py", "x.py", "b.py", "x.py"}, 2},
		{"no hit", Ranking{"a.py", "b.py"}, 0},
		{"empty ranking", nil, 0},
		{"rank 10 counts", append(ten[:9:9], "x.py"), 10},
		{"rank 11 does not", append(ten[:10:10], "x.py"), 0},
		{"rank 10 behind duplicates counts", append(append(ten[:9:9], ten[0], ten[3]), "x.py"), 10},
		{"paths are cleaned", Ranking{"./pkg//y.py"}, 1},
		{"a prefix is not a match", Ranking{"pkg/y.pyc", "y.py", "other/pkg/y.py"}, 0},
	} {
		if got := Rank(q, c.r); got != c.want {
			t.Errorf("%s: Rank(%q) = %d, want %d", c.name, c.r, got, c.want)
		}
	}
}

func TestMetricValue(t *testing.T) {
	for _, c := range []struct {
		rank int
		want [4]float64 // R1, R5, R10, MRR10
	}{
		{0, [4]float64{0, 0, 0, 0}},
		{1, [4]float64{1, 1, 1, 1}},
		{2, [4]float64{0, 1, 1, 0.5}},
		{5, [4]float64{0, 1, 1, 0.2}},
		{6, [4]float64{0, 0, 1, 1.0 / 6}},
		{10, [4]float64{0, 0, 1, 0.1}},
		{11, [4]float64{0, 0, 0, 0}},
	} {
		for i, m := range Metrics {
			if got := m.Value(c.rank); got != c.want[i] {
				t.Errorf("%s at rank %d = %v, want %v", m, c.rank, got, c.want[i])
			}
		}
	}
}

// handReport: four queries (three natural, one identifier) and two systems
// whose ranks are worked out by hand below.
func handReport(t *testing.T) *Report {
	t.Helper()
	qs := []Query{
		{ID: "a", Kind: Natural, Text: "a", Expected: []string{"a.py"}},
		{ID: "b", Kind: Natural, Text: "b", Expected: []string{"b.py", "b2.py"}},
		{ID: "c", Kind: Natural, Text: "c", Expected: []string{"c.py"}},
		{ID: "d", Kind: Identifier, Text: "d", Expected: []string{"d.py"}},
	}
	lexical := []Ranking{
		{"a.py"}, // 1
		{"x.py", "x.py", "y.py", "b2.py", "b.py"}, // 3: duplicates count once
		files(10, "z"),                // 0: not found
		append(files(6, "z"), "d.py"), // 7
	}
	hybrid := []Ranking{
		{"a.py"},                       // 1
		{"b.py"},                       // 1
		{"x.py", "c.py"},               // 2
		append(files(10, "z"), "d.py"), // 0: rank 11 is not counted
	}
	r, err := Score(qs, []Run{{"lexical", lexical}, {"hybrid", hybrid}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestScore(t *testing.T) {
	r := handReport(t)
	if got, want := r.Systems[0].Ranks, []int{1, 3, 0, 7}; !slices.Equal(got, want) {
		t.Fatalf("lexical ranks %v, want %v", got, want)
	}
	if got, want := r.Systems[1].Ranks, []int{1, 1, 2, 0}; !slices.Equal(got, want) {
		t.Fatalf("hybrid ranks %v, want %v", got, want)
	}
	for _, c := range []struct {
		system, kind string
		want         [4]float64 // R1, R5, R10, MRR10
	}{
		{"lexical", "", [4]float64{1.0 / 4, 2.0 / 4, 3.0 / 4, (1 + 1.0/3 + 0 + 1.0/7) / 4}},
		{"lexical", Natural, [4]float64{1.0 / 3, 2.0 / 3, 2.0 / 3, (1 + 1.0/3) / 3}},
		{"lexical", Identifier, [4]float64{0, 0, 1, 1.0 / 7}},
		{"hybrid", "", [4]float64{2.0 / 4, 3.0 / 4, 3.0 / 4, (1 + 1 + 0.5) / 4}},
		{"hybrid", Identifier, [4]float64{0, 0, 0, 0}},
	} {
		for i, m := range Metrics {
			iv, err := r.Summary(c.system, c.kind, m)
			if err != nil {
				t.Fatal(err)
			}
			if !near(iv.Mean, c.want[i]) {
				t.Errorf("%s %q %s = %v, want %v", c.system, c.kind, m, iv.Mean, c.want[i])
			}
			if iv.Lo > iv.Mean || iv.Hi < iv.Mean || iv.Lo < 0 || iv.Hi > 1 {
				t.Errorf("%s %q %s: interval [%v, %v] around %v", c.system, c.kind, m, iv.Lo, iv.Hi, iv.Mean)
			}
		}
	}
	d, err := r.CompareMRR("hybrid", "lexical", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := (0 + (1 - 1.0/3) + 0.5 + (0 - 1.0/7)) / 4; !near(d.Mean, want) {
		t.Errorf("hybrid − lexical MRR@10 = %v, want %v", d.Mean, want)
	}
	if _, err := r.Summary("semantic", "", R1); err == nil {
		t.Error("Summary of an unknown system: no error")
	}
}

func TestScoreErrors(t *testing.T) {
	qs := []Query{{ID: "a", Kind: Natural, Text: "a", Expected: []string{"a.py"}}}
	for name, runs := range map[string][]Run{
		"no runs":        nil,
		"no name":        {{"", []Ranking{nil}}},
		"duplicate name": {{"x", []Ranking{nil}}, {"x", []Ranking{nil}}},
		"too few":        {{"x", nil}},
		"too many":       {{"x", []Ranking{nil, nil}}},
	} {
		if _, err := Score(qs, runs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Score(nil, []Run{{"x", nil}}); err == nil {
		t.Error("no queries: no error")
	}
}

func TestBootstrap(t *testing.T) {
	v := []float64{1, 0, 1, 1, 0, 0.5, 0.25, 1, 0, 1, 0.2, 0.1}
	a, b := Bootstrap(v), Bootstrap(append([]float64(nil), v...))
	if a != b {
		t.Fatalf("not deterministic: %+v then %+v", a, b)
	}
	if a.N != len(v) || !near(a.Mean, mean(v)) || !(a.Lo < a.Mean && a.Mean < a.Hi) || a.Lo < 0 || a.Hi > 1 {
		t.Fatalf("interval %+v for mean %v", a, mean(v))
	}
	// Wider spread in the data, wider interval; more queries, narrower.
	if w := Bootstrap([]float64{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}); w.Hi-w.Lo <= a.Hi-a.Lo {
		t.Errorf("0/1 data interval %+v not wider than %+v", w, a)
	}
	long := make([]float64, 0, 10*len(v))
	for range 10 {
		long = append(long, v...)
	}
	if l := Bootstrap(long); l.Hi-l.Lo >= a.Hi-a.Lo {
		t.Errorf("interval over 10× the queries %+v not narrower than %+v", l, a)
	}
	if c := Bootstrap([]float64{0.5, 0.5, 0.5}); c.Mean != 0.5 || c.Lo != 0.5 || c.Hi != 0.5 {
		t.Errorf("constant data: %+v", c)
	}
	if e := Bootstrap(nil); e.N != 0 || !math.IsNaN(e.Mean) {
		t.Errorf("no data: %+v", e)
	}
}

func TestPairedBootstrap(t *testing.T) {
	a := []float64{1, 0.5, 0, 1, 0.2, 0}
	same, err := PairedBootstrap(a, a)
	if err != nil {
		t.Fatal(err)
	}
	if same.Mean != 0 || same.Lo != 0 || same.Hi != 0 {
		t.Errorf("a system against itself: %+v", same)
	}
	// b loses 0.1 on every query: the difference is exactly 0.1 whatever
	// the resample, though each system's own interval is wide.
	b := make([]float64, len(a))
	for i := range a {
		b[i] = a[i] - 0.1
	}
	d, err := PairedBootstrap(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !near(d.Mean, 0.1) || !near(d.Lo, 0.1) || !near(d.Hi, 0.1) {
		t.Errorf("constant difference: %+v", d)
	}
	if _, err := PairedBootstrap(a, b[:2]); err == nil {
		t.Error("different lengths: no error")
	}
}

func TestWrite(t *testing.T) {
	r := handReport(t)
	var text, md, per strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := r.WritePerQuery(&per); err != nil {
		t.Fatal(err)
	}
	t.Logf("text:\n%s\nmarkdown:\n%s\nper query:\n%s", text.String(), md.String(), per.String())
	for _, want := range []string{
		"All queries (n=4)", "natural queries (n=3)", "identifier queries (n=1)",
		"R@1", "MRR@10", "0.25 [", "hybrid − lexical",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q", want)
		}
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if !strings.Contains(md.String(), "| system | R@1 | R@5 | R@10 | MRR@10 |\n| --- | --- | --- | --- | --- |\n| lexical | 0.25 [") {
		t.Errorf("markdown table malformed:\n%s", md.String())
	}
	// The identifier query: lexical found it at 7, hybrid not at all.
	if !strings.Contains(per.String(), "d   identifier  7        -") {
		t.Errorf("per-query line for d missing or misaligned:\n%s", per.String())
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestRankCommits: a result git:<short hash> is the expected commit whose
// full hash it starts; a too-short or different prefix is not.
func TestRankCommits(t *testing.T) {
	full := "git:" + strings.Repeat("ab", 20)
	q := Query{ID: "c", Expected: []string{full, "a.go"}}
	for _, c := range []struct {
		r    Ranking
		want int
	}{
		{Ranking{"x.go", "git:abababa"}, 2},
		{Ranking{"git:" + strings.Repeat("ab", 20)}, 1},
		{Ranking{"git:ababab"}, 0},  // six characters: too short to name a commit
		{Ranking{"git:abababb"}, 0}, // another commit
		{Ranking{"abababa"}, 0},     // not a commit result
	} {
		if got := Rank(q, c.r); got != c.want {
			t.Errorf("Rank(%q) = %d, want %d", c.r, got, c.want)
		}
	}
}
