// Command patina-eval measures scry on the labelled query sets of package
// internal/eval: for each set it prepares the corpus in a work directory,
// scrapes it with the default embedding model, asks every query under each
// system (the three modes, then ablations of the default) and prints
// recall and MRR@10 on the set's tuning half and, with bootstrap
// intervals, on its test half. `make eval` runs it.
//
// With --tune it searches the ranking parameters instead (coordinate
// ascent on the tuning halves only) and prints the best it found.
//
// The work directory persists (default $PATINA_CACHE/eval), so a second
// run reuses the copies and their indexes and only searches.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/eval"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/scry"
)

// system is one way of searching, as the tables name it.
type system struct {
	name    string
	mode    string
	ranking func(*scry.Ranking) // changes to the default ranking; nil: none
	lexical scry.Lexical        // the zero value is scry's
}

// systems are the modes as scry runs them by default, then ablations of
// the default: each takes one feature away or changes one weight.
var systems = []system{
	{name: "lexical", mode: scry.ModeLexical},
	{name: "semantic", mode: scry.ModeSemantic},
	{name: "hybrid (default)", mode: scry.ModeHybrid},
	{name: "  no role priors", mode: scry.ModeHybrid, ranking: func(r *scry.Ranking) {
		for in := range r.Priors {
			for role := range r.Priors[in] {
				r.Priors[in][role] = 1
			}
		}
	}},
	{name: "  no commit expansion", mode: scry.ModeHybrid, ranking: func(r *scry.Ranking) { setWeight(r, scry.ModeHistory, 0) }},
	{name: "  five best commits expanded", mode: scry.ModeHybrid, ranking: func(r *scry.Ranking) { r.ExpandCommits = 5 }},
	{name: "  semantic weight ×2", mode: scry.ModeHybrid, ranking: func(r *scry.Ranking) { scaleWeight(r, scry.ModeSemantic, 2) }},
	{name: "  semantic weight ×½", mode: scry.ModeHybrid, ranking: func(r *scry.Ranking) { scaleWeight(r, scry.ModeSemantic, 0.5) }},
	{name: "  RRF k = 60", mode: scry.ModeHybrid, ranking: func(r *scry.Ranking) { r.K = 60 }},
	{name: "  no path, names, docs fields", mode: scry.ModeHybrid, lexical: scry.Lexical{ColumnWeights: []float64{0, 1, 0, 0.25, 0}}},
	{name: "  fields at equal weight", mode: scry.ModeHybrid, lexical: scry.Lexical{ColumnWeights: []float64{1, 1, 1, 1, 1}}},
	{name: "  no declarations first", mode: scry.ModeHybrid, lexical: scry.Lexical{NoPhrases: true}},
}

func setWeight(r *scry.Ranking, list string, w float64) {
	for in := range r.Weights {
		r.Weights[in][list] = w
	}
}

func scaleWeight(r *scry.Ranking, list string, f float64) {
	for in := range r.Weights {
		r.Weights[in][list] *= f
	}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "patina-eval:", err)
		os.Exit(1)
	}
}

// prepared is a set ready to search.
type prepared struct {
	set         eval.Set
	queries     []eval.Query
	tune, test  []eval.Query
	src         scry.Source
	stats       index.Stats
	description string
}

