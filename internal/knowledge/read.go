package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/scry"
)

// Read bounds: one answer holds at most this many lines and bytes of a
// file (or bytes of a commit message); a cursor continues.
const (
	MaxReadLines = 400
	MaxReadBytes = 64 << 10
)

// Read kinds.
const (
	ReadFile   = "file"
	ReadCommit = "commit"
)

// ReadRequest is the body of POST /api/read: a scry result's ID, or a
// Path in a project (with an optional line range), or a Cursor from a
// previous answer.
type ReadRequest struct {
	ID        string `json:"id,omitempty"` // "<project>:<chunk id>", as scry returns
	Project   string `json:"project,omitempty"`
	Path      string `json:"path,omitempty"` // relative to the project root, or "git:<hash>"
	StartLine int    `json:"start_line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	Cursor    string `json:"cursor,omitempty"`
	// Cwd, over the unix socket only, picks the project holding it when
	// none is named (as for Request).
	Cwd string `json:"cwd,omitempty"`
}

// ReadResponse is what Read returns; its JSON is the API's.
type ReadResponse struct {
	Project string `json:"project"`
	Path    string `json:"path"`
	Kind    string `json:"kind"` // ReadFile or ReadCommit
	// StartLine..EndLine are the lines in Text (none for an empty file or
	// a commit); TotalLines is the file's length.
	StartLine  int    `json:"start_line,omitempty"`
	EndLine    int    `json:"end_line,omitempty"`
	TotalLines int    `json:"total_lines"`
	Text       string `json:"text"` // the lines, without their numbers
	// NextCursor, when set, continues the read where it stopped.
	NextCursor string        `json:"next_cursor,omitempty"`
	Commit     *index.Commit `json:"commit,omitempty"`
	Notes      []string      `json:"notes,omitempty"`
}

// readCursor is what a cursor holds. It is not trusted: a read from a
// cursor passes every check a fresh one does.
type readCursor struct {
	Project string `json:"p"`
	Path    string `json:"f"`
	Next    int    `json:"n"` // the first line still to read
	End     int    `json:"e"` // the last line asked for
	Hash    string `json:"h"` // the file's content hash when the read began, cursorHash digits of it
}

const cursorHash = 16

var errBadCursor = &InputError{"cursor is not one a read returned: give it exactly as next_cursor had it, alone"}

func (c readCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (readCursor, error) {
	var c readCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Project == "" || c.Path == "" || c.Next < 1 || c.End < c.Next ||
		len(c.Hash) != cursorHash || strings.Trim(c.Hash, "0123456789abcdef") != "" {
		return c, errBadCursor
	}
	return c, nil
}

// Read answers req from the index and the project's files, under the
// scrape's rules (index.ReadIndexable): only a file the index holds and a
// scrape would index now, never by an absolute path or one with "..",
// never through a symlink out of the project.
func (e *Engine) Read(ctx context.Context, req ReadRequest) (ReadResponse, error) {
	given := 0
	for _, s := range []string{req.ID, req.Path, req.Cursor} {
		if s != "" {
			given++
		}
	}
	switch {
	case given != 1:
		return ReadResponse{}, &InputError{"give one of id (a scry result's), path (with start_line and end_line if you like) or cursor"}
	case req.StartLine < 0 || req.EndLine < 0:
		return ReadResponse{}, &InputError{"start_line and end_line are line numbers, from 1"}
	case req.EndLine > 0 && req.EndLine < max(req.StartLine, 1):
		return ReadResponse{}, &InputError{"end_line is before start_line"}
	case req.ID != "" && (req.StartLine > 0 || req.EndLine > 0):
		return ReadResponse{}, &InputError{"an id reads its chunk's lines: give path, start_line and end_line to read others"}
	}
	project, rel, cur := req.Project, req.Path, readCursor{}
	var chunk int64
	switch {
	case req.ID != "":
		var err error
		if project, chunk, err = parseID(req.ID, req.Project); err != nil {
			return ReadResponse{}, err
		}
	case req.Cursor != "":
		var err error
		if cur, err = decodeCursor(req.Cursor); err != nil {
			return ReadResponse{}, err
		}
		if req.Project != "" && req.Project != cur.Project || req.StartLine > 0 || req.EndLine > 0 {
			return ReadResponse{}, errBadCursor
		}
		project, rel = cur.Project, cur.Path
	}
	sel, err := selection(project, false, req.Cwd)
	if err != nil {
		return ReadResponse{}, err
	}
	srcs, _, err := e.catalog.Sources(sel)
	if err != nil {
		return ReadResponse{}, selectionError(err, Request{Project: project})
	}
	r := reader{src: srcs[0]}
	switch {
	case chunk != 0:
		return r.chunk(ctx, req.ID, chunk)
	case strings.HasPrefix(rel, "git:"):
		return r.commitByPath(ctx, rel)
	case req.Cursor != "":
		return r.file(ctx, cur.Path, cur.Next, cur.End, cur.Hash)
	}
	return r.file(ctx, rel, req.StartLine, req.EndLine, "")
}

// parseID splits "<project>:<chunk id>"; a bare chunk id takes project.
func parseID(id, project string) (string, int64, error) {
	bad := &InputError{fmt.Sprintf("id %q is not a scry result id (<project>:<number>)", id)}
	name, num, ok := strings.Cut(id, ":")
	if !ok {
		name, num = project, id
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 {
		return "", 0, bad
	}
	if project != "" && name != project {
		return "", 0, &InputError{fmt.Sprintf("id %q is in project %s, not %s: give the id alone", id, name, project)}
	}
	return name, n, nil
}

// reader reads from one project.
type reader struct{ src scry.Source }

// failed is err met in the project's index, named by the project.
func (r reader) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return damaged(&scry.ProjectError{Project: r.src.Name, Err: r.src.Index.Diagnose(err)})
}

// chunk reads the lines of chunk n (or the commit it is), if the file
// still has them where the index says.
func (r reader) chunk(ctx context.Context, id string, n int64) (ReadResponse, error) {
	h, err := r.src.Index.ChunkAt(ctx, n)
	if errors.Is(err, index.ErrNoChunk) {
		return ReadResponse{}, &InputError{fmt.Sprintf("id %s is out of date: its chunk changed or went when project %s was re-indexed; scry again for current ids", id, r.src.Name)}
	}
	if err != nil {
		return ReadResponse{}, r.failed(ctx, err)
	}
	if h.Kind == index.KindCommit {
		c, err := r.src.Index.CommitOfChunk(ctx, n)
		return r.commitAnswer(ctx, h.Path, c, err)
	}
	indexed, err := r.src.Index.FileHash(ctx, h.Path)
	if err != nil {
		return ReadResponse{}, r.failed(ctx, err)
	}
	data, err := r.readFile(h.Path)
	if err != nil {
		return ReadResponse{}, err
	}
	if contentHash(data) != indexed {
		return ReadResponse{}, &InputError{fmt.Sprintf("%s has changed since it was indexed, so id %s may no longer be lines %d-%d: read it by path and line range, or re-index (patina scrape) and scry again",
			h.Path, id, h.StartLine, h.EndLine)}
	}
	return r.lines(h.Path, data, h.StartLine, h.EndLine)
}

// file reads lines start..end of rel (0: from the first, to the last). want, from a cursor, is the content hash the read
// began with.
func (r reader) file(ctx context.Context, rel string, start, end int, want string) (ReadResponse, error) {
	rel, err := cleanPath(rel)
	if err != nil {
		return ReadResponse{}, err
	}
	// Refused by name before anything is looked up, so the answer says
	// why; then only what the index holds, checked again now.
	if !index.IndexableName(rel) {
		_, err := index.ReadIndexable(r.src.Root, rel) // refuses by name before opening anything
		return ReadResponse{}, notReadable(rel, err)
	}
	switch _, err := r.src.Index.FileHash(ctx, rel); {
	case errors.Is(err, index.ErrNotIndexed):
		return ReadResponse{}, &InputError{fmt.Sprintf("%s is not a file indexed in project %s: read gives only files patina scrape indexed (scry finds them)", rel, r.src.Name)}
	case err != nil:
		return ReadResponse{}, r.failed(ctx, err)
	}
	data, err := r.readFile(rel)
	if err != nil {
		return ReadResponse{}, err
	}
	if want != "" && contentHash(data)[:cursorHash] != want {
		return ReadResponse{}, &InputError{fmt.Sprintf("%s changed since the read this cursor continues began: read it again from start_line %d", rel, start)}
	}
	return r.lines(rel, data, start, end)
}

// readFile reads rel under the scrape's rules.
func (r reader) readFile(rel string) ([]byte, error) {
	data, err := index.ReadIndexable(r.src.Root, rel)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &InputError{fmt.Sprintf("%s is indexed but no longer there: re-index (patina scrape) and scry again", rel)}
	}
	if err != nil {
		return nil, notReadable(rel, err)
	}
	return data, nil
}

// notReadable turns a refusal into the caller's error; its message names
// the reason, never the content, nor (for a file the system will not
// open) where the project lies.
func notReadable(rel string, err error) error {
	var ne *index.NotIndexableError
	if errors.As(err, &ne) {
		return &InputError{ne.Error()}
	}
	why := "the system refused"
	var pe *fs.PathError
	if errors.As(err, &pe) {
		why = pe.Err.Error() // the error alone: its path is absolute
	}
	return &InputError{fmt.Sprintf("%s cannot be read: %s", rel, why)}
}

// cleanPath checks a path as the caller gave it: relative to the project
// root, with no "..", cleaned.
func cleanPath(p string) (string, error) {
	switch {
	case p == "" || strings.ContainsRune(p, 0):
		return "", &InputError{"path must name a file, relative to the project root"}
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`):
		return "", &InputError{"path must be relative to the project root (as scry gives it), not absolute"}
	case strings.Contains("/"+p+"/", "/../"):
		return "", &InputError{"path must not contain ..: give it relative to the project root"}
	}
	p = path.Clean(p)
	if p == "." {
		return "", &InputError{"path names the project root, not a file"}
	}
	return p, nil
}

