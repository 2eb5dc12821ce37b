package index

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// ageKeyFile is what `age-keygen -o FILE` writes.
func ageKeyFile(t *testing.T) (file, key string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("# created: 2024-05-01T10:00:00Z\n# public key: %s\n%s\n", id.Recipient(), id), id.String()
}

// openSSHKey is a PEM-looking OpenSSH private key; body is its first
// base64 line.
func openSSHKey(t *testing.T) (file, body string) {
	t.Helper()
	raw := make([]byte, 300)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	var lines []string
	for len(b64) > 70 {
		lines, b64 = append(lines, b64[:70]), b64[70:]
	}
	lines = append(lines, b64)
	return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Join(lines, "\n") + "\n-----END OPENSSH PRIVATE KEY-----\n", lines[0]
}

func TestHoldsPrivateKey(t *testing.T) {
	x, err := age.GenerateX25519Identity()
	must(t, err)
	pq, err := age.GenerateHybridIdentity()
	must(t, err)
	ssh, _ := openSSHKey(t)
	yes := map[string]string{
		"age identity":            "# public key: " + x.Recipient().String() + "\n" + x.String() + "\n",
		"age identity lower case": strings.ToLower(x.String()),
		"age identity in a var":   "export PATINA_IDENTITY=" + x.String() + "\n",
		"age identity glued":      "key=\"" + x.String() + "\"",
		"post-quantum age":        pq.String(),
		"age plugin identity":     "AGE-PLUGIN-YUBIKEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGP5Q0KS6",
		"openssh":                 ssh,
		"rsa pem":                 "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
		"pkcs8 encrypted":         "x\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n",
		"pgp":                     "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ\n",
		"putty":                   "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAA\n",
	}
	for name, s := range yes {
		if !holdsPrivateKey([]byte(s)) {
			t.Errorf("%s: not detected in %q", name, s)
		}
	}
	no := map[string]string{
		"prose":             "Keep your private key safe; age keys start with AGE-SECRET-KEY-1.",
		"ellipsis":          `holds no age identity (AGE-SECRET-KEY-1…)`,
		"bogus":             "AGE-SECRET-KEY-1BOGUS",
		"short":             "AGE-SECRET-KEY-1QQQQQQQQ",
		"recipient":         "# public key: " + x.Recipient().String(),
		"public pem":        "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
		"certificate":       "-----BEGIN CERTIFICATE-----\nMIIB\n",
		"not bech32":        "AGE-SECRET-KEY-1" + strings.Repeat("b", 60), // b is not in the alphabet
		"other prefix":      "NOT-SECRET-KEY-1" + strings.Repeat("q", 60),
		"dashes everywhere": strings.Repeat("-- age - ", 100),
	}
	for name, s := range no {
		if holdsPrivateKey([]byte(s)) {
			t.Errorf("%s: false positive in %q", name, s)
		}
	}
}

// keyFixture writes files holding credentials under names no name rule
// catches, and the credential files the name rules do catch.
func keyFixture(t *testing.T, root string) (needles []string) {
	t.Helper()
	ageFile, ageKey := ageKeyFile(t)
	sshFile, sshBody := openSSHKey(t)
	indextest.WriteFiles(t, root, map[string]string{
		"README.md":                      "# Keys\n\nplainword\n",
		"backup-key.txt":                 ageFile,
		"ops/deploy_key":                 sshFile,
		".envrc":                         "export AWS_SECRET_ACCESS_KEY=envrcsecretword\n",
		".pgpass":                        "db:5432:app:app:pgpasssecretword\n",
		"infra/prod.tfvars":              "db_password = \"tfvarssecretword\"\n",
		"infra/x.auto.tfvars.json":       `{"db_password": "tfvarssecretword"}`,
		"infra/terraform.tfstate":        `{"password": "tfstatesecretword"}`,
		"infra/terraform.tfstate.backup": `{"password": "tfstatesecretword"}`,
		"mother.token":                   "mothertokensecretword\n",
		"identity.age":                   "identitysecretword\n",
	})
	return []string{
		ageKey, strings.ToLower(ageKey), strings.TrimPrefix(ageKey, "AGE-SECRET-KEY-1"), "AGE SECRET KEY",
		sshBody, "OPENSSH PRIVATE KEY", "AWS_SECRET_ACCESS_KEY", "envrcsecretword", "pgpasssecretword",
		"tfvarssecretword", "tfstatesecretword", "mothertokensecretword", "identitysecretword",
	}
}

