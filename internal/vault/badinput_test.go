package vault

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// encryptTo makes a vault file from raw plaintext, as a hand-edited or
// foreign vault would be.
func encryptTo(t *testing.T, plain string, rs ...age.Recipient) []byte {
	t.Helper()
	data, err := encrypt([]byte(plain), rs)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// snapshot records every file in dir so a test can prove nothing changed.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			out[e.Name()+"/"] = nil
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// Every bad input gives one line that names the file and says the fix,
// leaks nothing, and leaves every file byte-for-byte as it was.
func TestBadInput(t *testing.T) {
	id := newIdentity(t)
	stranger := newIdentity(t)
	val := string(secret("sk-badinput-VALUE-77"))
	goodPlain := "[meta]\nversion = 1\n[values]\napi-key = \"" + val + "\"\n"
	good := encryptTo(t, goodPlain, id.Recipient())

	type op func(dir string) error
	loadVault := func(dir string) error { _, err := Load(filepath.Join(dir, "vault.age"), id); return err }
	loadRegistry := func(dir string) error { _, err := LoadRegistry(filepath.Join(dir, "secrets.toml")); return err }
	loadRecipients := func(dir string) error {
		_, err := LoadRecipients(filepath.Join(dir, "recipients.txt"))
		return err
	}
	// A full `secrets add` against a bad recipients file: the vault must
	// stay exactly as it was.
	addWithRecipients := func(dir string) error {
		v, err := Load(filepath.Join(dir, "vault.age"), id)
		if err != nil {
			return err
		}
		defer v.Wipe()
		_ = v.Set("new-secret", []byte(val))
		rs, err := LoadRecipients(filepath.Join(dir, "recipients.txt"))
		if err != nil {
			return err
		}
		return v.Save(rs.AgeRecipients())
	}
	saveNoRecipients := func(dir string) error {
		v, err := Load(filepath.Join(dir, "vault.age"), id)
		if err != nil {
			return err
		}
		return v.Save(nil)
	}

	cases := []struct {
		name  string
		files map[string]string
		op    op
		file  string // the file the error must name
		want  string // a piece of the problem text
		is    error  // optional errors.Is target
	}{
		{"missing vault", map[string]string{}, loadVault, "vault.age", "no such file", fs.ErrNotExist},
		{"corrupt vault", map[string]string{"vault.age": "\x00\x01garbage " + val}, loadVault, "vault.age", "not an age file", nil},
		{"vault is a directory", map[string]string{"vault.age/": ""}, loadVault, "vault.age", "is a directory", nil},
		{"wrong identity", map[string]string{"vault.age": string(encryptTo(t, goodPlain, stranger.Recipient()))}, loadVault, "vault.age", "not encrypted to your identity", ErrWrongIdentity},
		{"truncated armor", map[string]string{"vault.age": string(good[:len(good)/2])}, loadVault, "vault.age", "truncated armor", nil},
		{"missing armor footer", map[string]string{"vault.age": strings.TrimSuffix(string(good), "-----END AGE ENCRYPTED FILE-----\n")}, loadVault, "vault.age", "truncated armor", nil},
		{"tampered payload", map[string]string{"vault.age": tamper(t, good)}, loadVault, "vault.age", "damaged", nil},
		{"plaintext not TOML", map[string]string{"vault.age": string(encryptTo(t, "[meta]\nversion = 1\n[values]\napi-key = \""+val+"\\q\"\n", id.Recipient()))}, loadVault, "vault.age", "not valid TOML (line 4)", nil},
		{"plaintext bare value", map[string]string{"vault.age": string(encryptTo(t, "[meta]\nversion = 1\n[values]\n"+val+"\n", id.Recipient()))}, loadVault, "vault.age", "not valid TOML", nil},
		{"unknown top-level key", map[string]string{"vault.age": string(encryptTo(t, "extra = 1\n"+goodPlain, id.Recipient()))}, loadVault, "vault.age", `unknown key "extra"`, nil},
		{"unknown meta key", map[string]string{"vault.age": string(encryptTo(t, "[meta]\nversion = 1\nowner = \"me\"\n", id.Recipient()))}, loadVault, "vault.age", `unknown key "meta.owner"`, nil},
		{"vault version 2", map[string]string{"vault.age": string(encryptTo(t, strings.Replace(goodPlain, "version = 1", "version = 2", 1), id.Recipient()))}, loadVault, "vault.age", "format version 2 is not supported", nil},
		{"vault without meta", map[string]string{"vault.age": string(encryptTo(t, "[values]\napi-key = \""+val+"\"\n", id.Recipient()))}, loadVault, "vault.age", "no [meta] version", nil},
		{"value not a string", map[string]string{"vault.age": string(encryptTo(t, "[meta]\nversion = 1\n[values]\npin = 1234\n", id.Recipient()))}, loadVault, "vault.age", "value of pin is not a string", nil},
		{"invalid name in vault", map[string]string{"vault.age": string(encryptTo(t, "[meta]\nversion = 1\n[values]\nAPI_KEY = \""+val+"\"\n", id.Recipient()))}, loadVault, "vault.age", `invalid secret name "API_KEY"`, nil},
		{"bad timestamp", map[string]string{"vault.age": string(encryptTo(t, "[meta]\nversion = 1\ncreated_at = \"yesterday\"\n", id.Recipient()))}, loadVault, "vault.age", "created_at is not an RFC 3339 time", nil},

		{"registry unknown key", map[string]string{"secrets.toml": "version = 1\nowner = \"me\"\n"}, loadRegistry, "secrets.toml", `unknown key "owner"`, nil},
		{"registry entry unknown key", map[string]string{"secrets.toml": "version = 1\n[secrets]\napi-key = { env = \"API_KEY\", value = \"x\" }\n"}, loadRegistry, "secrets.toml", `unknown key "secrets.api-key.value"`, nil},
		{"registry version 2", map[string]string{"secrets.toml": "version = 2\n"}, loadRegistry, "secrets.toml", "format version 2 is not supported", nil},
		{"registry without version", map[string]string{"secrets.toml": "[secrets]\n"}, loadRegistry, "secrets.toml", "no version", nil},
		{"registry invalid name", map[string]string{"secrets.toml": "version = 1\n[secrets]\nApi = { env = \"API\" }\n"}, loadRegistry, "secrets.toml", `invalid secret name "Api"`, nil},
		{"registry invalid env", map[string]string{"secrets.toml": "version = 1\n[secrets]\napi = { env = \"api-key\" }\n"}, loadRegistry, "secrets.toml", `invalid environment variable name "api-key"`, nil},
		{"registry empty env", map[string]string{"secrets.toml": "version = 1\n[secrets]\napi = { env = \"\" }\n"}, loadRegistry, "secrets.toml", `invalid environment variable name ""`, nil},
		{"registry shared env", map[string]string{"secrets.toml": "version = 1\n[secrets]\na = { env = \"X\" }\nb = { env = \"X\" }\n"}, loadRegistry, "secrets.toml", "would both set X", nil},
		{"registry bad TOML", map[string]string{"secrets.toml": "version = 1\n[secrets\n"}, loadRegistry, "secrets.toml", "invalid TOML", nil},

		{"empty recipients file", map[string]string{"recipients.txt": ""}, loadRecipients, "recipients.txt", "no recipients", nil},
		{"only comments", map[string]string{"recipients.txt": "# alice\n\n# bob\n"}, loadRecipients, "recipients.txt", "no recipients", nil},
		{"invalid recipient", map[string]string{"recipients.txt": "# team\n" + id.Recipient().String() + "\nage1notarealkey\n"}, loadRecipients, "recipients.txt", "line 3 is not an age recipient", nil},
		{"ssh key as recipient", map[string]string{"recipients.txt": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\n"}, loadRecipients, "recipients.txt", "line 1 is not an age recipient", nil},
		{"secret key as recipient", map[string]string{"recipients.txt": id.String() + "\n"}, loadRecipients, "recipients.txt", "line 1 is a secret key", nil},
		{"trailing comment", map[string]string{"recipients.txt": id.Recipient().String() + " # me\n"}, loadRecipients, "recipients.txt", "line 1 is not an age recipient", nil},
		{"duplicate recipient", map[string]string{"recipients.txt": id.Recipient().String() + "\n" + id.Recipient().String() + "\n"}, loadRecipients, "recipients.txt", "line 2 repeats", nil},
		{"missing recipients", map[string]string{}, loadRecipients, "recipients.txt", "no such file", fs.ErrNotExist},

		{"add with empty recipients", map[string]string{"vault.age": string(good), "recipients.txt": "\n"}, addWithRecipients, "recipients.txt", "no recipients", nil},
		{"add with invalid recipient", map[string]string{"vault.age": string(good), "recipients.txt": "age1nope\n"}, addWithRecipients, "recipients.txt", "not an age recipient", nil},
		{"save to nobody", map[string]string{"vault.age": string(good)}, saveNoRecipients, "vault.age", "no recipients to encrypt to", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range c.files {
				if strings.HasSuffix(name, "/") {
					if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, dir)
			err := c.op(dir)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			if !strings.Contains(msg, filepath.Join(dir, c.file)) {
				t.Fatalf("error does not name %s: %s", c.file, msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Fatalf("error %q does not say %q", msg, c.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Fix == "" || !strings.HasSuffix(msg, ": "+fe.Fix) {
				t.Fatalf("error carries no fix: %q", msg)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("errors.Is(%v) is false for %q", c.is, msg)
			}
			noLeak(t, err, id.String(), stranger.String())
			after := snapshot(t, dir)
			if len(after) != len(before) {
				t.Fatalf("files changed: %d before, %d after", len(before), len(after))
			}
			for name, b := range before {
				if !bytes.Equal(after[name], b) {
					t.Fatalf("%s was modified", name)
				}
			}
		})
	}
}

// tamper flips one bit inside the armored payload, keeping the armor valid,
// so decryption fails authentication rather than parsing.
func tamper(t *testing.T, armored []byte) string {
	t.Helper()
	// Decode, flip a byte of the last chunk, re-armor: simplest is to
	// re-encrypt a binary copy through the armor writer.
	lines := strings.Split(strings.TrimSpace(string(armored)), "\n")
	body := strings.Join(lines[1:len(lines)-1], "")
	raw, err := decodeBase64(body)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-5] ^= 0x01
	return armorRaw(raw)
}
