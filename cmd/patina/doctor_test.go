package main

// A damaged index, end to end with the real binary and a real daemon:
// scry names the project and the fix (through the daemon, which logs the
// project and the class, and in-process), doctor reports it with the fix
// and exits 1, scrape rebuilds it and says so, and then scry finds and
// doctor is content.

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
)

// doctorJSON runs `patina doctor --json` and returns its checks by name.
func doctorJSON(t *testing.T, env []string) (map[string]check, result) {
	t.Helper()
	return doctorJSONIn(t, "", env)
}

func doctorJSONIn(t *testing.T, dir string, env []string) (map[string]check, result) {
	t.Helper()
	r := runPatinaIn(t, dir, env, "doctor", "--json")
	var out struct{ Checks []check }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("doctor --json: exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	byName := map[string]check{}
	for _, c := range out.Checks {
		byName[c.Name] = c
	}
	return byName, r
}

func TestDamagedIndexRepair(t *testing.T) {
	d := startDaemon(t, shortSocket(t))
	env := daemonEnv(t, d)
	inProc := []string{env[0], "PATINA_SOCKET=" + noDaemonSocket(t)}
	for _, dmg := range indextest.Damages {
		t.Run(dmg.Name, func(t *testing.T) {
			root := indextest.Fixture(t)
			name := "fx-" + dmg.Name
			scrapeJSON(t, env, root, "--no-embed", "--name", name)
			scryJSON(t, env, "wobbulator", "--project", name, "--mode", "lexical") // the daemon holds it open
			dmg.Spoil(t, paths.ProjectIndex(root))

			want := `patina: error: mother: index of project "` + name + `" is damaged (`
			fix := "rebuild it: patina scrape --rebuild (in " + name + "'s directory)"
			r := runPatina(t, env, "scry", "wobbulator", "--project", name, "--mode", "lexical")
			if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, fix+" (HTTP 500)") {
				t.Errorf("scry through the daemon: exit %d\n%s", r.code, r.stderr)
			}
			logLine := `msg="handler failed" method=POST path=/api/scry project=` + name + " class=index_damaged\n"
			if logs := d.stderr.String(); !strings.Contains(logs, logLine) || strings.Contains(logs, "wobbulator") {
				t.Errorf("daemon log:\n%s", logs)
			}
			r = runPatinaIn(t, filepath.Join(root, "docs"), inProc, "scry", "wobbulator", "--mode", "lexical")
			if r.code != 1 || !strings.Contains(r.stderr, `patina: error: index of project "`+name+`" is damaged (`) || !strings.Contains(r.stderr, fix+"\n") {
				t.Errorf("scry in-process from inside the project: exit %d\n%s", r.code, r.stderr)
			}

			checks, r := doctorJSON(t, env)
			c := checks["index "+name]
			if r.code != 1 || c.Status != checkFail || !strings.Contains(c.Detail, "is damaged (") || c.Fix != "patina scrape --rebuild "+root {
				t.Errorf("doctor: exit %d, %+v", r.code, c)
			}

			r = runPatina(t, env, "projects", "list", "--json")
			var listed []struct{ Name, Status, Problem string }
			must(t, json.Unmarshal([]byte(r.stdout), &listed))
			for _, p := range listed {
				if p.Name == name && (p.Status != "damaged" || !strings.Contains(p.Problem, "rebuild it: patina scrape --rebuild "+root)) {
					t.Errorf("projects list: %+v", p)
				}
			}

			r = runPatina(t, env, "scrape", "--no-embed", root)
			if r.code != 0 || !strings.Contains(r.stderr, "patina: note: the index of "+name+" was damaged (") ||
				!strings.Contains(r.stderr, "); rebuilding it from the files\n") || !strings.Contains(r.stdout, "; rebuilt;") {
				t.Errorf("scrape: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			resp, _ := scryJSON(t, env, "wobbulator", "--project", name, "--mode", "lexical")
			if resp.Count == 0 || resp.Results[0].Path != "docs/guide.md" {
				t.Errorf("scry after the repair: %+v", resp)
			}
			checks, r = doctorJSON(t, env)
			if c := checks["index "+name]; r.code != 0 || c.Status != checkOK {
				t.Errorf("doctor after the repair: exit %d, %+v\n%s", r.code, c, r.stdout)
			}
		})
	}
}

// TestScrapeRebuildAndDeletedIndex: --rebuild replaces a sound index; a
// deleted one is, from inside the project, "registered but not indexed
// yet", and doctor says to scrape it.
func TestScrapeRebuildAndDeletedIndex(t *testing.T) {
	root := indextest.Fixture(t)
	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
	scrapeJSON(t, env, root, "--no-embed", "--name", "fx")
	r := runPatina(t, env, "scrape", "--no-embed", "--rebuild", root)
	if r.code != 0 || !strings.Contains(r.stdout, "; rebuilt;") || strings.Contains(r.stderr, "damaged") {
		t.Errorf("scrape --rebuild: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	must(t, os.Remove(paths.ProjectIndex(root)))
	r = runPatinaIn(t, filepath.Join(root, "docs"), env, "scry", "wobbulator")
	if r.code != 1 || !strings.Contains(r.stderr, `patina: error: project "fx" is registered but not indexed yet: run `+"`patina scrape`") {
		t.Errorf("scry of a deleted index: exit %d\n%s", r.code, r.stderr)
	}
	checks, r := doctorJSON(t, env)
	if c := checks["index fx"]; r.code != 1 || c.Status != checkFail || c.Fix != "patina scrape "+root {
		t.Errorf("doctor: exit %d, %+v", r.code, c)
	}
	r = runPatina(t, env, "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "\nfail  index fx: no index at ") || !strings.Contains(r.stdout, "\n      fix: patina scrape "+root+"\n") {
		t.Errorf("doctor: exit %d\n%s", r.code, r.stdout)
	}
	// Nothing provisioned: scry would be lexical, which works.
	checks, _ = doctorJSON(t, append(env, "PATINA_CACHE="+t.TempDir()))
	for _, name := range []string{"model use-lite", "onnx runtime"} {
		if c := checks[name]; c.Status != checkWarn || !strings.Contains(c.Detail, "missing") || !strings.Contains(c.Fix, "make models") {
			t.Errorf("%s unprovisioned: %+v", name, c)
		}
	}
}

// TestDoctorVaultFiles: doctor reads the vault files without decrypting
// them (no value ever appears), and names a group-readable vault, a
// stale temporary file, a truncated vault and a malformed recipients
// file, each with its fix.
func TestDoctorVaultFiles(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	must(t, err)
	base := t.TempDir()
	proj := filepath.Join(base, "proj")
	must(t, os.MkdirAll(filepath.Join(proj, ".git"), 0o700))
	home := filepath.Join(base, "home")
	env := []string{"PATINA_HOME=" + home, "PATINA_SOCKET=" + noDaemonSocket(t), "PATINA_IDENTITY=" + id.String()}
	const global, local = "gl0bal-value-never-shown", "pr0ject-value-never-shown"
	for _, c := range []struct {
		args  []string
		stdin string
	}{
		{[]string{"secrets", "init"}, ""},
		{[]string{"secrets", "add", "api-key", "--stdin", "--global"}, global},
		{[]string{"secrets", "add", "db-pass", "--stdin"}, local},
	} {
		cmd := exec.Command(patinaBin, c.args...)
		cmd.Dir, cmd.Env = proj, append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + base}, env...)
		cmd.Stdin = strings.NewReader(c.stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, out)
		}
	}
	doctor := func() (map[string]check, result) {
		t.Helper()
		checks, r := doctorJSONIn(t, proj, env)
		if human := runPatinaIn(t, proj, env, "doctor"); strings.Contains(r.stdout+human.stdout+r.stderr+human.stderr, "-value-never-shown") {
			t.Fatal("doctor printed a secret value")
		}
		return checks, r
	}
	checks, _ := doctor()
	vaultAge := filepath.Join(home, "vault.age")
	for _, p := range []string{vaultAge, filepath.Join(home, "secrets.toml"), filepath.Join(home, "recipient.txt"),
		filepath.Join(proj, ".patina", "vault.age"), filepath.Join(proj, ".patina", "recipients.txt")} {
		if c := checks["vault "+p]; c.Status != checkOK {
			t.Errorf("%s: %+v", p, c)
		}
	}

	must(t, os.Chmod(vaultAge, 0o644))
	stale := filepath.Join(home, ".secrets.toml.tmp-123")
	must(t, os.WriteFile(stale, []byte("version = 1\n"), 0o600))
	old := time.Now().Add(-time.Hour)
	must(t, os.Chtimes(stale, old, old))
	data, err := os.ReadFile(filepath.Join(proj, ".patina", "vault.age"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(proj, ".patina", "vault.age"), data[:len(data)/3], 0o600))
	must(t, os.WriteFile(filepath.Join(proj, ".patina", "recipients.txt"), []byte(id.String()+"\n"), 0o600))
	checks, r := doctor()
	for name, want := range map[string]check{
		"vault " + vaultAge:  {Status: checkWarn, Fix: "chmod 600 " + vaultAge},
		"temp files " + home: {Status: checkWarn, Fix: "rm " + stale},
		"vault " + filepath.Join(proj, ".patina", "vault.age"):      {Status: checkFail, Fix: "restore it from a backup"},
		"vault " + filepath.Join(proj, ".patina", "recipients.txt"): {Status: checkFail},
	} {
		if c := checks[name]; c.Status != want.Status || want.Fix != "" && c.Fix != want.Fix || c.Fix == "" {
			t.Errorf("%s: %+v, want %s (%s)", name, c, want.Status, want.Fix)
		}
	}
	if c := checks["vault "+filepath.Join(proj, ".patina", "recipients.txt")]; strings.Contains(c.Detail+c.Fix, id.String()) {
		t.Errorf("doctor quoted the secret key pasted into recipients.txt: %+v", c)
	}
	if r.code != 1 {
		t.Errorf("doctor: exit %d with failed checks", r.code)
	}
}
