package index

// migrations is the ordered schema history. migrations[i] takes the schema
// from version i to version i+1; PRAGMA user_version records how many have
// run. Never edit a released entry: append a new one.
var migrations = []string{
	// 1: files, chunks, the FTS5 index over chunks, git commits.
	`
CREATE TABLE files (
	path       TEXT PRIMARY KEY,    -- slash-separated, relative to the project root
	hash       TEXT NOT NULL,       -- SHA-256 of the content, hex
	size       INTEGER NOT NULL,    -- bytes
	mtime      INTEGER NOT NULL,    -- modification time, unix nanoseconds
	indexed_at INTEGER NOT NULL     -- when this row was written, unix nanoseconds
) WITHOUT ROWID;

CREATE TABLE chunks (
	id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so ids stay stable
	path       TEXT NOT NULL,       -- file path, or "git:<short hash>" for commits
	kind       TEXT NOT NULL CHECK (kind IN ('doc', 'code', 'commit')),
	title      TEXT NOT NULL,
	start_line INTEGER NOT NULL,
	end_line   INTEGER NOT NULL,
	content    TEXT NOT NULL,
	hash       TEXT NOT NULL,       -- SHA-256 of kind, title and content, hex
	embedding  BLOB                 -- float32 vector, filled by the embeddings step
);
CREATE INDEX chunks_by_path ON chunks(path);

-- External-content FTS5 index over chunks. Rows enter it with their
-- chunk (insertChunk writes both: an AFTER INSERT trigger costs three
-- times as much per row); the triggers below keep it in step on delete
-- and update, where FTS5's 'delete' command needs the old values.
CREATE VIRTUAL TABLE chunks_fts USING fts5(
	title, content, path,
	content = 'chunks', content_rowid = 'id',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
-- ORDER BY rank uses BM25 with the title weighted above content and path.
INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(3.0, 1.0, 1.0)');

CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
	INSERT INTO chunks_fts(chunks_fts, rowid, title, content, path)
	VALUES ('delete', old.id, old.title, old.content, old.path);
END;
-- Only text changes touch the FTS index; line ranges and embeddings do not.
CREATE TRIGGER chunks_au AFTER UPDATE OF title, content, path ON chunks BEGIN
	INSERT INTO chunks_fts(chunks_fts, rowid, title, content, path)
	VALUES ('delete', old.id, old.title, old.content, old.path);
	INSERT INTO chunks_fts(rowid, title, content, path)
	VALUES (new.id, new.title, new.content, new.path);
END;

CREATE TABLE commits (
	hash        TEXT PRIMARY KEY,   -- full object name
	author_date INTEGER NOT NULL,   -- unix seconds
	message     TEXT NOT NULL,
	chunk_id    INTEGER NOT NULL REFERENCES chunks(id)
) WITHOUT ROWID;
`,

	// 2: embeddings in their own table, with the model that made them, and
	// an "idents" full-text column of split CamelCase identifiers. The
	// full-text table changes shape, so the index is emptied: the next
	// scrape rebuilds it (an index is derived data; nothing is lost).
	`
DROP TRIGGER chunks_ad;
DROP TRIGGER chunks_au;
DROP TABLE chunks_fts;
DELETE FROM commits;
DELETE FROM chunks;
DELETE FROM files;
ALTER TABLE chunks DROP COLUMN embedding;
ALTER TABLE chunks ADD COLUMN idents TEXT NOT NULL DEFAULT '';

CREATE VIRTUAL TABLE chunks_fts USING fts5(
	title, content, path, idents,
	content = 'chunks', content_rowid = 'id',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
-- Title above content and path; split identifiers well below (at equal
-- weight their parts, such as "read" or "new", drown natural-language
-- questions in code). The evaluation in internal/eval chose the weights.
INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(3.0, 1.0, 1.0, 0.25)');

CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
	INSERT INTO chunks_fts(chunks_fts, rowid, title, content, path, idents)
	VALUES ('delete', old.id, old.title, old.content, old.path, old.idents);
END;
CREATE TRIGGER chunks_au AFTER UPDATE OF title, content, path, idents ON chunks BEGIN
	INSERT INTO chunks_fts(chunks_fts, rowid, title, content, path, idents)
	VALUES ('delete', old.id, old.title, old.content, old.path, old.idents);
	INSERT INTO chunks_fts(rowid, title, content, path, idents)
	VALUES (new.id, new.title, new.content, new.path, new.idents);
END;

-- One vector per chunk, from the model the last scrape used. id never
-- repeats (AUTOINCREMENT), so count(*) and max(id) together change on
-- every write: readers use them to know when a cached copy is stale.
CREATE TABLE embeddings (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	chunk_id INTEGER NOT NULL UNIQUE REFERENCES chunks(id) ON DELETE CASCADE,
	model    TEXT NOT NULL,         -- the model's name
	model_id TEXT NOT NULL,         -- its identity: a hash over its files (embed.Manifest.ID)
	vector   BLOB NOT NULL          -- little-endian float32s, unit length
);
CREATE INDEX embeddings_by_model ON embeddings(model_id);
`,
}

// SchemaVersion is the schema version this build writes and reads.
var SchemaVersion = len(migrations)
