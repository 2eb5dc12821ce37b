//go:build !linux

package main

import (
	"os"
	"testing"
)

// testPty: the prompt tests drive a Linux pseudo-terminal; elsewhere they
// are skipped.
type testPty struct{ slave *os.File }

func openTestPty(t *testing.T) *testPty {
	t.Skip("pseudo-terminal tests run on Linux")
	return nil
}

func (p *testPty) screen() string { return "" }

func (p *testPty) typeWhenSilent(t *testing.T, prompt string, count int, line string) {}
