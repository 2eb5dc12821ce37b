package index

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/patina-dev/patina/internal/atomicfile"
)

// A scrape that ends well stamps the index file's size and modification
// time beside it (index.db.verified). The next scrape skips PRAGMA
// quick_check (linear in the file: ~200 ms per 50 MB) when the file still
// matches its stamp: nothing has written it since a scrape last found it
// sound. A truncation, an overwrite or a killed writer changes the stamp's
// fields, and the check runs. (Damage that changes neither, bit rot,
// is still met by SQLite when it reads the page, and a scrape that meets
// it rebuilds.)

const verifiedSuffix = ".verified"

// fileStamp is what a stamp records of the index file.
func fileStamp(path string) (string, bool) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	return fmt.Sprintf("%d %d\n", fi.Size(), fi.ModTime().UnixNano()), true
}

// stampVerified records that the index at path is sound as it is now.
// Failing to is harmless: the next scrape checks the file.
func stampVerified(path string) {
	if s, ok := fileStamp(path); ok {
		atomicfile.Write(path+verifiedSuffix, []byte(s), 0o600)
	}
}

// unchangedSinceVerified reports whether the index at path still matches
// its stamp.
func unchangedSinceVerified(path string) bool {
	b, err := os.ReadFile(path + verifiedSuffix)
	if err != nil {
		return false
	}
	s, ok := fileStamp(path)
	return ok && strings.TrimSpace(s) == strings.TrimSpace(string(b))
}

// verifyUnlessStamped is Verify, skipping quick_check for an index that
// matches its stamp (Inspect's checks of what is there still run).
func verifyUnlessStamped(ctx context.Context, path string) error {
	if err := Inspect(path); err != nil {
		return err
	}
	if unchangedSinceVerified(path) {
		return nil
	}
	return Verify(ctx, path)
}
