package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patina-dev/patina/internal/atomicfile"
	"github.com/patina-dev/patina/internal/paths"
)

// DefaultBERTMaxTokens is a user-added BERT model's max_tokens unless told
// otherwise: what all-MiniLM-L6-v2 was trained with, and half of BERT's
// usual 512 positions.
const DefaultBERTMaxTokens = 256

// ErrExists is returned by Add for a name that is already installed.
var ErrExists = errors.New("model already installed")

// AddOptions is a model for Add to install.
type AddOptions struct {
	Name        string
	Family      string // FamilyBERT unless set
	ONNX        string // the graph's path
	Vocab       string // the vocabulary's path (vocab.txt for BERT)
	SHA256      string // the hash the graph must have
	VocabSHA256 string // the hash the vocabulary must have, if given
	Dims        int    // expected output dims; 0 learns them from the graph
	MaxTokens   int    // 0 is DefaultBERTMaxTokens (128 for use-lite)
}

// Add installs a user model into paths.Models()/NAME: it checks the graph
// (and the vocabulary, if a hash is given) against the expected hash before
// writing anything, copies both files into a private temporary directory,
// probes the model there (loads it, embeds a word and a text of max_tokens
// tokens, learns the output dims) and only then renames the directory into
// place with its manifest.json. A model that fails any step is refused and
// leaves nothing behind.
func Add(ctx context.Context, o AddOptions) (*Manifest, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	root, err := paths.Models()
	if err != nil {
		return nil, err
	}
	dest := filepath.Join(root, o.Name)
	if _, err := os.Lstat(dest); err == nil {
		return nil, fmt.Errorf("model %s: %w in %s", o.Name, ErrExists, dest)
	}
	// Hash first: a wrong file is refused before anything is written. So
	// is a missing runtime, without which the model cannot be probed.
	if _, err := VerifyRuntime(); err != nil {
		return nil, err
	}
	if err := hashMatches(o.ONNX, o.SHA256); err != nil {
		return nil, err
	}
	if o.VocabSHA256 != "" {
		if err := hashMatches(o.Vocab, o.VocabSHA256); err != nil {
			return nil, err
		}
	}

	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, err
	}
	sweepStaleAdds(root)
	tmp, err := os.MkdirTemp(root, "."+o.Name+".add-") // 0700
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	vocabName := "vocab.txt"
	if o.Family == FamilyUSELite {
		vocabName = "vocab.json"
	}
	// The copies are hashed as they are written: the files used are the
	// files checked, even if the originals change meanwhile.
	graphSum, err := copyFile(o.ONNX, filepath.Join(tmp, "model.onnx"))
	if err != nil {
		return nil, err
	}
	if graphSum != o.SHA256 {
		return nil, fmt.Errorf("%s changed while it was copied (sha256 now %s, expected %s); nothing installed", o.ONNX, graphSum, o.SHA256)
	}
	vocabSum, err := copyFile(o.Vocab, filepath.Join(tmp, vocabName))
	if err != nil {
		return nil, err
	}
	if o.VocabSHA256 != "" && vocabSum != o.VocabSHA256 {
		return nil, fmt.Errorf("%s changed while it was copied (sha256 now %s, expected %s); nothing installed", o.Vocab, vocabSum, o.VocabSHA256)
	}
	m := &Manifest{
		Name:      o.Name,
		Family:    o.Family,
		Dims:      o.Dims,
		MaxTokens: o.MaxTokens,
		Files: []File{
			{RoleONNX, "model.onnx", graphSum},
			{RoleVocab, vocabName, vocabSum},
		},
		Dir: tmp,
	}
	dims, err := probe(ctx, m)
	if err != nil {
		// Name the user's file, not the copy.
		var fp *fileProblem
		if errors.As(err, &fp) {
			src := o.ONNX
			if fp.path == m.Path(RoleVocab) {
				src = o.Vocab
			}
			return nil, fmt.Errorf("model %s refused: %s: %v", o.Name, src, fp.err)
		}
		return nil, fmt.Errorf("model %s refused: %w", o.Name, err)
	}
	if o.Dims > 0 && dims != o.Dims {
		return nil, fmt.Errorf("model %s refused: it makes %d-dimensional vectors, not %d (--dims)", o.Name, dims, o.Dims)
	}
	m.Dims = dims
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("model %s refused: %v", o.Name, err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Create(filepath.Join(tmp, manifestName), append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	syncDir(tmp)
	if _, err := os.Lstat(dest); err == nil {
		return nil, fmt.Errorf("model %s: %w in %s", o.Name, ErrExists, dest)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return nil, err
	}
	done = true
	syncDir(root)
	m.Dir = dest
	return m, nil
}

// check fills in defaults and refuses malformed options.
func (o *AddOptions) check() error {
	if err := validUserName(o.Name); err != nil {
		return err
	}
	if o.Family == "" {
		o.Family = FamilyBERT
	}
	if o.Family != FamilyBERT && o.Family != FamilyUSELite {
		return fmt.Errorf("unknown family %q (want %s or %s)", o.Family, FamilyBERT, FamilyUSELite)
	}
	if o.ONNX == "" || o.Vocab == "" {
		return errors.New("a model needs an ONNX graph and a vocabulary file")
	}
	o.SHA256 = strings.ToLower(o.SHA256)
	o.VocabSHA256 = strings.ToLower(o.VocabSHA256)
	if !hexPattern().MatchString(o.SHA256) {
		return fmt.Errorf("sha256 %q is not 64 hex digits", o.SHA256)
	}
	if o.VocabSHA256 != "" && !hexPattern().MatchString(o.VocabSHA256) {
		return fmt.Errorf("vocab sha256 %q is not 64 hex digits", o.VocabSHA256)
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = DefaultBERTMaxTokens
		if o.Family == FamilyUSELite {
			o.MaxTokens = 128
		}
	}
	if o.MaxTokens < minTokens(o.Family) || o.MaxTokens > maxMaxTokens {
		return fmt.Errorf("max tokens %d out of range %d..%d", o.MaxTokens, minTokens(o.Family), maxMaxTokens)
	}
	if o.Dims < 0 || o.Dims > maxDims {
		return fmt.Errorf("dims %d out of range 1..%d", o.Dims, maxDims)
	}
	return nil
}

// hashMatches checks path's SHA-256 against want.
func hashMatches(path, want string) error {
	got, _, err := hashFile(path, false)
	if err != nil {
		return fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if got != want {
		return fmt.Errorf("%s: sha256 is %s, expected %s; nothing installed", path, got, want)
	}
	return nil
}

// probe loads m and embeds with it, returning its output dims. A graph
// with the wrong inputs, outputs that are not finite, or one that cannot
// take max_tokens tokens is refused here rather than at the first scry.
func probe(ctx context.Context, m *Manifest) (int, error) {
	e, err := open(m)
	if err != nil {
		return 0, err
	}
	defer e.Close()
	long := strings.Repeat("a ", m.MaxTokens+2) // at least max_tokens ids once truncated
	vs, err := e.Embed(ctx, []string{"hello", long})
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // without "model NAME: ", which the caller says
		}
		return 0, fmt.Errorf("embedding with it (up to %d tokens): %v", m.MaxTokens, err)
	}
	dims := len(vs[0])
	if dims == 0 || dims > maxDims {
		return 0, fmt.Errorf("the graph makes %d-dimensional vectors", dims)
	}
	for _, v := range vs {
		var sum float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return 0, errors.New("the graph's output is not finite")
			}
			sum += float64(x) * float64(x)
		}
		if math.Abs(sum-1) > 1e-3 {
			return 0, errors.New("the graph's output is all zeros")
		}
	}
	return dims, nil
}

// copyFile copies a regular file to dst (created 0600, synced) and returns
// the hex SHA-256 of what it wrote.
func copyFile(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil {
		return "", err
	} else if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(in, maxFileSize+1))
	if err == nil && n > maxFileSize {
		err = fmt.Errorf("larger than %d bytes", int64(maxFileSize))
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("copy %s: %w", src, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// syncDir makes renames and creations in dir durable, best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// staleAdd is how old a temporary copy left by an interrupted add must be
// before another add removes it (an add in progress is never that slow).
const staleAdd = 24 * time.Hour

// sweepStaleAdds removes the hidden temporary directories of adds that
// were killed part-way (they can hold gigabytes, and List hides them).
func sweepStaleAdds(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ".") || !strings.Contains(e.Name(), ".add-") {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleAdd {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}