// lines is the answer holding lines start..end of data, as many as the
// bounds allow, with a cursor for the rest.
func (r reader) lines(rel string, data []byte, start, end int) (ReadResponse, error) {
	text := strings.ToValidUTF8(strings.TrimPrefix(string(data), "\ufeff"), "\uFFFD")
	all := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if text == "" {
		all = nil
	}
	resp := ReadResponse{Project: r.src.Name, Path: rel, Kind: ReadFile, TotalLines: len(all)}
	start = max(start, 1)
	if end == 0 || end > len(all) {
		end = len(all)
	}
	if len(all) == 0 && start == 1 {
		resp.Notes = append(resp.Notes, "the file is empty")
		return resp, nil
	}
	if start > len(all) {
		return ReadResponse{}, &InputError{fmt.Sprintf("start_line %d is past the end of %s (%d lines)", start, rel, len(all))}
	}
	var b strings.Builder
	last := start - 1
	for n := start; n <= end && n-start < MaxReadLines; n++ {
		line := strings.TrimSuffix(all[n-1], "\r")
		if n > start {
			if b.Len()+1+len(line) > MaxReadBytes {
				break
			}
			b.WriteByte('\n')
		} else if len(line) > MaxReadBytes {
			line = cutUTF8(line, MaxReadBytes)
			resp.Notes = append(resp.Notes, fmt.Sprintf("line %d is longer than %d bytes: cut", n, MaxReadBytes))
		}
		b.WriteString(line)
		last = n
	}
	resp.StartLine, resp.EndLine, resp.Text = start, last, b.String()
	if last < end {
		resp.NextCursor = readCursor{Project: r.src.Name, Path: rel, Next: last + 1, End: end, Hash: contentHash(data)[:cursorHash]}.encode()
	}
	return resp, nil
}

