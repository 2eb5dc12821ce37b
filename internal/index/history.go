package index

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// What git history says about files: which files a commit touched (so a
// commit that matches a query can rank them) and which files change
// together (the files to look at beside one you are changing).

// Touched is what one commit chunk changed.
type Touched struct {
	// Files are the files it touched that the index still holds, in
	// path order.
	Files []string
	// FilesChanged is how many files it touched in all, indexed or not.
	FilesChanged int
}

// TouchedBy returns, for each of the given commit chunks, the files the
// commit touched. Chunks that are not commits are left out.
func (db *DB) TouchedBy(ctx context.Context, chunkIDs []int64) (map[int64]Touched, error) {
	out := map[int64]Touched{}
	if len(chunkIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(chunkIDs))
	for i, id := range chunkIDs {
		args[i] = id
	}
	rows, err := db.sql.QueryContext(ctx, `
		SELECT c.chunk_id, c.files_changed, cf.path
		FROM commits c JOIN commit_files cf ON cf.hash = c.hash JOIN files f ON f.path = cf.path
		WHERE c.chunk_id IN (`+placeholders(len(args))+`)
		ORDER BY c.chunk_id, cf.path`, args...)
	if err != nil {
		return nil, searchErr(ctx, db, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		var p string
		if err := rows.Scan(&id, &n, &p); err != nil {
			return nil, searchErr(ctx, db, err)
		}
		t := out[id]
		t.Files = append(t.Files, p)
		t.FilesChanged = n
		out[id] = t
	}
	if err := rows.Err(); err != nil {
		return nil, searchErr(ctx, db, err)
	}
	return out, nil
}

// FileHeads returns, for each given path the index holds, a hit standing
// for the whole file: its first chunk, without a snippet or score. It
// gives a file found only through history something to show.
func (db *DB) FileHeads(ctx context.Context, paths []string) (map[string]Hit, error) {
	out := map[string]Hit{}
	if len(paths) == 0 {
		return out, nil
	}
	args := make([]any, len(paths))
	for i, p := range paths {
		args[i] = p
	}
	rows, err := db.sql.QueryContext(ctx, `
		SELECT id, path, kind, title, start_line, end_line FROM chunks
		WHERE path IN (`+placeholders(len(args))+`) AND kind != 'commit'
		ORDER BY path, start_line, id`, args...)
	if err != nil {
		return nil, searchErr(ctx, db, err)
	}
	defer rows.Close()
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ChunkID, &h.Path, &h.Kind, &h.Title, &h.StartLine, &h.EndLine); err != nil {
			return nil, searchErr(ctx, db, err)
		}
		if _, ok := out[h.Path]; !ok {
			out[h.Path] = h
		}
	}
	if err := rows.Err(); err != nil {
		return nil, searchErr(ctx, db, err)
	}
	return out, nil
}

// HasFile reports whether the index holds the file at path.
func (db *DB) HasFile(ctx context.Context, path string) (bool, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM files WHERE path = ?`, path).Scan(&n); err != nil {
		return false, searchErr(ctx, db, err)
	}
	return n > 0, nil
}

// MaxCoChangeFiles: commits touching more files than this say nothing
// about which of them belong together (a rename sweep, a reformat, a
// dependency bump), so co-change ignores them.
const MaxCoChangeFiles = 50

// CoChange is a file that changed together with another.
type CoChange struct {
	Path string `json:"path"`
	// Commits is how many commits touched both files.
	Commits int `json:"commits"`
	// Share is Commits over the commits that touched the asked-for file:
	// 1 means it changed every time that file did.
	Share float64 `json:"share"`
	// Last is the newest commit that touched both.
	Last CommitRef `json:"last"`
}

// CommitRef names a commit.
type CommitRef struct {
	Hash    string    `json:"hash"` // full object name
	Date    time.Time `json:"date"` // author date, UTC
	Subject string    `json:"subject"`
}

// ErrNotIndexed means a path is not a file the index holds.
var ErrNotIndexed = errors.New("index: no such indexed file")

// CoChanged returns the indexed files that changed together with path in
// the indexed history, the most often first (the most recent shared commit
// breaking ties), at most limit of them, and how many commits touched path
// (commits over MaxCoChangeFiles files left out of both). A path the index
// does not hold is ErrNotIndexed; one with no history has no co-changes.
func (db *DB) CoChanged(ctx context.Context, path string, limit int) ([]CoChange, int, error) {
	if limit <= 0 {
		limit = 10
	}
	switch ok, err := db.HasFile(ctx, path); {
	case err != nil:
		return nil, 0, err
	case !ok:
		return nil, 0, fmt.Errorf("%w: %s", ErrNotIndexed, path)
	}
	var total int
	err := db.sql.QueryRowContext(ctx, `
		SELECT count(*) FROM commit_files cf JOIN commits c ON c.hash = cf.hash
		WHERE cf.path = ? AND c.files_changed <= ?`, path, MaxCoChangeFiles).Scan(&total)
	if err != nil {
		return nil, 0, searchErr(ctx, db, err)
	}
	// Commits' chunk ids follow history (a scrape adds them oldest
	// first), so the newest shared commit is the one with the highest.
	rows, err := db.sql.QueryContext(ctx, `
		WITH mine AS (
			SELECT c.hash, c.chunk_id FROM commit_files cf JOIN commits c ON c.hash = cf.hash
			WHERE cf.path = ? AND c.files_changed <= ?
		), other AS (
			SELECT o.path, count(*) AS n, max(m.chunk_id) AS last
			FROM mine m JOIN commit_files o ON o.hash = m.hash JOIN files f ON f.path = o.path
			WHERE o.path != ?
			GROUP BY o.path
		)
		SELECT other.path, other.n, c.hash, c.author_date, c.message
		FROM other JOIN commits c ON c.chunk_id = other.last
		ORDER BY other.n DESC, other.last DESC, other.path
		LIMIT ?`,
		path, MaxCoChangeFiles, path, limit)
	if err != nil {
		return nil, 0, searchErr(ctx, db, err)
	}
	defer rows.Close()
	var out []CoChange
	for rows.Next() {
		var cc CoChange
		var date int64
		var msg string
		if err := rows.Scan(&cc.Path, &cc.Commits, &cc.Last.Hash, &date, &msg); err != nil {
			return nil, 0, searchErr(ctx, db, err)
		}
		cc.Last.Date = time.Unix(date, 0).UTC()
		cc.Last.Subject = subjectOf(msg)
		if total > 0 {
			cc.Share = float64(cc.Commits) / float64(total)
		}
		out = append(out, cc)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, searchErr(ctx, db, err)
	}
	return out, total, nil
}

func subjectOf(msg string) string {
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\n' {
			return msg[:i]
		}
	}
	return msg
}
