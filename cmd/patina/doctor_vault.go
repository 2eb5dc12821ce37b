package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/secrets"
	"github.com/patina-dev/patina/internal/vault"
)

// The kinds of file the vault checks read, and how.
const (
	fileAge        = "age"        // vault.age, identity.age: only the header is read
	fileRegistry   = "registry"   // secrets.toml: names and variables, no values
	fileRecipients = "recipients" // public keys
)

// maxAgeFile bounds what doctor reads of an age file (as the vault
// package bounds a vault).
const maxAgeFile = 16 << 20

// staleTemp is how old an atomic write's temporary file must be before
// doctor calls it left behind (a write in progress takes milliseconds).
const staleTemp = time.Minute

// secretsDir is one directory of vault files.
type secretsDir struct {
	dir   string
	files map[string]string // base name → kind
	temps []string          // base names whose .NAME.tmp-* files are Patina's
}

// vaultChecks checks the vault files of Patina's home and of every
// project (the registered ones, and the one holding the working
// directory): modes, the registry and recipients parsed, each age file's
// header read. Nothing is decrypted and no value is read.
func vaultChecks(ps []projects.Project) []check {
	var dirs []secretsDir
	if home, err := paths.Home(); err == nil {
		dirs = append(dirs, secretsDir{dir: home,
			files: map[string]string{"vault.age": fileAge, "identity.age": fileAge, "secrets.toml": fileRegistry, "recipient.txt": fileRecipients},
			temps: []string{"vault.age", "identity.age", "secrets.toml", "recipient.txt", "projects.toml", "mother.token"}})
	}
	roots := map[string]bool{}
	if pl, err := secrets.Find(""); err == nil && pl.Project != nil {
		roots[pl.Project.Dir] = true
	}
	for _, p := range ps {
		if p.Status != projects.StatusMissing && p.Status != projects.StatusMoved && filepath.IsAbs(p.Path) {
			roots[p.Path] = true
		}
	}
	for _, root := range slices.Sorted(maps.Keys(roots)) {
		dirs = append(dirs, secretsDir{dir: paths.ProjectDir(root),
			files: map[string]string{"vault.age": fileAge, "secrets.toml": fileRegistry, "recipients.txt": fileRecipients},
			temps: []string{"vault.age", "secrets.toml", "recipients.txt"}})
	}
	var cs []check
	for _, d := range dirs {
		cs = append(cs, d.checks()...)
	}
	if len(cs) == 0 {
		return []check{{Name: "vaults", Status: checkSkip, Detail: "no vault files yet (patina secrets init makes them)"}}
	}
	return cs
}

func (d secretsDir) checks() []check {
	var cs []check
	for _, name := range slices.Sorted(maps.Keys(d.files)) {
		if c, ok := vaultFileCheck(d.files[name], filepath.Join(d.dir, name)); ok {
			cs = append(cs, c)
		}
	}
	var left []string
	for _, base := range d.temps {
		ms, _ := filepath.Glob(filepath.Join(d.dir, "."+base+".tmp-*"))
		for _, m := range ms {
			if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTemp {
				left = append(left, m)
			}
		}
	}
	if len(left) > 0 {
		words := make([]string, len(left))
		for i, p := range left {
			words[i] = shellWord(p)
		}
		cs = append(cs, check{Name: "temp files " + d.dir, Status: checkWarn,
			Detail: fmt.Sprintf("%s left by interrupted writes (ciphertext or names only)", count(len(left), "temporary file")),
			Fix:    "rm " + strings.Join(words, " ")})
	}
	return cs
}

// vaultFileCheck checks one file if it exists (ok is false if it does not).
func vaultFileCheck(kind, path string) (c check, ok bool) {
	c = check{Name: "vault " + path, Status: checkOK}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return c, false
	case err != nil:
		c.Status, c.Detail, c.Fix = checkFail, oneLine(err.Error()), "check that you own the file and its directory"
		return c, true
	case fi.IsDir():
		c.Status, c.Detail, c.Fix = checkFail, "is a directory", "move it aside; patina expects a file here"
		return c, true
	case ownerOf(fi) != -1 && ownerOf(fi) != os.Getuid():
		c.Status, c.Detail, c.Fix = checkFail, fmt.Sprintf("belongs to uid %d, not to you", ownerOf(fi)), "chown it to yourself, or restore your own copy"
		return c, true
	}
	switch kind {
	case fileRegistry:
		c.Detail, err = registrySummary(path)
	case fileRecipients:
		c.Detail, err = recipientsSummary(path)
	default:
		c.Detail, err = ageSummary(path)
	}
	if err != nil {
		c.Status, c.Detail = checkFail, oneLine(err.Error())
		var ve *vault.Error
		if errors.As(err, &ve) {
			c.Detail, c.Fix = ve.Problem, ve.Fix
		}
		if c.Fix == "" {
			c.Fix = "restore it from a backup"
		}
		return c, true
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		c.Status, c.Fix = checkWarn, "chmod 600 "+shellWord(path)
		c.Detail += fmt.Sprintf("; but its mode is %#o: others can read it", perm)
	}
	return c, true
}

func registrySummary(path string) (string, error) {
	r, err := vault.LoadRegistry(path)
	if err != nil {
		return "", err
	}
	return "a registry of " + count(len(r.Names()), "secret name"), nil
}

func recipientsSummary(path string) (string, error) {
	r, err := vault.LoadRecipients(path)
	if err != nil {
		return "", err
	}
	return count(len(r.Keys()), "recipient"), nil
}

// ageSummary reads an age file's header only: it is well formed and says
// how many recipients (or a passphrase) it is encrypted to. The payload
// is never decrypted, and age's own messages (which could quote the
// header) are not passed on.
func ageSummary(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAgeFile+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxAgeFile {
		return "", &vault.Error{Problem: fmt.Sprintf("over the %d byte limit", maxAgeFile), Fix: "restore it from a backup"}
	}
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armor.Header)) {
		src = armor.NewReader(src)
	}
	hdr, err := age.ExtractHeader(src)
	if err != nil {
		return "", &vault.Error{Problem: "not an age file (damaged or truncated header)", Fix: "restore it from a backup"}
	}
	stanzas := 0
	sc := bufio.NewScanner(bytes.NewReader(hdr))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "-> ") {
			stanzas++
		}
	}
	return "an age file encrypted to " + count(stanzas, "recipient") + " (header read, nothing decrypted)", nil
}

// count is "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
