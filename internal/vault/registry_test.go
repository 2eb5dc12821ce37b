package vault

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegistryRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.toml")
	r := NewRegistry(path)
	if err := r.Set("api-key", ""); err != nil {
		t.Fatal(err)
	}
	if err := r.Set("db", "DATABASE_URL"); err != nil {
		t.Fatal(err)
	}
	if err := r.Set("other", "DATABASE_URL"); err == nil || !strings.Contains(err.Error(), "would both set DATABASE_URL") {
		t.Fatalf("shared variable accepted: %v", err)
	}
	if err := r.Set("db", "DATABASE_URL"); err != nil { // re-setting your own is fine
		t.Fatal(err)
	}
	if err := r.Save(); err != nil {
		t.Fatal(err)
	}
	mustMode0600(t, path)
	data, _ := os.ReadFile(path)
	want := "version = 1\n\n[secrets]\napi-key = { env = \"API_KEY\" }\ndb = { env = \"DATABASE_URL\" }\n"
	if string(data) != want {
		t.Fatalf("registry file:\n%s\nwant:\n%s", data, want)
	}
	back, err := LoadRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(back.Names(), ",") != "api-key,db" || back.Env("db") != "DATABASE_URL" || back.Env("unregistered-x") != "UNREGISTERED_X" {
		t.Fatalf("loaded %v", back.Names())
	}
	if e, ok := back.Lookup("api-key"); !ok || e != "API_KEY" {
		t.Fatalf("Lookup: %q %v", e, ok)
	}
	if !back.Remove("db") || back.Remove("db") {
		t.Fatal("Remove reports wrong existence")
	}
}

// The original tool's files: sub-tables instead of inline tables, an entry
// without env (inferred), comments.
func TestRegistryReadsOtherLayouts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.toml")
	os.WriteFile(path, []byte("# mine\nversion = 1\n\n[secrets.api-key]\nenv = \"OPENAI_API_KEY\"\n\n[secrets.token]\n"), 0o600)
	r, err := LoadRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Env("api-key") != "OPENAI_API_KEY" || r.Env("token") != "TOKEN" {
		t.Fatalf("env %q %q", r.Env("api-key"), r.Env("token"))
	}
}

func TestRegistryOrNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.toml")
	if _, err := LoadRegistry(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing registry: %v", err)
	}
	r, err := LoadRegistryOrNew(path)
	if err != nil || len(r.Names()) != 0 {
		t.Fatalf("LoadRegistryOrNew: %v", err)
	}
	var nilReg *Registry
	if nilReg.Env("a-b") != "A_B" {
		t.Fatal("nil registry must infer env names")
	}
}
