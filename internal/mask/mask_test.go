package mask

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

const P = Placeholder

// replaceAll is the reference: leftmost-longest replacement over the whole
// input at once, by brute force.
func replaceAll(data []byte, pats [][]byte) []byte {
	var out []byte
	for i := 0; i < len(data); {
		best := 0
		for _, p := range pats {
			if len(p) >= MinLen && len(p) > best && bytes.HasPrefix(data[i:], p) {
				best = len(p)
			}
		}
		if best > 0 {
			out = append(out, P...)
			i += best
			continue
		}
		out = append(out, data[i])
		i++
	}
	return out
}

// masked writes data to a Writer in pieces of the given sizes (cycled),
// closes it, and returns what reached dst.
func masked(t testing.TB, pats [][]byte, data []byte, sizes ...int) []byte {
	t.Helper()
	var dst bytes.Buffer
	w := NewWriter(&dst, pats)
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(sizes) > 0 {
			n = min(n, max(1, sizes[i%len(sizes)]))
		}
		if m, err := w.Write(data[:n]); m != n || err != nil {
			t.Fatalf("Write = %d, %v", m, err)
		}
		data = data[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dst.Bytes()
}

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

func TestWriterVectors(t *testing.T) {
	for _, c := range []struct {
		name     string
		pats     []string
		in, want string
	}{
		{"none", []string{"secret"}, "nothing to hide\n", "nothing to hide\n"},
		{"no patterns", nil, "secret", "secret"},
		{"one", []string{"secret"}, "a secret here", "a " + P + " here"},
		{"whole input", []string{"secret"}, "secret", P},
		{"repeated and adjacent", []string{"secret"}, "secretsecret secret", P + P + " " + P},
		{"trailing newline kept", []string{"secret"}, "K=secret\nL=x\n", "K=" + P + "\nL=x\n"},
		{"longest wins", []string{"secret", "secret-longer"}, "[secret-longer] [secret-long]", "[" + P + "] [" + P + "-long]"},
		{"leftmost wins over longer", []string{"abcdef", "cdefghijkl"}, "abcdefghijkl", P + "ghijkl"},
		{"overlap after a match", []string{"aaaaaa"}, "aaaaaaaaaaa", P + "aaaaa"},
		{"shorter than MinLen ignored", []string{"short", "secret"}, "short secret", "short " + P},
		{"binary around", []string{"\x00\xffsecret"}, "\x01\x00\xffsecret\x00\xfe", "\x01" + P + "\x00\xfe"},
		{"prefix at end is not a match", []string{"secret-value"}, "x secret-val", "x secret-val"},
		{"partial then full", []string{"secret-value"}, "secret-vasecret-value", "secret-va" + P},
		{"duplicate patterns", []string{"secret", "secret"}, "secret", P},
	} {
		t.Run(c.name, func(t *testing.T) {
			pats := bs(c.pats...)
			if ref := string(replaceAll([]byte(c.in), pats)); ref != c.want {
				t.Fatalf("the reference gives %q, the vector says %q", ref, c.want)
			}
			for _, size := range []int{0, 1, 2, 3, 5, 7} {
				if got := string(masked(t, pats, []byte(c.in), size)); got != c.want {
					t.Errorf("writes of %d: %q, want %q", size, got, c.want)
				}
			}
		})
	}
}

// A value cut across two writes at every possible point is still caught.
func TestWriterEverySplit(t *testing.T) {
	pats := bs("s3cr3t-value", "s3cr3t-value-with-more", "czNjcjN0LXZhbHVl")
	in := []byte("A=s3cr3t-value\nB=s3cr3t-value-with-more\nC=czNjcjN0LXZhbHVl\nD=s3cr3t-valu")
	want := replaceAll(in, pats)
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			var dst bytes.Buffer
			w := NewWriter(&dst, pats)
			w.Write(in[:i])
			w.Write(in[i:j])
			w.Write(in[j:])
			w.Close()
			if !bytes.Equal(dst.Bytes(), want) {
				t.Fatalf("cut at %d and %d: %q, want %q", i, j, dst.Bytes(), want)
			}
		}
	}
}

