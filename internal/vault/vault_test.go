package vault

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/BurntSushi/toml"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".patina", "vault.age") // directory created by Save
	id := newIdentity(t)
	values := map[string][]byte{
		"api-key":   secret("sk-roundtrip-0123456789"),
		"multiline": secret("line one\nline \"two\"\t\\ end\r\x01\x7f"),
		"unicode":   secret("pässwörd-日本-🔑"),
		"empty":     {},
	}
	v := New(path)
	for n, val := range values {
		if err := v.Set(n, val); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now().Add(-time.Second)
	if err := v.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	mustMode0600(t, path)
	if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("vault dir: %v %v, want 0700", st.Mode(), err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "-----BEGIN AGE ENCRYPTED FILE-----\n") {
		t.Fatalf("vault is not armored: %.40q", data)
	}
	for _, val := range values {
		if len(val) > 0 && strings.Contains(string(data), string(val)) {
			t.Fatal("plaintext value in the vault file")
		}
	}

	got, err := Load(path, id)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Wipe()
	if len(got.Names()) != len(values) || strings.Join(got.Names(), ",") != "api-key,empty,multiline,unicode" {
		t.Fatalf("names %v", got.Names())
	}
	for n, want := range values {
		if b, ok := got.Get(n); !ok || string(b) != string(want) {
			t.Fatalf("value of %s differs", n)
		}
	}
	if got.CreatedAt().Before(before.Truncate(time.Second)) || got.ModifiedAt().Before(got.CreatedAt()) {
		t.Fatalf("timestamps %v %v", got.CreatedAt(), got.ModifiedAt())
	}
	if got.ID() == "" || got.ID() != v.ID() {
		t.Fatalf("id after load %q, after save %q", got.ID(), v.ID())
	}

	// A second save keeps created_at and moves modified_at forward.
	created := got.CreatedAt()
	got.Remove("empty")
	if err := got.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path, id)
	if err != nil {
		t.Fatal(err)
	}
	if !again.CreatedAt().Equal(created) || again.Len() != 3 {
		t.Fatalf("after second save: created %v (want %v), %d secrets", again.CreatedAt(), created, again.Len())
	}
}

func TestSetRemoveWipe(t *testing.T) {
	v := New(filepath.Join(t.TempDir(), "vault.age"))
	val := secret("wipe-me-please-42")
	input := append([]byte(nil), val...)
	if err := v.Set("token", input); err != nil {
		t.Fatal(err)
	}
	clear(input) // the vault keeps its own copy
	held, _ := v.Get("token")
	if string(held) != string(val) {
		t.Fatal("Set did not copy the value")
	}
	// Replacing a value wipes the old bytes.
	if err := v.Set("token", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if string(held) != strings.Repeat("\x00", len(val)) {
		t.Fatal("old value not wiped on replace")
	}
	held, _ = v.Get("token")
	if !v.Remove("token") || v.Remove("token") {
		t.Fatal("Remove reports wrong existence")
	}
	if string(held) != "\x00\x00\x00\x00\x00" {
		t.Fatal("removed value not wiped")
	}
	_ = v.Set("a", []byte("aaaa"))
	a, _ := v.Get("a")
	v.Wipe()
	if v.Len() != 0 || string(a) != "\x00\x00\x00\x00" {
		t.Fatal("Wipe left values behind")
	}
}

func TestSetRejects(t *testing.T) {
	v := New(filepath.Join(t.TempDir(), "vault.age"))
	val := secret("sk-rejected-value-\x00-with-nul")
	cases := map[string]struct {
		name  string
		value []byte
		want  string
	}{
		"upper name":    {"API_KEY", []byte("x"), "not a valid secret name"},
		"leading digit": {"1key", []byte("x"), "not a valid secret name"},
		"nul value":     {"token", val, "NUL"},
		"invalid utf8":  {"token", append(secret("sk-bad-utf8-"), 0xff, 0xfe), "UTF-8"},
		"too big":       {"token", append(secret("sk-big-"), make([]byte, MaxValueSize)...), "at most"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := v.Set(c.name, c.value)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			noLeak(t, err)
		})
	}
	if v.Len() != 0 {
		t.Fatal("a rejected Set stored something")
	}
}

func TestLoadOrNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.age")
	v, err := LoadOrNew(path, newIdentity(t))
	if err != nil || v.Len() != 0 || v.ID() != "" {
		t.Fatalf("LoadOrNew on a missing file: %v %v", v, err)
	}
	_, err = Load(path, newIdentity(t))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load on a missing file: %v, want fs.ErrNotExist", err)
	}
}