// commitByPath reads "git:<hash or prefix>".
func (r reader) commitByPath(ctx context.Context, p string) (ReadResponse, error) {
	prefix := strings.ToLower(strings.TrimPrefix(p, "git:"))
	if len(prefix) < 4 || len(prefix) > 64 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return ReadResponse{}, &InputError{fmt.Sprintf("%q is not a commit: give git:<hash> as scry returns it (at least 4 hex digits)", p)}
	}
	c, err := r.src.Index.CommitByPrefix(ctx, prefix)
	return r.commitAnswer(ctx, "git:"+prefix, c, err)
}

func (r reader) commitAnswer(ctx context.Context, p string, c index.Commit, err error) (ReadResponse, error) {
	var ne *index.NotIndexableError
	switch {
	case errors.Is(err, index.ErrNoCommit):
		return ReadResponse{}, &InputError{fmt.Sprintf("no indexed commit %s in project %s", p, r.src.Name)}
	case errors.Is(err, index.ErrAmbiguousCommit):
		return ReadResponse{}, &InputError{fmt.Sprintf("%s names more than one commit: give more of the hash", p)}
	case errors.As(err, &ne):
		return ReadResponse{}, &InputError{ne.Error()}
	case err != nil:
		return ReadResponse{}, r.failed(ctx, err)
	}
	resp := ReadResponse{Project: r.src.Name, Path: p, Kind: ReadCommit, Commit: &c}
	if len(c.Message) > MaxReadBytes {
		c.Message = cutUTF8(c.Message, MaxReadBytes)
		resp.Notes = append(resp.Notes, fmt.Sprintf("the message is longer than %d bytes: cut", MaxReadBytes))
	}
	return resp, nil
}

// contentHash is the hash the index keeps of a file's content.
func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// cutUTF8 is s cut to at most n bytes, on a rune boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Read answers req the way Scry does: the daemon first, in-process when
// the local one does not answer.
func (a *Asker) Read(ctx context.Context, req ReadRequest) (ReadResponse, string, error) {
	if client.IsLocal(a.Mother) && req.Project == "" && req.Cwd == "" {
		req.Cwd = cwd()
	}
	var resp ReadResponse
	inProcess := func(e *Engine) (err error) {
		resp, err = e.Read(ctx, req)
		return err
	}
	via, err := a.ask(ctx, "/api/read", req, &resp, inProcess)
	var api *client.APIError
	if errors.As(err, &api) && api.Status == http.StatusNotFound && client.IsLocal(a.Mother) {
		// A daemon started before it served reads: read here until it
		// idles out and the new binary takes over.
		e, err := a.inProcess()
		if err != nil {
			return resp, "", err
		}
		return resp, ViaInProcess, inProcess(e)
	}
	return resp, via, err
}