func assertNotFound(t *testing.T, db *DB, needles []string) {
	t.Helper()
	for _, n := range needles {
		if hits := search(t, db, n); len(hits) != 0 {
			t.Errorf("query %q found %+v", n, hits)
		}
	}
}

func TestScrapeSkipsKeysByContent(t *testing.T) {
	for _, git := range []bool{false, true} {
		t.Run(fmt.Sprintf("git=%v", git), func(t *testing.T) {
			root, err := filepath.EvalSymlinks(t.TempDir())
			must(t, err)
			needles := keyFixture(t, root)
			if git {
				indextest.Git(t, root, "init", "-q")
				indextest.Commit(t, root, "Keys", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
			}
			db := openAt(t, root)
			sum := mustScrape(t, db, root, ScrapeOptions{NoGit: !git})
			if sum.FilesIndexed != 1 || sum.Skipped[skipKeyContent] != 2 || sum.Skipped[skipSensitive] != 8 {
				t.Errorf("summary: %+v", sum)
			}
			if len(search(t, db, "plainword")) != 1 {
				t.Error("the plain file is not indexed")
			}
			assertNotFound(t, db, needles)
		})
	}
}

// A file that comes to hold a key leaves the index at the next scrape.
func TestScrapeFileGainsKey(t *testing.T) {
	root := t.TempDir()
	indextest.WriteFiles(t, root, map[string]string{"notes.md": "# Notes\n\nplainword\n", "other.md": "# Other\n\nkeptword\n"})
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{})
	if len(search(t, db, "plainword")) != 1 {
		t.Fatal("notes.md not indexed")
	}
	ageFile, ageKey := ageKeyFile(t)
	sshFile, sshBody := openSSHKey(t)
	indextest.WriteFiles(t, root, map[string]string{"notes.md": "# Notes\n\nplainword\n\n" + ageFile + "\n" + sshFile})
	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesRemoved != 1 || sum.Skipped[skipKeyContent] != 1 || sum.FilesIndexed != 0 || sum.ChunksRemoved == 0 {
		t.Errorf("summary: %+v", sum)
	}
	assertNotFound(t, db, []string{"plainword", ageKey, sshBody, "AGE SECRET KEY"})
	if len(search(t, db, "keptword")) != 1 {
		t.Error("the other file left the index")
	}
	must(t, db.Check(ctx))
}

// An index written before the content check existed holds key files whose
// size and mtime have not changed since: the next scrape finds them in
// the index, reads them again, and removes them.
func TestScrapePurgesKeysIndexedEarlier(t *testing.T) {
	root := t.TempDir()
	ageFile, ageKey := ageKeyFile(t)
	indextest.WriteFiles(t, root, map[string]string{
		"backup-key.txt": ageFile,
		"doc.md":         "# Doc\n\nA private key is private. Age secret keys too.\n",
	})
	must(t, indextest.Age(root, time.Hour))
	holdsKey = func([]byte) bool { return false }
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{})
	holdsKey = holdsPrivateKey
	if len(search(t, db, ageKey)) != 1 {
		t.Fatal("setup: the key was not indexed")
	}
	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesRemoved != 1 || sum.Skipped[skipKeyContent] != 1 || sum.FilesUnchanged != 1 {
		t.Errorf("summary: %+v", sum)
	}
	assertNotFound(t, db, []string{ageKey, strings.TrimPrefix(ageKey, "AGE-SECRET-KEY-1")})
	db.Close()
	// Done once: a doc that talks about keys is not re-read forever.
	assertNoWrites(t, root)
}
