package vault

import (
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
)

func TestVaultID(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a", "vault.age")
	b := filepath.Join(dir, "b", "vault.age")
	content := []byte("same bytes")
	if VaultID(a, content) != VaultID(a, content) {
		t.Fatal("not deterministic")
	}
	if VaultID(a, content) == VaultID(a, []byte("same byteS")) {
		t.Fatal("editing the content must change the id")
	}
	if VaultID(a, content) == VaultID(b, content) {
		t.Fatal("two projects with identical vaults must not share an id")
	}
	if len(VaultID(a, content)) != 64 {
		t.Fatal("not hex SHA-256")
	}
	// Every spelling of one file gives one id: relative, with dots, symlinked.
	os.MkdirAll(filepath.Dir(a), 0o700)
	os.WriteFile(a, content, 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "a"), link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, p := range []string{"a/vault.age", "./b/../a/vault.age", filepath.Join(link, "vault.age")} {
		if VaultID(p, content) != VaultID(a, content) {
			t.Errorf("%s gives another id", p)
		}
	}
}

func TestFileIDFollowsSaves(t *testing.T) {
	id := newIdentity(t)
	path := filepath.Join(t.TempDir(), "vault.age")
	v := New(path)
	_ = v.Set("k", secret("sk-fileid-1"))
	if err := v.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	first, err := FileID(path)
	if err != nil || first != v.ID() {
		t.Fatalf("FileID %q vs ID %q (%v)", first, v.ID(), err)
	}
	loaded, _ := Load(path, id)
	if loaded.ID() != first {
		t.Fatal("Load gives another id")
	}
	_ = v.Set("k", secret("sk-fileid-2"))
	if err := v.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	second, _ := FileID(path)
	if second == first || second != v.ID() {
		t.Fatal("saving must change the id")
	}
	if _, err := FileID(filepath.Join(t.TempDir(), "none.age")); err == nil {
		t.Fatal("FileID of a missing file")
	}
}
