package vault

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Registry is secrets.toml: which environment variable each secret is
// exported as. The file, as the original tool wrote it:
//
//	version = 1
//
//	[secrets]
//	api-key = { env = "API_KEY" }
//
// A secret missing from the registry is exported under EnvFor(name). The
// registry holds no secret values.
type Registry struct {
	path string
	env  map[string]string // secret name → environment variable
}

type registryFile struct {
	Version *int64                   `toml:"version"`
	Secrets map[string]registryEntry `toml:"secrets"`
}

type registryEntry struct {
	Env *string `toml:"env"`
}

const fixRegistry = "correct it by hand; the format is version = 1 and [secrets] name = { env = \"ENV_NAME\" }"

// NewRegistry returns an empty registry that Save will create at path.
func NewRegistry(path string) *Registry {
	return &Registry{path: absPath(path), env: map[string]string{}}
}

// LoadRegistry reads secrets.toml strictly: unknown keys, a version other
// than 1, invalid names and two secrets sharing one variable are errors. A
// missing file is an *Error wrapping fs.ErrNotExist.
func LoadRegistry(path string) (*Registry, error) {
	path = absPath(path)
	data, err := readFile(KindRegistry, path)
	if err != nil {
		return nil, err
	}
	var rf registryFile
	md, err := toml.Decode(string(data), &rf)
	if err != nil {
		// The registry holds no secrets, so the parser's message may be shown.
		return nil, fileErr(KindRegistry, path, err, "invalid TOML: "+strings.TrimPrefix(err.Error(), "toml: "), fixRegistry)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fileErr(KindRegistry, path, nil, fmt.Sprintf("unknown key %q", und[0].String()), "remove it; the format is version = 1 and [secrets] name = { env = \"ENV_NAME\" }")
	}
	if rf.Version == nil {
		return nil, fileErr(KindRegistry, path, nil, "no version", "add `version = 1` at the top")
	}
	if *rf.Version != formatVersion {
		return nil, fileErr(KindRegistry, path, nil,
			fmt.Sprintf("format version %d is not supported (this patina reads version %d)", *rf.Version, formatVersion),
			"upgrade patina, or restore a version 1 registry from backup")
	}
	r := NewRegistry(path)
	// Sorted, so the error for a file with several problems is stable.
	names := make([]string, 0, len(rf.Secrets))
	for n := range rf.Secrets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		// The names are the file's, not a command line's: quoting them
		// says which entry is wrong.
		if ValidateName(name) != nil {
			return nil, fileErr(KindRegistry, path, nil, "invalid secret name "+quoteName(name), NameRule)
		}
		env := EnvFor(name)
		if e := rf.Secrets[name].Env; e != nil {
			// Set reads "" as "infer"; in the file an empty env is a mistake.
			if ValidateEnv(*e) != nil {
				return nil, fileErr(KindRegistry, path, nil, "invalid environment variable name "+quoteName(*e), EnvRule)
			}
			env = *e
		}
		if err := r.Set(name, env); err != nil {
			return nil, registryNameErr(path, err)
		}
	}
	return r, nil
}

// registryNameErr puts a rejected name into a file error, keeping the
// name's own advice as the fix.
func registryNameErr(path string, err error) error {
	var ne *nameError
	if errors.As(err, &ne) {
		return fileErr(KindRegistry, path, nil, ne.problem, ne.fix)
	}
	return fileErr(KindRegistry, path, nil, err.Error(), fixRegistry)
}

// LoadRegistryOrNew is LoadRegistry, except that a missing file gives an
// empty registry.
func LoadRegistryOrNew(path string) (*Registry, error) {
	r, err := LoadRegistry(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewRegistry(path), nil
	}
	return r, err
}

// Path is the registry's absolute path.
func (r *Registry) Path() string { return r.path }

// Names lists the registered secrets, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.env))
	for n := range r.env {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the variable registered for name, if any.
func (r *Registry) Lookup(name string) (string, bool) {
	e, ok := r.env[name]
	return e, ok
}

// Env is the variable a secret is exported as: the registered one, else
// EnvFor(name).
func (r *Registry) Env(name string) string {
	if r != nil {
		if e, ok := r.env[name]; ok {
			return e
		}
	}
	return EnvFor(name)
}

// Set registers name as exported under env (EnvFor(name) when env is "").
// It refuses invalid names and a variable another secret already uses.
func (r *Registry) Set(name, env string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if env == "" {
		env = EnvFor(name)
	}
	if err := ValidateEnv(env); err != nil {
		return err
	}
	for other, e := range r.env {
		if e == env && other != name {
			return &nameError{
				problem: fmt.Sprintf("secrets %s and %s would both set %s", other, name, env),
				fix:     "give one of them another variable (`patina secrets add NAME --env VAR`)",
			}
		}
	}
	r.env[name] = env
	return nil
}

// Remove unregisters name; it reports whether it was registered.
func (r *Registry) Remove(name string) bool {
	_, ok := r.env[name]
	delete(r.env, name)
	return ok
}

// Save writes the registry atomically, mode 0600.
func (r *Registry) Save() error {
	var b strings.Builder
	b.WriteString("version = 1\n\n[secrets]\n")
	for _, name := range r.Names() {
		// Names and variables are validated to bare-key / plain-string
		// alphabets, so no escaping is needed.
		fmt.Fprintf(&b, "%s = { env = %q }\n", name, r.env[name])
	}
	return writeFile(KindRegistry, r.path, []byte(b.String()))
}
