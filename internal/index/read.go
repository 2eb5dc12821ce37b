package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Reading back what the index points at: a file a scrape would index
// (checked against the scrape's own rules, now, not when it was indexed),
// a chunk's location, a commit.

// NotIndexableError says why a scrape would not index a file, so it must
// not be read back either. Its message names the path and the reason,
// never anything of the content.
type NotIndexableError struct {
	Path   string // as asked for, relative to the root
	Reason string // a skip reason: sensitive, private_key, binary, ...
}

func (e *NotIndexableError) Error() string {
	return fmt.Sprintf("%s is not a file patina reads: %s", e.Path, describeSkip(e.Reason))
}

// describeSkip says what a skip reason means.
func describeSkip(reason string) string {
	switch reason {
	case skipSensitive:
		return "its name is one that holds credentials (.env, keys, vaults and the like)"
	case skipKeyContent:
		return "it holds private key material"
	case skipGenerated:
		return "it is a generated or lock file"
	case skipBinary:
		return "it is binary"
	case skipTooLarge:
		return fmt.Sprintf("it is over %d bytes", DefaultMaxFileSize)
	case skipSymlinkOut:
		return "it leads outside the project"
	case skipDirName:
		return "it is in a directory patina never indexes (.git, .patina, vendored code)"
	case skipNotRegular:
		return "it is not a regular file"
	}
	return "it cannot be read"
}

// IndexableName reports whether a scrape would index a file at rel (slash
// separated, relative to the root) going by its path alone.
func IndexableName(rel string) bool { return skipByName(rel) == "" }

// ReadIndexable reads the file rel (a clean slash path relative to root)
// if a scrape would index it now: its path and its real path (symlinks
// resolved, which must stay inside root) pass skipByName, it is a regular
// file of at most DefaultMaxFileSize bytes, and it is neither binary nor
// holds a private key. Otherwise the error is a *NotIndexableError, or
// os.ErrNotExist for a file that is not there.
func ReadIndexable(root, rel string) ([]byte, error) {
	if !cleanRel(rel) {
		return nil, &NotIndexableError{Path: rel, Reason: skipSymlinkOut}
	}
	if why := skipByName(rel); why != "" {
		return nil, &NotIndexableError{Path: rel, Reason: why}
	}
	root, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	full := filepath.Join(root, filepath.FromSlash(rel))
	// Every component is resolved, not only the last: a directory swapped
	// for a symlink must not lead out either.
	target, why := resolveInside(root, full)
	if why == skipUnreadable {
		if _, err := os.Lstat(full); errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if why != "" {
		return nil, &NotIndexableError{Path: rel, Reason: why}
	}
	// Only a regular file is opened: opening a FIFO would block.
	if fi, err := os.Stat(target); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, &NotIndexableError{Path: rel, Reason: skipNotRegular}
	}
	f, err := os.Open(target)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// What was opened is what was checked: a link swapped in between the
	// two would have changed what full resolves to.
	if again, _ := resolveInside(root, full); again != target {
		return nil, &NotIndexableError{Path: rel, Reason: skipSymlinkOut}
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotIndexableError{Path: rel, Reason: skipNotRegular}
	}
	if fi.Size() > DefaultMaxFileSize {
		return nil, &NotIndexableError{Path: rel, Reason: skipTooLarge}
	}
	data, err := io.ReadAll(io.LimitReader(f, DefaultMaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > DefaultMaxFileSize {
		return nil, &NotIndexableError{Path: rel, Reason: skipTooLarge}
	}
	if why := contentSkip(data); why != "" {
		return nil, &NotIndexableError{Path: rel, Reason: why}
	}
	return data, nil
}

// cleanRel reports whether rel is a clean slash path inside its root.
func cleanRel(rel string) bool {
	return rel != "" && rel != "." && path.Clean(rel) == rel && !path.IsAbs(rel) &&
		rel != ".." && !strings.HasPrefix(rel, "../") && !strings.ContainsRune(rel, 0)
}

// resolveInside resolves every symlink in full and returns the real path
// when it lies inside root (canonical) and is indexable by name there;
// otherwise it returns the skip reason.
func resolveInside(root, full string) (target, reason string) {
	target, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", skipUnreadable
	}
	trel, err := filepath.Rel(root, target)
	if err != nil || trel == ".." || strings.HasPrefix(trel, ".."+string(filepath.Separator)) {
		return "", skipSymlinkOut
	}
	if why := skipByName(filepath.ToSlash(trel)); why != "" {
		if why == skipDirName {
			why = skipSymlinkOut
		}
		return "", why
	}
	return target, ""
}

// contentSkip is why a file's content keeps it out of the index, or "".
func contentSkip(data []byte) string {
	switch {
	case looksBinary(data):
		return skipBinary
	case holdsKey(data):
		return skipKeyContent
	}
	return ""
}

// ErrNoChunk means the index holds no chunk of that id: the chunk changed
// (ids are never reused) or was removed since the id was handed out.
var ErrNoChunk = errors.New("index: no such chunk")

// ChunkAt returns the location of chunk id, without its snippet or score.
func (db *DB) ChunkAt(ctx context.Context, id int64) (Hit, error) {
	h := Hit{ChunkID: id}
	err := db.sql.QueryRowContext(ctx, `SELECT path, kind, title, start_line, end_line FROM chunks WHERE id = ?`, id).
		Scan(&h.Path, &h.Kind, &h.Title, &h.StartLine, &h.EndLine)
	if errors.Is(err, sql.ErrNoRows) {
		return Hit{}, ErrNoChunk
	}
	if err != nil {
		return Hit{}, searchErr(ctx, db, err)
	}
	return h, nil
}

// FileHash returns the SHA-256 (hex) of the file at path as it was
// indexed, or ErrNotIndexed.
func (db *DB) FileHash(ctx context.Context, path string) (string, error) {
	var h string
	err := db.sql.QueryRowContext(ctx, `SELECT hash FROM files WHERE path = ?`, path).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: %s", ErrNotIndexed, path)
	}
	if err != nil {
		return "", searchErr(ctx, db, err)
	}
	return h, nil
}

