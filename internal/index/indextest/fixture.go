package indextest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fixture's searchable landmarks: each word occurs in exactly the
// places named, so tests can assert where a query lands.
const (
	// WordReadme is in README.md's "Install > Linux" section (lines 9-12).
	WordReadme = "quasar"
	// WordGuide is in docs/guide.md's "Guide > Tuning" section.
	WordGuide = "wobbulator"
	// WordCode is the name of a Go function in main.go.
	WordCode = "fluxcapacitor"
	// WordCommit is only in the body of the second commit's message.
	WordCommit = "chronosynclastic"
	// WordSkipped is only in files the scrape must skip (vendor,
	// node_modules, .env, a binary, an oversized file, a gitignored file).
	WordSkipped = "forbiddenword"
)

// FixtureFiles are the fixture's indexable files.
var FixtureFiles = map[string]string{
	"README.md": `# Patina Fixture

Intro paragraph about the zephyr project.

## Install

Run the installer first.

### Linux

Use apt to install the quasar package.
Then restart.

## Usage

` + "```sh" + `
# not a heading, only a comment in a fence
zephyr run
` + "```" + `
`,
	"docs/guide.md": `# Guide

Some words.

## Tuning

Adjust the wobbulator until the hum stops.
`,
	"main.go": `package main

import "fmt"

// main prints a greeting.
func main() {
	fmt.Println("hello")
}

// fluxcapacitor needs 1.21 gigawatts.
func fluxcapacitor(gw float64) bool {
	return gw >= 1.21
}
`,
	"util/strings.go": `package util

// Reverse returns s reversed, rune by rune.
func Reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
`,
	".gitignore": "ignored.txt\n*.log\n",
}

// SkippedFiles are files in the fixture tree that a scrape must not index.
var SkippedFiles = map[string]string{
	"vendor/lib/lib.go":       "package lib // forbiddenword\n",
	"node_modules/x/index.js": "// forbiddenword\n",
	".env":                    "TOKEN=forbiddenword\n",
	"ignored.txt":             "forbiddenword\n",
	"debug.log":               "forbiddenword\n",
}

// Fixture commit messages, oldest first.
var FixtureCommits = []string{
	"Add the readme",
	"Add fluxcapacitor\n\nIt runs on a chronosynclastic infundibulum.",
	"Add the guide",
}

// FixtureDates are the commits' author dates.
var FixtureDates = []time.Time{
	time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC),
	time.Date(2024, 2, 2, 10, 0, 0, 0, time.UTC),
	time.Date(2024, 3, 3, 10, 0, 0, 0, time.UTC),
}

// Fixture builds the fixture project in a new temporary directory: a git
// repository with three commits holding FixtureFiles, plus SkippedFiles, a
// binary file and a file over 1 MiB (both containing WordSkipped). It
// returns the project root (symlinks resolved).
func Fixture(t testing.TB) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	mustf(t, err, "fixture")
	Git(t, root, "init", "-q")
	WriteFiles(t, root, map[string]string{"README.md": FixtureFiles["README.md"], ".gitignore": FixtureFiles[".gitignore"]})
	Commit(t, root, FixtureCommits[0], FixtureDates[0])
	WriteFiles(t, root, map[string]string{"main.go": FixtureFiles["main.go"], "util/strings.go": FixtureFiles["util/strings.go"]})
	Commit(t, root, FixtureCommits[1], FixtureDates[1])
	WriteFiles(t, root, map[string]string{"docs/guide.md": FixtureFiles["docs/guide.md"]})
	WriteFiles(t, root, SkippedFiles)
	bin := append([]byte("forbiddenword\x00\x01\x02"), make([]byte, 64)...)
	mustf(t, os.WriteFile(filepath.Join(root, "blob.bin"), bin, 0o644), "fixture")
	big := strings.Repeat("forbiddenword filler line\n", (1<<20)/26+100)
	mustf(t, os.WriteFile(filepath.Join(root, "big.txt"), []byte(big), 0o644), "fixture")
	// vendor/ and node_modules/ are committed, as vendored code often is;
	// .env, ignored.txt and debug.log are ignored or untracked.
	Commit(t, root, FixtureCommits[2], FixtureDates[2])
	return root
}
