package service

// A project whose index is damaged, behind a real daemon on a real unix
// socket: the answer is a 500 that names the project and the fix, and the
// log line says which project and what class of failure, nothing more.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

func TestScryDamagedIndex(t *testing.T) {
	const query = `{"query":"wobbulator","project":"fx"}`
	for _, d := range indextest.Damages {
		t.Run(d.Name, func(t *testing.T) {
			root := indextest.Fixture(t)
			if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
				t.Fatal(err)
			}
			reg := projects.New(filepath.Join(t.TempDir(), "projects.toml"))
			if _, _, err := reg.Add(root, "fx"); err != nil {
				t.Fatal(err)
			}
			engine := knowledge.NewEngineFor(reg)
			t.Cleanup(func() { engine.Close() })
			ts := startTestServerWith(t, Config{}, false, func(s *Server) { RegisterScry(s, engine) })
			c := ts.unixClient()
			if status, _, body := postScry(t, c, "http://patina", "", query); status != 200 {
				t.Fatalf("before the damage: %d %s", status, body)
			}

			d.Spoil(t, paths.ProjectIndex(root))
			status, _, body := postScry(t, c, "http://patina", "", query)
			var e struct{ Error string }
			json.Unmarshal([]byte(body), &e)
			if status != 500 || !strings.HasPrefix(e.Error, `index of project "fx" is damaged (`) || !strings.HasSuffix(e.Error, "rebuild it: patina scrape --rebuild (in fx's directory)") {
				t.Errorf("damaged: %d %s", status, body)
			}
			logs := ts.logs.String()
			if !strings.Contains(logs, `msg="handler failed" method=POST path=/api/scry project=fx class=index_damaged`+"\n") {
				t.Errorf("no failure line with project and class:\n%s", logs)
			}
			for _, leak := range []string{"wobbulator", root, "malformed", "not a database"} {
				if strings.Contains(logs, leak) {
					t.Errorf("the log holds %q:\n%s", leak, logs)
				}
			}

			if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
				t.Fatal(err)
			}
			if status, _, body := postScry(t, c, "http://patina", "", query); status != 200 {
				t.Errorf("after the repair: %d %s", status, body)
			}
		})
	}
}

// TestFailureAttrs: the log's project comes from the error chain, its
// class from the error's type, never from its text.
func TestFailureAttrs(t *testing.T) {
	secret := "query words or a file's content"
	pe := func(err error) error { return &scry.ProjectError{Project: "fx", Err: err} }
	for _, c := range []struct {
		err  error
		want string
	}{
		{errors.New(secret), "class=internal"},
		{pe(&index.DamagedError{Path: "/p", Reason: "an empty file"}), "project=fx class=index_damaged"},
		{pe(fmt.Errorf("%w: %s", index.ErrNoIndex, secret)), "project=fx class=index_missing"},
		{pe(fmt.Errorf("%w: %s", index.ErrSchema, secret)), "project=fx class=index_schema"},
		{fmt.Errorf("%s: %w", secret, &fs.PathError{Op: "open", Path: secret, Err: fs.ErrPermission}), "class=io"},
		{fmt.Errorf("%s: %w", secret, context.DeadlineExceeded), "class=timeout"},
	} {
		attrs := failureAttrs(c.err)
		var got []string
		for i := 0; i+1 < len(attrs); i += 2 {
			got = append(got, fmt.Sprintf("%s=%s", attrs[i], attrs[i+1]))
		}
		if s := strings.Join(got, " "); s != c.want {
			t.Errorf("%v: %q, want %q", c.err, s, c.want)
		}
	}
}
