package index

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
)

// Embedder turns texts into unit-length vectors, one per text, in order.
// internal/embed provides the real one; the index only needs this much.
type Embedder interface {
	ModelName() string // stored with every vector
	ModelID() string   // the model's identity (a hash over its files)
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// embedTextRecipe names how embedText makes a chunk's text. It is part
// of every stored vector's model id (VectorID), so changing the recipe
// re-embeds every chunk on the next scrape, as a new model does.
const embedTextRecipe = "text-1"

// VectorID is what the index stores beside a vector that model modelID
// made: the model's identity and the recipe of the text it was given.
func VectorID(modelID string) string { return modelID + "/" + embedTextRecipe }

// embedPage is how many chunks go to the model in one Embed call, and
// each write transaction covers: an interrupted scrape keeps every page it
// committed. The model cuts a page into batches of similar lengths and
// runs several at once (internal/embed), so a page should hold many
// batches.
const embedPage = 256

// embed brings the embeddings up to date with the chunks: vectors made by
// another model are dropped, and every chunk without a vector gets one.
// Unchanged chunks keep their row and so their vector; only new and
// changed ones reach the model.
func (s *scraper) embed(ctx context.Context, e Embedder) error {
	id := VectorID(e.ModelID())
	s.sum.EmbeddingModel = e.ModelName()
	var stale int
	if err := s.db.sql.QueryRowContext(ctx, `SELECT count(*) FROM embeddings WHERE model_id != ?`, id).Scan(&stale); err != nil {
		return fmt.Errorf("scrape: embeddings: %w", err)
	}
	if stale > 0 {
		err := s.write(ctx, func(w *batchWriter) error {
			_, err := w.exec(`DELETE FROM embeddings WHERE model_id != ?`, id)
			return err
		})
		if err != nil {
			return err
		}
		s.sum.Notes = append(s.sum.Notes, fmt.Sprintf("dropped %d embeddings made by another model (or from other text); re-embedding with %s", stale, e.ModelName()))
	}
	todo, err := s.db.unembedded(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("scrape: embeddings: %w", err)
	}
	s.progress("embed", 0, len(todo))
	pages, stop := s.db.readPages(ctx, todo)
	defer stop()
	done := 0
	for p := range pages {
		if p.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("scrape: embeddings: %w", p.err)
		}
		if err := s.embedPage(ctx, e, p.jobs); err != nil {
			return err
		}
		done += p.chunks
		s.progress("embed", done, len(todo))
	}
	if done < len(todo) { // the reading stopped early: ctx is done
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("scrape: embeddings: read %d of %d chunks", done, len(todo))
	}
	return nil
}

// embedRead is a page of chunks read for embedding: how many were asked
// for, their jobs, or why they could not be read.
type embedRead struct {
	chunks int
	jobs   []embedJob
	err    error
}

