package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/BurntSushi/toml"
	"github.com/patina-dev/patina/internal/agearmor"
)

// The vault plaintext is TOML, as the original tool wrote it:
//
//	[meta]
//	version = 1
//	created_at = "2024-05-01T10:00:00Z"
//	modified_at = "2024-05-02T11:30:00Z"
//
//	[values]
//	api-key = "…"
//
// wrapped in ASCII-armored age.
const (
	formatVersion = 1
	binaryPrefix  = "age-encryption.org/"
)

// Fixes shared by several vault errors.
const (
	fixRestore   = "restore it from backup or remove it and re-add secrets"
	fixPlaintext = "decrypt it with `age -d`, correct it and re-encrypt it, or restore it from backup"
)

type plainFile struct {
	Meta   *plainMeta     `toml:"meta"`
	Values map[string]any `toml:"values"`
}

type plainMeta struct {
	Version    *int64  `toml:"version"`
	CreatedAt  *string `toml:"created_at"`
	ModifiedAt *string `toml:"modified_at"`
}

// decrypt returns the plaintext of an age file, armored (what we write) or
// binary (what `age` writes without -a). Errors never quote the file: its
// header is harmless, but one rule ("no file content in errors") is easier
// to keep than a judgement per case.
func decrypt(path string, data []byte, ids []age.Identity) ([]byte, error) {
	if len(ids) == 0 {
		return nil, fileErr(KindVault, path, ErrWrongIdentity, "no identity to decrypt it with", "load your identity first (`patina secrets init` or PATINA_IDENTITY)")
	}
	var src io.Reader
	switch trimmed := bytes.TrimLeft(data, " \t\r\n"); {
	case bytes.HasPrefix(trimmed, []byte(armor.Header)):
		src = armor.NewReader(bytes.NewReader(data))
	case bytes.HasPrefix(data, []byte(binaryPrefix)):
		src = bytes.NewReader(data)
	default:
		return nil, fileErr(KindVault, path, nil, "not an age file", fixRestore)
	}
	r, err := age.Decrypt(src, ids...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		var armorErr *armor.Error
		switch {
		case errors.As(err, &noMatch):
			return nil, fileErr(KindVault, path, ErrWrongIdentity, "not encrypted to your identity",
				"ask someone who can read it to add your recipient (`patina secrets recipients add KEY`), or use the identity it was made for")
		case errors.As(err, &armorErr):
			return nil, fileErr(KindVault, path, nil, "not an age file (truncated armor?)", fixRestore)
		default:
			return nil, fileErr(KindVault, path, nil, "not an age file (damaged header)", fixRestore)
		}
	}
	// Plaintext is never longer than the ciphertext, so one allocation of
	// that size holds it and no partial copies are left behind by growth.
	plain, err := readAll(r, len(data))
	if err != nil {
		var armorErr *armor.Error
		if errors.As(err, &armorErr) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fileErr(KindVault, path, nil, "not an age file (truncated armor?)", fixRestore)
		}
		return nil, fileErr(KindVault, path, nil, "damaged (it fails authentication)", fixRestore)
	}
	return plain, nil
}

// readAll reads r to EOF into a buffer of capacity hint, wiping every buffer
// it outgrows so no stray copies of the plaintext stay in the heap.
func readAll(r io.Reader, hint int) ([]byte, error) {
	buf := make([]byte, 0, hint+512)
	for {
		if len(buf) == cap(buf) {
			bigger := make([]byte, len(buf), 2*cap(buf))
			copy(bigger, buf)
			wipe(buf)
			buf = bigger
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			wipe(buf)
			return nil, err
		}
	}
}

// encrypt armors plain to the recipients.
func encrypt(plain []byte, rs []age.Recipient) ([]byte, error) {
	return agearmor.Encrypt(plain, rs...)
}

