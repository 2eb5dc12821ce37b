package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/patina-dev/patina/internal/embed"
)

func modelVerb() *verb {
	return &verb{
		name:    "model",
		summary: "embedding models for semantic scry: list, add, verify",
		sub: []*verb{
			modelListVerb(),
			modelAddVerb(),
			modelVerifyVerb(),
		},
	}
}

// Model states, as list shows them.
const (
	stateOK       = "ok"       // every file has its pinned hash
	stateMissing  = "missing"  // a file is not there
	stateAltered  = "altered"  // a file's hash is not the pinned one
	stateUnusable = "unusable" // a file cannot be read
)

// modelInfo is one model in `model list`.
type modelInfo struct {
	Name      string       `json:"name"`
	Family    string       `json:"family"`
	Dims      int          `json:"dims"`
	MaxTokens int          `json:"max_tokens"`
	Builtin   bool         `json:"builtin"`
	Default   bool         `json:"default"`
	Dir       string       `json:"dir"`
	Files     []embed.File `json:"files"`
	State     string       `json:"state"`
	Problem   string       `json:"problem,omitempty"`
}

// runtimeInfo is the ONNX Runtime library in `model list`.
type runtimeInfo struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	State   string `json:"state"`
	Problem string `json:"problem,omitempty"`
}

func modelListVerb() *verb {
	v := &verb{name: "list", summary: "list embedding models and whether their files are intact"}
	v.run = func(args []string) error {
		fs := flags("model list")
		asJSON := fs.BoolP("json", "j", false, "print the list as JSON")
		if err := parse(fs, "model list [--json]", v.summary+`.

Lists the built-in model (use-lite, provisioned by `+"`make models`"+`) and the
models added with `+"`patina model add`"+`, with their family, output dims and
token limit, and hashes every file to say whether it is ok, missing or
altered. The ONNX Runtime library they all need is checked the same way.

Exit status: 0 listed (a model with a missing or altered file is listed
with that state); 1 an added model's manifest cannot be read; 2 usage.`, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("model list takes no arguments")
		}
		ms, listErr := embed.List()
		infos := make([]modelInfo, len(ms))
		for i, m := range ms {
			infos[i] = describeModel(m)
		}
		rt := describeRuntime()
		if *asJSON {
			b, err := json.MarshalIndent(modelsJSON{infos, rt}, "", "  ")
			if err != nil {
				return err
			}
			os.Stdout.Write(append(b, '\n'))
		} else {
			printModels(os.Stdout, infos, rt)
		}
		return listErr
	}
	return v
}

// modelsJSON is `model list --json` and `model verify --json`.
type modelsJSON struct {
	Models  []modelInfo `json:"models"`
	Runtime runtimeInfo `json:"runtime"`
}

// describeModel hashes m's files and says what state they are in.
func describeModel(m *embed.Manifest) modelInfo { return modelState(m, m.Verify()) }

// modelState is m with the state its Verify error says.
func modelState(m *embed.Manifest, verr error) modelInfo {
	info := modelInfo{
		Name: m.Name, Family: m.Family, Dims: m.Dims, MaxTokens: m.MaxTokens,
		Builtin: m.Builtin(), Default: m.Name == embed.DefaultModel,
		Dir: m.Dir, Files: m.Files, State: stateOK,
	}
	if verr != nil {
		info.State, info.Problem = fileState(verr), oneLine(verr.Error())
	}
	return info
}

func describeRuntime() runtimeInfo { return runtimeState(embed.VerifyRuntime()) }

// runtimeState is the ONNX Runtime library with the state VerifyRuntime
// says.
func runtimeState(path string, verr error) runtimeInfo {
	info := runtimeInfo{Path: path, Version: embed.RuntimeVersion, State: stateOK}
	if verr != nil {
		info.State, info.Problem = fileState(verr), oneLine(verr.Error())
	}
	return info
}

