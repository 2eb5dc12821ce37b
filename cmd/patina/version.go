package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/paths"
)

// daemonVersionTimeout bounds how long `version --json` waits for the
// local daemon: a version must not hang on a daemon that is starting or
// stuck.
const daemonVersionTimeout = 500 * time.Millisecond

// versionInfo is `patina version --json`.
type versionInfo struct {
	Version       string `json:"version"`
	Commit        string `json:"commit"` // the Go build's VCS stamp; "" when built outside git
	Go            string `json:"go"`
	Platform      string `json:"platform"`                 // GOOS/GOARCH
	DaemonVersion string `json:"daemon_version,omitempty"` // the local daemon's, when it answers
}

func versionVerb() *verb {
	v := &verb{name: "version", summary: "print the version (--json: with commit, Go version, platform and the daemon's version)"}
	v.run = func(args []string) error {
		fs := flags("version")
		asJSON := fs.BoolP("json", "j", false, "print version, commit, Go version, platform and the local daemon's version (when it answers within 0.5s) as JSON")
		if err := parse(fs, "version [--json]", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("version takes no arguments")
		}
		if !*asJSON {
			// Plain version stays cheap: no build info, no daemon.
			fmt.Println("patina", versionString())
			return nil
		}
		info := versionInfo{Version: versionString(), Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					info.Commit = s.Value
				}
			}
		}
		info.DaemonVersion = localDaemonVersion()
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(append(b, '\n'))
		return err
	}
	return v
}

// localDaemonVersion is the version the local daemon reports, or "" when
// it does not answer in time.
func localDaemonVersion() string {
	sock, err := paths.Socket()
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), daemonVersionTimeout)
	defer cancel()
	h, err := client.Local(sock).Health(ctx)
	if err != nil {
		return ""
	}
	return h.Version
}
