package index

import (
	"slices"
	"testing"
)

func TestSplitCamel(t *testing.T) {
	for word, want := range map[string][]string{
		"ConstantTimeCompare": {"Constant", "Time", "Compare"},
		"HTTPServer":          {"HTTP", "Server"},
		"urlParse":            {"url", "Parse"},
		"getHTTP2Conn":        {"get", "HTTP2", "Conn"},
		"sha256Sum":           {"sha256", "Sum"},
		"plain":               {"plain"},
		"ABC":                 {"ABC"},
		"ÉtéFini":             {"Été", "Fini"},
	} {
		if got := splitCamel(word); !slices.Equal(got, want) {
			t.Errorf("splitCamel(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestCamelParts(t *testing.T) {
	got := camelParts("class ThreadPoolExecutor(Executor):", "pool = ThreadPoolExecutor(); read_file os.path")
	if want := "thread pool executor"; got != want {
		t.Errorf("camelParts = %q, want %q (each identifier once, snake_case and single words left to the tokenizer)", got, want)
	}
	if got := camelParts("no humps here, snake_case_only"); got != "" {
		t.Errorf("camelParts of plain text = %q, want empty", got)
	}
}
