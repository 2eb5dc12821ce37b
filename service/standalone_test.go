package service

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Two daemons starting on one path at once: exactly one binds, the other is
// refused, and the winner's socket survives the loser.
func TestConcurrentStandaloneStartsDoNotClobber(t *testing.T) {
	dir, err := os.MkdirTemp("", "pt-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "run", "mother.sock")
	for round := 0; round < 20; round++ {
		var wg sync.WaitGroup
		results := make([]error, 4)
		ls := make([]Listener, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ls[i], results[i] = ListenStandalone(sock)
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range results {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrRefused):
				t.Fatalf("round %d: start %d failed oddly: %v", round, i, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d daemons bound the socket, want exactly 1", round, won)
		}
		if _, err := os.Lstat(sock); err != nil {
			t.Fatalf("round %d: the winner's socket is gone: %v", round, err)
		}
		for _, l := range ls {
			if l.Listener != nil {
				l.Close() // removes the socket and releases the lock
			}
		}
		if _, err := os.Lstat(sock); !os.IsNotExist(err) {
			t.Fatalf("round %d: socket left after close: %v", round, err)
		}
	}
}