// fileState sums up a Verify error: altered if any file's hash is wrong,
// else missing if any file is missing, else unusable.
func fileState(err error) string {
	state := stateUnusable
	for _, e := range split(err) {
		var fe *embed.FileError
		switch {
		case errors.As(e, &fe) && fe.Got != "":
			return stateAltered
		case errors.Is(e, os.ErrNotExist):
			state = stateMissing
		}
	}
	return state
}

func printModels(w io.Writer, infos []modelInfo, rt runtimeInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFAMILY\tDIMS\tMAX TOKENS\tSOURCE\tSTATE")
	for _, m := range infos {
		source := "added"
		if m.Builtin {
			source = "built-in"
		}
		name := m.Name
		if m.Default {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", name, m.Family, m.Dims, m.MaxTokens, source, m.State)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nonnx runtime %s: %s (%s)\n", rt.Version, printable(rt.Path), rt.State)
	for _, m := range infos {
		if m.Problem != "" {
			fmt.Fprintf(w, "  %s\n", printable(m.Problem))
		}
	}
	if rt.Problem != "" {
		fmt.Fprintf(w, "  %s\n", printable(rt.Problem))
	}
}

// sha256Hex is compiled on first use: package initialisation runs in
// every command.
var sha256Hex = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{64}$`) })

func modelAddVerb() *verb {
	v := &verb{name: "add", summary: "add a BERT-style embedding model (ONNX graph + vocab.txt)"}
	v.run = func(args []string) error {
		fs := flags("model add")
		name := fs.String("name", "", "call the model `NAME` (lower-case letters, digits, '.', '_', '-')")
		family := fs.String("family", embed.FamilyBERT, "the model's `FAMILY`: bert or use-lite")
		graph := fs.String("onnx", "", "the ONNX graph `FILE`")
		vocab := fs.String("vocab", "", "the vocabulary `FILE` (vocab.txt, one WordPiece token a line)")
		sum := fs.String("sha256", "", "the `HASH` the ONNX file must have (hex SHA-256)")
		vocabSum := fs.String("vocab-sha256", "", "the `HASH` the vocabulary must have (default: pinned as found)")
		dims := fs.Int("dims", 0, "the `D` dims the model must output (default: learned from the graph)")
		maxTokens := fs.Int("max-tokens", 0, "truncate input to `N` tokens, [CLS] and [SEP] included (default "+strconv.Itoa(embed.DefaultBERTMaxTokens)+")")
		if err := parse(fs, "model add --name NAME --onnx FILE --vocab FILE --sha256 HASH [--family bert] [--vocab-sha256 HASH] [--dims D] [--max-tokens N]", v.summary+`.

For a sentence encoder exported to ONNX the way Hugging Face exports BERT
(all-MiniLM-L6-v2, bge-small-en-v1.5, …): inputs input_ids, attention_mask
and optionally token_type_ids; output last_hidden_state, mean-pooled over
the attention mask and L2-normalised (or an already pooled [batch, dims]
output). The vocabulary is the model's uncased WordPiece vocab.txt.

The ONNX file's SHA-256 must equal --sha256 before anything is written.
Both files are then copied into the models directory in Patina's home
(0700, files 0600) with a manifest that pins both hashes, and the model is
loaded once and run on a word and on a text of --max-tokens tokens: a graph
that does not load, has other inputs, or cannot take that many tokens is
refused and nothing is kept. Every later load checks both hashes again.

Use it with `+"`patina scrape --model NAME`"+`. Adding needs ONNX Runtime
(`+"`make models`"+` provisions it).

Exit status: 0 added; 1 refused (a hash that does not match, a file that
cannot be read, a graph that does not load or does not look like BERT, a
name already taken, no ONNX Runtime); 2 usage.`, args); err != nil {
			return err
		}
		switch {
		case fs.NArg() > 0:
			return usagef("model add takes no arguments (give files with --onnx and --vocab)")
		case *name == "":
			return usagef("model add needs --name")
		case *graph == "" || *vocab == "":
			return usagef("model add needs --onnx FILE and --vocab FILE")
		case *sum == "":
			return usagef("model add needs --sha256 HASH: the ONNX file's published SHA-256")
		case !sha256Hex().MatchString(*sum):
			return usagef("--sha256: %q is not 64 hex digits", *sum)
		case *vocabSum != "" && !sha256Hex().MatchString(*vocabSum):
			return usagef("--vocab-sha256: %q is not 64 hex digits", *vocabSum)
		case *family != embed.FamilyBERT && *family != embed.FamilyUSELite:
			return usagef("--family: %q is not bert or use-lite", *family)
		case *dims < 0:
			return usagef("--dims: %d is negative", *dims)
		case *maxTokens < 0:
			return usagef("--max-tokens: %d is negative", *maxTokens)
		case *name == embed.DefaultModel:
			return usagef("--name: %q is the built-in model's name", *name)
		}
		if err := embed.ValidName(*name); err != nil {
			return usagef("--name: %v", err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		// The first signal cancels (Add removes its temporary copy); a
		// second one kills at once, as it would any command.
		go func() { <-ctx.Done(); stop() }()
		m, err := embed.Add(ctx, embed.AddOptions{
			Name: *name, Family: *family, ONNX: *graph, Vocab: *vocab,
			SHA256: *sum, VocabSHA256: *vocabSum, Dims: *dims, MaxTokens: *maxTokens,
		})
		switch {
		case errors.Is(err, embed.ErrExists):
			return withHint(err, "pick another --name, or delete that directory first")
		case errors.Is(err, embed.ErrUnavailable):
			return withHint(err, "`make models` provisions ONNX Runtime; `patina model verify` checks it")
		case err != nil:
			return err
		}
		fmt.Printf("added %s (%s, %d dims, %d tokens) in %s\n", m.Name, m.Family, m.Dims, m.MaxTokens, m.Dir)
		return nil
	}
	return v
}

func modelVerifyVerb() *verb {
	v := &verb{name: "verify", summary: "hash every file of the models and the runtime"}
	v.run = func(args []string) error {
		fs := flags("model verify")
		asJSON := fs.BoolP("json", "j", false, "print each model's and the runtime's state as JSON (as model list --json; errors still on stderr)")
		if err := parse(fs, "model verify [NAME...] [--json]", v.summary+`.

Checks every file of the named models (default: all of them) against the
SHA-256 pinned in its manifest, and the ONNX Runtime library every model
needs. Prints "ok" for each model that is intact; each missing or altered
file is an error line naming the file and its expected hash.

Exit status: 0 every file is intact; 1 a file is missing or altered, or a
model is unknown; 2 usage.`, args); err != nil {
			return err
		}
		var ms []*embed.Manifest
		var bad []error
		if fs.NArg() == 0 {
			all, err := embed.List()
			ms = all
			if err != nil {
				bad = append(bad, err)
			}
		}
		for _, name := range fs.Args() {
			if err := embed.ValidName(name); err != nil {
				return usagef("%v", err)
			}
			m, err := embed.Find(name)
			if err != nil {
				bad = append(bad, err)
				continue
			}
			ms = append(ms, m)
		}
		infos := make([]modelInfo, 0, len(ms))
		for _, m := range ms {
			err := m.Verify()
			infos = append(infos, modelState(m, err))
			if err != nil {
				bad = append(bad, err)
			} else if !*asJSON {
				fmt.Printf("%s: ok (%d files)\n", m.Name, len(m.Files))
			}
		}
		path, err := embed.VerifyRuntime()
		rt := runtimeState(path, err)
		if err != nil {
			bad = append(bad, err)
		} else if !*asJSON {
			fmt.Printf("onnx runtime %s: ok (%s)\n", embed.RuntimeVersion, path)
		}
		if *asJSON {
			b, err := json.MarshalIndent(modelsJSON{infos, rt}, "", "  ")
			if err != nil {
				return err
			}
			os.Stdout.Write(append(b, '\n'))
		}
		for _, err := range bad {
			for _, e := range split(err) {
				fmt.Fprintf(os.Stderr, "patina: error: %s\n", oneLine(e.Error()))
			}
		}
		if len(bad) > 0 {
			return exitError{1}
		}
		return nil
	}
	return v
}

// split is the errors a Verify or List error joins, one per bad file or
// model, or err itself.
func split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
