package scry

import (
	"path"
	"strings"
)

// Role is what a result is to someone looking for an answer, read off its
// path and kind by RoleOf. Ranking weighs roles by the query's intent.
type Role string

// Roles.
const (
	RoleCode   Role = "code"   // implementation: source that is not a test
	RoleTest   Role = "test"   // tests, test data and fixtures
	RoleDoc    Role = "doc"    // documentation: README, guides, specs, design notes
	RoleNote   Role = "note"   // working notes and records of the past: session notes, journals, changelogs
	RoleCommit Role = "commit" // a commit message
)

// Roles lists every role, in the order tables show them.
var Roles = []Role{RoleCode, RoleTest, RoleDoc, RoleNote, RoleCommit}

// testDirs hold tests, wherever they are in the tree.
var testDirs = set("test", "tests", "__tests__", "testdata", "spec", "specs", "e2e", "fixtures", "__fixtures__", "__mocks__")

// noteDirs hold working notes and logs.
var noteDirs = set("session", "sessions", "notes", "note", "journal", "journals", "worklog", "worklogs",
	"devlog", "devlogs", "diary", "logbook", "standups", "minutes", "retros")

// historyDocs are files that record a project's past.
var historyDocs = set("changelog", "changes", "history", "news", "releases", "release-notes", "release_notes")

// RoleOf classifies a result by general conventions, the same for every
// project:
//
//   - a commit is RoleCommit;
//   - code under a test directory (test, tests, __tests__, testdata, spec,
//     e2e, fixtures, …) or named as a test (*_test.go, test_*.py,
//     *_test.py, *.test.ts, *.spec.js, *Test.java, *_spec.rb, conftest.py,
//     …) is RoleTest;
//   - a document under a test directory other than spec is RoleTest (test
//     data written as text);
//   - a document under a notes directory (session(s), notes, journal,
//     worklog, devlog, …), named with a leading date (2024-05-01-…,
//     20240501-…), or a changelog, is RoleNote;
//   - other documents are RoleDoc, other code RoleCode.
func RoleOf(p, kind string) Role {
	switch kind {
	case "commit":
		return RoleCommit
	case "doc":
		switch {
		case inTestDir(p, false):
			return RoleTest // test data and fixtures written as text
		case isNote(p):
			return RoleNote
		}
		return RoleDoc
	}
	if isTest(p) {
		return RoleTest
	}
	return RoleCode
}

func dirs(p string) []string {
	d := path.Dir(p)
	if d == "." || d == "/" {
		return nil
	}
	return strings.Split(strings.ToLower(d), "/")
}

// inTestDir: under a test directory; spec directories count for code
// only (a docs/spec/ holds specifications).
func inTestDir(p string, code bool) bool {
	for _, d := range dirs(p) {
		if testDirs[d] && (code || d != "spec" && d != "specs") {
			return true
		}
	}
	return false
}

func isTest(p string) bool {
	if inTestDir(p, true) {
		return true
	}
	base := path.Base(p)
	lower := strings.ToLower(base)
	stem := strings.TrimSuffix(lower, path.Ext(lower))
	switch {
	case strings.HasPrefix(lower, "test_") || lower == "conftest.py" || lower == "test.py":
		return true
	case strings.HasSuffix(stem, "_test") || strings.HasSuffix(stem, "_tests") || strings.HasSuffix(stem, "_spec") ||
		strings.HasSuffix(stem, "_unittest") || strings.HasSuffix(stem, ".test") || strings.HasSuffix(stem, ".spec"):
		return true
	}
	// Java, Kotlin, C#, Swift: FooTest.java, FooTests.swift.
	orig := strings.TrimSuffix(base, path.Ext(base))
	return len(orig) > 4 && (strings.HasSuffix(orig, "Test") || strings.HasSuffix(orig, "Tests"))
}

func isNote(p string) bool {
	for _, d := range dirs(p) {
		if noteDirs[d] {
			return true
		}
	}
	stem := strings.ToLower(strings.TrimSuffix(path.Base(p), path.Ext(p)))
	if historyDocs[stem] {
		return true
	}
	return leadingDate(stem)
}

// leadingDate: the name starts with a date, 2024-05-01 or 20240501.
func leadingDate(s string) bool {
	digits := func(s string) bool {
		for _, r := range s {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	if len(s) >= 10 && digits(s[:4]) && s[4] == '-' && digits(s[5:7]) && s[7] == '-' && digits(s[8:10]) {
		return s[:2] == "19" || s[:2] == "20"
	}
	if len(s) >= 8 && digits(s[:8]) && (len(s) == 8 || !('0' <= s[8] && s[8] <= '9')) {
		return (s[:2] == "19" || s[:2] == "20") && s[4:6] >= "01" && s[4:6] <= "12"
	}
	return false
}