// readPages reads the chunks ids in pages of embedPage, one page ahead of
// the caller: the next page comes out of SQLite while the model embeds
// this one. The channel closes after the last page, after an error or
// once ctx is done; stop ends the reading early and waits for it.
func (db *DB) readPages(ctx context.Context, ids []int64) (<-chan embedRead, func()) {
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan embedRead, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(pages)
		for i := 0; i < len(ids); i += embedPage {
			page := ids[i:min(i+embedPage, len(ids))]
			jobs, err := db.embedJobs(ctx, page)
			select {
			case pages <- embedRead{len(page), jobs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	})
	return pages, func() {
		cancel()
		for range pages { // unblock a send in progress
		}
		wg.Wait()
	}
}

// dropEmbeddings deletes every vector, writing nothing when there are none.
func (s *scraper) dropEmbeddings(ctx context.Context) error {
	var n int
	if err := s.db.sql.QueryRowContext(ctx, `SELECT count(*) FROM embeddings`).Scan(&n); err != nil {
		return fmt.Errorf("scrape: embeddings: %w", err)
	}
	if n == 0 {
		return nil
	}
	err := s.write(ctx, func(w *batchWriter) error {
		_, err := w.exec(`DELETE FROM embeddings`)
		return err
	})
	if err == nil {
		s.sum.Notes = append(s.sum.Notes, fmt.Sprintf("dropped the %d embeddings of an earlier scrape: scry of this project is lexical", n))
	}
	return err
}

// unembedded lists the chunks that have no vector, oldest first.
func (db *DB) unembedded(ctx context.Context) ([]int64, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT c.id FROM chunks c
		WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.chunk_id = c.id) ORDER BY c.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

type embedJob struct {
	id   int64
	text string
	vec  []float32
}

// embedPage embeds a page of chunks in one call and writes their vectors
// in one transaction.
func (s *scraper) embedPage(ctx context.Context, e Embedder, jobs []embedJob) error {
	texts := make([]string, len(jobs))
	for i, j := range jobs {
		texts[i] = j.text
	}
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("scrape: embeddings: %w", err)
	}
	if len(vecs) != len(jobs) {
		return fmt.Errorf("scrape: embeddings: model %s returned %d vectors for %d texts", e.ModelName(), len(vecs), len(jobs))
	}
	for i := range jobs {
		jobs[i].vec = vecs[i]
	}
	return s.write(ctx, func(w *batchWriter) error {
		for _, j := range jobs {
			if _, err := w.exec(`INSERT INTO embeddings (chunk_id, model, model_id, vector) VALUES (?, ?, ?, ?)
				ON CONFLICT (chunk_id) DO UPDATE SET model = excluded.model, model_id = excluded.model_id, vector = excluded.vector`,
				j.id, e.ModelName(), VectorID(e.ModelID()), encodeVector(j.vec)); err != nil {
				return err
			}
		}
		w.embedded += len(jobs)
		return nil
	})
}

// embedJobs reads the chunks to embed and makes their texts.
func (db *DB) embedJobs(ctx context.Context, ids []int64) ([]embedJob, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, kind, path, title, content FROM chunks WHERE id IN (`+
		placeholders(len(ids))+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	jobs := make([]embedJob, 0, len(ids))
	for rows.Next() {
		var j embedJob
		var kind, path, title, content string
		if err := rows.Scan(&j.id, &kind, &path, &title, &content); err != nil {
			return nil, err
		}
		j.text = embedText(kind, path, title, content)
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// encodeVector stores a vector as little-endian float32s.
func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// decodeVector appends the float32s in b to dst; ok is false when b is
// not a whole number of float32s of the expected dimension.
func decodeVector(dst []float32, b []byte, dims int) ([]float32, bool) {
	if len(b) != 4*dims {
		return dst, false
	}
	for i := 0; i < dims; i++ {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return dst, true
}

// EmbeddingInfo says which model made an index's vectors.
type EmbeddingInfo struct {
	Model   string `json:"model"`
	ModelID string `json:"model_id"` // a VectorID
	Vectors int    `json:"vectors"`
	Chunks  int    `json:"chunks"` // all chunks, embedded or not
}

// Embeddings reports the model behind most of the index's vectors (a
// scrape leaves only one), or a zero Model when there are none.
func (db *DB) Embeddings(ctx context.Context) (EmbeddingInfo, error) {
	var info EmbeddingInfo
	err := db.sql.QueryRowContext(ctx, `SELECT model, model_id, count(*) FROM embeddings
		GROUP BY model_id ORDER BY count(*) DESC LIMIT 1`).Scan(&info.Model, &info.ModelID, &info.Vectors)
	if err != nil && err != sql.ErrNoRows {
		return info, fmt.Errorf("index: %s: %w", db.path, err)
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM chunks`).Scan(&info.Chunks); err != nil {
		return info, fmt.Errorf("index: %s: %w", db.path, err)
	}
	return info, nil
}

// EmbeddingModel names the model that made the index's newest vector
// (a scrape leaves vectors of one model only) and its VectorID, or ""
// when there are none.
func (db *DB) EmbeddingModel(ctx context.Context) (name, id string, err error) {
	err = db.sql.QueryRowContext(ctx, `SELECT model, model_id FROM embeddings ORDER BY id DESC LIMIT 1`).Scan(&name, &id)
	if err == sql.ErrNoRows {
		return "", "", nil
	}
	if err != nil {
		return "", "", searchErr(ctx, db, err)
	}
	return name, id, nil
}
