package embed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/patina-dev/patina/internal/paths"
)

// tokenizerVersion names each family's tokenizer as this build implements
// it; bump one when a change would tokenize any text differently, so
// every index re-embeds instead of mixing old and new vectors.
var tokenizerVersion = map[string]string{FamilyUSELite: "spm-1", FamilyBERT: "wordpiece-1"}

// DefaultModel is the model scry uses unless told otherwise.
const DefaultModel = "use-lite"

// The model families: how text becomes the graph's inputs and how its
// output becomes one vector.
const (
	// FamilyUSELite is the Universal Sentence Encoder lite: a SentencePiece
	// vocab.json, sparse inputs indices [N,2] (row, position) and values
	// [N], output embeddings [B,D].
	FamilyUSELite = "use-lite"
	// FamilyBERT is a BERT-style encoder: a WordPiece vocab.txt, inputs
	// input_ids, attention_mask and (when the graph has it) token_type_ids,
	// each [B,L]; the output [B,L,D] is mean-pooled over the mask.
	FamilyBERT = "bert"
)

// File roles in a manifest.
const (
	RoleONNX  = "onnx"
	RoleVocab = "vocab"
)

// manifestName is a user-added model's manifest, in its directory.
const manifestName = "manifest.json"

// Limits on what a manifest may say.
const (
	maxNameLen   = 64
	maxMaxTokens = 8192
	maxDims      = 8192
)

// ErrUnavailable is wrapped by every error that means "no semantic search
// here": no model, no runtime, a missing file or a wrong hash. Callers fall
// back to lexical search on errors.Is(err, ErrUnavailable).
var ErrUnavailable = errors.New("embeddings unavailable")

// File is one file of a model, with the SHA-256 it must have.
type File struct {
	Role   string `json:"role"` // RoleONNX or RoleVocab
	Name   string `json:"name"` // file name inside the model's directory
	SHA256 string `json:"sha256"`
}

// Manifest describes a model: its files, their pinned hashes, and the shape
// of what it produces.
type Manifest struct {
	Name      string `json:"name"`
	Family    string `json:"family"`
	Dims      int    `json:"dims"`
	MaxTokens int    `json:"max_tokens"`
	Files     []File `json:"files"`
	Dir       string `json:"-"` // where the files are
}

// builtin is the default model, provisioned by `make models`
// (packaging/scripts/models.sh pins the same hashes).
func builtin() (*Manifest, error) {
	cache, err := paths.Cache()
	if err != nil {
		return nil, unavailablef("model %s: %v", DefaultModel, err)
	}
	return &Manifest{
		Name:   DefaultModel,
		Family: FamilyUSELite,
		Dims:   512,
		// The graph reads the first 128 ids and ignores the rest (its
		// output for 128 ids and for 2,000 is the same), so there is no
		// point in feeding it more.
		MaxTokens: 128,
		Files: []File{
			{RoleONNX, "model.onnx", "eac17d707ffe3062c3f32b574b892212065f308fcc06f46a63c67dc296a7f327"},
			{RoleVocab, "vocab.json", "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"},
		},
		Dir: filepath.Join(cache, "models", DefaultModel),
	}, nil
}

// Builtin reports whether m is the provisioned default model (whose files
// `make models` restores) rather than a user-added one.
func (m *Manifest) Builtin() bool { return m.Name == DefaultModel }

