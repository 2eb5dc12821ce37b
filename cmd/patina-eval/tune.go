package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/patina-dev/patina/internal/eval"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/scry"
)

func defaultRanking() *scry.Ranking { return scry.DefaultRanking.Clone() }

// config is what the tuner varies: the ranking and the BM25 column weights.
type config struct {
	rk      *scry.Ranking
	columns []float64
}

func (c config) clone() config { return config{c.rk.Clone(), slices.Clone(c.columns)} }

// knob is one parameter and the values the tuner tries for it.
type knob struct {
	name   string
	values []float64
	get    func(config) float64
	set    func(config, float64)
}

func knobs() []knob {
	var ks []knob
	ks = append(ks, knob{"K", []float64{3, 5, 10, 20, 40, 60},
		func(c config) float64 { return c.rk.K }, func(c config, v float64) { c.rk.K = v }})
	ks = append(ks, knob{"CommitK", []float64{1, 2, 5, 10, 30},
		func(c config) float64 { return c.rk.CommitK }, func(c config, v float64) { c.rk.CommitK = v }})
	ks = append(ks, knob{"ExpandCommits", []float64{1, 3, 5, 10, 30},
		func(c config) float64 { return float64(c.rk.ExpandCommits) }, func(c config, v float64) { c.rk.ExpandCommits = int(v) }})
	ks = append(ks, knob{"Decay", []float64{0, 0.25, 0.5, 0.75, 1},
		func(c config) float64 { return c.rk.Decay }, func(c config, v float64) { c.rk.Decay = v }})
	for _, in := range scry.Intents {
		for _, list := range []string{scry.ModeSemantic, scry.ModeHistory} {
			ks = append(ks, knob{fmt.Sprintf("weight %s %s", in, list), []float64{0, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2},
				func(c config) float64 { return c.rk.Weights[in][list] }, func(c config, v float64) { c.rk.Weights[in][list] = v }})
		}
		for _, role := range scry.Roles {
			if role == scry.RoleCode {
				continue // the others are relative to it
			}
			ks = append(ks, knob{fmt.Sprintf("prior %s %s", in, role), []float64{0.2, 0.35, 0.5, 0.6, 0.7, 0.85, 1, 1.2},
				func(c config) float64 { return c.rk.Priors[in][role] }, func(c config, v float64) { c.rk.Priors[in][role] = v }})
		}
	}
	for i, col := range index.Columns {
		if col == "content" {
			continue // the others are relative to it
		}
		ks = append(ks, knob{"column " + col, []float64{0, 0.25, 0.5, 1, 1.5, 2, 3, 5},
			func(c config) float64 { return c.columns[i] }, func(c config, v float64) { c.columns[i] = v }})
	}
	return ks
}

// tuneRanking searches the parameters by coordinate ascent on the tuning
// halves: each knob in turn is set to the value that most raises the mean,
// over the hand-labelled sets, of the default mode's MRR@10, until a pass
// changes nothing. It never looks at a test half, nor at a generated set
// (patinalog asks for exactly the files expansion returns).
func tuneRanking(ctx context.Context, ps []*prepared, models scry.Models) error {
	score := func(c config) (float64, error) {
		sum, n := 0.0, 0
		for _, p := range ps {
			if p.set.Generated {
				continue // made from what expansion returns by construction
			}
			n++
			s := system{name: "x", mode: scry.ModeHybrid, lexical: scry.Lexical{ColumnWeights: c.columns}}
			run, err := ask(ctx, p, s, c.rk, models, p.tune)
			if err != nil {
				return 0, err
			}
			rep, err := eval.Score(p.tune, []eval.Run{run})
			if err != nil {
				return 0, err
			}
			iv, _ := rep.Summary("x", "", eval.MRR10)
			sum += iv.Mean
		}
		return sum / float64(max(n, 1)), nil
	}
	best := config{defaultRanking(), slices.Clone(index.DefaultColumnWeights)}
	bestScore, err := score(best)
	if err != nil {
		return err
	}
	fmt.Printf("start: mean tuning-half MRR@10 %.4f\n", bestScore)
	for pass := 1; pass <= 4; pass++ {
		changed := false
		for _, k := range knobs() {
			cur := k.get(best)
			for _, v := range k.values {
				if v == cur {
					continue
				}
				c := best.clone()
				k.set(c, v)
				s, err := score(c)
				if err != nil {
					return err
				}
				if s > bestScore+0.005 {
					fmt.Printf("pass %d: %s %g → %g: %.4f\n", pass, k.name, k.get(best), v, s)
					best, bestScore, changed = c, s, true
				}
			}
		}
		if !changed {
			break
		}
	}
	fmt.Fprintf(os.Stdout, "best: %.4f\n  ranking %+v\n  columns %v\n", bestScore, *best.rk, best.columns)
	return nil
}
