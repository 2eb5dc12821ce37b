// Package mask replaces secret values in a byte stream with a placeholder.
// It is the relay between `patina secrets run`'s child and our own stdout
// and stderr: the agent that runs the command reads what it prints, so a
// value the command prints must not reach it.
//
//	w := mask.NewWriter(os.Stdout, mask.Forms(value))
//	io.Copy(w, childOutput)
//	w.Close() // flushes what was held back, wipes the patterns
//
// Matching is leftmost-longest: scanning from the left, at each position the
// longest pattern that matches there is replaced and the scan resumes after
// it. The output is exactly that of the same replacement done on the whole
// stream at once, however the stream is cut into writes: a pattern split
// across two writes is still replaced. To get that, a write's last bytes are
// held back while they could still begin a pattern (never more than the
// longest pattern less one byte); everything else is written at once.
package mask

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
)

// Placeholder replaces each occurrence of a pattern.
const Placeholder = "<concealed by patina>"

// MinLen is the shortest pattern masked. Shorter values (a port, "true",
// a user name) occur by chance in ordinary output, which masking them would
// garble, and they are guessable anyway. NewWriter ignores shorter patterns.
const MinLen = 6

// ErrClosed is what a Write after Close returns.
var ErrClosed = errors.New("mask: write after close")

// Candidate positions are found by hashing 4 bytes into a bitset; only a
// hit looks up the patterns that begin with those exact bytes. Every
// pattern is at least keyLen+stride-1 bytes long, so a match that starts
// at i, i+1 or i+2 covers the 4 bytes at i+2 with its own bytes at offset
// 2, 1 or 0: one probe there rules out three starting positions at once.
const (
	keyLen   = 4
	stride   = 3
	hashBits = 18
)

var _ [MinLen - (keyLen + stride - 1)]struct{} // compiles only if MinLen is long enough

type bitset []uint64

func newBitset() bitset { return make(bitset, 1<<hashBits/64) }

func (s bitset) add(k uint32) { h := hash(k); s[h/64] |= 1 << (h % 64) }

func (s bitset) has(k uint32) bool { h := hash(k); return s[h/64]&(1<<(h%64)) != 0 }

func hash(k uint32) uint32 { return (k * 0x9E3779B1) >> (32 - hashBits) }

func key(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// Writer masks what is written to it and writes the rest to dst. It is not
// safe for concurrent use.
type Writer struct {
	dst    io.Writer
	pats   [][]byte           // private copies, wiped by Close
	byKey  map[uint32][]int32 // first 4 bytes → patterns, longest first
	starts bitset             // the first 4 bytes of each pattern
	probes bitset             // the 4 bytes at offsets 0, 1 and 2
	// Proper prefixes shorter than keyLen, to decide whether the last
	// 1–3 bytes of a write could begin a pattern.
	prefix1 [256]bool
	prefix2 map[[2]byte]bool
	prefix3 map[[3]byte]bool

	tail []byte // held back: could begin a pattern
	buf  []byte // tail + the next write
	out  []byte // what the next dst.Write sends
	err  error
}

var _ io.WriteCloser = (*Writer)(nil)

// NewWriter returns a Writer that replaces every pattern (of at least MinLen
// bytes) in what it is given by Placeholder before writing it to dst. It
// keeps copies of the patterns; the caller may wipe its own.
func NewWriter(dst io.Writer, patterns [][]byte) *Writer {
	w := &Writer{dst: dst}
	// Longest first, so the first match found at a position is the
	// longest; equal ones are then neighbours, and kept once.
	sorted := slices.Clone(patterns)
	slices.SortFunc(sorted, func(a, b []byte) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return bytes.Compare(a, b)
	})
	for i, p := range sorted {
		if len(p) >= MinLen && (i == 0 || !bytes.Equal(p, sorted[i-1])) {
			w.pats = append(w.pats, bytes.Clone(p))
		}
	}
	return w
}

