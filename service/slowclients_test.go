package service

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSlowClientsHoldNoSlots: with every slot's worth of clients stalled —
// two sending their scry body slowly, two asking for a large answer and
// never reading it — a probe scry still answers 200 within a second, and
// the answers nobody read are logged as not delivered, not as 200s.
func TestSlowClientsHoldNoSlots(t *testing.T) {
	f := newScryFixture(t)
	ts := startScryServer(t, f, Config{Gate: 2, GateWait: 2 * time.Second, WriteWait: time.Second}, false)

	dial := func() *net.UnixConn {
		c, err := net.Dial("unix", ts.sock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*net.UnixConn)
	}
	request := func(body string, declared int) string {
		return fmt.Sprintf("POST /api/scry HTTP/1.1\r\nHost: mother\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", declared, body)
	}
	// Stalled senders: the head and a few bytes of a 200-byte body.
	for range 2 {
		c := dial()
		if _, err := c.Write([]byte(request(`{"query":`, 200))); err != nil {
			t.Fatal(err)
		}
	}
	// Stalled readers: a thousand results (hundreds of KB) into a tiny
	// receive buffer that is never drained.
	big := fmt.Sprintf(`{"query":%q,"project":"bulk","limit":1000,"mode":"lexical"}`, bulkWord)
	for range 2 {
		c := dial()
		c.SetReadBuffer(1024)
		if _, err := c.Write([]byte(request(big, len(big)))); err != nil {
			t.Fatal(err)
		}
		// One byte says the answer is being written; the rest stays unread.
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != nil {
			t.Fatalf("big answer never started: %v", err)
		}
	}
	// The answers are stuck in the socket; their slots must be free.
	if !waitFor(func() bool { return ts.srv.Stats().GateInUse == 0 }) {
		t.Fatalf("slots still held by stalled clients: %+v", ts.srv.Stats())
	}
	if strings.Contains(ts.logs.String(), "path=/api/scry") {
		t.Fatalf("a big answer was written in full; the test needs it stuck:\n%s", ts.logs.String())
	}

	probe := ts.unixClient()
	probe.Timeout = time.Second
	status, _, body := postScry(t, probe, "http://mother", "", fmt.Sprintf(`{"query":%q,"project":"fixture"}`, "scrape"))
	if status != http.StatusOK {
		t.Fatalf("probe scry: %d %s", status, body)
	}

	// The unread answers hit WriteWait and are logged for what they were.
	if !waitFor(func() bool { return strings.Count(ts.logs.String(), "response not delivered") >= 2 }) {
		t.Fatalf("unread answers not logged as undelivered:\n%s", ts.logs.String())
	}
	for _, line := range strings.Split(ts.logs.String(), "\n") {
		if strings.Contains(line, "response not delivered") && !strings.Contains(line, "write deadline") {
			t.Errorf("undelivered answer without its reason: %s", line)
		}
		if strings.Contains(line, `msg=request`) && strings.Contains(line, "path=/api/scry") && !strings.Contains(line, "status=200") {
			t.Errorf("unexpected scry outcome: %s", line)
		}
	}
	if n := strings.Count(ts.logs.String(), "msg=request method=POST path=/api/scry status=200"); n != 1 {
		t.Errorf("%d scry requests logged as delivered 200s, want only the probe:\n%s", n, ts.logs.String())
	}
}
