package index

import "testing"

func TestIgnoreRules(t *testing.T) {
	var ig ignorer
	for _, l := range []string{
		"# comment", "", "*.log", "!keep.log", "/rootonly.txt", "build/", "docs/**/*.tmp",
		"a/*/c.txt", `\#hash`, "sub[0-9].md", "**/deep",
	} {
		if r, ok := parseIgnore("", l); ok {
			ig.rules = append(ig.rules, r)
		}
	}
	if r, ok := parseIgnore("pkg", "local.txt"); ok {
		ig.rules = append(ig.rules, r)
	}
	for _, tc := range []struct {
		path string
		dir  bool
		want bool
	}{
		{"x.log", false, true},
		{"a/b/x.log", false, true},
		{"keep.log", false, false},
		{"rootonly.txt", false, true},
		{"sub/rootonly.txt", false, false},
		{"build", true, true},
		{"build", false, false}, // dir-only rule, a file named build
		{"docs/x.tmp", false, true},
		{"docs/a/b/x.tmp", false, true},
		{"other/x.tmp", false, false},
		{"a/b/c.txt", false, true},
		{"a/b/d/c.txt", false, false},
		{"#hash", false, true},
		{"sub1.md", false, true},
		{"subx.md", false, false},
		{"x/y/deep", true, true},
		{"pkg/local.txt", false, true},
		{"local.txt", false, false},
		{"readme.md", false, false},
	} {
		if got := ig.ignored(tc.path, tc.dir); got != tc.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", tc.path, tc.dir, got, tc.want)
		}
	}
}
