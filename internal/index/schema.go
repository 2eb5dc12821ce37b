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

	// 3: the structure-aware full-text index. A chunk's names (what it
	// declares, or its heading, or a commit's subject), its path's words
	// and its declarations' doc comments become fields of their own, so
	// BM25 can weigh each (see DefaultColumnWeights); and every commit
	// records the files it touched (commit_files), which lets a matching
	// commit rank those files and gives the files that change together.
	// The full-text table changes shape and the commits must be read
	// again, so the index is emptied: the next scrape rebuilds it.
	`
DROP TRIGGER chunks_ad;
DROP TRIGGER chunks_au;
DROP TABLE chunks_fts;
DELETE FROM embeddings;
DELETE FROM commits;
DELETE FROM chunks;
DELETE FROM files;
ALTER TABLE chunks ADD COLUMN names TEXT NOT NULL DEFAULT '';
ALTER TABLE chunks ADD COLUMN pathwords TEXT NOT NULL DEFAULT '';
ALTER TABLE chunks ADD COLUMN docs TEXT NOT NULL DEFAULT '';
ALTER TABLE commits ADD COLUMN files_changed INTEGER NOT NULL DEFAULT 0;

-- The weights live in the code (DefaultColumnWeights), which passes them
-- with every query; this default only serves tools poking at the file.
CREATE VIRTUAL TABLE chunks_fts USING fts5(
	names, content, pathwords, idents, docs,
	content = 'chunks', content_rowid = 'id',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(1.0, 1.0, 5.0, 5.0, 1.0)');

CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
	INSERT INTO chunks_fts(chunks_fts, rowid, names, content, pathwords, idents, docs)
	VALUES ('delete', old.id, old.names, old.content, old.pathwords, old.idents, old.docs);
END;
CREATE TRIGGER chunks_au AFTER UPDATE OF names, content, pathwords, idents, docs ON chunks BEGIN
	INSERT INTO chunks_fts(chunks_fts, rowid, names, content, pathwords, idents, docs)
	VALUES ('delete', old.id, old.names, old.content, old.pathwords, old.idents, old.docs);
	INSERT INTO chunks_fts(rowid, names, content, pathwords, idents, docs)
	VALUES (new.id, new.names, new.content, new.pathwords, new.idents, new.docs);
END;

-- The files each commit touched (git log --name-only, relative to the
-- project root), at most maxCommitFiles of them; commits.files_changed
-- has the full count. Removed with their commit.
CREATE TABLE commit_files (
	hash TEXT NOT NULL REFERENCES commits(hash) ON DELETE CASCADE,
	path TEXT NOT NULL,
	PRIMARY KEY (hash, path)
) WITHOUT ROWID;
CREATE INDEX commit_files_by_path ON commit_files(path);
`,
}

// SchemaVersion is the schema version this build writes and reads.
var SchemaVersion = len(migrations)