// Output is streamed: what cannot begin a pattern is written at once, and
// only a possible beginning is held, until the next write decides it.
func TestWriterHoldsOnlyWhatCouldBegin(t *testing.T) {
	var dst bytes.Buffer
	w := NewWriter(&dst, bs("secret-value"))
	step := func(in, want string) {
		t.Helper()
		w.Write([]byte(in))
		if dst.String() != want {
			t.Fatalf("after writing %q, dst holds %q, want %q", in, dst.String(), want)
		}
	}
	step("progress 10%\n", "progress 10%\n")
	step("token: s", "progress 10%\ntoken: ")
	step("ecret-v", "progress 10%\ntoken: ")
	step("alue and more", "progress 10%\ntoken: "+P+" and more")
	step(" secret-x", "progress 10%\ntoken: "+P+" and more secret-x")
	step(" secr", "progress 10%\ntoken: "+P+" and more secret-x ")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "progress 10%\ntoken: " + P + " and more secret-x secr"; dst.String() != want {
		t.Fatalf("Close wrote %q, want %q", dst.String(), want)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if w.pats != nil || w.tail != nil {
		t.Error("Close kept the patterns or the tail")
	}
}

// The Writer keeps its own copies: wiping the caller's does not unmask.
func TestWriterCopiesPatterns(t *testing.T) {
	pats := bs("secret-value")
	var dst bytes.Buffer
	w := NewWriter(&dst, pats)
	clear(pats[0])
	w.Write([]byte("secret-value"))
	w.Close()
	if dst.String() != P {
		t.Fatalf("got %q", dst.String())
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, io.ErrClosedPipe
	}
	f.n--
	return len(p), nil
}

func TestWriterDstError(t *testing.T) {
	w := NewWriter(&failWriter{n: 1}, bs("secret"))
	if _, err := w.Write([]byte("one ")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("two ")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("second Write: %v", err)
	}
	if _, err := w.Write([]byte("three ")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("Write after a failure: %v", err)
	}
	if err := w.Close(); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("Close after a failure: %v", err)
	}
}

// Binary output passes through byte for byte, only the values replaced.
func TestWriterBinary(t *testing.T) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	value := []byte("s3cr3t\x00\xff\x80-value")
	copy(data[1000:], value)
	copy(data[len(data)-len(value):], value)
	want := replaceAll(data, [][]byte{value})
	if bytes.Count(want, []byte(P)) != 2 {
		t.Fatal("the test data lacks its two values")
	}
	for _, size := range []int{1 << 16, 4093, 1} {
		if got := masked(t, [][]byte{value}, data, size); !bytes.Equal(got, want) {
			t.Errorf("writes of %d: output differs", size)
		}
	}
	if got := masked(t, [][]byte{[]byte("not-in-there")}, data, 65536); !bytes.Equal(got, data) {
		t.Error("output without a match differs from the input")
	}
}

// small maps a fuzzer's byte onto three symbols, so patterns match often.
func small(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = "ab\xff"[c%3]
	}
	return out
}

// FuzzWriter: for any patterns, data and cut into writes, the stream's
// output is the reference replacement of the whole data.
func FuzzWriter(f *testing.F) {
	f.Add([]byte("aaaaaa,aaaaaaaa,abab"), []byte("aaaaaaaaaaaaaaaaaaaaaa"), []byte{3, 1, 4})
	f.Add([]byte("abbbbb,bbbbba"), []byte("abbbbbabbbbba"), []byte{1})
	f.Add([]byte("ababab,bababa,abababab"), []byte("abababababababababab"), []byte{2, 5})
	f.Add([]byte("aaaaaaa"), []byte("aaaaaaaaaaaaaa"), []byte{6, 0, 7})
	f.Fuzz(func(t *testing.T, spec, data, cuts []byte) {
		var pats [][]byte
		for _, p := range bytes.Split(spec, []byte(",")) {
			pats = append(pats, small(p))
		}
		data = small(data)
		sizes := make([]int, len(cuts))
		for i, c := range cuts {
			sizes[i] = int(c % 17)
		}
		want := replaceAll(data, pats)
		if got := masked(t, pats, data, sizes...); !bytes.Equal(got, want) {
			t.Fatalf("patterns %q, data %q, writes %v:\n got %q\nwant %q", pats, data, sizes, got, want)
		}
	})
}

// benchData is ordinary build output, with no secret in it.
func benchData(n int) []byte {
	line := "ok  \tgithub.com/example/project/internal/pkg\t0.123s\tcoverage: 81.5% of statements\n"
	return []byte(strings.Repeat(line, n/len(line)+1)[:n])
}

func BenchmarkWriter(b *testing.B) {
	var pats [][]byte
	for i := range 20 { // a vault of 20 secrets, each with its forms
		pats = append(pats, Forms([]byte(strings.Repeat(string(rune('a'+i)), 8)+"-Zq81-secret-value"))...)
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"text", benchData(1 << 20)}, {"zeros", make([]byte, 1<<20)}} {
		b.Run(in.name, func(b *testing.B) {
			w := NewWriter(io.Discard, pats)
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				for off := 0; off < len(in.data); off += 1 << 16 {
					w.Write(in.data[off : off+1<<16])
				}
			}
		})
	}
}
