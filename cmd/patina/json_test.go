package main

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/paths"
)

// decode unmarshals a run's stdout into v, strictly: no field v lacks.
func decode(t *testing.T, what string, r result, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", what, err, r.stdout, r.stderr)
	}
}

func TestVersionJSON(t *testing.T) {
	t.Parallel()
	type shape struct {
		Version, Commit, Go, Platform string
		DaemonVersion                 string `json:"daemon_version"`
	}
	plain := strings.TrimPrefix(strings.TrimSpace(runPatina(t, nil, "version").stdout), "patina ")

	// No daemon: no daemon_version, and no waiting for one.
	start := time.Now()
	r := runPatina(t, []string{"PATINA_SOCKET=" + noDaemonSocket(t)}, "version", "--json")
	var v shape
	decode(t, "version --json", r, &v)
	if r.code != 0 || v.Version != plain || v.Go != runtime.Version() || v.Platform != runtime.GOOS+"/"+runtime.GOARCH ||
		v.DaemonVersion != "" || strings.Contains(r.stdout, "daemon_version") {
		t.Errorf("version --json without a daemon: exit %d, %+v", r.code, v)
	}
	if !strings.Contains(r.stdout, `"commit":`) {
		t.Errorf("version --json has no commit field: %s", r.stdout)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("version --json took %v with no daemon", d)
	}

	// With one: its version.
	sock := shortSocket(t)
	startDaemon(t, sock)
	r = runPatina(t, []string{"PATINA_SOCKET=" + sock}, "version", "-j")
	v = shape{}
	decode(t, "version -j", r, &v)
	if r.code != 0 || v.DaemonVersion != plain {
		t.Errorf("version -j with a daemon: exit %d, %+v", r.code, v)
	}
}

// --json on the data verbs that lacked it, each with -j.
func TestJSONOnDataVerbs(t *testing.T) {
	t.Parallel()
	t.Run("model verify", func(t *testing.T) {
		t.Parallel()
		var got modelsJSON
		r := runPatina(t, nil, "model", "verify", "--json")
		decode(t, "model verify --json", r, &got)
		if r.code != 0 || len(got.Models) == 0 || got.Models[0].Name != "use-lite" || got.Models[0].State != stateOK || got.Runtime.State != stateOK {
			t.Errorf("model verify --json: exit %d, %+v", r.code, got)
		}
		if strings.Contains(r.stdout, ": ok (") {
			t.Errorf("model verify --json also printed the text lines: %s", r.stdout)
		}
		// An unknown model: exit 1, the error on stderr, JSON still.
		r = runPatina(t, nil, "model", "verify", "-j", "no-such-model")
		got = modelsJSON{}
		decode(t, "model verify -j no-such-model", r, &got)
		if r.code != 1 || len(got.Models) != 0 || !strings.Contains(r.stderr, "no-such-model") {
			t.Errorf("model verify -j no-such-model: exit %d, %+v\n%s", r.code, got, r.stderr)
		}
	})

	t.Run("mother token", func(t *testing.T) {
		t.Parallel()
		home := "PATINA_HOME=" + t.TempDir()
		path := strings.TrimSpace(runPatina(t, []string{home}, "mother", "token").stdout)
		tok, err := os.ReadFile(path)
		must(t, err)
		for _, c := range []struct {
			args    []string
			rotated bool
		}{{[]string{"--json"}, false}, {[]string{"-j", "--rotate"}, true}} {
			var got struct {
				Path    string `json:"path"`
				Rotated bool   `json:"rotated"`
			}
			r := runPatina(t, []string{home}, append([]string{"mother", "token"}, c.args...)...)
			decode(t, "mother token --json", r, &got)
			if r.code != 0 || got.Path != path || got.Rotated != c.rotated || strings.Contains(r.stdout, strings.TrimSpace(string(tok))) {
				t.Errorf("mother token %v: exit %d, %+v", c.args, r.code, got)
			}
		}
	})

	t.Run("secrets recipients list", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.ok(opts{}, "secrets", "init")
		_, _, other := newKey(t)
		w.ok(opts{}, "secrets", "recipients", "add", other)
		var got struct {
			File       string `json:"file"`
			Recipients []struct {
				Key string `json:"key"`
				You bool   `json:"you"`
			} `json:"recipients"`
		}
		r := w.ok(opts{}, "secrets", "recipients", "list", "--json")
		decode(t, "secrets recipients list --json", r, &got)
		you := map[string]bool{}
		for _, k := range got.Recipients {
			you[k.Key] = k.You
		}
		if got.File != paths.ProjectRecipients(w.project) || len(got.Recipients) != 2 || !you[w.recipient] || you[other] {
			t.Errorf("recipients list --json: %+v", got)
		}
		w.assertNoLeak(w.secretKey)
	})
}

// Every verb with --json takes -j, as the man page (made from --help)
// lists them.
func TestJSONShortFlagEverywhere(t *testing.T) {
	t.Parallel()
	r := runPatina(t, nil, "__man")
	sections := strings.Split(r.stdout, "\n.SS ")
	n := 0
	for _, s := range sections[1:] {
		if strings.Contains(s, `\fB\-\-json\fR`) {
			n++
			if !strings.Contains(s, `\fB\-j\fR, \fB\-\-json\fR`) {
				t.Errorf("no -j for --json in %s", strings.SplitN(s, "\n", 2)[0])
			}
		}
	}
	// version, model verify, secrets recipients list and mother token
	// among them, with the verbs that had --json before.
	for _, verb := range []string{"version", "model verify", "secrets recipients list", "mother token", "mother status", "doctor", "scrape", "scry", "projects list", "model list", "secrets"} {
		i := strings.Index(r.stdout, ".SS \"patina "+strings.ReplaceAll(verb, "-", `\-`)+"\"\n")
		if i < 0 {
			t.Errorf("no section for %s", verb)
			continue
		}
		section, _, _ := strings.Cut(r.stdout[i+4:], "\n.SS ")
		if !strings.Contains(section, `\fB\-j\fR, \fB\-\-json\fR`) {
			t.Errorf("%s has no -j, --json", verb)
		}
	}
	if n < 11 {
		t.Errorf("%d verbs with --json, want at least 11", n)
	}
}