// ID is the model's identity, stored next to every embedding it makes: the
// hex SHA-256 of these lines, each ending in "\n":
//
//	patina-model/1
//	name=NAME
//	family=FAMILY
//	dims=DIMS
//	max_tokens=MAX
//	tokenizer=VERSION       (this build's tokenizer for the family)
//	file=ROLE SHA256        (one per file, sorted by role)
//
// It changes when the vectors a model makes could change: other files,
// other limits, or a fix to how this code tokenizes.
func (m *Manifest) ID() string {
	var b strings.Builder
	fmt.Fprintf(&b, "patina-model/1\nname=%s\nfamily=%s\ndims=%d\nmax_tokens=%d\ntokenizer=%s\n",
		m.Name, m.Family, m.Dims, m.MaxTokens, tokenizerVersion[m.Family])
	files := append([]File(nil), m.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Role < files[j].Role })
	for _, f := range files {
		fmt.Fprintf(&b, "file=%s %s\n", f.Role, f.SHA256)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Path is the file with the given role, or "" if the manifest has none.
func (m *Manifest) Path(role string) string {
	for _, f := range m.Files {
		if f.Role == role {
			return filepath.Join(m.Dir, f.Name)
		}
	}
	return ""
}

// Verify hashes every file of the model. Each missing or mismatching file
// is one *FileError; more than one are joined on one line (errors.As and
// errors.Is see each). Every error wraps ErrUnavailable.
func (m *Manifest) Verify() error {
	var errs []error
	for _, f := range m.Files {
		if _, err := m.check(f, false); err != nil {
			errs = append(errs, err)
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return joined(errs)
}

// read returns the content of the file with role, after checking its hash:
// the bytes checked are the bytes used.
func (m *Manifest) read(role string) ([]byte, error) {
	for _, f := range m.Files {
		if f.Role == role {
			return m.check(f, true)
		}
	}
	return nil, unavailablef("model %s: the manifest lists no %s file", m.Name, role)
}

// check hashes f, returning its content when keep is set.
func (m *Manifest) check(f File, keep bool) ([]byte, error) {
	path := filepath.Join(m.Dir, f.Name)
	got, data, err := hashFile(path, keep)
	if err != nil {
		return nil, &FileError{Model: m.Name, Path: path, Want: f.SHA256, Err: err, hint: m.fixHint()}
	}
	if got != f.SHA256 {
		return nil, &FileError{Model: m.Name, Path: path, Want: f.SHA256, Got: got, hint: m.fixHint()}
	}
	return data, nil
}

func (m *Manifest) fixHint() string {
	if m.Builtin() {
		return "run `make models`"
	}
	return fmt.Sprintf("add it again with `patina model add --name %s …`", m.Name)
}

// unavailable wraps ErrUnavailable without saying so: its message says
// what is missing or wrong instead.
type unavailable struct{ err error }

func (u unavailable) Error() string        { return u.err.Error() }
func (u unavailable) Unwrap() error        { return u.err }
func (u unavailable) Is(target error) bool { return target == ErrUnavailable }

func unavailablef(format string, args ...any) error {
	return unavailable{fmt.Errorf(format, args...)}
}

// fileProblem is a model file with its pinned hash that still cannot be
// used: a vocabulary that does not parse, a graph ONNX Runtime refuses or
// that does not look like its family's. It wraps ErrUnavailable.
type fileProblem struct {
	model, path string
	err         error
}

func (e *fileProblem) Error() string        { return fmt.Sprintf("model %s: %s: %v", e.model, e.path, e.err) }
func (e *fileProblem) Unwrap() error        { return e.err }
func (e *fileProblem) Is(target error) bool { return target == ErrUnavailable }

// FileError is a model or runtime file that is missing, unreadable or has
// the wrong hash. It wraps ErrUnavailable.
type FileError struct {
	Model string // model name, or "" for the ONNX Runtime library
	Path  string
	Want  string // pinned sha256
	Got   string // actual sha256, when the file could be read
	Err   error  // why it could not be read
	hint  string
}

func (e *FileError) Error() string {
	what := "onnx runtime"
	if e.Model != "" {
		what = "model " + e.Model
	}
	switch {
	case errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("%s: %s: missing (expected sha256 %s); %s", what, e.Path, e.Want, e.hint)
	case e.Err != nil:
		return fmt.Sprintf("%s: %s: %v (expected sha256 %s)", what, e.Path, unwrapPath(e.Err), e.Want)
	}
	return fmt.Sprintf("%s: %s: sha256 is %s, expected %s; %s", what, e.Path, e.Got, e.Want, e.hint)
}

func (e *FileError) Unwrap() error        { return e.Err }
func (e *FileError) Is(target error) bool { return target == ErrUnavailable }

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// joined is several errors on one line, "; "-separated. It is the only
// error here with Unwrap() []error: the others wrap one cause and say
// they are ErrUnavailable with an Is method.
type joined []error

func (j joined) Error() string {
	s := make([]string, len(j))
	for i, e := range j {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

func (j joined) Unwrap() []error { return j }

// maxFileSize bounds what a model file may be; the bigger common encoders
// are a few hundred MB.
const maxFileSize = 4 << 30

// hashFile returns the hex SHA-256 of a regular file and, when keep is set,
// its content.
func hashFile(path string, keep bool) (string, []byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	return hashOpen(f, keep)
}

// openRegular opens path for reading, refusing anything but a regular
// file. A FIFO or device is refused before it is opened: opening a FIFO
// blocks until someone writes, and a load must never hang.
func openRegular(path string) (*os.File, error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, err
	}
	return f, nil
}

// hashOpen returns the hex SHA-256 of what is left to read of f and, when
// keep is set, those bytes.
func hashOpen(f *os.File, keep bool) (string, []byte, error) {
	st, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	if st.Size() > maxFileSize {
		return "", nil, fmt.Errorf("larger than %d bytes", int64(maxFileSize))
	}
	h := sha256.New()
	if !keep {
		if _, err := io.Copy(h, f); err != nil {
			return "", nil, err
		}
		return hex.EncodeToString(h.Sum(nil)), nil, nil
	}
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return "", nil, err
	}
	if int64(buf.Len()) > maxFileSize {
		return "", nil, fmt.Errorf("larger than %d bytes", int64(maxFileSize))
	}
	data := buf.Bytes()
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), data, nil
}

// namePattern is what a user-added model may be called: it names a
// directory, so no separators, no leading dot. Compiled on first use, as
// hexPattern is: package initialisation runs in every command.
var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`) })

// ValidName checks a model name: lower-case letters, digits, '.', '_' and
// '-', starting with a letter or digit, at most 64 characters. It names a
// directory, so it has no separators and no leading dot. The built-in
// model's name is valid (as a name to ask for); Add refuses it.
func ValidName(name string) error {
	switch {
	case len(name) > maxNameLen:
		return fmt.Errorf("model name %q is longer than %d characters", name, maxNameLen)
	case !namePattern().MatchString(name):
		return fmt.Errorf("model name %q must be lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", name)
	}
	return nil
}

// validUserName checks a name for a user-added model: a valid name that
// is not the built-in model's.
func validUserName(name string) error {
	if name == DefaultModel {
		return fmt.Errorf("model name %q is the built-in model's", name)
	}
	return ValidName(name)
}

var hexPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })

// validate checks a manifest read from disk: it must describe exactly one
// ONNX graph and one vocabulary, by plain file names, with well-formed
// hashes and sane sizes.
func (m *Manifest) validate() error {
	if err := validUserName(m.Name); err != nil {
		return err
	}
	switch m.Family {
	case FamilyUSELite, FamilyBERT:
	default:
		return fmt.Errorf("unknown family %q (want %s or %s)", m.Family, FamilyUSELite, FamilyBERT)
	}
	if m.Dims < 1 || m.Dims > maxDims {
		return fmt.Errorf("dims %d out of range 1..%d", m.Dims, maxDims)
	}
	if m.MaxTokens < minTokens(m.Family) || m.MaxTokens > maxMaxTokens {
		return fmt.Errorf("max_tokens %d out of range %d..%d", m.MaxTokens, minTokens(m.Family), maxMaxTokens)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if f.Role != RoleONNX && f.Role != RoleVocab {
			return fmt.Errorf("file %q has unknown role %q", f.Name, f.Role)
		}
		if seen[f.Role] {
			return fmt.Errorf("more than one %s file", f.Role)
		}
		seen[f.Role] = true
		if f.Name == "" || f.Name == "." || f.Name == ".." || f.Name == manifestName || strings.ContainsAny(f.Name, `/\`) {
			return fmt.Errorf("file name %q is not a plain file name", f.Name)
		}
		if !hexPattern().MatchString(f.SHA256) {
			return fmt.Errorf("file %q: sha256 %q is not 64 lower-case hex digits", f.Name, f.SHA256)
		}
	}
	if !seen[RoleONNX] || !seen[RoleVocab] {
		return errors.New("a model needs one onnx and one vocab file")
	}
	return nil
}

// minTokens is the shortest max_tokens that leaves room for text: BERT
// spends two on [CLS] and [SEP].
func minTokens(family string) int {
	if family == FamilyBERT {
		return 3
	}
	return 1
}

// Find returns the named model's manifest: the built-in default, or a
// user-added model from paths.Models()/NAME/manifest.json. It does not
// check the files (Verify and Open do). An unknown name wraps
// ErrUnavailable.
func Find(name string) (*Manifest, error) {
	if name == DefaultModel {
		return builtin()
	}
	if err := ValidName(name); err != nil {
		return nil, unavailablef("%v", err)
	}
	dir, err := paths.Models()
	if err != nil {
		return nil, unavailablef("model %s: %v", name, err)
	}
	return readManifest(filepath.Join(dir, name))
}

// readManifest loads and validates DIR/manifest.json; the manifest's name
// must be the directory's.
func readManifest(dir string) (*Manifest, error) {
	name := filepath.Base(dir)
	path := filepath.Join(dir, manifestName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, unavailablef("model %s: not installed (no %s); see `patina model list`", name, path)
	}
	if err != nil {
		return nil, unavailablef("model %s: %v", name, err)
	}
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, unavailablef("model %s: %s: %v", name, path, err)
	}
	if err := m.validate(); err != nil {
		return nil, unavailablef("model %s: %s: %v", name, path, err)
	}
	if m.Name != name {
		return nil, unavailablef("model %s: %s names model %q", name, path, m.Name)
	}
	m.Dir = dir
	return &m, nil
}

// List returns the built-in model and then every user-added model, by
// name. A directory under paths.Models() whose manifest cannot be read is
// left out and named in the error, which comes with the models that could
// be read.
func List() ([]*Manifest, error) {
	b, err := builtin()
	if err != nil {
		return nil, err
	}
	out := []*Manifest{b}
	dir, err := paths.Models()
	if err != nil {
		return out, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("models: %w", err)
	}
	var errs []error
	for _, e := range entries { // ReadDir sorts by name
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue // a dot-directory is an `add` in progress
		}
		m, err := readManifest(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, m)
	}
	if len(errs) > 0 {
		return out, joined(errs)
	}
	return out, nil
}
