package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runLines runs a server over LineTransport, feeds it input and then EOF,
// and returns every line it wrote once the session has ended.
func runLines(t *testing.T, input string) []map[string]any {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	srv := New(Options{})
	defer srv.Close()
	done := make(chan error, 1)
	go func() {
		done <- srv.Run(context.Background(), &LineTransport{In: inR, Out: outW})
		outW.Close()
	}()
	go func() {
		io.WriteString(inW, input)
		inW.Close()
	}()
	var frames []map[string]any
	sc := bufio.NewScanner(outR)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m["jsonrpc"] != "2.0" {
			t.Fatalf("output line is not JSON-RPC 2.0: %q", sc.Bytes())
		}
		frames = append(frames, m)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("session ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end at EOF")
	}
	return frames
}

func byID(frames []map[string]any) map[string]map[string]any {
	m := map[string]map[string]any{}
	for _, f := range frames {
		if id, ok := f["id"]; ok {
			b, _ := json.Marshal(id)
			m[string(b)] = f
		}
	}
	return m
}

const initLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}` + "\n"

func TestLineTransportSurvivesMalformedFrames(t *testing.T) {
	isolate(t)
	huge := `{"jsonrpc":"2.0","id":50,"method":"ping","params":{"pad":"` + strings.Repeat("x", MaxFrame) + `"}}`
	input := initLine +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
		"not json at all\n" +
		"\n   \n" + // blank lines are skipped silently
		`{"id":"no-version","method":"ping"}` + "\n" +
		`[1, 2` + "\n" +
		`"a bare string"` + "\n" +
		huge + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}` + "\r\n" +
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"mother_status"}}` + "\n"
	frames := runLines(t, input)
	got := byID(frames)
	for _, id := range []string{"1", "2", "3"} {
		if got[id] == nil || got[id]["result"] == nil {
			t.Errorf("request %s: %v", id, got[id])
		}
	}
	if e, _ := got[`"no-version"`]["error"].(map[string]any); e == nil || e["code"] != float64(-32600) {
		t.Errorf("versionless request: %v", got[`"no-version"`])
	}
	var parseErrors, invalid int
	for _, f := range frames {
		if e, ok := f["error"].(map[string]any); ok && f["id"] == nil {
			switch e["code"] {
			case float64(-32700):
				parseErrors++
			case float64(-32600):
				invalid++
			}
		}
	}
	// "not json", "[1, 2" are parse errors; the bare string and the huge
	// frame are invalid requests without a readable id.
	if parseErrors != 2 || invalid != 2 {
		t.Errorf("%d parse errors and %d invalid requests, want 2 and 2: %v", parseErrors, invalid, frames)
	}
	if len(frames) != 8 {
		t.Errorf("%d frames, want 8 (3 answers, 5 refusals)", len(frames))
	}
}

// A client that writes its requests and closes its end at once still
// gets every answer.
func TestLineTransportAnswersBeforeEOF(t *testing.T) {
	isolate(t)
	registerFixture(t)
	var in bytes.Buffer
	in.WriteString(initLine)
	in.WriteString(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	for i := 2; i < 12; i++ {
		in.WriteString(`{"jsonrpc":"2.0","id":` + strconv.Itoa(i) + `,"method":"tools/call","params":{"name":"scry","arguments":{"query":"quasar","project":"fixture"}}}` + "\n")
	}
	got := byID(runLines(t, in.String()))
	if len(got) != 11 {
		t.Errorf("%d answers, want 11: %v", len(got), got)
	}
	for id, f := range got {
		if f["result"] == nil {
			t.Errorf("%s: %v", id, f)
		}
	}
}
