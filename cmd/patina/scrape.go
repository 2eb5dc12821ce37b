package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
)

// exitInterrupted is the exit code after SIGINT, as a shell reports it
// (128 + signal 2).
const exitInterrupted = 130

func scrapeVerb() *verb {
	v := &verb{name: "scrape", summary: "index a project (text, code, git log) and register it"}
	v.run = func(args []string) error {
		fs := flags("scrape")
		asJSON := fs.BoolP("json", "j", false, "print the summary as JSON")
		name := fs.String("name", "", "register the project under `NAME` (default: the directory's name)")
		noEmbed := fs.Bool("no-embed", false, "index text only, dropping any embeddings: scry of this project is lexical")
		model := fs.String("model", embed.DefaultModel, "embed with the model called `NAME` (see patina model list; default: the one the project already uses, else "+embed.DefaultModel+")")
		rebuild := fs.Bool("rebuild", false, "build the index afresh from the files, replacing the old one only once the new one is complete")
		if err := parse(fs, "scrape [PATH] [--json] [--name NAME] [--no-embed | --model NAME] [--rebuild]", v.summary+`.

PATH defaults to the project holding the current directory (the nearest
directory with .git or .patina), else the current directory. The index is
PATH/.patina/local/index.db; only new or changed files are re-indexed, and
a scrape of an unchanged tree writes nothing. Interrupting a scrape keeps
every batch it finished: run it again to complete it.

Scrape first checks the index (PRAGMA quick_check). A damaged one (a file
SQLite cannot read, an empty file, a directory or a symlink in its place)
is rebuilt from the files, and scrape says so: a damaged file or directory
is kept as index.db.damaged-TIME beside it, a symlink is removed (never
its target). --rebuild does the same for a sound index. A rebuild makes
the new index in a file of its own and puts it in place only once it is
complete, so scry keeps answering from the old one meanwhile, and an
interrupted rebuild leaves the old one as it was.

Text is indexed first, then every chunk without an embedding is embedded
(only new and changed chunks; all of them when the model changed). If the
model cannot be loaded (not provisioned, a file whose SHA-256 does not
match, no ONNX Runtime) the text index is still made and scry of the
project is lexical, but scrape reports the error and exits 1.

Exit status: 0 done; 1 error (embeddings included); 2 usage; 130
interrupted.`, args); err != nil {
			return err
		}
		if *noEmbed && fs.Changed("model") {
			return usagef("give --no-embed or --model, not both")
		}

		root, err := projectArgs("scrape", fs.Args(), *name)
		if err != nil {
			return err
		}
		m := modelChoice{name: *model, given: fs.Changed("model"), none: *noEmbed}
		return scrape(root, *name, m, *rebuild, *asJSON)
	}
	return v
}

// projectArgs checks the [PATH] and --name of scrape and projects add, and
// returns the project directory (see scrapeRoot).
func projectArgs(verb string, args []string, name string) (string, error) {
	if len(args) > 1 {
		return "", usagef("%s takes at most one PATH (got %d)", verb, len(args))
	}
	if name != "" {
		if err := projects.ValidName(name); err != nil {
			return "", usagef("--name: %v", err)
		}
	}
	var arg string
	if len(args) == 1 {
		arg = args[0]
	}
	return scrapeRoot(arg)
}

