//go:build unix

package index

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockScrape takes an exclusive, non-blocking flock on path, held until
// unlock. The lock dies with the process, so a killed scrape never leaves
// it behind.
func lockScrape(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrScrapeRunning
		}
		return nil, fmt.Errorf("scrape: lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// oNoFollow makes an open fail on a symlink.
const oNoFollow = syscall.O_NOFOLLOW