// Commit is an indexed commit.
type Commit struct {
	Hash    string    `json:"hash"` // full object name
	Date    time.Time `json:"date"` // author date, UTC
	Message string    `json:"message"`
	// Files are the files it touched whose names a scrape would index, in
	// path order (at most maxCommitFiles); FilesChanged counts them all.
	Files        []string `json:"files"`
	FilesChanged int      `json:"files_changed"`
}

// Errors of CommitByPrefix.
var (
	ErrNoCommit        = errors.New("index: no such indexed commit")
	ErrAmbiguousCommit = errors.New("index: more than one indexed commit has that prefix")
)

// CommitByPrefix returns the indexed commit whose hash starts with prefix
// (lower-case hex).
func (db *DB) CommitByPrefix(ctx context.Context, prefix string) (Commit, error) {
	if prefix == "" || strings.Trim(prefix, "0123456789abcdef") != "" {
		return Commit{}, ErrNoCommit
	}
	// Hex has no LIKE wildcards to escape, and a range stays on the
	// primary key.
	return db.commit(ctx, `hash >= ? AND hash < ?`, prefix, prefix+"g")
}

// CommitOfChunk returns the indexed commit whose message is chunk id.
func (db *DB) CommitOfChunk(ctx context.Context, id int64) (Commit, error) {
	return db.commit(ctx, `chunk_id = ?`, id)
}

// commit returns the one commit matching where, with its files.
func (db *DB) commit(ctx context.Context, where string, args ...any) (Commit, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT hash, author_date, message, files_changed FROM commits
		WHERE `+where+` ORDER BY hash LIMIT 2`, args...)
	if err != nil {
		return Commit{}, searchErr(ctx, db, err)
	}
	var cs []Commit
	for rows.Next() {
		var c Commit
		var date int64
		if err := rows.Scan(&c.Hash, &date, &c.Message, &c.FilesChanged); err != nil {
			rows.Close()
			return Commit{}, searchErr(ctx, db, err)
		}
		c.Date = time.Unix(date, 0).UTC()
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Commit{}, searchErr(ctx, db, err)
	}
	switch len(cs) {
	case 0:
		return Commit{}, ErrNoCommit
	case 2:
		return Commit{}, ErrAmbiguousCommit
	}
	c := cs[0]
	// Scrape indexes messages whole; one a key was pasted into is still
	// never read back.
	if holdsKey([]byte(c.Message)) {
		return Commit{}, &NotIndexableError{Path: "git:" + c.Hash[:min(12, len(c.Hash))], Reason: skipKeyContent}
	}
	frows, err := db.sql.QueryContext(ctx, `SELECT path FROM commit_files WHERE hash = ? ORDER BY path`, c.Hash)
	if err != nil {
		return Commit{}, searchErr(ctx, db, err)
	}
	defer frows.Close()
	c.Files = []string{}
	for frows.Next() {
		var p string
		if err := frows.Scan(&p); err != nil {
			return Commit{}, searchErr(ctx, db, err)
		}
		// A touched id_rsa is named nowhere, as in commitChunk.
		if IndexableName(p) {
			c.Files = append(c.Files, p)
		}
	}
	if err := frows.Err(); err != nil {
		return Commit{}, searchErr(ctx, db, err)
	}
	return c, nil
}
