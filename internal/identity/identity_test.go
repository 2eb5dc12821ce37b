package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

var ctx = context.Background()

func newKey(t *testing.T) *age.X25519Identity {
	t.Helper()
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	secret(x.String())
	return x
}

func TestLoadFromEnv(t *testing.T) {
	isolate(t)
	x := newKey(t)
	for name, value := range map[string]string{
		"bare":         x.String(),
		"spaces":       "  " + x.String() + "\n",
		"keygen style": "# created: 2024-01-01T00:00:00Z\n# public key: " + x.Recipient().String() + "\n" + x.String() + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(EnvIdentity, value)
			id, src, err := Load(ctx, nil) // no prompter needed
			if err != nil || src != SourceEnv || id.Recipient() != x.Recipient().String() {
				t.Fatalf("Load: %v %v %v", id, src, err)
			}
		})
	}
}

func TestBadEnvIdentity(t *testing.T) {
	isolate(t)
	x := newKey(t)
	k := x.String()
	// A flipped last character breaks the bech32 checksum: age's own
	// message would then quote the expected checksum, part of the key.
	flipped := k[:len(k)-1] + map[bool]string{true: "Q", false: "P"}[k[len(k)-1] == 'P']
	secret(flipped)
	for name, value := range map[string]string{
		"checksum":      flipped,
		"two keys":      k + "\n" + newKey(t).String(),
		"public key":    x.Recipient().String(),
		"not a key":     "hunter2",
		"only comments": "# nothing here",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(EnvIdentity, value)
			_, src, err := Load(ctx, nil)
			if err == nil || src != SourceEnv {
				t.Fatalf("accepted: %v", src)
			}
			if !strings.HasPrefix(err.Error(), "identity PATINA_IDENTITY: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("message: %q", err)
			}
			noLeak(t, err)
		})
	}
}

func TestNoIdentity(t *testing.T) {
	home := isolate(t)
	_, _, err := Load(ctx, answer(t))
	if !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("got %v, want ErrNoIdentity", err)
	}
	for _, want := range []string{"patina secrets init", EnvIdentity, filepath.Join(home, "identity.age")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if _, _, err := Locate(); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("Locate: %v", err)
	}
}

func TestInitFileThenLoad(t *testing.T) {
	home := isolate(t)
	pass := "correct horse battery staple"
	p := answer(t, pass, pass)
	id, src, err := Init(ctx, p)
	if err != nil || src != SourceFile {
		t.Fatalf("Init: %v %v", src, err)
	}
	if len(p.prompts) != 2 {
		t.Fatalf("Init asked %d times, want 2 (passphrase and confirmation)", len(p.prompts))
	}
	path := filepath.Join(home, "identity.age")
	mustMode0600(t, path)
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("-----BEGIN AGE ENCRYPTED FILE-----\n")) {
		t.Fatal("identity file is not armored age")
	}
	if bytes.Contains(data, []byte("AGE-SECRET-KEY")) {
		t.Fatal("identity file holds the key in clear")
	}
	if src, where, err := Locate(); err != nil || src != SourceFile || where != path {
		t.Fatalf("Locate: %v %q %v", src, where, err)
	}

	got, src, err := Load(ctx, answer(t, pass))
	if err != nil || src != SourceFile || got.Recipient() != id.Recipient() {
		t.Fatalf("Load: %v %v %v", got, src, err)
	}
	// The unlocked identity really decrypts what its recipient encrypts.
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, mustRecipient(t, id.Recipient()))
	w.Write([]byte("hello"))
	w.Close()
	if _, err := age.Decrypt(&buf, got.Age()); err != nil {
		t.Fatalf("loaded identity does not decrypt: %v", err)
	}

	// Init again refuses and leaves the file alone.
	if _, _, err := Init(ctx, answer(t)); !errors.Is(err, ErrExists) {
		t.Fatalf("second Init: %v, want ErrExists", err)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, data) {
		t.Fatal("second Init changed the file")
	}
}

func TestWrongPassphrase(t *testing.T) {
	isolate(t)
	good := "the right one"
	if _, _, err := Init(ctx, answer(t, good, good)); err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"the wrong one", "", good + " "} {
		_, _, err := Load(ctx, answer(t, wrong))
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("passphrase %q: %v, want ErrWrongPassphrase", wrong, err)
		}
		noLeak(t, err)
	}
}

func TestNoPrompterForFile(t *testing.T) {
	isolate(t)
	if _, _, err := Init(ctx, answer(t, "pw-noprompt", "pw-noprompt")); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(ctx, nil)
	if !errors.Is(err, ErrNoTerminal) || !strings.Contains(err.Error(), EnvIdentity) {
		t.Fatalf("got %v, want ErrNoTerminal pointing at %s", err, EnvIdentity)
	}
}

func TestInitPassphraseMistakes(t *testing.T) {
	home := isolate(t)
	cases := map[string][]string{
		"mismatch": {"first-pass", "other-pass"},
		"empty":    {""},
		"blank":    {"   "},
	}
	for name, replies := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Init(ctx, answer(t, replies...))
			if err == nil {
				t.Fatal("accepted")
			}
			noLeak(t, err)
			if _, err := os.Stat(filepath.Join(home, "identity.age")); err == nil {
				t.Fatal("a file was written anyway")
			}
		})
	}
}

