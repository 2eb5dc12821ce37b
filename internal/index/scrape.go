package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/patina-dev/patina/internal/paths"
)

// Scrape defaults.
const (
	DefaultMaxFileSize = 1 << 20 // bytes
	DefaultBatchSize   = 200     // files per transaction
	DefaultMaxCommits  = 10000   // newest commits indexed
)

// racyWindow: a file whose recorded mtime is this close to when it was
// indexed may have changed again within the same timestamp tick, so its
// size and mtime alone cannot prove it unchanged; its content is hashed.
const racyWindow = 2 * time.Second

// binarySniff is how much of a file decides whether it is text.
const binarySniff = 8 << 10

// ScrapeOptions tune a scrape. The zero value is the default.
type ScrapeOptions struct {
	// MaxFileSize skips files larger than this many bytes (default 1 MiB).
	MaxFileSize int64
	// BatchSize is how many files each transaction covers (default 200).
	// An interrupted scrape keeps every batch it committed.
	BatchSize int
	// MaxCommits is how many of the newest commits reachable from HEAD
	// are indexed (default 10,000); negative indexes no commits.
	MaxCommits int
	// NoGit walks the directory even inside a git repository, and skips
	// the git log.
	NoGit bool
	// Workers read and split files in parallel (default GOMAXPROCS).
	Workers int
	// Embedder, if set, gives every chunk a vector once the text is
	// indexed (the "embed" phase): only chunks without one reach the
	// model, and vectors another model made are replaced.
	Embedder Embedder
	// DropEmbeddings removes every vector (with Embedder unset): a
	// project scraped text-only must not keep vectors that no longer
	// cover its chunks.
	DropEmbeddings bool
	// Progress, if set, is called from the scraping goroutine after each
	// batch, and once at the start of each phase.
	Progress func(Progress)
	// Rebuild builds the index afresh from the files, whatever the state
	// of the one in place (Scrape only; see rebuild). Scrape rebuilds an
	// index it finds damaged even without it.
	Rebuild bool
	// Damaged, if set, is called when Scrape finds the index damaged,
	// before it starts rebuilding it.
	Damaged func(*DamagedError)
}

// Progress reports a running scrape.
type Progress struct {
	Phase  string `json:"phase"`  // "files", "commits" or "embed"
	Done   int    `json:"done"`   // items of this phase done
	Total  int    `json:"total"`  // items in this phase
	Chunks int    `json:"chunks"` // chunks added so far, all phases
}

