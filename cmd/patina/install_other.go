//go:build !linux && !darwin

package main

import "errors"

func install(installOptions) error {
	return errors.New("mother install supports systemd (Linux) and launchd (macOS) only: run `patina mother serve`")
}

func uninstall(bool) error { return errors.New("mother uninstall supports Linux and macOS only") }

func unitState() string { return "" }
