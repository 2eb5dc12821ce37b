package service

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A handler's JSON body can contain text shaped like a status line, even at
// a write boundary; the connection must pass it through untouched rather
// than take it for one of net/http's own error responses.
func TestBodyLookingLikeStatusLineIsNotRewritten(t *testing.T) {
	ts := startTestServer(t, Config{}, false)
	for pad := 3780; pad < 3880; pad++ { // move the fake status line across the 4 KiB flush
		path := "/" + strings.Repeat("a", pad) + "HTTP/1.1%20417%20Expectation%20Failed" + strings.Repeat("b", 400)
		c, err := net.Dial("unix", ts.sock)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: patina\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		c.Close()
		if err != nil {
			t.Fatalf("pad %d: reading body: %v", pad, err)
		}
		var e struct{ Error string }
		if resp.StatusCode != 404 || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error, "HTTP/1.1 417") {
			t.Fatalf("pad %d: got %d %q, want the intact 404 naming the path", pad, resp.StatusCode, body[:min(len(body), 200)])
		}
	}
	if strings.Contains(ts.logs.String(), "status=417") {
		t.Fatal("a spurious 417 was logged")
	}
}