// decodePlaintext parses the vault TOML strictly. The TOML library works on
// strings, so the values pass through immutable Go strings that only the
// garbage collector reclaims; we wipe the byte slices we own. Its error
// messages can quote the offending text — here, a secret — so they are
// never passed on: only the line number is.
func decodePlaintext(path string, plain []byte) (created, modified time.Time, values map[string][]byte, err error) {
	var pf plainFile
	md, derr := toml.Decode(string(plain), &pf)
	if derr != nil {
		problem := "plaintext is not valid TOML"
		var pe toml.ParseError
		if errors.As(derr, &pe) && pe.Position.Line > 0 {
			problem = fmt.Sprintf("plaintext is not valid TOML (line %d)", pe.Position.Line)
		}
		return created, modified, nil, fileErr(KindVault, path, nil, problem, fixPlaintext)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return created, modified, nil, fileErr(KindVault, path, nil, fmt.Sprintf("unknown key %q in plaintext", und[0].String()), fixPlaintext)
	}
	if pf.Meta == nil || pf.Meta.Version == nil {
		return created, modified, nil, fileErr(KindVault, path, nil, "plaintext has no [meta] version", fixPlaintext)
	}
	if v := *pf.Meta.Version; v != formatVersion {
		return created, modified, nil, fileErr(KindVault, path, nil,
			fmt.Sprintf("format version %d is not supported (this patina reads version %d)", v, formatVersion),
			"upgrade patina, or restore a version 1 vault from backup")
	}
	if created, err = parseTime(path, "created_at", pf.Meta.CreatedAt); err != nil {
		return created, modified, nil, err
	}
	if modified, err = parseTime(path, "modified_at", pf.Meta.ModifiedAt); err != nil {
		return created, modified, nil, err
	}
	values = make(map[string][]byte, len(pf.Values))
	for name, raw := range pf.Values {
		if ValidateName(name) != nil {
			wipeMap(values)
			return created, modified, nil, fileErr(KindVault, path, nil,
				fmt.Sprintf("invalid secret name %s in plaintext", quoteName(name)), fixPlaintext)
		}
		s, ok := raw.(string)
		if !ok {
			wipeMap(values)
			return created, modified, nil, fileErr(KindVault, path, nil,
				fmt.Sprintf("value of %s is not a string", name), fixPlaintext)
		}
		values[name] = []byte(s)
	}
	return created, modified, values, nil
}

// parseTime reads an optional RFC 3339 timestamp; the original tool wrote
// them with chrono (e.g. "2024-05-01T10:00:00.123456+00:00"), which
// time.RFC3339 parses, fractional seconds included.
func parseTime(path, key string, s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return time.Time{}, fileErr(KindVault, path, nil, fmt.Sprintf("[meta] %s is not an RFC 3339 time", key), fixPlaintext)
	}
	return t, nil
}

// encodePlaintext writes the vault TOML by hand rather than through the
// TOML encoder: that keeps values in byte slices we can wipe (the encoder
// wants strings) and the layout byte-for-byte stable. The buffer is sized
// for the worst case up front so appending never reallocates and leaves a
// stale copy behind.
func encodePlaintext(created, modified time.Time, values map[string][]byte) []byte {
	names := make([]string, 0, len(values))
	size := 128
	for name, v := range values {
		names = append(names, name)
		size += len(name) + 6*len(v) + 6 // every byte escaped as \u00XX at worst
	}
	sort.Strings(names)
	b := make([]byte, 0, size)
	b = append(b, "[meta]\nversion = 1\ncreated_at = \""...)
	b = created.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\"\nmodified_at = \""...)
	b = modified.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\"\n\n[values]\n"...)
	for _, name := range names {
		b = append(b, name...) // validated: a bare key
		b = append(b, " = \""...)
		b = appendTOMLString(b, values[name])
		b = append(b, "\"\n"...)
	}
	return b
}

// appendTOMLString escapes s (valid UTF-8) for a TOML basic string: quote,
// backslash and control characters other than tab are escaped.
func appendTOMLString(b, s []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range s {
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\n':
			b = append(b, '\\', 'n')
		case '\f':
			b = append(b, '\\', 'f')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, c)
		default:
			if c < 0x20 || c == 0x7f {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return b
}

// wipe zeroes b. Go's collector does not move heap objects, so this clears
// the only copy b points at; copies made elsewhere (strings handed to a
// library, its internal buffers) are out of our reach.
func wipe(b []byte) {
	clear(b)
}

func wipeMap(m map[string][]byte) {
	for k, v := range m {
		wipe(v)
		delete(m, k)
	}
}
