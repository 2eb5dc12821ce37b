package eval

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// MaxRank is the depth of the evaluation: a query whose expected files are
// all beyond this many distinct files counts as not found.
const MaxRank = 10

// Bootstrap settings; fixed so that the output is reproducible.
const (
	Resamples  = 2000
	Seed       = 0x9a71a // any constant will do; changing it changes the intervals slightly
	Confidence = 0.95
)

// Ranking is one system's answer to one query: result file paths relative
// to the corpus root, best first. Paths are compared after filepath.ToSlash
// and path.Clean, so "./a.py" matches "a.py". Since one file often yields
// several results (chunks), a runner should ask for more than MaxRank
// results to rank MaxRank distinct files; extra files are ignored.
type Ranking []string

// Rank returns the 1-based rank of the first of q's expected files among
// the distinct files of r (a repeated file counts at its first position
// only), or 0 when none is among the first MaxRank distinct files.
func Rank(q Query, r Ranking) int {
	seen := make(map[string]bool, MaxRank)
	for _, p := range r {
		p = path.Clean(filepath.ToSlash(p))
		if seen[p] {
			continue
		}
		seen[p] = true
		if len(seen) > MaxRank {
			return 0
		}
		if slices.ContainsFunc(q.Expected, func(e string) bool { return matches(e, p) }) {
			return len(seen)
		}
	}
	return 0
}

// matches reports whether result path p is the expected place e: the same
// path, or, for a commit, a short hash the full one starts with.
func matches(e, p string) bool {
	if e == p {
		return true
	}
	full, ok := strings.CutPrefix(e, "git:")
	short, ok2 := strings.CutPrefix(p, "git:")
	return ok && ok2 && len(short) >= 7 && strings.HasPrefix(full, short)
}

// Metric is one of the reported figures.
type Metric int

// The metrics, in the order tables show them.
const (
	R1 Metric = iota
	R5
	R10
	MRR10
)

// Metrics lists every Metric in table order.
var Metrics = []Metric{R1, R5, R10, MRR10}

