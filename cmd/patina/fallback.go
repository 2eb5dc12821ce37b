package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/patina-dev/patina/internal/paths"
)

// The "mother not answering … searched in-process" note is said once, not
// on every query: a marker file in the runtime dir remembers when. The
// runtime dir lives as long as the login session, so a new session hears
// it again; so does one where the daemon has stayed down for
// fallbackNoteEvery, or went down again after answering.

// fallbackNoteEvery is how long the note stays unsaid after it was said.
const fallbackNoteEvery = time.Hour

// fallbackMarkerName is the marker's name in the runtime dir.
const fallbackMarkerName = "fallback-noted"

// noteFallback says on stderr that the search ran in-process because
// nothing answered at target, unless it said so within fallbackNoteEvery.
func noteFallback(target string) {
	marker := fallbackMarker(true)
	if marker != "" {
		if fi, err := os.Lstat(marker); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) < fallbackNoteEvery {
			return
		}
	}
	fmt.Fprintf(os.Stderr, "patina: note: mother not answering at %s; searched in-process (said once an hour)\n", target)
	if marker != "" {
		os.Remove(marker) // a stale marker's time is not reset by opening it
		if f, err := os.OpenFile(marker, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
		}
	}
}

// fallbackAnswered forgets the note once the daemon answers, so that it
// going down again is noted at once.
func fallbackAnswered() {
	if marker := fallbackMarker(false); marker != "" {
		os.Remove(marker)
	}
}

// fallbackMarker is the marker's path, or "" when the runtime dir is not
// one to write in: missing (made when its parent exists and create is
// set, as the daemon would), or writable by others, where a planted
// symlink could point our writes elsewhere.
func fallbackMarker(create bool) string {
	dir, err := paths.RuntimeDir()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) && create && os.Mkdir(dir, 0o700) == nil {
		fi, err = os.Stat(dir)
	}
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return ""
	}
	return filepath.Join(dir, fallbackMarkerName)
}