// index builds the lookup tables, on the first write: a command that
// prints nothing (`secrets run -- true`) never pays for them.
func (w *Writer) index() {
	w.byKey = map[uint32][]int32{}
	w.starts, w.probes = newBitset(), newBitset()
	w.prefix2, w.prefix3 = map[[2]byte]bool{}, map[[3]byte]bool{}
	for i, p := range w.pats {
		k := key(p)
		w.byKey[k] = append(w.byKey[k], int32(i))
		w.starts.add(k)
		for off := range stride {
			w.probes.add(key(p[off:]))
		}
		w.prefix1[p[0]] = true
		w.prefix2[[2]byte(p)] = true
		w.prefix3[[3]byte(p)] = true
	}
}

// Write masks p and writes to dst all of it that can be decided now,
// holding back at most the longest pattern's length less one byte. It
// returns len(p) unless dst failed.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.starts == nil {
		w.index()
	}
	b := p
	if len(w.tail) > 0 {
		w.buf = append(append(w.buf[:0], w.tail...), p...)
		b = w.buf
	}
	rest := w.scan(b, false)
	// rest aliases p or w.buf, never w.tail's array: copying is safe.
	w.tail = append(w.tail[:0], rest...)
	if err := w.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes what was held back (masked: no more bytes can complete a
// pattern now) and wipes the patterns and buffers. It does not close dst.
func (w *Writer) Close() error {
	if w.err == ErrClosed {
		return nil
	}
	if w.err == nil {
		w.scan(w.tail, true)
		w.flush()
	}
	for _, p := range w.pats {
		clear(p)
	}
	for _, b := range [][]byte{w.tail, w.buf, w.out} {
		clear(b[:cap(b)])
	}
	w.pats, w.tail, w.buf, w.out = nil, nil, nil, nil
	err := w.err
	w.err = ErrClosed
	return err
}

func (w *Writer) flush() error {
	if len(w.out) == 0 {
		return nil
	}
	_, err := w.dst.Write(w.out)
	clear(w.out) // it may hold a pattern's first bytes, from before a match
	w.out = w.out[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// scan appends to w.out the masked form of b up to the first position that
// cannot be decided yet, and returns the rest. With final set, nothing
// follows b, so every position is decided.
func (w *Writer) scan(b []byte, final bool) (rest []byte) {
	i, done := 0, 0
	for i < len(b) {
		if i+stride-1+keyLen <= len(b) && !w.probes.has(key(b[i+stride-1:])) {
			i += stride // no pattern starts at i, i+1 or i+2
			continue
		}
		n, undecided := w.at(b[i:], final)
		if undecided {
			break
		}
		if n == 0 {
			i++
			continue
		}
		w.out = append(append(w.out, b[done:i]...), Placeholder...)
		i += n
		done = i
	}
	w.out = append(w.out, b[done:i]...)
	return b[i:]
}

// at returns the length of the longest pattern s begins with, or undecided
// if, with more bytes, s could still begin a longer one.
func (w *Writer) at(s []byte, final bool) (n int, undecided bool) {
	if len(s) < keyLen {
		return 0, !final && w.couldBegin(s)
	}
	k := key(s)
	if !w.starts.has(k) {
		return 0, false
	}
	return w.matchAt(s, k, final)
}

// matchAt is at for s of at least keyLen bytes, whose first four are k.
func (w *Writer) matchAt(s []byte, k uint32, final bool) (n int, undecided bool) {
	for _, ix := range w.byKey[k] {
		p := w.pats[ix]
		if len(p) <= len(s) {
			if bytes.Equal(s[:len(p)], p) {
				return len(p), false
			}
		} else if !final && bytes.HasPrefix(p, s) {
			return 0, true
		}
	}
	return 0, false
}

// couldBegin reports whether s (1 to keyLen-1 bytes) is a prefix of a pattern.
func (w *Writer) couldBegin(s []byte) bool {
	switch len(s) {
	case 1:
		return w.prefix1[s[0]]
	case 2:
		return w.prefix2[[2]byte(s)]
	default:
		return w.prefix3[[3]byte(s)]
	}
}