func (m Metric) String() string {
	switch m {
	case R1:
		return "R@1"
	case R5:
		return "R@5"
	case R10:
		return "R@10"
	case MRR10:
		return "MRR@10"
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

// Value is the metric's value for one query at rank (0 = not found); the
// metric over a set of queries is the mean of these.
func (m Metric) Value(rank int) float64 {
	if rank < 1 || rank > MaxRank {
		return 0
	}
	k := 0
	switch m {
	case R1:
		k = 1
	case R5:
		k = 5
	case R10:
		k = 10
	case MRR10:
		return 1 / float64(rank)
	}
	if rank <= k {
		return 1
	}
	return 0
}

// Run is one system's rankings, one per query in the order of the queries.
type Run struct {
	System   string
	Rankings []Ranking
}

// SystemRanks is one system's rank (as Rank) for each query.
type SystemRanks struct {
	System string
	Ranks  []int
}

// Report is every system's per-query ranks over a query set, from which
// the tables and comparisons are computed.
type Report struct {
	Queries []Query
	Systems []SystemRanks // in the order of the runs
}

// Score ranks every query of every run. Each run must have exactly one
// ranking per query, in the order of qs, and a distinct, non-empty name.
func Score(qs []Query, runs []Run) (*Report, error) {
	if len(qs) == 0 {
		return nil, errors.New("score: no queries")
	}
	if len(runs) == 0 {
		return nil, errors.New("score: no runs")
	}
	r := &Report{Queries: qs}
	for _, run := range runs {
		switch {
		case run.System == "":
			return nil, errors.New("score: a run has no system name")
		case r.system(run.System) != nil:
			return nil, fmt.Errorf("score: system %q appears twice", run.System)
		case len(run.Rankings) != len(qs):
			return nil, fmt.Errorf("score: system %q has %d rankings for %d queries", run.System, len(run.Rankings), len(qs))
		}
		s := SystemRanks{System: run.System, Ranks: make([]int, len(qs))}
		for i, q := range qs {
			s.Ranks[i] = Rank(q, run.Rankings[i])
		}
		r.Systems = append(r.Systems, s)
	}
	return r, nil
}

func (r *Report) system(name string) *SystemRanks {
	for i := range r.Systems {
		if r.Systems[i].System == name {
			return &r.Systems[i]
		}
	}
	return nil
}

// subset returns the indexes of the queries of kind, or of all queries when
// kind is "".
func (r *Report) subset(kind string) []int {
	var idx []int
	for i, q := range r.Queries {
		if kind == "" || q.Kind == kind {
			idx = append(idx, i)
		}
	}
	return idx
}

// values returns system's per-query values of m over the queries of kind
// ("" = all).
func (r *Report) values(system, kind string, m Metric) ([]float64, error) {
	s := r.system(system)
	if s == nil {
		return nil, fmt.Errorf("no system %q", system)
	}
	var v []float64
	for _, i := range r.subset(kind) {
		v = append(v, m.Value(s.Ranks[i]))
	}
	return v, nil
}

// Summary returns system's m over the queries of kind ("" = all) with its
// bootstrap interval.
func (r *Report) Summary(system, kind string, m Metric) (Interval, error) {
	v, err := r.values(system, kind, m)
	if err != nil {
		return Interval{}, err
	}
	return Bootstrap(v), nil
}

// CompareMRR returns MRR@10 of system a minus that of system b over the
// queries of kind ("" = all), with its paired bootstrap interval.
func (r *Report) CompareMRR(a, b, kind string) (Interval, error) {
	va, err := r.values(a, kind, MRR10)
	if err != nil {
		return Interval{}, err
	}
	vb, err := r.values(b, kind, MRR10)
	if err != nil {
		return Interval{}, err
	}
	return PairedBootstrap(va, vb)
}

// Interval is a mean over queries with the bounds of its bootstrap
// interval. All three are NaN over no queries.
type Interval struct {
	N            int // queries
	Mean, Lo, Hi float64
}

// Bootstrap returns the mean of values with its Confidence percentile
// bootstrap interval from Resamples resamples drawn from Seed. The
// resampled indexes depend only on len(values), so vectors of the same
// length (the same queries under different systems or metrics) are
// resampled identically.
func Bootstrap(values []float64) Interval {
	n := len(values)
	if n == 0 {
		nan := math.NaN()
		return Interval{Mean: nan, Lo: nan, Hi: nan}
	}
	rng := rand.New(rand.NewPCG(Seed, uint64(n)))
	means := make([]float64, Resamples)
	for b := range means {
		sum := 0.0
		for range n {
			sum += values[rng.IntN(n)]
		}
		means[b] = sum / float64(n)
	}
	slices.Sort(means)
	tail := (1 - Confidence) / 2
	return Interval{N: n, Mean: mean(values), Lo: quantile(means, tail), Hi: quantile(means, 1-tail)}
}

// PairedBootstrap returns the mean of a[i]-b[i], two systems' values over
// the same queries, with its bootstrap interval: each resample draws
// queries, not systems, so the interval reflects how consistently one
// system beats the other query by query.
func PairedBootstrap(a, b []float64) (Interval, error) {
	if len(a) != len(b) {
		return Interval{}, fmt.Errorf("paired bootstrap: %d values against %d", len(a), len(b))
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return Bootstrap(d), nil
}

func mean(v []float64) float64 {
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// quantile is the q-quantile of sorted, interpolating linearly between
// order statistics (R's and NumPy's default).
func quantile(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	i := int(h)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

// kindsPresent returns the Kinds that some query has, in table order.
func (r *Report) kindsPresent() []string {
	var ks []string
	for _, k := range Kinds {
		if len(r.subset(k)) > 0 {
			ks = append(ks, k)
		}
	}
	return ks
}

// cell formats a metric as "0.62 [0.50–0.74]".
func (iv Interval) cell() string {
	if iv.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f [%.2f–%.2f]", iv.Mean, iv.Lo, iv.Hi)
}

// diffCell formats a difference as "+0.08 [+0.02, +0.14]".
func (iv Interval) diffCell() string {
	if iv.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s [%s, %s]", signed(iv.Mean), signed(iv.Lo), signed(iv.Hi))
}

func signed(x float64) string {
	if s := fmt.Sprintf("%+.2f", x); s != "-0.00" {
		return s
	}
	return "+0.00"
}
