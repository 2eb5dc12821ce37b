package index

import "bytes"

// pemKeyMarkers end the BEGIN line of every PEM private key (PKCS#1,
// PKCS#8, SEC 1, encrypted or not, and OpenSSH's own format) and of an
// armored OpenPGP secret key. PEM labels are upper case.
var pemKeyMarkers = [][]byte{[]byte("PRIVATE KEY-----"), []byte("PRIVATE KEY BLOCK-----")}

// minKeyData is how many Bech32 characters must follow an age identity's
// prefix before it counts as a key: a real one has 58 or more, while
// prose and code that merely name the format ("AGE-SECRET-KEY-1…") have
// none.
const minKeyData = 20

// bech32Chars is the Bech32 alphabet (either case is accepted).
const bech32Chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// holdsPrivateKey reports whether data contains private key material:
// a PEM or OpenSSH private key, an armored PGP secret key, a PuTTY key
// file, or an age identity (AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1…, or a
// plugin's AGE-PLUGIN-NAME-1…) in either case. Such a file is never
// indexed, whatever its name: the index feeds an agent, and what an agent
// sees can leave the machine.
func holdsPrivateKey(data []byte) bool {
	for _, m := range pemKeyMarkers {
		if bytes.Contains(data, m) {
			return true
		}
	}
	if bytes.Contains(data, []byte("PuTTY-User-Key-File-")) && bytes.Contains(data, []byte("Private-Lines:")) {
		return true
	}
	return hasAgeIdentity(data)
}

// hasAgeIdentity finds an age identity in data, in upper or lower case.
// It looks at every "age-": the Bech32 string starting there (letters,
// digits, and the '-', '.', '_', '+' a plugin name may hold) must have a
// human-readable part starting AGE-SECRET-KEY- or AGE-PLUGIN- and ending
// in '-', then the separator '1' (its last '1'), then at least minKeyData
// Bech32 characters.
func hasAgeIdentity(data []byte) bool {
	for i := 0; i < len(data); i++ {
		k := bytes.IndexByte(data[i:], '-')
		if k < 0 {
			return false
		}
		i += k
		if i < 3 || !bytes.EqualFold(data[i-3:i], []byte("age")) {
			continue
		}
		end := i
		for end < len(data) && isKeyChar(data[end]) {
			end++
		}
		word := data[i-3 : end]
		sep := bytes.LastIndexByte(word, '1')
		if sep < 0 {
			continue
		}
		hrp, body := word[:sep], word[sep+1:]
		if !hasPrefixFold(hrp, "AGE-SECRET-KEY-") && !hasPrefixFold(hrp, "AGE-PLUGIN-") ||
			hrp[len(hrp)-1] != '-' || len(body) < minKeyData {
			continue
		}
		if !bytes.ContainsFunc(body, func(r rune) bool { return !isBech32(byte(r)) }) {
			return true
		}
	}
	return false
}

func isKeyChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '+'
}

func isBech32(c byte) bool {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return bytes.IndexByte([]byte(bech32Chars), c) >= 0
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