// Summary says what a scrape did.
type Summary struct {
	Root           string         `json:"root"`  // canonical project root
	Index          string         `json:"index"` // database file
	Git            bool           `json:"git"`   // files came from git ls-files
	FilesSeen      int            `json:"files_seen"`
	FilesIndexed   int            `json:"files_indexed"`   // new or changed, (re)split
	FilesUnchanged int            `json:"files_unchanged"` // same content as indexed
	FilesSkipped   int            `json:"files_skipped"`   // see Skipped
	FilesRemoved   int            `json:"files_removed"`   // gone, renamed away, or now skipped
	Skipped        map[string]int `json:"skipped_by_reason,omitempty"`
	ChunksAdded    int            `json:"chunks_added"`
	ChunksRemoved  int            `json:"chunks_removed"`
	CommitsAdded   int            `json:"commits_added"`
	CommitsRemoved int            `json:"commits_removed"` // no longer reachable or out of the window
	ChunksEmbedded int            `json:"chunks_embedded"`
	EmbeddingModel string         `json:"embedding_model,omitempty"` // set when the scrape embedded
	// Writes is the number of write transactions committed: 0 on a scrape
	// of an unchanged tree.
	Writes int `json:"write_transactions"`
	// Rebuilt is set when the index was built afresh: asked for, or the
	// old one was damaged (Damaged says how). SetAside is where a damaged
	// file or directory was moved (a symlink is only removed).
	Rebuilt  bool     `json:"rebuilt,omitempty"`
	Damaged  string   `json:"damaged,omitempty"`
	SetAside string   `json:"set_aside,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Duration is how long the scrape took.
	Duration   time.Duration `json:"-"`
	DurationMS int64         `json:"duration_ms"`
}

// Scrape indexes the project at root into its own index,
// paths.ProjectIndex(root), creating it if needed. It refuses a .patina or
// .patina/local that is a symlink (see paths.CheckProjectIndexDir).
//
// It first checks the index in place (Verify). One that is damaged (a
// symlink or a directory in its place included), or that the scrape finds
// damaged part-way, is rebuilt from the files as ScrapeOptions.Rebuild
// would, after opts.Damaged is told. See DB.Scrape and rebuild.
func Scrape(ctx context.Context, root string, opts ScrapeOptions) (Summary, error) {
	canon, err := canonicalRoot(root)
	if err != nil {
		return Summary{}, err
	}
	if err := paths.CheckProjectIndexDir(canon); err != nil {
		return Summary{}, fmt.Errorf("scrape: %w; remove the symlink (patina writes an index only inside the project)", err)
	}
	path := paths.ProjectIndex(canon)
	if err := ensureDir(filepath.Dir(path)); err != nil {
		return Summary{}, err
	}
	// Checked, rebuilt and scraped under the one lock: nobody else is
	// writing, so what Verify finds is the scrape's to repair.
	unlock, err := lockScrape(path + ".scrape-lock")
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	sweepRebuilds(path)

	var dmg *DamagedError
	switch err := verifyUnlessStamped(ctx, path); {
	case err == nil || errors.Is(err, ErrNoIndex):
	case errors.As(err, &dmg):
	default:
		return Summary{}, err
	}
	if dmg == nil && !opts.Rebuild {
		sum, err := scrapeAt(ctx, canon, path, opts)
		if err == nil {
			stampVerified(path)
		}
		if !errors.As(err, &dmg) || ctx.Err() != nil {
			return sum, err
		}
	}
	if dmg != nil && opts.Damaged != nil {
		opts.Damaged(dmg)
	}
	sum, err := rebuild(ctx, canon, path, dmg, opts)
	if err == nil {
		stampVerified(path)
	}
	return sum, err
}

// scrapeAt opens the index at path and scrapes root into it; the caller
// holds the scrape lock.
func scrapeAt(ctx context.Context, root, path string, opts ScrapeOptions) (Summary, error) {
	db, err := Open(path)
	if err != nil {
		return Summary{}, err
	}
	sum, err := db.scrape(ctx, root, opts)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("index: close: %w", cerr)
	}
	return sum, db.Diagnose(err)
}

// canonicalRoot resolves root the way the kernel would (absolute without
// lexical cleaning, then symlinks evaluated) and checks it is a directory.
func canonicalRoot(root string) (string, error) {
	abs := root
	if !filepath.IsAbs(root) {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("scrape: %w", err)
		}
		abs = wd + string(filepath.Separator) + root
	}
	canon, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("scrape: %w", err)
	}
	fi, err := os.Stat(canon)
	if err != nil {
		return "", fmt.Errorf("scrape: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("scrape: %s is not a directory", root)
	}
	return canon, nil
}

// Scrape brings the index up to date with the tree at root.
//
// Files come from git (tracked plus untracked-but-not-ignored, via git
// ls-files) when root is in a git work tree, else from a walk that honours
// .gitignore files and skips dot-directories and build output (dist,
// build, target). Either way it skips vendored directories (vendor,
// node_modules, third_party), .git and .patina, credentials by name (.env,
// keys, *.age) and by content (any file holding a private key or an age
// identity: see holdsPrivateKey), lock files, binaries (a NUL byte, or over 10% invalid UTF-8, in
// the first 8 KiB), files over MaxFileSize, and symlinks whose target
// leaves root. A file is re-split only when its content hash changed; its
// unchanged chunks (same kind, title and text) keep their rows, ids and
// embeddings. Files no longer present are removed (a rename is a removal
// plus an addition). Commit messages of the newest MaxCommits commits are
// indexed once each.
//
// Only one Scrape of an index runs at a time; another one, in this
// process or any other, fails at once with ErrScrapeRunning.
//
// Work is committed in batches of BatchSize files, so cancelling ctx (or
// killing the process) leaves every committed batch in place and the index
// usable; the next scrape finishes the job. A scrape of an unchanged tree
// writes nothing. On cancellation Scrape returns the partial summary and
// ctx.Err().
func (db *DB) Scrape(ctx context.Context, root string, opts ScrapeOptions) (Summary, error) {
	// One scrape per index at a time: a scrape plans from a snapshot of
	// the files table and assumes it is the only writer.
	unlock, err := lockScrape(db.path + ".scrape-lock")
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	return db.scrape(ctx, root, opts)
}

// scrape is Scrape with the lock already held. It ignores opts.Rebuild
// and opts.Damaged, which only the package-level Scrape acts on.
func (db *DB) scrape(ctx context.Context, root string, opts ScrapeOptions) (sum Summary, err error) {
	start := time.Now()
	defer func() {
		sum.Duration = time.Since(start)
		sum.DurationMS = sum.Duration.Milliseconds()
	}()
	if db.readOnly {
		return sum, errors.New("scrape: index opened read-only")
	}
	root, err = canonicalRoot(root)
	if err != nil {
		return sum, err
	}
	opts = opts.withDefaults()
	sum.Root, sum.Index = root, db.path
	s := &scraper{db: db, root: root, opts: opts, sum: &sum, now: start}

	var repo *gitRepo
	if !opts.NoGit {
		var note string
		repo, note, err = findGit(ctx, root)
		if err != nil {
			return sum, err
		}
		if note != "" {
			sum.Notes = append(sum.Notes, note)
		}
	}
	if err := s.files(ctx, repo); err != nil {
		return sum, err
	}
	if repo != nil && opts.MaxCommits > 0 {
		if err := s.commits(ctx, repo); err != nil {
			return sum, err
		}
	}
	// Text first, so a project is searchable lexically while (and even if
	// never) its embeddings are made.
	switch {
	case opts.Embedder != nil:
		if err := s.embed(ctx, opts.Embedder); err != nil {
			return sum, err
		}
	case opts.DropEmbeddings:
		if err := s.dropEmbeddings(ctx); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func (o ScrapeOptions) withDefaults() ScrapeOptions {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxCommits == 0 {
		o.MaxCommits = DefaultMaxCommits
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

type scraper struct {
	db   *DB
	root string
	opts ScrapeOptions
	sum  *Summary
	now  time.Time
	// recheck holds files that are read whatever their stat says: see
	// DB.keyHolders. Written before the workers start.
	recheck map[string]bool
}

// holdsKey is holdsPrivateKey; tests replace it to build an index the way
// a patina without the content check did.
var holdsKey = holdsPrivateKey

func (s *scraper) progress(phase string, done, total int) {
	if s.opts.Progress != nil {
		s.opts.Progress(Progress{Phase: phase, Done: done, Total: total, Chunks: s.sum.ChunksAdded})
	}
}

func (s *scraper) skip(reason string) {
	s.sum.FilesSkipped++
	if s.sum.Skipped == nil {
		s.sum.Skipped = map[string]int{}
	}
	s.sum.Skipped[reason]++
}

// fileRow is a files table row.
type fileRow struct {
	hash             string
	size, mtime, idx int64
}

func (s *scraper) files(ctx context.Context, repo *gitRepo) error {
	var (
		listed []string
		err    error
	)
	if repo != nil {
		s.sum.Git = true
		listed, err = gitFiles(ctx, s.root)
	} else {
		listed, err = walkFiles(ctx, s.root)
	}
	if err != nil {
		return fmt.Errorf("scrape: list files: %w", err)
	}
	sort.Strings(listed)

	// Drop what is never indexed by name; count the rest as seen.
	var files []string
	for _, rel := range listed {
		switch why := skipByName(rel); why {
		case "":
			files = append(files, rel)
		case skipDirName:
		default:
			s.sum.FilesSeen++
			s.skip(why)
		}
	}
	s.sum.FilesSeen += len(files)

	stored, err := s.db.loadFiles(ctx)
	if err != nil {
		return err
	}
	if s.recheck, err = s.db.keyHolders(ctx); err != nil {
		return err
	}
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[f] = true
	}
	var gone []string
	for p := range stored {
		if !keep[p] {
			gone = append(gone, p)
		}
	}
	sort.Strings(gone)
	for i := 0; i < len(gone); i += s.opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := gone[i:min(i+s.opts.BatchSize, len(gone))]
		err := s.write(ctx, func(w *batchWriter) error {
			for _, p := range batch {
				if err := w.removeFile(p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}

	// Reading and splitting batch n+1 overlaps writing batch n. The
	// deferred drain makes sure the reader goroutine has ended when
	// files returns, however it returns.
	type inspected struct {
		end     int
		results []fileResult
	}
	ready := make(chan inspected, 1)
	stop := make(chan struct{})
	go func() {
		defer close(ready)
		for i := 0; i < len(files); i += s.opts.BatchSize {
			batch := files[i:min(i+s.opts.BatchSize, len(files))]
			if ctx.Err() != nil {
				return
			}
			select {
			case ready <- inspected{i + len(batch), s.inspectAll(batch, stored)}:
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for range ready {
		}
	}()

	s.progress("files", 0, len(files))
	for b := range ready {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.writeFiles(ctx, b.results, stored); err != nil {
			return err
		}
		s.progress("files", b.end, len(files))
	}
	return ctx.Err()
}

// loadFiles reads the files table.
func (db *DB) loadFiles(ctx context.Context) (map[string]fileRow, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT path, hash, size, mtime, indexed_at FROM files`)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer rows.Close()
	m := map[string]fileRow{}
	for rows.Next() {
		var p string
		var r fileRow
		if err := rows.Scan(&p, &r.hash, &r.size, &r.mtime, &r.idx); err != nil {
			return nil, fmt.Errorf("scrape: %w", err)
		}
		m[p] = r
	}
	return m, rows.Err()
}

