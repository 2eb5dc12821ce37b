package embed

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// spm is the Universal Sentence Encoder lite tokenizer: a SentencePiece
// unigram vocabulary (vocab.json, a list of [piece, score]) applied the way
// the TF.js original (tfjs-models universal-sentence-encoder) applies it,
// so the ids are the ones the graph was trained on:
//
//   - the text is NFKC-normalised, prefixed with "▁", and every space
//     becomes "▁";
//   - a lattice of every vocabulary piece at every position, and a forward
//     pass keeping the best total score at each position (ties go to the
//     later candidate, candidates visited by start position);
//   - a character no piece starts with is the unknown id 0, and a run of
//     unknowns is one id 0;
//   - the backward pass steps by each piece's UTF-16 length, as the
//     JavaScript does.
//
// Ids 0–5 are reserved (unknown, <s>, </s>, three extra) and never matched.
type spm struct {
	root      *spmNode
	stepLen   []int // UTF-16 length of each id's piece, for the backward pass
	maxTokens int
	maxPiece  int // longest piece, in code points
}

type spmNode struct {
	next  map[rune]*spmNode
	id    int32 // piece ending here, or -1
	score float64
}

const (
	spmReserved = 6
	spmUnknown  = 0
	spmSpace    = '▁' // U+2581
)

func newSPM(vocabJSON []byte, maxTokens int) (*spm, error) {
	var vocab [][2]json.RawMessage
	if err := json.Unmarshal(vocabJSON, &vocab); err != nil {
		return nil, fmt.Errorf("vocab.json: %v", err)
	}
	if len(vocab) <= spmReserved {
		return nil, fmt.Errorf("vocab.json: %d entries, want more than %d", len(vocab), spmReserved)
	}
	t := &spm{root: newSPMNode(), stepLen: make([]int, len(vocab)), maxTokens: maxTokens}
	for id, entry := range vocab {
		var piece string
		var score float64
		if err := json.Unmarshal(entry[0], &piece); err != nil {
			return nil, fmt.Errorf("vocab.json: entry %d: %v", id, err)
		}
		if err := json.Unmarshal(entry[1], &score); err != nil {
			return nil, fmt.Errorf("vocab.json: entry %d: %v", id, err)
		}
		t.stepLen[id] = max(1, len(utf16.Encode([]rune(piece)))) // never 0: the backward pass must move
		if id < spmReserved || piece == "" {
			continue
		}
		n := t.root
		for _, r := range piece {
			c := n.next[r]
			if c == nil {
				c = newSPMNode()
				n.next[r] = c
			}
			n = c
		}
		n.id, n.score = int32(id), score
		t.maxPiece = max(t.maxPiece, utf8.RuneCountInString(piece))
	}
	return t, nil
}

func newSPMNode() *spmNode { return &spmNode{next: map[rune]*spmNode{}, id: -1} }

// encode returns the ids of text, at most maxTokens of them and at least
// one (an empty text is the unknown id: the graph needs a token per row).
func (t *spm) encode(text string) []int64 {
	ids := t.tokenize(t.cut(text))
	if len(ids) > t.maxTokens {
		ids = ids[:t.maxTokens]
	}
	if len(ids) == 0 {
		ids = []int64{spmUnknown}
	}
	return ids
}

// cut drops what cannot reach the first maxTokens ids, so a huge text
// costs no more than a long one. Pieces never span a space (only a
// piece's first character may be "▁"), so cutting before a space leaves
// the ids before it unchanged; the cut is that far out that even pieces
// of the longest length, twice over, fill maxTokens.
func (t *spm) cut(text string) string {
	limit := 2 * (t.maxTokens + 1) * t.maxPiece
	if len(text) <= limit {
		return text
	}
	end, n := 0, 0
	for end < len(text) && n < limit {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
		n++
	}
	if sp := strings.LastIndexByte(text[:end], ' '); sp > 0 {
		end = sp
	}
	return text[:end]
}

// tokenize is the TF.js Tokenizer.encode.
func (t *spm) tokenize(text string) []int64 {
	s := norm.NFKC.String(text)
	if s == "" {
		return nil
	}
	syms := []rune(string(spmSpace) + strings.ReplaceAll(s, " ", string(spmSpace)))
	n := len(syms)
	// Forward pass. Relaxing the edges start by start visits the
	// candidates ending at each position in the order the original does
	// (by start, then shorter pieces first), and best[i] is final by the
	// time start i is reached.
	best := make([]float64, n+1)
	words := make([]int32, n+1)
	relax := func(end int, score float64, id int32) {
		if best[end] == 0 || score >= best[end] {
			best[end], words[end] = score, id
		}
	}
	for i := range n {
		matched := false
		node := t.root
		for j := i; j < n; j++ {
			node = node.next[syms[j]]
			if node == nil {
				break
			}
			if node.id >= 0 {
				relax(j+1, node.score+best[i], node.id)
				matched = true
			}
		}
		if !matched {
			relax(i+1, best[i], spmUnknown) // unknown: score 0, length 1
		}
	}
	// Backward pass, then merge runs of unknowns (in reverse order, as the
	// original does; the result is the same either way).
	var rev []int64
	for i := n; i > 0; i -= t.stepLen[words[i]] {
		id := int64(words[i])
		if id == spmUnknown && len(rev) > 0 && rev[len(rev)-1] == spmUnknown {
			continue
		}
		rev = append(rev, id)
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
