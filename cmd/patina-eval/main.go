// Command patina-eval measures scry on a labelled query set (see package
// internal/eval): it copies the Python standard library into a work
// directory, scrapes it with the default embedding model, asks every query
// in each mode and prints recall@1/5/10 and MRR@10 with bootstrap
// intervals. `make eval` runs it.
//
// The work directory persists (default $PATINA_CACHE/eval), so a second
// run reuses the index and only searches.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/eval"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/scry"
)

// fetch is how many chunks each query asks for: MaxRank distinct files
// need more than MaxRank chunks when a file has several good ones.
const fetch = 100

// system is one way of searching, as the tables name it.
type system struct {
	name          string
	mode          string
	weights, idWs map[string]float64 // nil: scry's defaults
	lexical       scry.Lexical       // the zero value is scry's
}

func w(lex, sem float64) map[string]float64 {
	return map[string]float64{scry.ModeLexical: lex, scry.ModeSemantic: sem}
}

// systems are the modes as scry runs them by default, then the fusion
// weights and lexical features the defaults were chosen over.
var systems = []system{
	{"lexical", scry.ModeLexical, nil, nil, scry.Lexical{}},
	{"semantic", scry.ModeSemantic, nil, nil, scry.Lexical{}},
	{"hybrid", scry.ModeHybrid, nil, nil, scry.Lexical{}},
	{"hybrid 1:1", scry.ModeHybrid, w(1, 1), w(1, 1), scry.Lexical{}},
	{"hybrid 2:1", scry.ModeHybrid, w(1, 0.5), w(1, 0.5), scry.Lexical{}},
	{"hybrid 3:1", scry.ModeHybrid, w(1, 1.0/3), w(1, 1.0/3), scry.Lexical{}},
	// The lexical side's identifier features, each taken away or changed.
	{"lexical, no declarations first", scry.ModeLexical, nil, nil, scry.Lexical{NoPhrases: true}},
	{"lexical, no split-identifier column", scry.ModeLexical, nil, nil, scry.Lexical{ColumnWeights: []float64{3, 1, 1, 0}}},
	{"lexical, split identifiers at weight 1", scry.ModeLexical, nil, nil, scry.Lexical{ColumnWeights: []float64{3, 1, 1, 1}}},
	{"lexical, neither feature", scry.ModeLexical, nil, nil, scry.Lexical{NoPhrases: true, ColumnWeights: []float64{3, 1, 1, 0}}},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "patina-eval:", err)
		os.Exit(1)
	}
}

func run() error {
	cache, err := paths.Cache()
	if err != nil {
		return err
	}
	queriesFile := pflag.String("queries", "internal/eval/testdata/pystdlib.tsv", "the labelled query set")
	corpus := pflag.String("corpus", eval.DefaultCorpusRoot, "the corpus root")
	work := pflag.String("work", filepath.Join(cache, "eval"), "work directory (the corpus copy and its index)")
	model := pflag.String("model", embed.DefaultModel, "embedding model")
	markdown := pflag.Bool("markdown", false, "print Markdown tables (for the README)")
	perQuery := pflag.Bool("per-query", false, "also print each query's rank under every system")
	pflag.Parse()

	qs, err := eval.LoadQueries(*queriesFile)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	root, err := prepareCorpus(*corpus, *work)
	if err != nil {
		return err
	}
	e, err := knowledge.LoadModel(*model)
	if err != nil {
		return err
	}
	defer e.Close()
	emb := knowledge.Embedder{E: e}
	fmt.Fprintf(os.Stderr, "patina-eval: scraping %s (%s embeddings; only what changed since the last run)\n", root, *model)
	sum, err := index.Scrape(ctx, root, index.ScrapeOptions{NoGit: true, Embedder: emb, Progress: progress})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "patina-eval: %d files, %d chunks added, %d embedded in %s\n",
		sum.FilesSeen, sum.ChunksAdded, sum.ChunksEmbedded, sum.Duration.Round(1e6))

	db, err := index.OpenReadOnly(paths.ProjectIndex(root))
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.Stats(ctx)
	if err != nil {
		return err
	}
	src := scry.Source{Name: "pystdlib", Index: db}
	models := fixedModel{emb}
	var runs []eval.Run
	for _, s := range systems {
		searcher := scry.NewHybridSearcher(models)
		searcher.Weights, searcher.IdentifierWeights = s.weights, s.idWs
		searcher.Lexical = s.lexical
		run := eval.Run{System: s.name}
		for _, q := range qs {
			resp, err := searcher.Search(ctx, scry.Request{Query: q.Text, Projects: []scry.Source{src}, Mode: s.mode, Limit: fetch})
			if err != nil {
				return fmt.Errorf("%s: query %s: %w", s.name, q.ID, err)
			}
			if resp.Degraded {
				return fmt.Errorf("%s: query %s was not searched as asked: %v", s.name, q.ID, resp.Notes)
			}
			var r eval.Ranking
			for _, res := range resp.Results {
				r = append(r, res.Path)
			}
			run.Rankings = append(run.Rankings, r)
		}
		runs = append(runs, run)
	}
	report, err := eval.Score(qs, runs)
	if err != nil {
		return err
	}
	fmt.Printf("Corpus: %s (%d files, %d chunks), %d queries, model %s.\n\n", *corpus, st.Files, st.Chunks, len(qs), *model)
	if *markdown {
		err = report.WriteMarkdown(os.Stdout)
	} else {
		err = report.WriteText(os.Stdout)
	}
	if err != nil {
		return err
	}
	fmt.Println()
	for _, pair := range [][2]string{{"hybrid", "lexical"}, {"hybrid", "semantic"}} {
		for _, kind := range append([]string{""}, eval.Kinds...) {
			d, err := report.CompareMRR(pair[0], pair[1], kind)
			if err != nil {
				return err
			}
			label := "all"
			if kind != "" {
				label = kind
			}
			fmt.Printf("MRR@10 %s − %s (%s, %d queries): %+.3f [%+.3f, %+.3f]%s\n",
				pair[0], pair[1], label, d.N, d.Mean, d.Lo, d.Hi, verdict(d))
		}
	}
	if *perQuery {
		fmt.Println()
		return report.WritePerQuery(os.Stdout)
	}
	return nil
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

// prepareCorpus copies the corpus into work/pystdlib once; later runs
// reuse the copy (and so its index).
func prepareCorpus(src, work string) (string, error) {
	root := filepath.Join(work, "pystdlib")
	done := filepath.Join(work, "pystdlib.copied")
	if _, err := os.Stat(done); err == nil {
		return root, nil
	}
	if err := os.RemoveAll(root); err != nil {
		return "", err
	}
	if err := os.MkdirAll(work, 0o700); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "patina-eval: copying the corpus from %s\n", src)
	if err := eval.CopyCorpus(src, root); err != nil {
		return "", err
	}
	return root, os.WriteFile(done, nil, 0o600)
}

// fixedModel serves the one model the corpus was embedded with.
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