func TestInitRefusesWithEnvSet(t *testing.T) {
	isolate(t)
	t.Setenv(EnvIdentity, newKey(t).String())
	if _, _, err := Init(ctx, answer(t)); !errors.Is(err, ErrExists) {
		t.Fatalf("got %v", err)
	}
}

func TestExport(t *testing.T) {
	isolate(t)
	x := newKey(t)
	t.Setenv(EnvIdentity, x.String())
	id, _, err := Load(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "backup.txt")
	if err := id.Export(out); err != nil {
		t.Fatal(err)
	}
	mustMode0600(t, out)
	data, _ := os.ReadFile(out)
	if !strings.Contains(string(data), "# public key: "+x.Recipient().String()+"\n") || !strings.HasSuffix(string(data), x.String()+"\n") {
		t.Fatalf("export is not in age-keygen format")
	}
	err = id.Export(out)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), out) {
		t.Fatalf("second export: %v, want ErrExists naming the file", err)
	}
	noLeak(t, err)
	if again, _ := os.ReadFile(out); !bytes.Equal(again, data) {
		t.Fatal("second export changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("stray files: %v", entries)
	}
	var buf bytes.Buffer
	if err := id.ExportTo(&buf); err != nil || !strings.HasSuffix(buf.String(), x.String()+"\n") {
		t.Fatalf("ExportTo: %v", err)
	}
	if err := id.Export(filepath.Join(dir, "missing-dir", "k.txt")); err == nil || !strings.Contains(err.Error(), "missing-dir") {
		t.Fatalf("export into a missing dir: %v", err)
	}
}

func TestImport(t *testing.T) {
	home := isolate(t)
	path := filepath.Join(home, "identity.age")
	old, _, err := Init(ctx, answer(t, "old-pass", "old-pass"))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	x := newKey(t)
	keyfile := "# created: 2024-01-01T00:00:00Z\n# public key: " + x.Recipient().String() + "\n" + x.String() + "\n"

	_, _, err = Import(ctx, strings.NewReader(keyfile), answer(t), KeepExisting)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("import over an identity: %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, before) {
		t.Fatal("refused import changed the file")
	}

	id, src, err := Import(ctx, strings.NewReader(keyfile), answer(t, "new-pass", "new-pass"), Replace)
	if err != nil || src != SourceFile || id.Recipient() != x.Recipient().String() {
		t.Fatalf("Import(Replace): %v %v %v", id, src, err)
	}
	mustMode0600(t, path)
	got, _, err := Load(ctx, answer(t, "new-pass"))
	if err != nil || got.Recipient() != x.Recipient().String() || got.Recipient() == old.Recipient() {
		t.Fatalf("Load after import: %v %v", got, err)
	}

	for name, input := range map[string]string{
		"garbage":   "hello",
		"two keys":  x.String() + "\n" + newKey(t).String() + "\n",
		"empty":     "",
		"recipient": x.Recipient().String(),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Import(ctx, strings.NewReader(input), answer(t), Replace)
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Import(%s): %v", name, err)
			}
			noLeak(t, err)
		})
	}
}

func TestImportIntoEmptyStore(t *testing.T) {
	isolate(t)
	x := newKey(t)
	id, src, err := Import(ctx, strings.NewReader(x.String()), answer(t, "pp-empty", "pp-empty"), KeepExisting)
	if err != nil || src != SourceFile || id.Recipient() != x.Recipient().String() {
		t.Fatalf("%v %v %v", id, src, err)
	}
}

func TestCorruptIdentityFile(t *testing.T) {
	home := isolate(t)
	path := filepath.Join(home, "identity.age")
	if _, _, err := Init(ctx, answer(t, "pp-corrupt", "pp-corrupt")); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	notPassphrase := new(bytes.Buffer)
	w, _ := age.Encrypt(notPassphrase, newKey(t).Recipient())
	w.Write([]byte("x"))
	w.Close()
	for name, content := range map[string][]byte{
		"truncated":          data[:len(data)/2],
		"garbage":            []byte("not age at all"),
		"not passphrase age": notPassphrase.Bytes(),
	} {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(path, content, 0o600)
			_, src, err := Load(ctx, answer(t, "pp-corrupt"))
			if err == nil || src != SourceFile || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Load: %v %v", src, err)
			}
			var ie *Error
			if !errors.As(err, &ie) || ie.Fix == "" {
				t.Fatalf("no fix: %v", err)
			}
			noLeak(t, err)
			if now, _ := os.ReadFile(path); !bytes.Equal(now, content) {
				t.Fatal("Load modified the file")
			}
		})
	}
}

func TestFormatHidesKey(t *testing.T) {
	isolate(t)
	x := newKey(t)
	t.Setenv(EnvIdentity, x.String())
	id, _, err := Load(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{id, *id, struct{ I *Identity }{id}, []*Identity{id}} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, x.String()) || strings.Contains(strings.ToUpper(out), "AGE-SECRET") || strings.Contains(out, "[") && strings.Count(out, " ") > 30 {
				t.Fatalf("%s prints the key: %s", verb, out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(id), id.Recipient()) {
		t.Fatal("String should name the recipient")
	}
}

func mustRecipient(t *testing.T, s string) *age.X25519Recipient {
	t.Helper()
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
