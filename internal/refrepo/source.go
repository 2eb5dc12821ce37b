// Package refrepo keeps the clones behind reference repositories (`patina
// repo`): what may be cloned, the clone itself and its updates, all with
// the user's own git (their credentials, proxies and SSH setup). Where the
// clones live and how they are indexed and registered is the caller's.
package refrepo

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/patina-dev/patina/internal/projects"
)

// allowedProtocols are the transports git may use for a clone or fetch
// (GIT_ALLOW_PROTOCOL). Not ext:: or fd::, which run a command or read a
// descriptor the URL names; not plain http, which anyone on the path can
// rewrite.
const allowedProtocols = "file:git:https:ssh"

// Source is what `patina repo add` was given, checked.
type Source struct {
	// Arg is what git clones: a URL as given, or a local directory made
	// absolute.
	Arg   string
	Local bool   // Arg is a directory on this machine
	Name  string // a registry name derived from it ("" if none can be)
}

// ErrBadSource is wrapped by every refusal of ParseSource.
var ErrBadSource = errors.New("not a repository patina clones")

// ParseSource checks arg, a URL or a local path. A directory that exists
// is local; otherwise arg must be an https, ssh, git or file URL, or
// ssh's user@host:path.
func ParseSource(arg string) (Source, error) {
	bad := func(format string, a ...any) (Source, error) {
		return Source{}, fmt.Errorf("%w: %s", ErrBadSource, fmt.Sprintf(format, a...))
	}
	switch {
	case arg == "":
		return bad("empty URL")
	case strings.HasPrefix(arg, "-"):
		return bad("%q starts with '-', which git would read as an option", arg)
	case strings.ContainsAny(arg, "\x00\n\r"):
		return bad("the URL holds a control character")
	}
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return Source{}, err
		}
		return Source{Arg: abs, Local: true, Name: nameFrom(abs)}, nil
	}
	if i := strings.Index(arg, "::"); i > 0 && !strings.Contains(arg[:i], "/") {
		return bad("%s:: is git's remote-helper syntax (ext:: runs a command); give an https, ssh, git or file URL", arg[:i])
	}
	if scheme, rest, ok := strings.Cut(arg, "://"); ok {
		switch strings.ToLower(scheme) {
		case "https", "ssh", "git", "file":
		case "http":
			return bad("plain http is refused (anyone on the way can change what is cloned): use https")
		default:
			return bad("transport %q is refused: use https, ssh, git or file", scheme)
		}
		if rest == "" {
			return bad("%q names no repository", arg)
		}
		return Source{Arg: arg, Name: nameFrom(rest)}, nil
	}
	// scp-like ssh (user@host:path): a colon before any slash.
	if i := strings.IndexByte(arg, ':'); i > 0 && !strings.Contains(arg[:i], "/") && i < len(arg)-1 {
		return Source{Arg: arg, Name: nameFrom(arg[i+1:])}, nil
	}
	return bad("%s is not a directory, and not a URL (https://…, ssh://…, git://…, file://… or user@host:path)", arg)
}

// nameFrom derives a registry name from a path or URL's last element:
// "https://github.com/spf13/cobra.git" is "cobra".
func nameFrom(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexAny(p, "/:"); i >= 0 {
		p = p[i+1:]
	}
	p = strings.TrimSuffix(p, ".git")
	name, err := projects.DefaultName(p)
	if err != nil {
		return ""
	}
	return name
}

// Redact is a URL fit to print: without the password a user may have put
// in it (https://user:token@host/…). What is not a URL is returned as is.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	return u.Redacted()
}