// keyMatch finds chunks that may hold private key material, as the
// tokenizer sees the markers holdsPrivateKey looks for.
const keyMatch = `"private key" OR "age secret key" OR "age plugin" OR "putty user key file"`

// keyHolders lists the indexed files with a chunk holding private key
// material. A scrape never indexes such a file, but one written by a
// patina without the content check may have: these files are read again
// whatever their size and mtime say, so the check finds and removes them.
func (db *DB) keyHolders(ctx context.Context) (map[string]bool, error) {
	rows, err := db.sql.QueryContext(ctx, `
		SELECT c.path, c.content FROM chunks_fts f JOIN chunks c ON c.id = f.rowid
		WHERE chunks_fts MATCH ? AND c.kind != 'commit'`, keyMatch)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer rows.Close()
	var m map[string]bool
	for rows.Next() {
		var p, content string
		if err := rows.Scan(&p, &content); err != nil {
			return nil, fmt.Errorf("scrape: %w", err)
		}
		if holdsKey([]byte(content)) {
			if m == nil {
				m = map[string]bool{}
			}
			m[p] = true
		}
	}
	return m, rows.Err()
}

// File states after inspection.
const (
	stUnchanged = iota // same stat, or same content and same stat
	stTouched          // same content, new mtime: only the files row changes
	stChanged          // new or different content: re-split
	stSkipped          // not indexable (reason says why)
	stGone             // listed (git's index) but deleted from the work tree
)

