package service

// The raw-socket bad-input matrix (issue 2): bytes written with net.Dial on
// the daemon's real unix socket or real TCP listener, responses parsed with
// http.ReadResponse. Every response, error or not, must be JSON with the
// security headers and no CORS header; every error body must be
// {"error": …}; after every case the daemon must still answer /health; at
// the end no request is in flight, no gate slot is held, no goroutine
// leaked, and the log holds neither body bytes nor the token.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// biMarker goes into request bodies; it must never reach the daemon's log.
const biMarker = "ZQXW-body-marker-7f3a"

// biTarget is one listener of a test server.
type biTarget struct {
	ts  *testServer
	tcp bool
}

func (g biTarget) dial(t *testing.T) *biConn {
	t.Helper()
	network, addr := "unix", g.ts.sock
	if g.tcp {
		network, addr = "tcp", g.ts.tcp
	}
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	// No case may hang the suite: a stuck read fails the case instead.
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &biConn{Conn: c, br: bufio.NewReader(c)}
}

// expand fills the placeholders {HOST} (what a well-behaved client sends in
// Host), {PORT} and {TOKEN}.
func (g biTarget) expand(s string) string {
	host, port := "patina", ""
	if g.tcp {
		host = g.ts.tcp
		_, port, _ = net.SplitHostPort(g.ts.tcp)
	}
	return strings.NewReplacer("{HOST}", host, "{PORT}", port, "{TOKEN}", g.ts.token).Replace(s)
}

type biConn struct {
	net.Conn
	br *bufio.Reader
}

// send writes p in the background, so a daemon that answers before reading
// everything (413, 431) cannot deadlock the test. wait returns the write's
// error once it is done; close the connection first to unblock it.
func (c *biConn) send(p []byte) (wait func() error) {
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(p)
		errc <- err
	}()
	return func() error { return <-errc }
}

// response reads one response; method matters only for HEAD.
func (c *biConn) response(t *testing.T, method string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, body
}

// expectClosed reads until the daemon closes the connection and returns
// what it sent and how long that took. A read timeout fails the test.
func (c *biConn) expectClosed(t *testing.T, within time.Duration) ([]byte, time.Duration) {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(within))
	got, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isConnReset(err) {
		t.Fatalf("daemon did not close the connection within %v: %v (got %q)", within, err, got)
	}
	return got, time.Since(start)
}

func isConnReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// biCheck asserts the status and the rules every response obeys.
func biCheck(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("status %d, want %d (body %.300q)", resp.StatusCode, want, body)
	}
	for k, v := range map[string]string{
		"Content-Type":           "application/json",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Cache-Control":          "no-store",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("status %d: header %s = %q, want %q", resp.StatusCode, k, got, v)
		}
	}
	for k := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			t.Errorf("status %d: CORS header %s present", resp.StatusCode, k)
		}
	}
	if resp.Request != nil && resp.Request.Method == http.MethodHead {
		if len(body) != 0 {
			t.Errorf("HEAD response has a body: %.100q", body)
		}
		return
	}
	if resp.StatusCode >= 400 {
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil || len(e) != 1 {
			t.Errorf("status %d: body %.300q is not {\"error\": …}", resp.StatusCode, body)
			return
		}
		if msg, ok := e["error"].(string); !ok || msg == "" {
			t.Errorf("status %d: body %.300q: \"error\" is not a non-empty string", resp.StatusCode, body)
		}
	} else if !json.Valid(body) {
		t.Errorf("status %d: body %.300q is not JSON", resp.StatusCode, body)
	}
}

// biHealth asserts the daemon still answers GET /health on every listener.
func biHealth(t *testing.T, ts *testServer) {
	t.Helper()
	targets := []biTarget{{ts: ts}}
	if ts.tcp != "" {
		targets = append(targets, biTarget{ts: ts, tcp: true})
	}
	for _, g := range targets {
		c := g.dial(t)
		if _, err := io.WriteString(c, g.expand("GET /health HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n")); err != nil {
			c.Close()
			t.Fatalf("health after the case (tcp=%v): %v", g.tcp, err)
		}
		resp, body := c.response(t, http.MethodGet)
		c.Close()
		biCheck(t, resp, body, http.StatusOK)
		var h healthResponse
		if err := json.Unmarshal(body, &h); err != nil || h.Status != "ok" {
			t.Errorf("health after the case (tcp=%v): %q", g.tcp, body)
		}
	}
}

// Request builders. Bodies are exact: Content-Length is computed.
const biAuth = "Authorization: Bearer {TOKEN}\r\n"

func biGet(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: {HOST}\r\n" + strings.Join(extra, "") + "\r\n"
}

func biReq(method, path string, extra ...string) string {
	return method + " " + path + " HTTP/1.1\r\nHost: {HOST}\r\n" + strings.Join(extra, "") + "\r\n"
}

func biPost(path, body string, extra ...string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n" +
		strings.Join(extra, "") + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
}

func biPostChunked(path, body string, extra ...string) string {
	return "POST " + path + " HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n" +
		strings.Join(extra, "") + "Transfer-Encoding: chunked\r\n\r\n" + biChunks(body, 16<<10)
}

