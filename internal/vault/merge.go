package vault

import (
	"fmt"
	"sort"
)

// Scope is one vault with its registry, the unit Merge combines. Either
// field may be nil: no vault means no secrets, no registry means every
// secret is exported under EnvFor(name).
type Scope struct {
	Vault    *Vault
	Registry *Registry
}

// Env maps environment variable names to secret values for `secrets run`.
// Its values are copies: Wipe it when the child has been started.
type Env map[string][]byte

// Merge computes the environment for `patina secrets run`: every secret in
// the global and the project vault, exported under its registered variable.
// The project overrides the global scope twice over: a project secret hides
// the global secret of the same name (whatever variable the global registry
// gave it), and a project secret wins a variable that a differently named
// global secret also maps to. Within one scope, two secrets mapping to one
// variable is an error naming the registry.
func Merge(global, project Scope) (Env, error) {
	g, err := global.env()
	if err != nil {
		return nil, err
	}
	p, err := project.env()
	if err != nil {
		wipeEntries(g)
		return nil, err
	}
	out := make(Env, len(g)+len(p))
	for v, e := range g {
		if project.Vault != nil {
			if _, shadowed := project.Vault.values.m[e.name]; shadowed {
				wipe(e.value)
				continue
			}
		}
		out[v] = e.value
	}
	for v, e := range p {
		if old, ok := out[v]; ok {
			wipe(old)
		}
		out[v] = e.value
	}
	return out, nil
}

type envEntry struct {
	name  string
	value []byte
}

// env maps variable → (name, copied value) for one scope.
func (s Scope) env() (map[string]envEntry, error) {
	out := map[string]envEntry{}
	if s.Vault == nil {
		return out, nil
	}
	for _, name := range s.Vault.Names() {
		v := s.Registry.Env(name)
		if prev, ok := out[v]; ok {
			wipeEntries(out)
			where := "vault " + displayPath(s.Vault.path)
			if s.Registry != nil {
				where = "registry " + displayPath(s.Registry.path)
			}
			return nil, fmt.Errorf("%s: secrets %s and %s both map to %s: give one of them another variable (`patina secrets add NAME --env VAR`)", where, prev.name, name, v)
		}
		out[v] = envEntry{name: name, value: append([]byte(nil), s.Vault.values.m[name]...)}
	}
	return out, nil
}

func wipeEntries(m map[string]envEntry) {
	for _, e := range m {
		wipe(e.value)
	}
}

// Names lists the variables, sorted.
func (e Env) Names() []string {
	names := make([]string, 0, len(e))
	for n := range e {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Pairs returns the variables and values sorted by variable, as strings, the
// form os/exec and shellquote.Script take. The strings are copies the
// garbage collector owns: Wipe cannot reach them, so build them last.
func (e Env) Pairs() [][2]string {
	out := make([][2]string, 0, len(e))
	for _, n := range e.Names() {
		out = append(out, [2]string{n, string(e[n])})
	}
	return out
}

// Wipe zeroes every value and empties the map.
func (e Env) Wipe() { wipeMap(e) }

// String describes the environment without its values; Format routes every
// verb through it so no formatting can print a secret.
func (e Env) String() string { return fmt.Sprintf("secrets env (%d variables)", len(e)) }

func (e Env) Format(f fmt.State, verb rune) { fmt.Fprint(f, e.String()) }