type fileResult struct {
	rel    string
	known  bool // the index has a row for it
	state  int
	reason string
	hash   string
	size   int64
	mtime  int64
	chunks []chunk
}

// inspectAll inspects a batch of files on opts.Workers goroutines; results
// come back in the batch's order.
func (s *scraper) inspectAll(batch []string, stored map[string]fileRow) []fileResult {
	out := make([]fileResult, len(batch))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(s.opts.Workers, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				prev, ok := stored[batch[i]]
				out[i] = s.inspect(batch[i], prev, ok)
			}
		}()
	}
	for i := range batch {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// inspect decides what to do with one file; it reads and splits it only
// when its size and mtime cannot prove it unchanged.
func (s *scraper) inspect(rel string, prev fileRow, known bool) fileResult {
	r := fileResult{rel: rel, known: known, state: stSkipped}
	full := filepath.Join(s.root, filepath.FromSlash(rel))
	fi, err := os.Lstat(full)
	if errors.Is(err, os.ErrNotExist) {
		r.state = stGone
		return r
	}
	if err != nil {
		r.reason = skipUnreadable
		return r
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, why := resolveInside(s.root, full)
		if why != "" {
			r.reason = why
			return r
		}
		if fi, err = os.Stat(target); err != nil {
			r.reason = skipUnreadable
			return r
		}
		full = target
	}
	if !fi.Mode().IsRegular() {
		r.reason = skipNotRegular
		return r
	}
	if fi.Size() > s.opts.MaxFileSize {
		r.reason = skipTooLarge
		return r
	}
	r.size, r.mtime = fi.Size(), fi.ModTime().UnixNano()
	racy := prev.mtime >= prev.idx-int64(racyWindow)
	if known && prev.size == r.size && prev.mtime == r.mtime && !racy && !s.recheck[rel] {
		r.state = stUnchanged
		return r
	}
	f, err := os.Open(full)
	if err != nil {
		r.reason = skipUnreadable
		return r
	}
	data, err := io.ReadAll(io.LimitReader(f, s.opts.MaxFileSize+1))
	f.Close()
	if err != nil {
		r.reason = skipUnreadable
		return r
	}
	if int64(len(data)) > s.opts.MaxFileSize {
		r.reason = skipTooLarge
		return r
	}
	if why := contentSkip(data); why != "" {
		r.reason = why
		return r
	}
	sum := sha256.Sum256(data)
	r.hash = hex.EncodeToString(sum[:])
	if known && prev.hash == r.hash {
		r.state = stUnchanged
		if prev.mtime != r.mtime || prev.size != r.size {
			r.state = stTouched
		}
		return r
	}
	r.state = stChanged
	text := strings.ToValidUTF8(string(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))), "\uFFFD")
	r.chunks = splitFile(rel, text)
	return r
}

