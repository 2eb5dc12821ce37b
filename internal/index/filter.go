package index

import (
	"context"
	"slices"
	"strings"
)

// Filter narrows a search to some chunks, inside the retrieval itself, so
// a search's limit counts only chunks that pass. The zero value passes
// every chunk.
type Filter struct {
	// Kinds keeps chunks of these kinds (KindDoc, KindCode, KindCommit);
	// none keeps all.
	Kinds []string
	// Path keeps the file at this slash-separated path relative to the
	// project root, or the files under it when it is a directory (whole
	// components: "src" holds src/a.go, not srcgen/b.go), and the commits
	// that touched one of them. It must be clean; "" keeps all.
	Path string
}

// IsZero reports whether f passes every chunk.
func (f Filter) IsZero() bool { return len(f.Kinds) == 0 && f.Path == "" }

// HoldsKind reports whether f keeps chunks of kind.
func (f Filter) HoldsKind(kind string) bool {
	return len(f.Kinds) == 0 || slices.Contains(f.Kinds, kind)
}

// HoldsPath reports whether f keeps the file at path (a commit is kept
// when it touched such a file: only the index can say).
func (f Filter) HoldsPath(path string) bool {
	return f.Path == "" || path == f.Path || strings.HasPrefix(path, f.Path+"/")
}

// where is f as an SQL condition on the chunks table (unqualified
// columns), with its arguments. A path is matched as a range of the
// path index: "dir/" < p < "dir0" holds exactly the paths under dir/,
// since '0' follows '/'.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if len(f.Kinds) > 0 {
		conds = append(conds, "kind IN ("+placeholders(len(f.Kinds))+")")
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	if f.Path != "" {
		conds = append(conds, `(kind != 'commit' AND (path = ? OR path > ? AND path < ?)
			OR kind = 'commit' AND id IN (SELECT m.chunk_id FROM commit_files cf JOIN commits m ON m.hash = cf.hash
				WHERE cf.path = ? OR cf.path > ? AND cf.path < ?))`)
		p := []any{f.Path, f.Path + "/", f.Path + "0"}
		args = append(append(args, p...), p...)
	}
	if len(conds) == 0 {
		return "1", nil
	}
	return strings.Join(conds, " AND "), args
}

// idSet is a set of chunk ids, a bit each: chunk ids are dense, so a set
// of every chunk in a large index is a few kilobytes, and a lookup in the
// vector scan costs a shift and a mask.
type idSet []uint64

func (s idSet) has(id int64) bool {
	i := uint64(id)
	return i/64 < uint64(len(s)) && s[i/64]&(1<<(i%64)) != 0
}

// kept is the set of chunk ids f keeps; nil when f is zero (every chunk).
func (db *DB) kept(ctx context.Context, f Filter) (idSet, error) {
	if f.IsZero() {
		return nil, nil
	}
	cond, args := f.where()
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM chunks WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := idSet{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		for uint64(len(s)) <= uint64(id)/64 {
			s = append(s, 0)
		}
		s[id/64] |= 1 << (uint64(id) % 64)
	}
	return s, rows.Err()
}
