package mask

import (
	"bytes"
	"encoding/base64"
	"slices"
)

// gnuWrap is where GNU base64 breaks its lines by default.
const gnuWrap = 76

// Forms returns value and the encodings of it that a command prints by
// accident, as patterns for NewWriter; nil if value is shorter than MinLen.
// Each is computed for value and for value+"\n" (what `echo "$V" | …`
// encodes):
//
//   - the value itself (its copy with a trailing newline is caught by it);
//   - URL-encoded, url.QueryEscape and url.PathEscape forms;
//   - JSON-escaped (`jq -n env`, JSON.stringify, json.dumps);
//   - base64, standard and URL alphabets, with and without padding, and
//     the standard form wrapped at 76 columns as GNU base64 prints it;
//   - the part of the base64 that is the same wherever the value sits in a
//     longer encoded string ("user:" + value in a Basic auth header), for
//     each of the three alignments.
//
// The caller should clear the forms when done; NewWriter keeps copies.
func Forms(value []byte) [][]byte {
	if len(value) < MinLen {
		return nil
	}
	var out [][]byte
	add := func(b []byte) {
		if len(b) >= MinLen && !slices.ContainsFunc(out, func(o []byte) bool { return bytes.Equal(o, b) }) {
			out = append(out, b)
		} else {
			clear(b)
		}
	}
	line := append(bytes.Clone(value), '\n')
	defer clear(line)
	add(bytes.Clone(value))
	for _, v := range [][]byte{value, line} {
		add(escape(v, queryKeep, '+'))
		add(escape(v, pathKeep, 0))
		add(jsonEscape(v))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			padded := enc.AppendEncode(nil, v)
			add(bytes.Clone(bytes.TrimRight(padded, "=")))
			if enc == base64.StdEncoding {
				add(wrap(padded, gnuWrap))
			}
			add(padded)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for shift := range 3 {
			add(alignedPart(enc, value, shift))
		}
	}
	return out
}

// alignedPart is the base64 of value that does not depend on its
// neighbours when shift bytes precede it (mod 3) in the encoded string:
// the characters whose 6 bits all come from value.
func alignedPart(enc *base64.Encoding, value []byte, shift int) []byte {
	in := append(make([]byte, shift, shift+len(value)), value...)
	defer clear(in)
	b := enc.WithPadding(base64.NoPadding).AppendEncode(nil, in)
	first := (8*shift + 5) / 6           // first character past the prefix's bits
	last := 8 * (shift + len(value)) / 6 // characters wholly within value
	part := bytes.Clone(b[first:last])
	clear(b)
	return part
}

// wrap inserts a newline every width bytes (none at the end); nil when b
// fits on one line.
func wrap(b []byte, width int) []byte {
	if len(b) <= width {
		return nil
	}
	out := make([]byte, 0, len(b)+len(b)/width)
	for len(b) > width {
		out = append(append(out, b[:width]...), '\n')
		b = b[width:]
	}
	return append(out, b...)
}

const upperHex = "0123456789ABCDEF"

// escape percent-encodes the bytes keep refuses, as net/url does; space
// becomes spaceAs when that is not 0. (net/url takes and returns strings,
// copies that could not be wiped.)
func escape(v []byte, keep func(byte) bool, spaceAs byte) []byte {
	out := make([]byte, 0, len(v)*3)
	for _, c := range v {
		switch {
		case keep(c):
			out = append(out, c)
		case c == ' ' && spaceAs != 0:
			out = append(out, spaceAs)
		default:
			out = append(out, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return out
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// queryKeep is what url.QueryEscape leaves as it is.
func queryKeep(c byte) bool { return unreserved(c) }

// pathKeep is what url.PathEscape leaves as it is.
func pathKeep(c byte) bool {
	switch c {
	case '$', '&', '+', ':', '=', '@':
		return true
	}
	return unreserved(c)
}

// jsonEscape is v as the inside of a JSON string, as jq, JSON.stringify and
// json.dumps write an ASCII value. (Go's encoding/json also escapes <, >
// and &; json.dumps escapes non-ASCII: those forms are not covered.)
func jsonEscape(v []byte) []byte {
	out := make([]byte, 0, len(v)*2)
	for _, c := range v {
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		default:
			if c < 0x20 {
				out = append(out, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			} else {
				out = append(out, c)
			}
		}
	}
	return out
}