func biChunks(body string, size int) string {
	var b strings.Builder
	for len(body) > 0 {
		n := min(size, len(body))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

// biEcho is a valid /test/echo body of exactly size bytes, carrying the
// marker.
func biEcho(n, size int) string {
	head := fmt.Sprintf(`{"n":%d,"s":"%s`, n, biMarker)
	return head + strings.Repeat("a", size-len(head)-2) + `"}`
}

// biHead is a GET /health whose request line plus headers plus the blank
// line are exactly size bytes.
func biHead(size int) string {
	const prefix = "GET /health HTTP/1.1\r\nHost: patina\r\nX-Pad: "
	const suffix = "\r\n\r\n"
	return prefix + strings.Repeat("p", size-len(prefix)-len(suffix)) + suffix
}

func biManyHeaders(n, each int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "X-H-%04d: %s\r\n", i, strings.Repeat("h", each))
	}
	return biGet("/health", b.String())
}

// biCase is one raw request and the statuses of the responses it yields on
// its connection, in order (more than one when bytes past the first request
// are read as a second one).
type biCase struct {
	name   string
	tcp    bool
	raw    string
	method string // for reading the response; "" is GET
	want   []int
	within time.Duration // all responses must arrive within this; 0 = no bound
	bug    string        // a known daemon bug: the case is skipped with this
	check  func(t *testing.T, resps []*http.Response, bodies [][]byte)
}

func (c biCase) run(t *testing.T, ts *testServer) {
	if c.bug != "" {
		t.Skip("daemon bug: " + c.bug)
	}
	g := biTarget{ts: ts, tcp: c.tcp}
	conn := g.dial(t)
	wait := conn.send([]byte(g.expand(c.raw)))
	defer func() {
		conn.Close()
		wait() // write errors are expected when the daemon answers early
	}()
	start := time.Now()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var resps []*http.Response
	var bodies [][]byte
	for i, want := range c.want {
		resp, body := conn.response(t, method)
		if len(c.want) > 1 {
			t.Logf("response %d: %d %.120q", i+1, resp.StatusCode, body)
		}
		biCheck(t, resp, body, want)
		resps, bodies = append(resps, resp), append(bodies, body)
		method = http.MethodGet
	}
	if c.within > 0 && time.Since(start) > c.within {
		t.Errorf("answered after %v, want within %v", time.Since(start), c.within)
	}
	if c.check != nil {
		c.check(t, resps, bodies)
	}
}

func biErrorContains(sub string) func(*testing.T, []*http.Response, [][]byte) {
	return func(t *testing.T, _ []*http.Response, bodies [][]byte) {
		t.Helper()
		var e struct{ Error string }
		json.Unmarshal(bodies[0], &e)
		if !strings.Contains(e.Error, sub) {
			t.Errorf("error %q does not mention %q", e.Error, sub)
		}
	}
}

func biHeaderContains(key, sub string) func(*testing.T, []*http.Response, [][]byte) {
	return func(t *testing.T, resps []*http.Response, _ [][]byte) {
		t.Helper()
		if v := resps[0].Header.Get(key); !strings.Contains(v, sub) {
			t.Errorf("header %s = %q, want it to contain %q", key, v, sub)
		}
	}
}

func biEchoed(n, slen int) func(*testing.T, []*http.Response, [][]byte) {
	return func(t *testing.T, _ []*http.Response, bodies [][]byte) {
		t.Helper()
		var e echoBody
		if err := json.Unmarshal(bodies[0], &e); err != nil {
			t.Fatalf("echo: %v", err)
		}
		if e.N != n || len(e.S) != slen {
			t.Errorf("echo gave n=%d len(s)=%d, want n=%d len(s)=%d", e.N, len(e.S), n, slen)
		}
	}
}

