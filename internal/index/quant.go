package index

import (
	"encoding/binary"
	"slices"
)

// The in-memory vectors are quantised to two bits a dimension: each
// dimension's values are cut at their quartiles, and a code stands for the
// mean of its quarter. A query is scored against codes without decoding
// them: for every code byte (four dimensions) a table holds the query's
// partial dot product for each of the 256 byte values, so a 512-dimension
// vector costs 128 table reads instead of 512 multiplications, and 128
// bytes instead of 2,048. The best few by this estimate are then re-scored
// exactly from the float32s in SQLite (DB.rescore). Cutting by quartiles
// spreads the codes evenly whatever a dimension's offset and spread, which
// is what makes two bits enough (BenchmarkVectorRecall measures it).

// quantiser maps one model's vectors to codes. It is fitted once, on the
// first vectors read, and never changes for the set.
type quantiser struct {
	dims   int
	cuts   [][3]float32 // per dimension: the quartile boundaries
	levels [][4]float32 // per dimension: the mean value in each quarter
}

// codeBytes is how many bytes a vector's codes take (four dimensions each).
func (q quantiser) codeBytes() int { return (q.dims + 3) / 4 }

// newQuantiser fits the cuts and levels to sample (row-major, dims wide).
func newQuantiser(sample []float32, dims int) quantiser {
	q := quantiser{dims: dims, cuts: make([][3]float32, dims), levels: make([][4]float32, dims)}
	n := len(sample) / max(dims, 1)
	if n == 0 {
		return q
	}
	col := make([]float32, n)
	for d := range dims {
		for i := range n {
			col[i] = sample[i*dims+d]
		}
		slices.Sort(col)
		q.cuts[d] = [3]float32{col[n/4], col[n/2], col[3*n/4]}
		var sums [4]float64
		var counts [4]int
		for _, f := range col {
			l := q.level(d, f)
			sums[l] += float64(f)
			counts[l]++
		}
		for l := range 4 {
			if counts[l] > 0 {
				q.levels[d][l] = float32(sums[l] / float64(counts[l]))
			} else {
				q.levels[d][l] = q.cuts[d][min(l, 2)] // an empty quarter: its edge
			}
		}
	}
	return q
}

// level is the quarter of dimension d that f falls in.
func (q quantiser) level(d int, f float32) int {
	c := &q.cuts[d]
	switch {
	case f < c[0]:
		return 0
	case f < c[1]:
		return 1
	case f < c[2]:
		return 2
	}
	return 3
}

// encode appends v's codes: dimension d in bits 2(d%4) of byte d/4.
func (q quantiser) encode(dst []byte, v []float32) []byte {
	for j := range q.codeBytes() {
		var b byte
		for k := range min(4, q.dims-4*j) {
			b |= byte(q.level(4*j+k, v[4*j+k])) << (2 * k)
		}
		dst = append(dst, b)
	}
	return dst
}

// tables returns, for each code byte, the query's dot product with the
// four levels each of its 256 values stands for.
func (q quantiser) tables(qv []float32) [][256]float32 {
	t := make([][256]float32, q.codeBytes())
	for j := range t {
		for b := range 256 {
			var s float32
			for k := range min(4, q.dims-4*j) {
				d := 4*j + k
				s += qv[d] * q.levels[d][(b>>(2*k))&3]
			}
			t[j][b] = s
		}
	}
	return t
}

// estimate is the query's approximate dot product with one vector's codes.
// Codes are read eight bytes at a time, and four sums run side by side so
// the table reads do not wait on each other.
func estimate(t [][256]float32, code []byte) float32 {
	t = t[:len(code)]
	var s0, s1, s2, s3 float32
	j := 0
	for ; j+8 <= len(code); j += 8 {
		w := binary.LittleEndian.Uint64(code[j:])
		tj := t[j : j+8]
		s0 += tj[0][byte(w)] + tj[4][byte(w>>32)]
		s1 += tj[1][byte(w>>8)] + tj[5][byte(w>>40)]
		s2 += tj[2][byte(w>>16)] + tj[6][byte(w>>48)]
		s3 += tj[3][byte(w>>24)] + tj[7][byte(w>>56)]
	}
	for ; j < len(code); j++ {
		s0 += t[j][code[j]]
	}
	return s0 + s1 + s2 + s3
}