// scrapeRoot is PATH as given, or else the project root holding the
// current directory, or else the current directory.
func scrapeRoot(arg string) (string, error) {
	if arg != "" {
		fi, err := os.Stat(arg)
		if err != nil {
			return "", fmt.Errorf("scrape %s: %w", arg, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("scrape %s: not a directory", arg)
		}
		return arg, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if root, err := projects.FindRoot(wd); err == nil {
		return root, nil
	}
	return wd, nil
}

// modelChoice is what the command line says about embeddings.
type modelChoice struct {
	name  string // --model, or its default
	given bool   // --model was on the command line
	none  bool   // --no-embed
}

// pick is the model to embed root's index with: the one asked for, else
// the one the index already uses (a plain re-scrape must not swap a
// model the user chose for the default), else the default.
func (c modelChoice) pick(root string) string {
	if c.none || c.given {
		return c.name
	}
	db, err := index.OpenReadOnly(paths.ProjectIndex(root))
	if err != nil {
		return c.name
	}
	defer db.Close()
	if name, _, err := db.EmbeddingModel(context.Background()); err == nil && name != "" {
		return name
	}
	return c.name
}

// scrape indexes root, embedding as m says, building the index afresh
// when rebuild is set or the index is damaged.
func scrape(root, name string, m modelChoice, rebuild, asJSON bool) error {
	reg, err := projects.Default()
	if err != nil {
		return err
	}
	// Register first: a name clash fails before any work, and an
	// interrupted scrape leaves a registered, usable (partial) index.
	p, added, err := reg.Add(root, name)
	if err != nil {
		if errors.Is(err, projects.ErrExists) {
			return withHint(err, "pick another --name, or `patina projects remove NAME` first")
		}
		return err
	}
	if added {
		fmt.Fprintf(os.Stderr, "patina: registered project %s (%s)\n", p.Name, p.Path)
	}
	ctx, stop := interruptible()
	defer stop()
	err = scrapeIndex(ctx, p.Name, p.Path, m, rebuild, asJSON)
	var ie interruptedError
	if errors.As(err, &ie) {
		if ie.rebuilding {
			fmt.Fprintln(os.Stderr, "patina: interrupted: the rebuild was abandoned and the index is as it was; run scrape again to rebuild it")
		} else {
			fmt.Fprintln(os.Stderr, "patina: interrupted: the index holds every completed batch; run scrape again to finish")
		}
		return exitError{exitInterrupted}
	}
	return err
}

// interruptible is a context that SIGINT and SIGTERM cancel; a second
// Ctrl-C kills at once (a scrape's committed batches survive that too).
func interruptible() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	return ctx, stop
}

// interruptedError is a scrape that ctx stopped; rebuilding says it was
// building the index afresh (so the old one is left as it was).
type interruptedError struct{ rebuilding bool }

func (e interruptedError) Error() string { return "interrupted" }

// errNoEmbeddings is wrapped by a scrape that made the text index but no
// vectors (the model could not be loaded).
var errNoEmbeddings = errors.New("embeddings not made")

// scrapeIndex indexes the directory root, registered (or about to be) as
// name, embedding as m says, building the index afresh when rebuild is
// set or the index is damaged, and prints the summary.
func scrapeIndex(ctx context.Context, name, root string, m modelChoice, rebuild, asJSON bool) error {
	p := projects.Project{Name: name, Path: root}
	opts := index.ScrapeOptions{Rebuild: rebuild}
	opts.Damaged = func(d *index.DamagedError) {
		rebuild = true
		fmt.Fprintf(os.Stderr, "patina: note: the index of %s was damaged (%s); rebuilding it from the files\n", p.Name, d.Reason)
	}
	// The model is found now (a missing one is known at once) but opened
	// only when a chunk needs a vector: an unchanged re-scrape never loads
	// it. The text is indexed either way.
	var modelErr error
	var lazy *knowledge.LazyEmbedder
	opts.DropEmbeddings = m.none
	if !m.none {
		e, err := knowledge.FindModel(m.pick(p.Path))
		if err != nil {
			modelErr = err
		} else {
			defer e.Close()
			lazy = e
			opts.Embedder = e
		}
	}
	var bar *progressBar
	if term.IsTerminal(int(os.Stderr.Fd())) {
		bar = newProgressBar(os.Stderr)
		opts.Progress = bar.update
	}
	sum, err := index.Scrape(ctx, p.Path, opts)
	if bar != nil {
		bar.clear()
	}
	if lazy != nil && lazy.OpenErr() != nil && errors.Is(err, lazy.OpenErr()) {
		// The text index is complete; only the vectors are missing.
		modelErr, err = lazy.OpenErr(), nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return interruptedError{rebuild}
		}
		if errors.Is(err, index.ErrScrapeRunning) {
			return withHint(err, "wait for the other scrape of "+p.Path+" to finish")
		}
		return err
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(os.Stderr, "patina: note: %s\n", oneLine(n))
	}
	if sum.SetAside != "" {
		fmt.Fprintf(os.Stderr, "patina: note: the damaged index is kept as %s; delete it once you no longer need it\n", sum.SetAside)
	}
	if asJSON {
		b, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return err
		}
		os.Stdout.Write(append(b, '\n'))
	} else {
		fmt.Println(summaryLine(p.Name, sum))
	}
	if modelErr != nil {
		return withHint(fmt.Errorf("%w: %w", errNoEmbeddings, modelErr),
			"the text index of "+p.Name+" is complete and scry of it is lexical; fix the model and scrape again, or use --no-embed")
	}
	return nil
}

