//go:build !linux && !darwin

package main

// restartHint is how to restart the daemon: no init system runs it here.
const restartHint = "stop patina mother serve and start it again"

func unitCheck() check {
	return check{Name: "units", Status: checkSkip, Detail: "patina installs units for systemd (Linux) and launchd (macOS) only"}
}
