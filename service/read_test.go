package service

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/knowledge"
)

// TestReadEndpoint: POST /api/read answers with the lines of an indexed
// file; over TCP it needs the token, cwd means nothing and no path may
// be absolute; refusals are 400s that hold nothing of the file.
func TestReadEndpoint(t *testing.T) {
	f := newScryFixture(t)
	engine := knowledge.NewEngineFor(f.reg)
	t.Cleanup(func() { engine.Close() })
	ts := startTestServerWith(t, Config{}, true, func(s *Server) { RegisterScry(s, engine); RegisterRead(s, engine) })
	c := ts.unixClient()
	status, h, b := post(t, c, "http://patina/api/read", "", `{"project":"fixture","path":"README.md","start_line":9,"end_line":10}`)
	var resp knowledge.ReadResponse
	if err := json.Unmarshal([]byte(b), &resp); status != 200 || err != nil || h.Get("Content-Type") != "application/json" ||
		resp.Path != "README.md" || resp.StartLine != 9 || resp.EndLine != 10 || resp.Text != "### Linux\n" || resp.Kind != "file" {
		t.Fatalf("read README.md 9-10: %d %v %s", status, err, b)
	}
	// The project from the caller's directory, over the unix socket.
	body := fmt.Sprintf(`{"path":"main.go","start_line":1,"end_line":1,"cwd":%q}`, filepath.Join(f.fixture, "docs"))
	if status, _, b := post(t, c, "http://patina/api/read", "", body); status != 200 || !strings.Contains(b, `"text":"package main"`) {
		t.Errorf("read from cwd: %d %s", status, b)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"project":"fixture","path":".env"}`, "credentials"},
		{`{"project":"fixture","path":"../x"}`, "must not contain .."},
		{`{"project":"fixture","path":"/etc/passwd"}`, "not absolute"},
		{`{"project":"fixture","path":"blob.bin"}`, "not a file indexed"},
		{`{"project":"nosuch","path":"README.md"}`, `unknown project "nosuch"`},
		{`{"path":"README.md"}`, "no project"},
		{`{"project":"fixture","path":"README.md","all_projects":true}`, `unknown field "all_projects"`},
	} {
		if status, _, b := post(t, c, "http://patina/api/read", "", tc.body); status != 400 || !strings.Contains(errorOf(b), tc.want) || strings.Contains(b, indextest.WordSkipped) {
			t.Errorf("%s: %d %s; want 400 saying %q", tc.body, status, b, tc.want)
		}
	}
	tc := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + ts.tcp + "/api/read"
	if status, _, b := post(t, tc, base, "", `{"project":"fixture","path":"README.md"}`); status != 401 || strings.Contains(b, "quasar") {
		t.Errorf("TCP without the token: %d %s", status, b)
	}
	if status, _, b := post(t, tc, base, ts.token, `{"project":"fixture","path":"README.md"}`); status != 200 || !strings.Contains(b, "quasar") {
		t.Errorf("TCP with the token: %d %s", status, b)
	}
	if status, _, b := post(t, tc, base, ts.token, fmt.Sprintf(`{"path":"README.md","cwd":%q}`, f.fixture)); status != 400 || !strings.Contains(b, "no project") {
		t.Errorf("TCP with cwd: %d %s", status, b)
	}
	for _, p := range []string{filepath.Join(f.fixture, "README.md"), "/etc/passwd"} {
		body := fmt.Sprintf(`{"path":%q,"project":"fixture"}`, p)
		if status, _, b := post(t, tc, base, ts.token, body); status != 400 || !strings.Contains(b, "not absolute") || strings.Contains(b, f.fixture) {
			t.Errorf("TCP with absolute path %s: %d %s", p, status, b)
		}
	}
}