// summaryLine is the one-line account of a scrape.
func summaryLine(name string, s index.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scraped %s: %d files indexed, %d unchanged, %d removed, %d skipped", name,
		s.FilesIndexed, s.FilesUnchanged, s.FilesRemoved, s.FilesSkipped)
	if len(s.Skipped) > 0 {
		reasons := make([]string, 0, len(s.Skipped))
		for r, n := range s.Skipped {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
		sort.Strings(reasons)
		fmt.Fprintf(&b, " (%s)", strings.Join(reasons, ", "))
	}
	fmt.Fprintf(&b, "; chunks +%d -%d", s.ChunksAdded, s.ChunksRemoved)
	if s.EmbeddingModel != "" {
		fmt.Fprintf(&b, "; %d embedded (%s)", s.ChunksEmbedded, s.EmbeddingModel)
	}
	if s.Git {
		fmt.Fprintf(&b, "; commits +%d -%d", s.CommitsAdded, s.CommitsRemoved)
	}
	if s.Rebuilt {
		b.WriteString("; rebuilt")
	}
	if s.Writes == 0 {
		b.WriteString("; nothing written")
	}
	fmt.Fprintf(&b, "; %s", s.Duration.Round(time.Millisecond))
	return b.String()
}

// progressBar draws a scrape's progress on one terminal line, at most
// every redrawEvery (and always at the start and end of a phase).
type progressBar struct {
	w          io.Writer
	width      int
	last       time.Time
	phase      string
	phaseStart time.Time
	drawn      bool
	now        func() time.Time
}

const redrawEvery = 100 * time.Millisecond

func newProgressBar(w io.Writer) *progressBar {
	width := 80
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			width = cols
		}
	}
	return &progressBar{w: w, width: width, now: time.Now}
}

func (b *progressBar) update(p index.Progress) {
	now := b.now()
	if p.Phase != b.phase {
		b.phase, b.phaseStart = p.Phase, now
	} else if now.Sub(b.last) < redrawEvery && p.Done < p.Total {
		return
	}
	b.last = now
	line := progressLine(p, now.Sub(b.phaseStart), b.width-1)
	fmt.Fprintf(b.w, "\r%s\x1b[K", line)
	b.drawn = true
}

// clear wipes the bar so the next output starts on a clean line.
func (b *progressBar) clear() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn = false
	}
}

// progressLine renders p, elapsed into its phase, in at most width
// columns: "files  1200/10000 [=====>    ] 12%  chunks 3600  850/s  ETA 10s".
func progressLine(p index.Progress, elapsed time.Duration, width int) string {
	pct := 0.0
	if p.Total > 0 {
		pct = float64(p.Done) / float64(p.Total)
	}
	stats := fmt.Sprintf(" %3.0f%%  chunks %d", pct*100, p.Chunks)
	if secs := elapsed.Seconds(); secs > 0.2 && p.Done > 0 {
		rate := float64(p.Done) / secs
		stats += fmt.Sprintf("  %.0f %s/s", rate, p.Phase)
		if p.Done < p.Total {
			eta := time.Duration(float64(p.Total-p.Done) / rate * float64(time.Second))
			stats += "  ETA " + eta.Round(time.Second).String()
		}
	}
	head := fmt.Sprintf("%-7s %d/%d ", p.Phase, p.Done, p.Total)
	barWidth := min(40, width-len(head)-len(stats)-2)
	if barWidth < 5 {
		line := head + stats
		if len(line) > width {
			line = line[:width]
		}
		return line
	}
	filled := int(pct * float64(barWidth))
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	return head + "[" + bar + "]" + stats
}
