package knowledge

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/projects"
)

// A daemon started before it served /api/read answers 404: the read is
// made in-process instead of failing until that daemon idles out.
func TestAskerReadsInProcessWhenTheDaemonIsOlder(t *testing.T) {
	home := t.TempDir()
	t.Setenv("PATINA_HOME", home)
	t.Setenv("PATINA_MOTHER", "")
	sock := filepath.Join(home, "old.sock")
	t.Setenv("PATINA_SOCKET", sock)
	root := indextest.Fixture(t)
	if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	reg, err := projects.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Add(root, "fixture"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	old := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"not found"}`))
	})}
	go old.Serve(ln)
	t.Cleanup(func() { old.Close(); os.Remove(sock) })

	a := &Asker{}
	defer a.Close()
	resp, via, err := a.Read(context.Background(), ReadRequest{Project: "fixture", Path: "README.md", StartLine: 1, EndLine: 1})
	if err != nil || via != ViaInProcess || resp.Text != "# Patina Fixture" {
		t.Errorf("read past an older daemon: %+v via %q, %v", resp, via, err)
	}
}
