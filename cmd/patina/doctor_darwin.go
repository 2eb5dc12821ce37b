package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"time"

	"github.com/patina-dev/patina/packaging"
)

// restartHint is how to restart the daemon the init system runs.
var restartHint = fmt.Sprintf("launchctl kickstart -k gui/%d/%s", os.Getuid(), packaging.LaunchdLabel)

// unitCheck asks launchd whether patina's LaunchAgent is loaded.
func unitCheck() check {
	c := check{Name: "units", Status: checkSkip}
	plist, err := plistPath()
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	if _, err := os.Stat(plist); errors.Is(err, fs.ErrNotExist) {
		c.Detail = "the LaunchAgent is not installed"
		c.Fix = "patina mother install, to have launchd start the daemon on demand (optional: the CLI works in-process without it)"
		return c
	}
	if _, err := exec.LookPath("launchctl"); err != nil {
		c.Detail = "launchctl not found"
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	target := fmt.Sprintf("gui/%d/%s", os.Getuid(), packaging.LaunchdLabel)
	if err := exec.CommandContext(ctx, "launchctl", "print", target).Run(); err != nil {
		c.Status, c.Detail = checkFail, plist+" is installed but launchd has not loaded it"
		c.Fix = fmt.Sprintf("launchctl bootstrap gui/%d %s", os.Getuid(), shellWord(plist))
		return c
	}
	c.Status, c.Detail = checkOK, packaging.LaunchdLabel+" is loaded ("+plist+")"
	return c
}
