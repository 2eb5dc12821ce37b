package vault

import (
	"bytes"
	"fmt"
	"strings"

	"filippo.io/age"
)

// Recipients is a recipients file (global recipient.txt, project
// recipients.txt): one age X25519 public key ("age1…") a line; blank lines
// and lines starting with # are comments. Comments survive Add and Remove.
type Recipients struct {
	path  string
	lines []string // the file's lines, comments included
}

// maxRecipients bounds a recipients file; a team of this size is not what a
// per-project vault is for.
const maxRecipients = 1000

const secretKeyPrefix = "AGE-SECRET-KEY-"

// NewRecipients returns an empty recipients file that Save will create.
func NewRecipients(path string) *Recipients {
	return &Recipients{path: absPath(path)}
}

// LoadRecipients reads a recipients file strictly: every line that is not a
// comment must be an age X25519 recipient, none repeated, and at least one
// must be present, since a vault with no recipients cannot be written.
// Errors name the line but never quote it: the usual mistake is pasting a
// secret key where a public key belongs.
func LoadRecipients(path string) (*Recipients, error) {
	path = absPath(path)
	data, err := readFile(KindRecipients, path)
	if err != nil {
		return nil, err
	}
	r := &Recipients{path: path}
	seen := map[string]bool{}
	text := strings.TrimSuffix(string(data), "\n")
	if text != "" {
		r.lines = strings.Split(text, "\n")
	}
	for i, line := range r.lines {
		key := strings.TrimSpace(line)
		r.lines[i] = strings.TrimSuffix(line, "\r")
		if key == "" || strings.HasPrefix(key, "#") {
			continue
		}
		if _, err := ParseRecipient(key); err != nil {
			if hasSecretKeyPrefix(key) {
				return nil, fileErr(KindRecipients, path, nil,
					fmt.Sprintf("line %d is a secret key, not a recipient", i+1),
					"delete that line now and put the public key (`age-keygen -y`) there instead")
			}
			return nil, fileErr(KindRecipients, path, nil,
				fmt.Sprintf("line %d is not an age recipient (age1…)", i+1),
				"correct or delete it; lines starting with # are comments")
		}
		if seen[key] {
			return nil, fileErr(KindRecipients, path, nil, fmt.Sprintf("line %d repeats a recipient", i+1), "delete the duplicate line")
		}
		seen[key] = true
	}
	switch {
	case len(seen) == 0:
		return nil, fileErr(KindRecipients, path, nil, "no recipients",
			"add an age1… public key a line (yours: `patina secrets` shows it)")
	case len(seen) > maxRecipients:
		return nil, fileErr(KindRecipients, path, nil, fmt.Sprintf("more than %d recipients", maxRecipients), "remove some")
	}
	return r, nil
}

// ParseRecipient parses one age X25519 recipient ("age1…"). Its error never
// quotes the input, which might be a secret key pasted by mistake.
func ParseRecipient(key string) (*age.X25519Recipient, error) {
	key = strings.TrimSpace(key)
	if hasSecretKeyPrefix(key) {
		return nil, fmt.Errorf("that is an age secret key, not a recipient: give the public key (age1…, `age-keygen -y` prints it)")
	}
	r, err := age.ParseX25519Recipient(key)
	if err != nil {
		return nil, fmt.Errorf("not an age X25519 recipient: expected a public key like age1… (62 characters)")
	}
	return r, nil
}

// Path is the file's absolute path.
func (r *Recipients) Path() string { return r.path }

// Keys lists the recipients in file order.
func (r *Recipients) Keys() []string {
	var keys []string
	for _, line := range r.lines {
		if k := strings.TrimSpace(line); k != "" && !strings.HasPrefix(k, "#") {
			keys = append(keys, k)
		}
	}
	return keys
}

// AgeRecipients is the list to pass to Vault.Save.
func (r *Recipients) AgeRecipients() []age.Recipient {
	var rs []age.Recipient
	for _, k := range r.Keys() {
		if rec, err := age.ParseX25519Recipient(k); err == nil { // validated on load/add
			rs = append(rs, rec)
		}
	}
	return rs
}

// Add appends key; it reports false, with no error, if key is already there.
func (r *Recipients) Add(key string) (bool, error) {
	rec, err := ParseRecipient(key)
	if err != nil {
		return false, err
	}
	key = rec.String()
	for _, k := range r.Keys() {
		if k == key {
			return false, nil
		}
	}
	if len(r.Keys()) >= maxRecipients {
		return false, fmt.Errorf("recipients %s: already %d recipients: remove some first", displayPath(r.path), maxRecipients)
	}
	r.lines = append(r.lines, key)
	return true, nil
}

// Remove deletes key; it reports false if key was not there. Removing the
// last recipient is refused: nobody could decrypt the re-encrypted vault.
func (r *Recipients) Remove(key string) (bool, error) {
	key = strings.TrimSpace(key)
	idx := -1
	for i, line := range r.lines {
		if strings.TrimSpace(line) == key {
			idx = i
		}
	}
	if idx < 0 {
		return false, nil
	}
	if len(r.Keys()) == 1 {
		return false, fmt.Errorf("recipients %s: that is the last recipient: add another first, or nobody could decrypt the vault", displayPath(r.path))
	}
	r.lines = append(r.lines[:idx], r.lines[idx+1:]...)
	return true, nil
}

// Save writes the file atomically, mode 0600. Then re-encrypt the vault to
// the new set (Vault.Save with AgeRecipients): in that order a crash between
// the two is repaired by running the command again, as long as the command
// re-encrypts even when Add or Remove reports no change.
func (r *Recipients) Save() error {
	var b bytes.Buffer
	for _, line := range r.lines {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return writeFile(KindRecipients, r.path, b.Bytes())
}

func hasSecretKeyPrefix(s string) bool {
	return len(s) >= len(secretKeyPrefix) && strings.EqualFold(s[:len(secretKeyPrefix)], secretKeyPrefix)
}