func run() error {
	cache, err := paths.Cache()
	if err != nil {
		return err
	}
	only := pflag.StringSlice("set", nil, "run only these query sets (default: all)")
	work := pflag.String("work", filepath.Join(cache, "eval"), "work directory (the corpus copies and their indexes)")
	model := pflag.String("model", embed.DefaultModel, "embedding model")
	perQuery := pflag.Bool("per-query", false, "also print each query's rank under every system")
	tune := pflag.Bool("tune", false, "search the ranking parameters on the tuning halves and print the best found")
	writeLog := pflag.Bool("write-log-set", false, "write the patinalog query file (commit subjects of this repository) to stdout, and stop")
	pflag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	repo, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return errors.New("run from inside this repository (the patina set clones it)")
	}
	sets := eval.Sets("internal/eval/testdata", strings.TrimSpace(string(repo)))
	if *writeLog {
		var hand []eval.Query
		for _, set := range sets {
			if set.Name == "patina" {
				if hand, err = eval.LoadQueries(set.Queries); err != nil {
					return err
				}
			}
		}
		return eval.WriteLogSet(os.Stdout, strings.TrimSpace(string(repo)), eval.PinnedCommit, hand)
	}
	e, err := knowledge.LoadModel(*model)
	if err != nil {
		return err
	}
	defer e.Close()
	emb := knowledge.Embedder{E: e}
	var ps []*prepared
	for _, set := range sets {
		if len(*only) > 0 && !slices.Contains(*only, set.Name) {
			continue
		}
		p, err := prepare(ctx, set, *work, emb)
		if err != nil {
			return fmt.Errorf("%s: %w", set.Name, err)
		}
		defer p.src.Index.Close()
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return fmt.Errorf("no set named %q", *only)
	}
	models := fixedModel{emb}
	if *tune {
		return tuneRanking(ctx, ps, models)
	}

	type result struct{ tune, test *eval.Report }
	results := make([][]result, len(ps))
	for i, p := range ps {
		var tuneRuns, testRuns []eval.Run
		for _, s := range systems {
			rk := defaultRanking()
			if s.ranking != nil {
				s.ranking(rk)
			}
			a, err := ask(ctx, p, s, rk, models, p.tune)
			if err != nil {
				return err
			}
			b, err := ask(ctx, p, s, rk, models, p.test)
			if err != nil {
				return err
			}
			tuneRuns, testRuns = append(tuneRuns, a), append(testRuns, b)
		}
		tr, err := eval.Score(p.tune, tuneRuns)
		if err != nil {
			return err
		}
		te, err := eval.Score(p.test, testRuns)
		if err != nil {
			return err
		}
		results[i] = append(results[i], result{tr, te})
		printSet(p, tr, te)
		if *perQuery {
			fmt.Println("  tuning half, per query:")
			tr.WritePerQuery(os.Stdout)
			fmt.Println("  test half, per query:")
			te.WritePerQuery(os.Stdout)
			fmt.Println()
		}
	}

	// The summary: every set's test half, the three modes.
	fmt.Println("Test halves, MRR@10 [95% interval]:")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	head := []string{"  system"}
	for _, p := range ps {
		head = append(head, fmt.Sprintf("%s (n=%d)", p.set.Name, len(p.test)))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, s := range systems[:3] {
		row := []string{"  " + s.name}
		for i := range ps {
			iv, _ := results[i][0].test.Summary(s.name, "", eval.MRR10)
			row = append(row, cell(iv))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	row := []string{"  hybrid − lexical"}
	for i := range ps {
		d, _ := results[i][0].test.CompareMRR("hybrid (default)", "lexical", "")
		row = append(row, diffCell(d))
	}
	fmt.Fprintln(tw, strings.Join(row, "\t"))
	tw.Flush()
	fmt.Println()
	fmt.Printf("Ranks count distinct results (files and commits), as a user scans them; MRR@10 is 0 beyond rank %d.\n"+
		"Intervals: %.0f%% percentile bootstrap over queries (%d resamples, seed %#x). Defaults were chosen on the tuning halves.\n",
		eval.MaxRank, eval.Confidence*100, eval.Resamples, eval.Seed)
	return nil
}

// prepare readies a set: its queries and halves, its corpus copy, scraped
// and embedded (only what changed since the last run).
func prepare(ctx context.Context, set eval.Set, work string, emb knowledge.Embedder) (*prepared, error) {
	qs, err := eval.LoadQueries(set.Queries)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "patina-eval: %s: preparing %s\n", set.Name, set.Corpus.Describe())
	root, err := set.Corpus.Prepare(work)
	if err != nil {
		return nil, err
	}
	if err := eval.CheckExpected(qs, root, set.Corpus.Git()); err != nil {
		return nil, err
	}
	sum, err := index.Scrape(ctx, root, index.ScrapeOptions{NoGit: !set.Corpus.Git(), Embedder: emb, Progress: progress})
	fmt.Fprint(os.Stderr, "\r\033[K")
	if err != nil {
		return nil, err
	}
	if sum.ChunksAdded > 0 || sum.ChunksEmbedded > 0 {
		fmt.Fprintf(os.Stderr, "patina-eval: %s: %d chunks added, %d embedded in %s\n", set.Name, sum.ChunksAdded, sum.ChunksEmbedded, sum.Duration.Round(1e6))
	}
	db, err := index.OpenReadOnly(paths.ProjectIndex(root))
	if err != nil {
		return nil, err
	}
	st, err := db.Stats(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	tune, test := eval.Split(qs)
	return &prepared{set: set, queries: qs, tune: tune, test: test, src: scry.Source{Name: set.Name, Index: db}, stats: st,
		description: set.Corpus.Describe()}, nil
}

// ask runs the queries under one system.
func ask(ctx context.Context, p *prepared, s system, rk *scry.Ranking, models scry.Models, qs []eval.Query) (eval.Run, error) {
	searcher := scry.NewHybridSearcher(models)
	searcher.Ranking = rk
	searcher.Lexical = s.lexical
	run := eval.Run{System: s.name}
	for _, q := range qs {
		resp, err := searcher.Search(ctx, scry.Request{Query: q.Text, Projects: []scry.Source{p.src}, Mode: s.mode, Limit: eval.MaxRank})
		if err != nil {
			return run, fmt.Errorf("%s: %s: query %s: %w", p.set.Name, s.name, q.ID, err)
		}
		if resp.Degraded {
			return run, fmt.Errorf("%s: %s: query %s was not searched as asked: %v", p.set.Name, s.name, q.ID, resp.Notes)
		}
		var r eval.Ranking
		for _, res := range resp.Results {
			r = append(r, res.Path)
		}
		run.Rankings = append(run.Rankings, r)
	}
	return run, nil
}

// printSet prints one set's table: every system on both halves.
func printSet(p *prepared, tr, te *eval.Report) {
	kinds := map[string]int{}
	for _, q := range p.queries {
		kinds[q.Kind]++
	}
	var mix []string
	for _, k := range eval.Kinds {
		if kinds[k] > 0 {
			mix = append(mix, fmt.Sprintf("%d %s", kinds[k], k))
		}
	}
	fmt.Printf("%s: %s\n  %d files, %d chunks, %d commits; %d queries (%s); tuning half %d, test half %d\n",
		p.set.Name, p.description, p.stats.Files, p.stats.Chunks, p.stats.Commits, len(p.queries), strings.Join(mix, ", "), len(p.tune), len(p.test))
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	head := []string{"  system", "tune MRR@10", "test MRR@10", "test R@1", "test R@5"}
	for _, k := range eval.Kinds {
		if kinds[k] > 0 {
			head = append(head, "test "+k)
		}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, s := range systems {
		t, _ := tr.Summary(s.name, "", eval.MRR10)
		m, _ := te.Summary(s.name, "", eval.MRR10)
		r1, _ := te.Summary(s.name, "", eval.R1)
		r5, _ := te.Summary(s.name, "", eval.R5)
		row := []string{"  " + s.name, fmt.Sprintf("%.3f", t.Mean), cell(m), fmt.Sprintf("%.2f", r1.Mean), fmt.Sprintf("%.2f", r5.Mean)}
		for _, k := range eval.Kinds {
			if kinds[k] > 0 {
				iv, _ := te.Summary(s.name, k, eval.MRR10)
				row = append(row, short(iv))
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	for _, other := range []string{"lexical", "semantic"} {
		d, _ := te.CompareMRR("hybrid (default)", other, "")
		fmt.Printf("  test half: hybrid − %s %s%s\n", other, diffCell(d), verdict(d))
	}
	fmt.Println()
}

func cell(iv eval.Interval) string {
	if iv.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f [%.2f–%.2f]", iv.Mean, iv.Lo, iv.Hi)
}

func short(iv eval.Interval) string {
	if iv.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f (n=%d)", iv.Mean, iv.N)
}

func diffCell(d eval.Interval) string {
	if d.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.3f [%+.2f, %+.2f]", d.Mean, d.Lo, d.Hi)
}

// verdict says whether a difference's interval excludes zero.
func verdict(d eval.Interval) string {
	switch {
	case d.Lo > 0:
		return "  better"
	case d.Hi < 0:
		return "  worse"
	}
	return "  (no clear difference)"
}

// fixedModel serves the one model the corpora were embedded with.
type fixedModel struct{ e index.Embedder }

func (m fixedModel) Model(ctx context.Context, name string) (index.Embedder, error) {
	if name != m.e.ModelName() {
		return nil, errors.New("patina-eval: unexpected model " + name)
	}
	return m.e, nil
}

func progress(p index.Progress) {
	fmt.Fprintf(os.Stderr, "\r%-8s %d/%d  chunks %d   ", p.Phase, p.Done, p.Total, p.Chunks)
}
