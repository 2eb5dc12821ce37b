package service

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
)

// Listener is one socket the daemon serves on, with the rules it gets.
type Listener struct {
	net.Listener
	// Name is the systemd FileDescriptorName, "launchd", or the socket path.
	Name string
	// Network marks a TCP listener (or one named "tcp"): token and Host
	// rules apply and local-only routes are hidden.
	Network bool
	// Hosts are extra names accepted in the Host header on a network
	// listener, besides its own address and localhost:PORT.
	Hosts []string
}

// newListener classifies l: anything named "tcp" or not a unix socket gets
// the network rules, so a mislabelled socket errs on the strict side.
func newListener(l net.Listener, name string) Listener {
	_, isUnix := l.(*net.UnixListener)
	return Listener{Listener: l, Name: name, Network: name == "tcp" || !isUnix}
}

// listenerInfo travels with every connection accepted on a listener.
type listenerInfo struct {
	name    string
	network bool
	hosts   map[string]bool // allowed Host values (network listeners)
}

func infoFor(l Listener) *listenerInfo {
	info := &listenerInfo{name: l.Name, network: l.Network, hosts: map[string]bool{}}
	if l.Network {
		if _, port, err := net.SplitHostPort(l.Addr().String()); err == nil {
			info.hosts[strings.ToLower(l.Addr().String())] = true
			info.hosts["localhost:"+port] = true
			for _, h := range l.Hosts {
				info.hosts[strings.ToLower(net.JoinHostPort(h, port))] = true
			}
		}
	}
	return info
}

// warnIfExposed logs loudly when a TCP listener is reachable from other
// machines: the token is then the only thing between them and the daemon.
func warnIfExposed(log *slog.Logger, l Listener) {
	if !l.Network {
		return
	}
	host, _, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return
	}
	log.Warn("TCP listener is NOT loopback-only: any machine that can reach it may try the token; prefer 127.0.0.1 or --mother ssh://",
		"addr", l.Addr().String())
}

// trackedListener tags accepted connections with their listener's info.
type trackedListener struct {
	net.Listener
	info *listenerInfo
	log  *slog.Logger
}

func (l *trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, info: l.info, log: l.log}, nil
}

// conn is an accepted connection. It rewrites the few error responses that
// net/http writes by itself (malformed requests, header too large) into the
// daemon's JSON error shape, so clients see one error format everywhere.
type conn struct {
	net.Conn
	info *listenerInfo
	log  *slog.Logger
}

// netHTTPErrorHeaders is how net/http marks the responses it writes without
// a handler; the daemon's own responses are always application/json.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *conn) Write(p []byte) (int, error) {
	if !isNetHTTPError(p) {
		return c.Conn.Write(p)
	}
	status, msg := parseNetHTTPError(p)
	c.log.Info("request", "method", "-", "path", "-", "status", status, "listener", c.info.name, "error", msg)
	body := fmt.Sprintf(`{"error":%s}`+"\n", strconv.Quote(msg))
	resp := fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, statusText(status), len(body), body)
	if _, err := c.Conn.Write([]byte(resp)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// isNetHTTPError recognises a response net/http wrote without a handler:
// its text/plain errors, and the bare 417 it sends for an Expect other
// than 100-continue (no handler of ours answers 417). Both carry a raw
// "Connection: close" header line, which a JSON body written by a handler
// never holds (JSON escapes CR and LF), so a body chunk that happens to
// start like a status line is never mistaken for one.
func isNetHTTPError(p []byte) bool {
	if bytes.HasPrefix(p, []byte("HTTP/1.1 ")) && bytes.Contains(p, []byte(netHTTPErrorHeaders)) {
		return true
	}
	return (bytes.HasPrefix(p, []byte("HTTP/1.1 417 ")) || bytes.HasPrefix(p, []byte("HTTP/1.0 417 "))) &&
		bytes.Contains(p, []byte("\r\nConnection: close\r\n"))
}

// parseNetHTTPError pulls the status and reason out of a net/http error
// response such as "HTTP/1.1 400 Bad Request: malformed Host header…".
func parseNetHTTPError(p []byte) (int, string) {
	line, _, _ := bytes.Cut(p[len("HTTP/1.x "):], []byte("\r\n"))
	code, reason, _ := strings.Cut(string(line), " ")
	status, err := strconv.Atoi(code)
	if err != nil || status < 400 || status > 599 {
		status = 400
	}
	msg := strings.ToLower(reason)
	switch status {
	case 431:
		msg = "request headers over 32 KiB"
	case 501:
		msg = "unsupported transfer encoding"
	case 417:
		msg = "expectation failed: only Expect: 100-continue is supported"
	}
	return status, msg
}

// CloseWrite keeps net/http's half-close (used after a 431) working through
// the wrapper.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
