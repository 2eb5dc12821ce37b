package scry

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/patina-dev/patina/internal/index"
)

// Kinds are the kinds of result, as Result.Kind names them and a
// request's kind filter asks for them.
var Kinds = []string{index.KindCode, index.KindDoc, index.KindCommit}

// MaxPathPrefixBytes caps a request's path prefix (PATH_MAX on Linux).
const MaxPathPrefixBytes = 4096

// ParseFilter reads a request's filters: kind, one of Kinds or several
// separated by commas ("" for all), and pathPrefix, a file or directory
// relative to the project root ("" for all). The prefix is cleaned
// ("./a//b/" is "a/b"); an absolute one, or one that leads out of the
// root, is an *InputError naming the field, as is an unknown kind.
func ParseFilter(kind, pathPrefix string) (index.Filter, error) {
	var f index.Filter
	for _, k := range strings.Split(kind, ",") {
		switch k = strings.ToLower(strings.TrimSpace(k)); {
		case k == "":
		case !slices.Contains(Kinds, k):
			return index.Filter{}, &InputError{fmt.Sprintf("kind %.40q: want code, doc or commit (several separated by commas)", k)}
		case !slices.Contains(f.Kinds, k):
			f.Kinds = append(f.Kinds, k)
		}
	}
	p := strings.TrimSpace(pathPrefix)
	switch {
	case len(p) > MaxPathPrefixBytes:
		return index.Filter{}, &InputError{fmt.Sprintf("path_prefix too long: the limit is %d bytes", MaxPathPrefixBytes)}
	case strings.HasPrefix(p, "/"):
		return index.Filter{}, &InputError{"path_prefix must be relative to the project root"}
	case p == "":
		return f, nil
	}
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return index.Filter{}, &InputError{fmt.Sprintf("path_prefix %.80q leads out of the project root", pathPrefix)}
	}
	if p != "." {
		f.Path = p
	}
	return f, nil
}
