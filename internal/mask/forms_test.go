package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// escape agrees with net/url on every byte and on random strings.
func TestEscapeMatchesNetURL(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	inputs := [][]byte{all, []byte("it's a \"value\" / with ? and & and +")}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		if got, want := string(escape(in, queryKeep, '+')), url.QueryEscape(string(in)); got != want {
			t.Errorf("query escape of %q: %q, want %q", in, got, want)
		}
		if got, want := string(escape(in, pathKeep, 0)), url.PathEscape(string(in)); got != want {
			t.Errorf("path escape of %q: %q, want %q", in, got, want)
		}
	}
}

// jsonEscape agrees with encoding/json on ASCII once HTML escaping is off.
func TestJSONEscapeMatchesEncodingJSON(t *testing.T) {
	var all []byte
	for c := range 128 {
		all = append(all, byte(c))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(string(all))
	want := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(buf.String(), `"`), "\n"), `"`)
	// encoding/json writes \u0008 and \u000c where jq and JSON.stringify
	// write \b and \f.
	want = strings.NewReplacer(`\u0008`, `\b`, `\u000c`, `\f`).Replace(want)
	if got := string(jsonEscape(all)); got != want {
		t.Errorf("jsonEscape:\n got %q\nwant %q", got, want)
	}
}

func TestFormsFloor(t *testing.T) {
	if f := Forms([]byte("12345")); f != nil {
		t.Errorf("a 5-byte value has forms: %q", f)
	}
	for _, f := range Forms([]byte("123456")) {
		if len(f) < MinLen {
			t.Errorf("form %q is shorter than MinLen", f)
		}
	}
}

// Each way a one-liner prints a value by accident is masked.
func TestFormsCatchEncodings(t *testing.T) {
	value := `it's-s3cr3t/"$HOME"+x y&z`
	long := strings.Repeat("0123456789abcdef", 6) // base64 spans lines
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	for _, c := range []struct {
		name, value, printed string
	}{
		{"raw", value, "V=" + value + "\n"},
		{"query escaped", value, "https://h/?v=" + url.QueryEscape(value) + "&x=1"},
		{"path escaped", value, "https://h/" + url.PathEscape(value) + "/x"},
		{"query escaped with newline", value, "?v=" + url.QueryEscape(value+"\n")},
		{"json", value, `{"V":` + jsonString(value) + `}`},
		{"json with newline", value + "\nline two", `{"V":` + jsonString(value+"\nline two") + `}`},
		{"base64", value, b64(base64.StdEncoding, value)},
		{"base64 raw", value, b64(base64.RawStdEncoding, value)},
		{"base64url", value, b64(base64.URLEncoding, value)},
		{"base64url raw", value, b64(base64.RawURLEncoding, value)},
		{"echo | base64", value, b64(base64.StdEncoding, value+"\n") + "\n"},
		{"echo | base64url", value, b64(base64.RawURLEncoding, value+"\n")},
		{"GNU base64 wrapped", long, string(wrap([]byte(b64(base64.StdEncoding, long)), 76)) + "\n"},
		{"GNU echo | base64 wrapped", long, string(wrap([]byte(b64(base64.StdEncoding, long+"\n")), 76)) + "\n"},
		{"Basic auth, shift 2", value, "Authorization: Basic " + b64(base64.StdEncoding, "user:"+value)},
		{"inside base64, shift 1", value, b64(base64.StdEncoding, "K="+value+"\nL=2\n")},
		{"inside base64, shift 0", value, b64(base64.StdEncoding, "KEY="+value+"!!")},
		{"inside base64url, shift 1", value, b64(base64.RawURLEncoding, "{\""+value+"\"}")},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := string(masked(t, Forms([]byte(c.value)), []byte(c.printed), 7))
			if !strings.Contains(out, P) {
				t.Fatalf("%q was not masked", c.printed)
			}
			if leftover(out, c.value) {
				t.Errorf("%q leaves too much in %q", c.printed, out)
			}
		})
	}
}

// leftover reports whether out, with placeholders removed, still shows 4
// consecutive bytes of value, as they are or base64-encoded in either
// alphabet at any alignment.
func leftover(out, value string) bool {
	const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
	var windows []string
	for i := 0; i+4 <= len(value); i++ {
		windows = append(windows, value[i:i+4])
	}
	holds := func(s string) bool {
		return slices.ContainsFunc(windows, func(w string) bool { return strings.Contains(s, w) })
	}
	for _, piece := range strings.Split(out, P) {
		if holds(piece) {
			return true
		}
		piece = strings.ReplaceAll(piece, "\n", "") // GNU base64's wrapping
		for _, word := range strings.FieldsFunc(piece, func(r rune) bool { return !strings.ContainsRune(b64chars, r) }) {
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				for start := 0; start < min(4, len(word)); start++ {
					s := word[start:]
					if dec, err := enc.DecodeString(s[:len(s)/4*4]); err == nil && holds(string(dec)) {
						return true
					}
				}
			}
		}
	}
	return false
}

func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

// The real base64 tool (coreutils) wraps where Forms expects it to.
func TestFormsMatchCoreutilsBase64(t *testing.T) {
	if _, err := exec.LookPath("base64"); err != nil {
		t.Skip("no base64 tool")
	}
	value := strings.Repeat("s3cr3t-value-", 9)
	cmd := exec.Command("base64")
	cmd.Stdin = strings.NewReader(value + "\n")
	printed, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(printed, []byte("\n")) || len(printed) < 2*76 {
		t.Fatalf("base64 did not wrap: %q", printed)
	}
	if out := masked(t, Forms([]byte(value)), printed, 64); string(out) != P+"\n" {
		t.Errorf("`echo $V | base64` masked to %q", out)
	}
}