// The plaintext we write must be exactly what the original tool's TOML
// reader expects: [meta] then [values], strings escaped.
func TestPlaintextLayout(t *testing.T) {
	created := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	modified := time.Date(2024, 5, 2, 11, 30, 0, 0, time.FixedZone("x", 3600))
	plain := encodePlaintext(created, modified, map[string][]byte{
		"b-key": []byte("quote\" back\\ nl\n tab\t ctl\x1b"),
		"a-key": []byte("plain"),
	})
	want := "[meta]\nversion = 1\ncreated_at = \"2024-05-01T10:00:00Z\"\nmodified_at = \"2024-05-02T10:30:00Z\"\n\n[values]\n" +
		"a-key = \"plain\"\n" +
		"b-key = \"quote\\\" back\\\\ nl\\n tab\t ctl\\u001B\"\n"
	if string(plain) != want {
		t.Fatalf("plaintext:\n%s\nwant:\n%s", plain, want)
	}
	var back struct {
		Meta   map[string]any
		Values map[string]string
	}
	if _, err := toml.Decode(string(plain), &back); err != nil {
		t.Fatal(err)
	}
	if back.Values["b-key"] != "quote\" back\\ nl\n tab\t ctl\x1b" {
		t.Fatalf("TOML round trip: %q", back.Values["b-key"])
	}
}

// Every control byte and every escape survives encode → TOML decode.
func TestPlaintextEscapesEveryByte(t *testing.T) {
	var all []byte
	for c := 1; c < 0x80; c++ {
		all = append(all, byte(c))
	}
	all = append(all, "é€😀"...)
	plain := encodePlaintext(time.Now(), time.Now(), map[string][]byte{"all": all})
	_, _, values, err := decodePlaintext("/x", plain)
	if err != nil {
		t.Fatal(err)
	}
	if string(values["all"]) != string(all) {
		t.Fatalf("round trip differs:\n%q\n%q", values["all"], all)
	}
}

// fmt must never print a value, whatever the verb.
func TestFormatHidesValues(t *testing.T) {
	val := secret("sk-format-verbs-9876")
	v := New("/tmp/v.age")
	_ = v.Set("api-key", val)
	env, err := Merge(Scope{}, Scope{Vault: v})
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		for _, x := range []any{v, *v, env, struct{ V *Vault }{v}, []*Vault{v}, map[string]Env{"e": env}} {
			out := fmt.Sprintf(verb, x)
			if strings.Contains(out, string(val)) || strings.Contains(out, fmt.Sprintf("%x", val)) || strings.Contains(out, fmt.Sprint(val)) {
				t.Fatalf("%s on %T prints the value: %s", verb, x, out)
			}
		}
	}
}

// Files are 0600 even when the process umask would allow more.
func TestModesUnderUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	id := newIdentity(t)
	v := New(filepath.Join(dir, "vault.age"))
	_ = v.Set("k", secret("sk-umask-value"))
	if err := v.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(filepath.Join(dir, "secrets.toml"))
	_ = reg.Set("k", "")
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	rs := NewRecipients(filepath.Join(dir, "recipients.txt"))
	if _, err := rs.Add(id.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	if err := rs.Save(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{v.Path(), reg.Path(), rs.Path()} {
		mustMode0600(t, p)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("stray files: %v", entries)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	id := newIdentity(t)
	path := filepath.Join(t.TempDir(), "vault.age")
	v := New(path)
	_ = v.Set("api-key", secret("sk-snapshot-value"))
	if err := v.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	snap := v.Snapshot()
	back, err := FromSnapshot(path, v.ID(), snap)
	if err != nil {
		t.Fatal(err)
	}
	WipeValues(snap)
	if len(snap) != 0 {
		t.Fatal("WipeValues left entries")
	}
	if b, _ := back.Get("api-key"); string(b) != "sk-snapshot-value" || back.ID() != v.ID() || back.Path() != v.Path() {
		t.Fatal("FromSnapshot lost data (or shares the snapshot's bytes)")
	}
	if b, _ := v.Get("api-key"); string(b) != "sk-snapshot-value" {
		t.Fatal("Snapshot shares the vault's bytes")
	}
	_, err = FromSnapshot(path, v.ID(), map[string][]byte{"Bad_Name": secret("sk-snapshot-bad")})
	if err == nil {
		t.Fatal("FromSnapshot accepted an invalid name")
	}
	noLeak(t, err)
}
