package index

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
)

// batchWriter applies one batch of changes inside one transaction and
// counts what it did.
type batchWriter struct {
	ctx   context.Context
	tx    *sql.Tx
	now   int64
	stmts map[string]*sql.Stmt

	added, removed, filesRemoved int
	commitsAdded, commitsRemoved int
	embedded                     int
}

// stmt prepares q once per transaction.
func (w *batchWriter) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[q] = st
	return st, nil
}

func (w *batchWriter) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *batchWriter) closeStmts() {
	for _, st := range w.stmts {
		st.Close()
	}
}

func chunkHash(c chunk) string {
	h := sha256.New()
	h.Write([]byte(c.Kind))
	h.Write([]byte{0})
	h.Write([]byte(c.Title))
	h.Write([]byte{0})
	h.Write([]byte(c.Content))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// touchFile records a new mtime for a file whose content is unchanged.
func (w *batchWriter) touchFile(r fileResult) error {
	_, err := w.exec(`UPDATE files SET size = ?, mtime = ?, indexed_at = ? WHERE path = ?`,
		r.size, r.mtime, w.now, r.rel)
	return err
}

// replaceFile records a new or changed file and brings its chunks in line:
// chunks whose hash is unchanged keep their row (only their line range is
// updated), the rest are deleted and inserted.
func (w *batchWriter) replaceFile(r fileResult) error {
	_, err := w.exec(`INSERT INTO files (path, hash, size, mtime, indexed_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET hash = excluded.hash, size = excluded.size,
			mtime = excluded.mtime, indexed_at = excluded.indexed_at`,
		r.rel, r.hash, r.size, r.mtime, w.now)
	if err != nil {
		return err
	}
	type old struct {
		id         int64
		start, end int
	}
	existing := map[string][]old{}
	if !r.known {
		return w.insertChunks(r.rel, r.chunks)
	}
	st, err := w.stmt(`SELECT id, hash, start_line, end_line FROM chunks WHERE path = ? AND kind != 'commit' ORDER BY id`)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(w.ctx, r.rel)
	if err != nil {
		return err
	}
	for rows.Next() {
		var o old
		var h string
		if err := rows.Scan(&o.id, &h, &o.start, &o.end); err != nil {
			rows.Close()
			return err
		}
		existing[h] = append(existing[h], o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range r.chunks {
		h := chunkHash(c)
		if olds := existing[h]; len(olds) > 0 {
			o := olds[0]
			existing[h] = olds[1:]
			if o.start != c.StartLine || o.end != c.EndLine {
				if _, err := w.exec(`UPDATE chunks SET start_line = ?, end_line = ? WHERE id = ?`,
					c.StartLine, c.EndLine, o.id); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := w.insertChunk(r.rel, c, h); err != nil {
			return err
		}
	}
	for _, olds := range existing {
		for _, o := range olds {
			if _, err := w.exec(`DELETE FROM chunks WHERE id = ?`, o.id); err != nil {
				return err
			}
			w.removed++
		}
	}
	return nil
}

func (w *batchWriter) insertChunks(path string, chunks []chunk) error {
	for _, c := range chunks {
		if _, err := w.insertChunk(path, c, chunkHash(c)); err != nil {
			return err
		}
	}
	return nil
}

// insertChunk adds a chunk and its full-text entry. Every chunk enters
// the index here (see the schema for why this is not a trigger).
func (w *batchWriter) insertChunk(path string, c chunk, hash string) (int64, error) {
	idents := camelParts(c.Title, c.Content)
	words := c.PathWords
	if c.Kind != KindCommit {
		words = pathField(path)
	}
	res, err := w.exec(`INSERT INTO chunks (path, kind, title, start_line, end_line, content, hash, idents, names, pathwords, docs)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		path, c.Kind, c.Title, c.StartLine, c.EndLine, c.Content, hash, idents, c.Names, words, c.Docs)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if _, err := w.exec(`INSERT INTO chunks_fts (rowid, names, content, pathwords, idents, docs) VALUES (?, ?, ?, ?, ?, ?)`,
		id, c.Names, c.Content, words, idents, c.Docs); err != nil {
		return 0, err
	}
	w.added++
	return id, nil
}

// removeFile deletes a file and its chunks.
func (w *batchWriter) removeFile(path string) error {
	res, err := w.exec(`DELETE FROM chunks WHERE path = ? AND kind != 'commit'`, path)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	w.removed += int(n)
	if _, err := w.exec(`DELETE FROM files WHERE path = ?`, path); err != nil {
		return err
	}
	w.filesRemoved++
	return nil
}

func (w *batchWriter) addCommit(c commit) error {
	path, ch := commitChunk(c)
	id, err := w.insertChunk(path, ch, chunkHash(ch))
	if err != nil {
		return err
	}
	if _, err := w.exec(`INSERT INTO commits (hash, author_date, message, chunk_id, files_changed) VALUES (?, ?, ?, ?, ?)`,
		c.hash, c.date.Unix(), c.message, id, c.filesChanged); err != nil {
		return err
	}
	for _, f := range c.files {
		if _, err := w.exec(`INSERT OR IGNORE INTO commit_files (hash, path) VALUES (?, ?)`, c.hash, f); err != nil {
			return err
		}
	}
	w.commitsAdded++
	return nil
}

func (w *batchWriter) removeCommit(hash string) error {
	var id int64
	st, err := w.stmt(`DELETE FROM commits WHERE hash = ? RETURNING chunk_id`)
	if err != nil {
		return err
	}
	if err := st.QueryRowContext(w.ctx, hash).Scan(&id); err != nil {
		return err
	}
	if _, err := w.exec(`DELETE FROM chunks WHERE id = ?`, id); err != nil {
		return err
	}
	w.removed++
	w.commitsRemoved++
	return nil
}