// looksBinary: a NUL byte in the first 8 KiB, or more than 10% of it not
// UTF-8 (a rune cut by the 8 KiB boundary does not count).
func looksBinary(data []byte) bool {
	head := data[:min(len(data), binarySniff)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	bad := 0
	for i := 0; i < len(head); {
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n == 1 && !(len(head) < len(data) && len(head)-i < utf8.UTFMax) {
			bad++
		}
		i += n
	}
	return bad*10 > len(head)
}

func (s *scraper) writeFiles(ctx context.Context, results []fileResult, stored map[string]fileRow) error {
	dirty := false
	for _, r := range results {
		switch r.state {
		case stUnchanged:
			s.sum.FilesUnchanged++
		case stTouched:
			s.sum.FilesUnchanged++
			dirty = true
		case stChanged:
			s.sum.FilesIndexed++
			dirty = true
		case stSkipped:
			s.skip(r.reason)
			if _, ok := stored[r.rel]; ok {
				dirty = true
			}
		case stGone:
			s.sum.FilesSeen--
			if _, ok := stored[r.rel]; ok {
				dirty = true
			}
		}
	}
	if !dirty {
		return nil
	}
	return s.write(ctx, func(w *batchWriter) error {
		for _, r := range results {
			var err error
			switch r.state {
			case stTouched:
				err = w.touchFile(r)
			case stChanged:
				err = w.replaceFile(r)
			case stSkipped, stGone:
				if _, ok := stored[r.rel]; ok {
					err = w.removeFile(r.rel)
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", r.rel, err)
			}
		}
		return nil
	})
}

// write runs fn in one transaction and folds its counts into the summary
// only once the transaction has committed.
func (s *scraper) write(ctx context.Context, fn func(*batchWriter) error) error {
	w := &batchWriter{ctx: ctx, now: time.Now().UnixNano()}
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		w.tx = tx
		defer w.closeStmts()
		return fn(w)
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("scrape: %w", err)
	}
	s.sum.Writes++
	s.sum.ChunksAdded += w.added
	s.sum.ChunksRemoved += w.removed
	s.sum.FilesRemoved += w.filesRemoved
	s.sum.CommitsAdded += w.commitsAdded
	s.sum.CommitsRemoved += w.commitsRemoved
	s.sum.ChunksEmbedded += w.embedded
	return nil
}

func (s *scraper) commits(ctx context.Context, repo *gitRepo) error {
	hashes, err := gitCommits(ctx, s.root, repo, s.opts.MaxCommits)
	if err != nil {
		return fmt.Errorf("scrape: %w", err)
	}
	known := map[string]bool{}
	rows, err := s.db.sql.QueryContext(ctx, `SELECT hash FROM commits`)
	if err != nil {
		return fmt.Errorf("scrape: %w", err)
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return fmt.Errorf("scrape: %w", err)
		}
		known[h] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scrape: %w", err)
	}

	want := make(map[string]bool, len(hashes))
	var fresh []string
	for i := len(hashes) - 1; i >= 0; i-- { // oldest first: ids follow history
		want[hashes[i]] = true
		if !known[hashes[i]] {
			fresh = append(fresh, hashes[i])
		}
	}
	var gone []string
	for h := range known {
		if !want[h] {
			gone = append(gone, h)
		}
	}
	sort.Strings(gone)
	if len(gone) > 0 {
		err := s.write(ctx, func(w *batchWriter) error {
			for _, h := range gone {
				if err := w.removeCommit(h); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	s.progress("commits", 0, len(fresh))
	for i := 0; i < len(fresh); i += s.opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := fresh[i:min(i+s.opts.BatchSize, len(fresh))]
		cs, err := gitMessages(ctx, s.root, batch)
		if err != nil {
			return fmt.Errorf("scrape: %w", err)
		}
		err = s.write(ctx, func(w *batchWriter) error {
			for _, c := range cs {
				if err := w.addCommit(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.progress("commits", i+len(batch), len(fresh))
	}
	return nil
}
