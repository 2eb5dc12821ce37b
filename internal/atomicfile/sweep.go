package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// staleTemp is how long a temp file must have gone unmodified before a
// later write of the same file removes it. A live writer renames its temp
// file an fsync or two after its last write to it, so one a minute old was
// left by a writer that was killed. Should a writer ever stall that long,
// removing its file is still safe: its rename fails and it reports the
// error, and the file it meant to replace is untouched.
const staleTemp = time.Minute

// tempPrefix starts the name of every temp file written for name;
// os.CreateTemp ends it with decimal digits.
func tempPrefix(name string) string { return "." + name + ".tmp-" }

// sweepStale removes the temp files that killed writes of dir/name left
// behind: regular files of ours (never a symlink, nor what it points to)
// named .NAME.tmp-DIGITS, unmodified for staleTemp. Best effort: a write
// never fails because a sweep did.
func sweepStale(dir, name string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, n := range names {
		digits, ok := strings.CutPrefix(n, tempPrefix(name))
		if !ok || !allDigits(digits) {
			continue
		}
		p := filepath.Join(dir, n)
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || !ownedByUs(fi) || time.Since(fi.ModTime()) < staleTemp {
			continue
		}
		os.Remove(p) // unlink: removes the name, follows nothing
	}
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
