package shellquote

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":           `''`,
		"plain":      `'plain'`,
		"it's":       `'it'\''s'`,
		"'":          `''\'''`,
		"$(rm -rf)":  `'$(rm -rf)'`,
		"a\nb":       "'a\nb'",
		"`id` \\ \"": "'`id` \\ \"'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestScriptLayout(t *testing.T) {
	got, err := Script([][2]string{{"API_KEY", "sk-'x'"}, {"lower_ok", ""}}, []string{"deploy", "--prod", "a b"})
	if err != nil {
		t.Fatal(err)
	}
	want := "export API_KEY='sk-'\\''x'\\'''\nexport lower_ok=''\nexec 'deploy' '--prod' 'a b'\n"
	if string(got) != want {
		t.Fatalf("script:\n%s\nwant:\n%s", got, want)
	}
	if cap(got) != len(got) {
		t.Fatalf("script buffer not sized exactly (len %d, cap %d): growth leaves stale copies", len(got), cap(got))
	}
}

func TestScriptRejects(t *testing.T) {
	val := "sk-never-in-errors-31337"
	cases := map[string]struct {
		env  [][2]string
		argv []string
	}{
		"no command":      {nil, nil},
		"empty command":   {nil, []string{""}},
		"dash command":    {nil, []string{"-c", "x"}},
		"bad name":        {[][2]string{{"API-KEY", val}}, []string{"true"}},
		"digit name":      {[][2]string{{"1X", val}}, []string{"true"}},
		"empty name":      {[][2]string{{"", val}}, []string{"true"}},
		"injection name":  {[][2]string{{"X=1;rm", val}}, []string{"true"}},
		"nul in value":    {[][2]string{{"K", val + "\x00"}}, []string{"true"}},
		"nul in argument": {nil, []string{"echo", val + "\x00"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Script(c.env, c.argv)
			if err == nil {
				t.Fatalf("accepted: %q", s)
			}
			if strings.Contains(err.Error(), val) {
				t.Fatalf("error leaks the value: %v", err)
			}
		})
	}
}

// tricky is what shells misread: quotes, expansions, escapes, control
// characters, non-ASCII, and words that look like options.
var tricky = []string{
	"'", `"`, `\`, "$", "`", "(", ")", "{", "}", "[", "]", "\n", "\r", "\t", " ",
	"!", "*", "?", "~", "#", ";", "&", "|", "<", ">", "%", "^", "=", ",", "-",
	"\x01", "\x1b", "\x7f", "é", "日本", "🔑", "\u2028", "$(id)", "`id`", "${HOME}",
	"'\\''", "\\n", "-e", "--", "$'x'", "!!", "\\", "''", `"'"`, "EOF\n",
}

func randomString(r *rand.Rand) string {
	var b strings.Builder
	n := r.IntN(12)
	for range n {
		switch r.IntN(4) {
		case 0:
			b.WriteString(tricky[r.IntN(len(tricky))])
		case 1:
			b.WriteByte(byte('a' + r.IntN(26)))
		case 2:
			b.WriteRune(rune(0x20 + r.IntN(0x3000))) // printable-ish unicode
		default:
			b.WriteByte(byte(1 + r.IntN(255))) // any byte but NUL, even invalid UTF-8
		}
	}
	return b.String()
}

// runScript feeds the script to `shell -s` and returns the NUL-separated
// fields the command printed.
func runScript(t *testing.T, shell string, script []byte, stdinTail string) []string {
	t.Helper()
	path, err := exec.LookPath(shell)
	if err != nil {
		t.Skipf("%s not installed", shell)
	}
	cmd := exec.Command(path, "-s")
	cmd.Stdin = bytes.NewReader(append(script, stdinTail...))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -s: %v: %s", shell, err, stderr.Bytes())
	}
	return strings.Split(string(out), "\x00")
}

// The property: for any NUL-free strings, values exported by the script and
// arguments passed by it reach the command byte-for-byte, through a real
// bash (the remote side of `ssh HOST bash -s`) and through dash (plain sh).
func TestScriptRoundTripsThroughRealShells(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, shell := range []string{"bash", "dash"} {
		for round := range 25 {
			var env [][2]string
			var printVars []string
			for i := range 20 {
				name := fmt.Sprintf("V%d", i)
				env = append(env, [2]string{name, randomString(r)})
				printVars = append(printVars, `"$`+name+`"`)
			}
			args := []string{"", "'", "\n"}
			for range 20 {
				args = append(args, randomString(r))
			}
			// The command itself is bash: it prints every argument, then
			// every variable, NUL-terminated.
			prog := `printf '%s\0' "$@" ` + strings.Join(printVars, " ")
			argv := append([]string{"bash", "-c", prog, "bash"}, args...)
			script, err := Script(env, argv)
			if err != nil {
				t.Fatal(err)
			}
			got := runScript(t, shell, script, "")
			want := append([]string(nil), args...)
			for _, kv := range env {
				want = append(want, kv[1])
			}
			want = append(want, "") // after the last NUL
			if len(got) != len(want) {
				t.Fatalf("%s round %d (seed %d): %d fields, want %d", shell, round, seed, len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s round %d (seed %d): field %d is %q, want %q (valid UTF-8: %v)",
						shell, round, seed, i, got[i], want[i], utf8.ValidString(want[i]))
				}
			}
		}
	}
}

// bash -s reads its script a line at a time, so what follows the script on
// stdin is the command's stdin: `run --ssh` can forward the user's input.
func TestScriptLeavesTheRestOfStdinToTheCommand(t *testing.T) {
	script, err := Script([][2]string{{"K", "multi\nline\nvalue"}}, []string{"bash", "-c", `cat; printf '%s\0' "$K"`})
	if err != nil {
		t.Fatal(err)
	}
	got := runScript(t, "bash", script, "input for the command\n")
	if len(got) != 2 || got[0] != "input for the command\nmulti\nline\nvalue" {
		t.Fatalf("got %q", got)
	}
}

// FuzzScript checks the same property on inputs the fuzzer finds
// (go test -fuzz=FuzzScript); in a normal run only the seeds execute.
func FuzzScript(f *testing.F) {
	for _, s := range append(tricky, "", "plain", "a'b\"c$d`e\\f\ng") {
		f.Add(s, s+"'")
	}
	f.Fuzz(func(t *testing.T, value, arg string) {
		if strings.IndexByte(value, 0) >= 0 || strings.IndexByte(arg, 0) >= 0 {
			t.Skip()
		}
		script, err := Script([][2]string{{"V", value}}, []string{"bash", "-c", `printf '%s\0' "$1" "$V"`, "bash", arg})
		if err != nil {
			t.Fatal(err)
		}
		got := runScript(t, "bash", script, "")
		if len(got) != 3 || got[0] != arg || got[1] != value {
			t.Fatalf("got %q, want [%q %q]", got, arg, value)
		}
	})
}
