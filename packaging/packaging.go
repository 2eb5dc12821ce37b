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

// What the shipped unit files hold where an install puts its own.
const (
	templateBinary   = "/usr/local/bin/patina"
	templateSocket   = "%t/patina/mother.sock"
	templateWritable = "ReadWritePaths=-%h/.patina\n"
)

// File is one rendered file to install.
type File struct {
	Name    string
	Content []byte
}

// Systemd is what `mother install` renders into the shipped units.
type Systemd struct {
	Binary  string // ExecStart's binary
	TCPAddr string // when set, adds the TCP socket unit listening on it
	// Socket, when set, replaces ListenStream=%t/patina/mother.sock.
	Socket string
	// Env are the service's Environment= lines (NAME=value), so the daemon
	// sees the paths of the shell that installed it; Writable are extra
	// ReadWritePaths= (a PATINA_HOME elsewhere than ~/.patina).
	Env      []string
	Writable []string
}

// unitUnsafe are the characters a unit file would read as quoting,
// specifiers, variables or separators.
const unitUnsafe = " \t\n\"'\\%$;"

// SystemdUnits renders the units.
func SystemdUnits(o Systemd) ([]File, error) {
	if strings.ContainsAny(o.Binary, unitUnsafe) {
		return nil, fmt.Errorf("binary path %q has characters a unit file would misread: install patina somewhere plainer", o.Binary)
	}
	for _, v := range append(append([]string{o.Socket}, o.Env...), o.Writable...) {
		if strings.ContainsAny(v, unitUnsafe) {
			return nil, fmt.Errorf("%q has characters a unit file would misread: use a plainer path", v)
		}
	}
	sock, _ := files.ReadFile("systemd/" + SocketUnit)
	if o.Socket != "" {
		sock = []byte(strings.Replace(string(sock), "ListenStream="+templateSocket+"\n", "ListenStream="+o.Socket+"\n", 1))
	}
	svc, _ := files.ReadFile("systemd/" + ServiceUnit)
	s := strings.Replace(string(svc), "ExecStart="+templateBinary+" ", "ExecStart="+o.Binary+" ", 1)
	var extra strings.Builder
	for _, e := range o.Env {
		extra.WriteString("Environment=" + e + "\n")
	}
	for _, w := range o.Writable {
		extra.WriteString("ReadWritePaths=-" + w + "\n")
	}
	if extra.Len() > 0 {
		// After the shipped ReadWritePaths=, so they read together.
		s = strings.Replace(s, templateWritable, templateWritable+extra.String(), 1)
	}
	out := []File{{SocketUnit, sock}, {ServiceUnit, []byte(s)}}
	if o.TCPAddr != "" {
		if _, _, err := net.SplitHostPort(o.TCPAddr); err != nil || strings.ContainsAny(o.TCPAddr, " \n") {
			return nil, fmt.Errorf("--tcp %q: want HOST:PORT, e.g. 127.0.0.1:7474", o.TCPAddr)
		}
		tcp, _ := files.ReadFile("systemd/" + TCPSocketUnit)
		tcp = []byte(strings.Replace(string(tcp), "ListenStream=127.0.0.1:7474", "ListenStream="+o.TCPAddr, 1))
		out = append(out, File{TCPSocketUnit, tcp})
	}
	return out, nil
}

// Launchd is what `mother install` renders into the LaunchAgent.
type Launchd struct {
	Binary, Socket, Log string
	// Env (NAME=value) becomes EnvironmentVariables, so the daemon sees
	// the paths of the shell that installed it.
	Env []string
}

// LaunchdPlist renders the LaunchAgent.
func LaunchdPlist(o Launchd) ([]byte, error) {
	for _, s := range append([]string{o.Binary, o.Socket, o.Log}, o.Env...) {
		if strings.ContainsAny(s, "<>&\n") {
			return nil, fmt.Errorf("path %q has characters a plist would misread", s)
		}
	}
	p, _ := files.ReadFile("launchd/" + LaunchdLabel + ".plist")
	r := strings.NewReplacer("@BIN@", o.Binary, "@SOCKET@", o.Socket, "@LOG@", o.Log)
	out := r.Replace(string(p))
	if len(o.Env) > 0 {
		var b strings.Builder
		b.WriteString("<key>EnvironmentVariables</key>\n\t<dict>\n")
		for _, e := range o.Env {
			k, v, _ := strings.Cut(e, "=")
			fmt.Fprintf(&b, "\t\t<key>%s</key>\n\t\t<string>%s</string>\n", k, v)
		}
		b.WriteString("\t</dict>\n\t")
		out = strings.Replace(out, launchdBeforeEnv, b.String()+launchdBeforeEnv, 1)
	}
	return []byte(out), nil
}

// launchdBeforeEnv is where EnvironmentVariables goes in the plist.
const launchdBeforeEnv = "<key>StandardErrorPath</key>"
