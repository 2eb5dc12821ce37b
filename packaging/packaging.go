// Package packaging carries the systemd user units and the launchd plist,
// and renders them for `patina mother install` with the real binary path.
package packaging

import (
	"embed"
	"fmt"
	"net"
	"strings"
)

//go:embed systemd/patina.socket systemd/patina.service systemd/patina-tcp.socket launchd/dev.patina.mother.plist
var files embed.FS

// Unit names.
const (
	SocketUnit    = "patina.socket"
	TCPSocketUnit = "patina-tcp.socket"
	ServiceUnit   = "patina.service"
	LaunchdLabel  = "dev.patina.mother"
)

// templateBinary is the ExecStart binary in the shipped unit file.
const templateBinary = "/usr/local/bin/patina"

// File is one rendered file to install.
type File struct {
	Name    string
	Content []byte
}

// SystemdUnits renders the units for binary; tcpAddr, when set, adds the
// TCP socket unit listening on it.
func SystemdUnits(binary, tcpAddr string) ([]File, error) {
	if strings.ContainsAny(binary, " \t\n\"'\\%$") {
		return nil, fmt.Errorf("binary path %q has characters a unit file would misread: install patina somewhere plainer", binary)
	}
	sock, _ := files.ReadFile("systemd/" + SocketUnit)
	svc, _ := files.ReadFile("systemd/" + ServiceUnit)
	svc = []byte(strings.Replace(string(svc), "ExecStart="+templateBinary+" ", "ExecStart="+binary+" ", 1))
	out := []File{{SocketUnit, sock}, {ServiceUnit, svc}}
	if tcpAddr != "" {
		if _, _, err := net.SplitHostPort(tcpAddr); err != nil || strings.ContainsAny(tcpAddr, " \n") {
			return nil, fmt.Errorf("--tcp %q: want HOST:PORT, e.g. 127.0.0.1:7474", tcpAddr)
		}
		tcp, _ := files.ReadFile("systemd/" + TCPSocketUnit)
		tcp = []byte(strings.Replace(string(tcp), "ListenStream=127.0.0.1:7474", "ListenStream="+tcpAddr, 1))
		out = append(out, File{TCPSocketUnit, tcp})
	}
	return out, nil
}

// LaunchdPlist renders the LaunchAgent for binary, socket and log path.
func LaunchdPlist(binary, socket, logPath string) ([]byte, error) {
	for _, s := range []string{binary, socket, logPath} {
		if strings.ContainsAny(s, "<>&\n") {
			return nil, fmt.Errorf("path %q has characters a plist would misread", s)
		}
	}
	p, _ := files.ReadFile("launchd/" + LaunchdLabel + ".plist")
	r := strings.NewReplacer("@BIN@", binary, "@SOCKET@", socket, "@LOG@", logPath)
	return []byte(r.Replace(string(p))), nil
}