// biUnixCases run on the main server's unix socket (or its TCP listener
// where tcp is set).
func biUnixCases() []biCase {
	const mib = 1 << 20
	small := `{"n":7,"s":"` + biMarker + `"}`
	return []biCase{
		// Header limits: the whole request head is capped at 32 KiB.
		{name: "header bomb: one 40 KiB header", raw: biGet("/health", "X-Bomb: "+strings.Repeat("b", 40<<10)+"\r\n"), want: []int{431}},
		{name: "header bomb: 400 small headers, 40 KiB in all", raw: biManyHeaders(400, 90), want: []int{431}},
		{name: "request line of 40 KiB", raw: biGet("/health?q=" + strings.Repeat("q", 40<<10)), want: []int{431}},
		{name: "request head just under the cap (31 KiB)", raw: biHead(31 << 10), want: []int{200}},
		{name: "request head of exactly 32 KiB", raw: biHead(32 << 10), want: []int{200}},
		{name: "request head of 32 KiB + 1", raw: biHead(32<<10 + 1), want: []int{431}},
		{name: "many small headers just under the cap", raw: biManyHeaders(300, 90), want: []int{200}},

		// Content-Length and chunked bodies: the cap is on bytes read.
		{name: "valid echo (sanity)", raw: biPost("/test/echo", small), want: []int{200}, check: biEchoed(7, len(biMarker))},
		{name: "Content-Length lying low: says 5, sends more; the rest is a garbage request",
			raw:  "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 5\r\n\r\n" + small + "\r\n\r\n",
			want: []int{400, 400}},
		{name: "POST body with neither Content-Length nor chunked: empty body, then garbage",
			raw:  "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\n\r\n" + small + "\r\n\r\n",
			want: []int{400, 400}},
		{name: "Content-Length over 1 MiB, no body sent: refused without waiting for it",
			raw:  "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 2000000\r\n\r\n",
			want: []int{413}, within: 10 * time.Second},
		{name: "Content-Length 1 MiB + 1 with the body", raw: biPost("/test/echo", biEcho(1, mib+1)), want: []int{413}},
		{name: "body of exactly 1 MiB with Content-Length", raw: biPost("/test/echo", biEcho(3, mib)), want: []int{200}, check: biEchoed(3, mib-len(`{"n":3,"s":""}`))},
		{name: "chunked body (no Content-Length) under the cap", raw: biPostChunked("/test/echo", small), want: []int{200}, check: biEchoed(7, len(biMarker))},
		{name: "chunked body of exactly 1 MiB", raw: biPostChunked("/test/echo", biEcho(4, mib)), want: []int{200}, check: biEchoed(4, mib-len(`{"n":4,"s":""}`))},
		{name: "chunked body of 1 MiB + 1", raw: biPostChunked("/test/echo", biEcho(1, mib+1)), want: []int{413}},
		{name: "chunked body of 4 MiB", raw: biPostChunked("/test/echo", biEcho(1, 4*mib)), want: []int{413}},
		{name: "chunked with a Content-Length of 2 MiB: chunked wins, small body passes",
			raw: biPostChunked("/test/echo", small, "Content-Length: 2097152\r\n"), want: []int{200}},
		{name: "chunked with a Content-Length of 5: chunked wins",
			raw: biPostChunked("/test/echo", small, "Content-Length: 5\r\n"), want: []int{200}, check: biEchoed(7, len(biMarker))},
		{name: "bad chunk size", raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + small + "\r\n0\r\n\r\n", want: []int{400}},
		{name: "chunk size overflowing 64 bits", raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n" + small + "\r\n0\r\n\r\n", want: []int{400}},
		{name: "negative Content-Length", raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: -1\r\n\r\n" + small, want: []int{400}},
		{name: "non-numeric Content-Length", raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 1x\r\n\r\n" + small, want: []int{400}},
		{name: "two different Content-Lengths", raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n" + small, want: []int{400}},
		{name: "Transfer-Encoding gzip", raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: gzip\r\n\r\n" + small, want: []int{501}},
		{name: "two Transfer-Encoding headers", raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + biChunks(small, 8), want: []int{501}},

		// JSON bodies.
		{name: "malformed JSON", raw: biPost("/test/echo", `{n:1}`), want: []int{400}},
		{name: "truncated JSON", raw: biPost("/test/echo", `{"n":1,"s":"`+biMarker), want: []int{400}},
		{name: "JSON with a trailing object", raw: biPost("/test/echo", `{"n":1}{"n":2}`), want: []int{400}},
		{name: "JSON with trailing garbage", raw: biPost("/test/echo", `{"n":1} x`), want: []int{400}},
		{name: "wrong type: n is a string", raw: biPost("/test/echo", `{"n":"x"}`), want: []int{400}, check: biErrorContains(`"n"`)},
		{name: "wrong type: s is a number", raw: biPost("/test/echo", `{"s":5}`), want: []int{400}},
		{name: "unknown field", raw: biPost("/test/echo", `{"n":1,"zz":2}`), want: []int{400}, check: biErrorContains("zz")},
		{name: "huge number 1e400", raw: biPost("/test/echo", `{"n":1e400}`), want: []int{400}},
		{name: "integer overflow 99999999999999999999", raw: biPost("/test/echo", `{"n":99999999999999999999}`), want: []int{400}},
		{name: "fraction for an int", raw: biPost("/test/echo", `{"n":1.5}`), want: []int{400}},
		{name: "negative number rejected by the handler", raw: biPost("/test/echo", `{"n":-1}`), want: []int{400}, check: biErrorContains("negative")},
		{name: "empty body POST", raw: biPost("/test/echo", ""), want: []int{400}},
		{name: "JSON array instead of an object", raw: biPost("/test/echo", `[]`), want: []int{400}},
		{name: "JSON string instead of an object", raw: biPost("/test/echo", `"`+biMarker+`"`), want: []int{400}},
		{name: "JSON nested 100000 deep", raw: biPost("/test/echo", `{"n":`+strings.Repeat("[", 100000)), want: []int{400}},
		{name: "NUL byte in the body", raw: biPost("/test/echo", "{\"n\":1,\"s\":\"a\x00"+biMarker+"\"}"), want: []int{400}},

		// Request line and headers.
		{name: "NUL byte in the path", raw: "GET /hea\x00lth HTTP/1.1\r\nHost: {HOST}\r\n\r\n", want: []int{400}},
		{name: "NUL byte in a header value", raw: biGet("/health", "X-A: a\x00b\r\n"), want: []int{400}},
		{name: "NUL byte in a header name", raw: biGet("/health", "X-\x00: a\r\n"), want: []int{400}},
		{name: "bare CR in a header value", raw: biGet("/health", "X-A: a\rb\r\n"), want: []int{400}},
		{name: "header name with a space", raw: biGet("/health", "Bad Name: x\r\n"), want: []int{400}},
		{name: "header line without a colon", raw: biGet("/health", "NoColonHere\r\n"), want: []int{400}},
		{name: "invalid method token", raw: "G(T /health HTTP/1.1\r\nHost: {HOST}\r\n\r\n", want: []int{400}},
		{name: "HTTP/0.9 request line", raw: "GET /health\r\n\r\n", want: []int{400}},
		{name: "garbage request line", raw: "\x16\x03\x01\x02\x00 garbage \xff\xfe\r\n\r\n", want: []int{400}},
		{name: "bare LF LF", raw: "\n\n", want: []int{400}},
		{name: "HTTP/2.0 request line", raw: "GET /health HTTP/2.0\r\nHost: {HOST}\r\n\r\n", want: []int{505}},
		{name: "HTTP/2 prior-knowledge preface", raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", want: []int{404}},
		{name: "HTTP/1.0 request without Host works", raw: "GET /health HTTP/1.0\r\n\r\n", want: []int{200}},
		{name: "HTTP/1.1 without Host", raw: "GET /health HTTP/1.1\r\n\r\n", want: []int{400}},
		{name: "two Host headers", raw: "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", want: []int{400}},
		{name: "unknown Expect", raw: biPost("/test/echo", small, "Expect: teapot\r\n"), want: []int{417}},
		{name: "unknown Expect, HTTP/1.0", raw: "GET /health HTTP/1.0\r\nExpect: teapot\r\n\r\n", want: []int{417}},
		{name: "OPTIONS * (server-wide options)", raw: "OPTIONS * HTTP/1.1\r\nHost: {HOST}\r\n\r\n", want: []int{404}},
		{name: "OPTIONS * (server-wide options), HTTP/1.0", raw: "OPTIONS * HTTP/1.0\r\n\r\n", want: []int{404}},
		{name: "Expect: 100-continue, body never sent: answered at once", raw: "POST /health HTTP/1.1\r\nHost: {HOST}\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
			want: []int{405}, within: 10 * time.Second},
		{name: "CONNECT", raw: "CONNECT patina:80 HTTP/1.1\r\nHost: patina:80\r\n\r\n", want: []int{404}},

		// Methods and paths.
		{name: "DELETE /health", raw: biReq("DELETE", "/health"), want: []int{405}, check: biHeaderContains("Allow", "GET")},
		{name: "POST /health", raw: biPost("/health", small), want: []int{405}, check: biHeaderContains("Allow", "GET")},
		{name: "PUT /version", raw: biReq("PUT", "/version", "Content-Length: 0\r\n"), want: []int{405}},
		{name: "TRACE /health", raw: biReq("TRACE", "/health"), want: []int{405}},
		{name: "OPTIONS /health (no CORS preflight)", raw: biReq("OPTIONS", "/health"), want: []int{405}},
		{name: "lowercase method get", raw: biReq("get", "/health"), want: []int{405}},
		{name: "GET on a POST-only route", raw: biGet("/test/echo"), want: []int{405}, check: biHeaderContains("Allow", "POST")},
		{name: "HEAD /health", raw: biReq("HEAD", "/health"), method: http.MethodHead, want: []int{200}},
		{name: "unknown path", raw: biGet("/nope"), want: []int{404}},
		{name: "dot-dot path is not cleaned into a route", raw: biGet("/test/../health"), want: []int{404}},
		{name: "double slash", raw: biGet("//health"), want: []int{404}},
		{name: "trailing slash", raw: biGet("/health/"), want: []int{404}},
		{name: "local-only route over unix", raw: biGet("/test/local"), want: []int{200}},
		{name: "absolute-form URI over unix", raw: "GET http://whatever/health HTTP/1.1\r\nHost: whatever\r\n\r\n", want: []int{200}},

		// Browsers never get in.
		{name: "Origin header", raw: biGet("/health", "Origin: http://evil.example\r\n"), want: []int{403}},
		{name: "Referer header", raw: biGet("/health", "Referer: http://evil.example/x\r\n"), want: []int{403}},
		{name: "Origin: null", raw: biGet("/health", "Origin: null\r\n"), want: []int{403}},
		{name: "CORS preflight", raw: biReq("OPTIONS", "/test/echo", "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n"), want: []int{403}},
		{name: "Origin on a POST with a body", raw: biPost("/test/echo", small, "Origin: http://evil.example\r\n"), want: []int{403}},
		{name: "Origin on an unknown path", raw: biGet("/nope", "Origin: http://evil.example\r\n"), want: []int{403}},
		// The header's presence counts, whatever its value and however many.
		{name: "empty Origin", raw: biGet("/health", "Origin:\r\n"), want: []int{403}},
		{name: "Origin of spaces", raw: biGet("/health", "Origin:   \r\n"), want: []int{403}},
		{name: "empty Origin then a real one", raw: biGet("/health", "Origin:\r\nOrigin: http://evil.example\r\n"), want: []int{403}},
		{name: "empty Referer", raw: biGet("/health", "Referer:\r\n"), want: []int{403}},
		{name: "empty Referer then a real one", raw: biPost("/test/echo", small, "Referer:\r\nReferer: http://evil.example/\r\n"), want: []int{403}},
		{name: "lower-case empty origin", raw: biGet("/health", "origin:\r\n"), want: []int{403}},

		// Over TCP: Host rules.
		{name: "tcp: foreign Host evil.example:PORT", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: evil.example:{PORT}\r\n\r\n", want: []int{403}},
		{name: "tcp: foreign Host with the right token", tcp: true, raw: "POST /test/echo HTTP/1.1\r\nHost: evil.example:{PORT}\r\n" + biAuth + "Content-Length: 7\r\n\r\n{\"n\":1}", want: []int{403}},
		{name: "tcp: Host localhost:PORT", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: localhost:{PORT}\r\n\r\n", want: []int{200}},
		{name: "tcp: Host LOCALHOST:PORT", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: LOCALHOST:{PORT}\r\n\r\n", want: []int{200}},
		{name: "tcp: Host 127.0.0.1:PORT", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n\r\n", want: []int{200}},
		{name: "tcp: Host 127.0.0.1 without the port", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", want: []int{403}},
		{name: "tcp: Host localhost without the port", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n", want: []int{403}},
		{name: "tcp: Host [::1]:PORT on an IPv4 listener", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: [::1]:{PORT}\r\n\r\n", want: []int{403}},
		{name: "tcp: Host localhost.evil.example:PORT", tcp: true, raw: "GET /health HTTP/1.1\r\nHost: localhost.evil.example:{PORT}\r\n\r\n", want: []int{403}},
		{name: "tcp: HTTP/1.1 without Host", tcp: true, raw: "GET /health HTTP/1.1\r\n\r\n", want: []int{400}},
		{name: "tcp: HTTP/1.0 without Host", tcp: true, raw: "GET /health HTTP/1.0\r\n\r\n", want: []int{403}},
		{name: "tcp: absolute-form URI naming a foreign host", tcp: true, raw: "GET http://evil.example:{PORT}/health HTTP/1.1\r\nHost: {HOST}\r\n\r\n", want: []int{403}},
		{name: "tcp: absolute-form URI naming the listener", tcp: true, raw: "GET http://{HOST}/health HTTP/1.1\r\nHost: {HOST}\r\n\r\n", want: []int{200}},
		{name: "tcp: Origin with the right token", tcp: true, raw: biPost("/test/echo", small, biAuth, "Origin: http://127.0.0.1:{PORT}\r\n"), want: []int{403}},
		{name: "tcp: Referer", tcp: true, raw: biGet("/health", "Referer: http://{HOST}/\r\n"), want: []int{403}},
		{name: "tcp: empty Origin with the right token", tcp: true, raw: biPost("/test/echo", small, biAuth, "Origin:\r\n"), want: []int{403}},
		{name: "tcp: empty Referer", tcp: true, raw: biGet("/health", "Referer:\r\n"), want: []int{403}},

		// Over TCP: the token.
		{name: "tcp: no token on a protected path", tcp: true, raw: biPost("/test/echo", small), want: []int{401}, check: biHeaderContains("WWW-Authenticate", "Bearer")},
		{name: "tcp: empty Authorization", tcp: true, raw: biPost("/test/echo", small, "Authorization:\r\n"), want: []int{401}},
		{name: "tcp: Authorization: Bearer (no token)", tcp: true, raw: biPost("/test/echo", small, "Authorization: Bearer \r\n"), want: []int{401}},
		{name: "tcp: Authorization: Bearer with only spaces", tcp: true, raw: biPost("/test/echo", small, "Authorization: Bearer      x\r\n"), want: []int{401}},
		{name: "tcp: Basic credentials", tcp: true, raw: biPost("/test/echo", small, "Authorization: Basic dXNlcjp7VE9LRU59\r\n"), want: []int{401}},
		{name: "tcp: Basic with the token as password", tcp: true, raw: biPost("/test/echo", small, "Authorization: Basic {TOKEN}\r\n"), want: []int{401}},
		{name: "tcp: wrong token", tcp: true, raw: biPost("/test/echo", small, "Authorization: Bearer 0000000000000000000000000000000000000000000000000000000000000000\r\n"), want: []int{401}},
		{name: "tcp: token with a byte appended", tcp: true, raw: biPost("/test/echo", small, "Authorization: Bearer {TOKEN}x\r\n"), want: []int{401}},
		{name: "tcp: token in a second Authorization header", tcp: true, raw: biPost("/test/echo", small, "Authorization: Bearer nope\r\n", biAuth), want: []int{401}},
		{name: "tcp: token in the query string", tcp: true, raw: biPost("/test/echo?access_token={TOKEN}", small), want: []int{401}},
		{name: "tcp: right token", tcp: true, raw: biPost("/test/echo", small, biAuth), want: []int{200}, check: biEchoed(7, len(biMarker))},
		{name: "tcp: right token, scheme in lower case", tcp: true, raw: biPost("/test/echo", small, "Authorization: bearer {TOKEN}\r\n"), want: []int{200}},
		{name: "tcp: local-only route with the right token", tcp: true, raw: biGet("/test/local", biAuth), want: []int{404}},
		{name: "tcp: local-only route without a token", tcp: true, raw: biGet("/test/local"), want: []int{401}},
		{name: "tcp: unknown path without a token", tcp: true, raw: biGet("/nope"), want: []int{401}},
		{name: "tcp: unknown path with the right token", tcp: true, raw: biGet("/nope", biAuth), want: []int{404}},
		{name: "tcp: /health without a token", tcp: true, raw: biGet("/health"), want: []int{200}},
		{name: "tcp: /health with a wrong token", tcp: true, raw: biGet("/health", "Authorization: Bearer nope\r\n"), want: []int{200}},
		{name: "tcp: /version without a token", tcp: true, raw: biGet("/version"), want: []int{200}},
		{name: "tcp: wrong method on /health without a token", tcp: true, raw: biReq("DELETE", "/health"), want: []int{401}},
		{name: "tcp: header bomb", tcp: true, raw: biGet("/health", "X-Bomb: "+strings.Repeat("b", 40<<10)+"\r\n"), want: []int{431}},
		{name: "tcp: chunked body over the cap with the right token", tcp: true, raw: biPostChunked("/test/echo", biEcho(1, 2*mib), biAuth), want: []int{413}},
		{name: "tcp: Content-Length over the cap without a token", tcp: true, raw: "POST /test/echo HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 2000000\r\n\r\n", want: []int{401}, within: 10 * time.Second},

		// Handler failures.
		{name: "panicking handler", raw: biGet("/test/panic"), want: []int{500}},
		{name: "panicking handler again (slot was released)", raw: biGet("/test/panic"), want: []int{500}},
		{name: "failing handler hides its error text", raw: biGet("/test/fail"), want: []int{500}, check: func(t *testing.T, _ []*http.Response, bodies [][]byte) {
			if strings.Contains(string(bodies[0]), "internal detail") {
				t.Errorf("500 body leaks the internal error: %q", bodies[0])
			}
		}},
		{name: "tcp: panicking handler with the right token", tcp: true, raw: biGet("/test/panic", biAuth), want: []int{500}},
	}
}

// biSettle polls until the goroutine count is at most limit and returns
// the last count.
func biSettle(limit int) (int, bool) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= limit {
			return n, true
		}
		if time.Now().After(deadline) {
			return n, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// biWait polls cond for up to 15 s and reports whether it became true.
func biWait(cond func() bool) bool {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// biStop stops ts now and leaves it so that its t.Cleanup stop returns at
// once.
func biStop(ts *testServer) error {
	select {
	case <-ts.release:
	default:
		close(ts.release)
	}
	ts.cancel()
	select {
	case err := <-ts.done:
		ts.done <- err
		return err
	case <-time.After(15 * time.Second):
		return errors.New("daemon did not stop within 15s")
	}
}

func TestBadInputMatrix(t *testing.T) {
	base0 := runtime.NumGoroutine()

	// One server per set of timeouts a case needs.
	mainSrv := startTestServer(t, Config{Gate: 4, GateWait: 2 * time.Second}, true)
	slowSrv := startTestServer(t, Config{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 700 * time.Millisecond, WriteTimeout: 1500 * time.Millisecond}, false)
	qtSrv := startTestServer(t, Config{QueryTimeout: 200 * time.Millisecond}, false)
	floodSrv := startTestServer(t, Config{Gate: 1, GateWait: 100 * time.Millisecond}, false)
	servers := map[string]*testServer{"main": mainSrv, "slow": slowSrv, "query-timeout": qtSrv, "flood": floodSrv}
	for _, ts := range servers {
		biHealth(t, ts)
	}
	time.Sleep(100 * time.Millisecond)
	base1 := runtime.NumGoroutine()

	cases := 0
	for _, c := range biUnixCases() {
		cases++
		t.Run(c.name, func(t *testing.T) {
			c.run(t, mainSrv)
			biHealth(t, mainSrv)
		})
	}

	custom := []struct {
		name string
		ts   *testServer
		run  func(t *testing.T, ts *testServer)
	}{
		{"panic storm: 20 panics in a row", mainSrv, func(t *testing.T, ts *testServer) {
			for range 20 {
				biCase{raw: biGet("/test/panic"), want: []int{500}}.run(t, ts)
			}
			if st := ts.srv.Stats(); st.GateInUse != 0 {
				t.Errorf("after the panics: %+v", st)
			}
		}},
		{"slow handler past the query timeout gives 504", qtSrv, func(t *testing.T, ts *testServer) {
			biCase{raw: biGet("/test/slow?ms=5000"), want: []int{504}, within: 3 * time.Second}.run(t, ts)
		}},
		{"five timeouts in a row", qtSrv, func(t *testing.T, ts *testServer) {
			for range 5 {
				biCase{raw: biGet("/test/slow?ms=5000"), want: []int{504}, within: 3 * time.Second}.run(t, ts)
			}
		}},
		{"slow handler within the query timeout", qtSrv, func(t *testing.T, ts *testServer) {
			biCase{raw: biGet("/test/slow?ms=10"), want: []int{200}}.run(t, ts)
		}},
		{"flood: slot held, a bounded request gets 503 + Retry-After, /health answers; a disconnect frees the slot", floodSrv, biFloodDisconnect},
		{"flood: slot held then released; the next bounded request passes", floodSrv, biFloodRelease},
		{"half-open: connects and sends nothing", slowSrv, func(t *testing.T, ts *testServer) {
			c := biTarget{ts: ts}.dial(t)
			defer c.Close()
			got, took := c.expectClosed(t, 5*time.Second)
			if len(got) != 0 {
				t.Errorf("daemon sent %q to a silent client", got)
			}
			if took < 200*time.Millisecond || took > 3*time.Second {
				t.Errorf("silent client cut off after %v, want about ReadHeaderTimeout (300ms)", took)
			}
		}},
		{"half-open: half a request line, then CloseWrite", slowSrv, func(t *testing.T, ts *testServer) {
			c := biTarget{ts: ts}.dial(t)
			defer c.Close()
			io.WriteString(c, "GET /hea")
			if err := c.Conn.(*net.UnixConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			// The daemon sees EOF mid-line: it answers 400 (or just closes)
			// and hangs up at once, well before any timeout.
			if b, _ := c.br.Peek(1); len(b) > 0 {
				resp, body := c.response(t, http.MethodGet)
				biCheck(t, resp, body, http.StatusBadRequest)
				t.Logf("answered %d %q", resp.StatusCode, body)
			}
			if rest, _ := c.expectClosed(t, 5*time.Second); len(rest) != 0 {
				t.Errorf("more bytes after the answer: %q", rest)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("connection closed after %v", took)
			}
		}},
		{"half-open: request head cut short, connection kept open", slowSrv, func(t *testing.T, ts *testServer) {
			c := biTarget{ts: ts}.dial(t)
			defer c.Close()
			io.WriteString(c, "GET /health HTTP/1.1\r\nHost: patina\r\n")
			got, took := c.expectClosed(t, 5*time.Second)
			if len(got) != 0 {
				t.Errorf("daemon answered an incomplete request: %q", got)
			}
			if took < 200*time.Millisecond || took > 3*time.Second {
				t.Errorf("cut off after %v, want about ReadHeaderTimeout (300ms)", took)
			}
		}},
		{"slowloris: one header byte every 100 ms", slowSrv, biSlowloris},
		{"slow reader: asks for a 1 MiB answer and never reads it", slowSrv, func(t *testing.T, ts *testServer) {
			g := biTarget{ts: ts}
			c := g.dial(t)
			defer c.Close()
			start := time.Now()
			wait := c.send([]byte(g.expand(biPost("/test/echo", biEcho(1, 1<<20)))))
			if !biWait(func() bool { return ts.srv.Stats().InFlight == 1 }) {
				t.Fatalf("the request never started: %+v", ts.srv.Stats())
			}
			// The write deadline (WriteTimeout 1.5s) frees the handler and
			// its slot although the client never reads.
			if !biWait(func() bool { st := ts.srv.Stats(); return st.InFlight == 0 && st.GateInUse == 0 }) {
				t.Fatalf("handler still stuck writing to a client that does not read: %+v", ts.srv.Stats())
			}
			if took := time.Since(start); took < time.Second {
				t.Errorf("freed after %v: the response did not block at all, the case tests nothing", took)
			}
			c.Close()
			wait()
		}},
		{"Content-Length lying high: says 100, sends 10, waits", slowSrv, func(t *testing.T, ts *testServer) {
			c := biTarget{ts: ts}.dial(t)
			defer c.Close()
			start := time.Now()
			io.WriteString(c, "POST /test/echo HTTP/1.1\r\nHost: patina\r\nContent-Length: 100\r\n\r\n{\"n\":1,\"s\"")
			resp, body := c.response(t, http.MethodPost)
			took := time.Since(start)
			biCheck(t, resp, body, http.StatusRequestTimeout)
			t.Logf("answered %d %q after %v", resp.StatusCode, body, took)
			if took < 500*time.Millisecond || took > 3*time.Second {
				t.Errorf("answered after %v, want about ReadTimeout (700ms)", took)
			}
			c.expectClosed(t, 5*time.Second)
		}},
	}
	for _, c := range custom {
		cases++
		t.Run(c.name, func(t *testing.T) {
			c.run(t, c.ts)
			biHealth(t, c.ts)
		})
	}
	t.Logf("%d cases", cases)

	// The last checks run in the test's own goroutine, so the counts
	// compare like with like (a subtest is a goroutine of its own).
	{
		for name, ts := range servers {
			ok := biWait(func() bool { st := ts.srv.Stats(); return st.InFlight == 0 && st.GateInUse == 0 })
			if !ok {
				t.Errorf("%s server: %+v after all cases", name, ts.srv.Stats())
			}
		}
		n, ok := biSettle(base1 + 2)
		if !ok {
			buf := make([]byte, 1<<20)
			t.Errorf("goroutines: %d after the cases, %d before (servers running)\n%s", n, base1, buf[:runtime.Stack(buf, true)])
		}
		t.Logf("goroutines with the servers running: %d before the cases, %d after", base1, n)
	}

	{ // the log holds no body bytes and no token
		for name, ts := range servers {
			logs := ts.logs.String()
			if strings.Contains(logs, biMarker) {
				t.Errorf("%s server's log contains request body bytes (%q)", name, biMarker)
			}
			if ts.token != "" && strings.Contains(logs, ts.token) {
				t.Errorf("%s server's log contains the token", name)
			}
			if !strings.Contains(logs, "status=") {
				t.Errorf("%s server's log has no request lines:\n%s", name, logs)
			}
		}
	}

	{ // the servers stop and every goroutine they had is gone
		for name, ts := range servers {
			if err := biStop(ts); err != nil {
				t.Errorf("%s server: %v", name, err)
			}
		}
		n, ok := biSettle(base0 + 2)
		if !ok {
			buf := make([]byte, 1<<20)
			t.Errorf("goroutines: %d after stopping, %d before starting\n%s", n, base0, buf[:runtime.Stack(buf, true)])
		}
		t.Logf("goroutines: %d before the servers started, %d after they stopped", base0, n)
	}
}

// biHold sends POST /test/block on a new connection and waits until it
// holds a slot.
func biHold(t *testing.T, ts *testServer) *biConn {
	t.Helper()
	c := biTarget{ts: ts}.dial(t)
	io.WriteString(c, "POST /test/block HTTP/1.1\r\nHost: patina\r\nContent-Length: 0\r\n\r\n")
	if !biWait(func() bool { return ts.srv.Stats().GateInUse == 1 }) {
		c.Close()
		t.Fatalf("/test/block never took the slot: %+v", ts.srv.Stats())
	}
	return c
}

func biFlooded(t *testing.T, ts *testServer) {
	t.Helper()
	for _, raw := range []string{biGet("/test/slow?ms=1"), biPost("/test/echo", `{"n":1}`), biGet("/test/panic")} {
		start := time.Now()
		biCase{raw: raw, want: []int{503}, within: 10 * time.Second, check: biHeaderContains("Retry-After", "1")}.run(t, ts)
		if took := time.Since(start); took < 80*time.Millisecond {
			t.Errorf("503 after %v: the gate did not wait GateWait (100ms)", took)
		}
		biHealth(t, ts) // unbounded routes still answer
	}
}

func biFloodDisconnect(t *testing.T, ts *testServer) {
	hold := biHold(t, ts)
	biFlooded(t, ts)
	hold.Close() // the client goes away: its context is cancelled, the slot freed
	if !biWait(func() bool { st := ts.srv.Stats(); return st.GateInUse == 0 && st.InFlight == 0 }) {
		t.Fatalf("slot not freed after the holder disconnected: %+v", ts.srv.Stats())
	}
	biCase{raw: biGet("/test/slow?ms=1"), want: []int{200}}.run(t, ts)
}

func biFloodRelease(t *testing.T, ts *testServer) {
	hold := biHold(t, ts)
	defer hold.Close()
	biFlooded(t, ts)
	close(ts.release)
	resp, body := hold.response(t, http.MethodPost)
	biCheck(t, resp, body, http.StatusOK)
	if !biWait(func() bool { return ts.srv.Stats().GateInUse == 0 }) {
		t.Fatalf("slot not freed after release: %+v", ts.srv.Stats())
	}
	biCase{raw: biGet("/test/slow?ms=1"), want: []int{200}}.run(t, ts)
}

func biSlowloris(t *testing.T, ts *testServer) {
	c := biTarget{ts: ts}.dial(t)
	defer c.Close()
	io.WriteString(c, "GET /health HTTP/1.1\r\nHost: patina\r\nX-Slow: ")
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		sent := 0
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				done <- sent
				return
			case <-tick.C:
				if _, err := c.Write([]byte{'s'}); err != nil {
					done <- sent
					return
				}
				sent++
			}
		}
	}()
	got, took := c.expectClosed(t, 5*time.Second)
	close(stop)
	sent := <-done
	if len(got) != 0 {
		t.Errorf("daemon answered a slowloris client: %q", got)
	}
	if took < 200*time.Millisecond || took > 3*time.Second {
		t.Errorf("slowloris cut off after %v (%d bytes trickled), want about ReadHeaderTimeout (300ms)", took, sent)
	}
	t.Logf("cut off after %v, %d bytes trickled", took, sent)
}
