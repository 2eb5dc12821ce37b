package eval

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// table is one titled table of a report.
type table struct {
	title  string
	header []string
	rows   [][]string
}

// tables lays the report out: the metrics of every system over all
// queries, then over each kind, then the paired differences in MRR@10 of
// every later system against every earlier one (with lexical, semantic,
// hybrid in that order: semantic − lexical, hybrid − lexical, hybrid −
// semantic).
func (r *Report) tables() []table {
	var ts []table
	metricsTable := func(title, kind string) {
		t := table{title: title, header: []string{"system"}}
		for _, m := range Metrics {
			t.header = append(t.header, m.String())
		}
		for _, s := range r.Systems {
			row := []string{s.System}
			for _, m := range Metrics {
				iv, _ := r.Summary(s.System, kind, m) // s is one of r's systems
				row = append(row, iv.cell())
			}
			t.rows = append(t.rows, row)
		}
		ts = append(ts, t)
	}
	metricsTable(fmt.Sprintf("All queries (n=%d)", len(r.Queries)), "")
	kinds := r.kindsPresent()
	for _, k := range kinds {
		metricsTable(fmt.Sprintf("%s queries (n=%d)", k, len(r.subset(k))), k)
	}
	if len(r.Systems) > 1 {
		t := table{title: "Paired difference in MRR@10", header: []string{"systems", "all"}}
		t.header = append(t.header, kinds...)
		for j := 1; j < len(r.Systems); j++ {
			for i := 0; i < j; i++ {
				a, b := r.Systems[j].System, r.Systems[i].System
				row := []string{a + " − " + b}
				for _, k := range append([]string{""}, kinds...) {
					iv, _ := r.CompareMRR(a, b, k)
					row = append(row, iv.diffCell())
				}
				t.rows = append(t.rows, row)
			}
		}
		ts = append(ts, t)
	}
	return ts
}

// footnote explains the figures under every printed report.
func footnote() string {
	return fmt.Sprintf("R@k: share of queries with an expected file among the first k distinct result files. "+
		"MRR@10: mean of 1/rank of the first expected file, 0 beyond rank %d. "+
		"Brackets: %.0f%% percentile bootstrap interval over queries (%d resamples, seed %#x); "+
		"a paired difference whose interval excludes 0 is beyond resampling noise.",
		MaxRank, Confidence*100, Resamples, Seed)
}

// WriteText writes the report as aligned plain text, for a terminal or a
// README code block.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, t := range r.tables() {
		b.WriteString(t.title + "\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, row := range append([][]string{t.header}, t.rows...) {
			fmt.Fprintln(tw, "  "+strings.Join(row, "\t"))
		}
		tw.Flush()
		b.WriteString("\n")
	}
	b.WriteString(footnote() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as Markdown tables.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	for _, t := range r.tables() {
		fmt.Fprintf(&b, "**%s**\n\n", t.title)
		b.WriteString("| " + strings.Join(t.header, " | ") + " |\n")
		b.WriteString("|" + strings.Repeat(" --- |", len(t.header)) + "\n")
		for _, row := range t.rows {
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
		b.WriteString("\n")
	}
	b.WriteString(footnote() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WritePerQuery writes one line per query: its id, kind and each system's
// rank ("-" when not found in the top MaxRank), then the query, to see
// which questions a system misses.
func (r *Report) WritePerQuery(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	head := []string{"id", "kind"}
	for _, s := range r.Systems {
		head = append(head, s.System)
	}
	fmt.Fprintln(tw, strings.Join(append(head, "query"), "\t"))
	for i, q := range r.Queries {
		row := []string{q.ID, q.Kind}
		for _, s := range r.Systems {
			rank := "-"
			if s.Ranks[i] > 0 {
				rank = strconv.Itoa(s.Ranks[i])
			}
			row = append(row, rank)
		}
		fmt.Fprintln(tw, strings.Join(append(row, q.Text), "\t"))
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}
