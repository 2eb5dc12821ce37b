package service

import (
	"context"
	"time"
)

// gate bounds how many bounded requests run at once. A request that cannot
// get a slot within wait is turned away (503) instead of queueing forever.
// Slots are a buffered channel: acquire and release are each one atomic
// channel operation, so there is no check-then-increment race, and release
// runs in a defer so a panicking handler gives its slot back.
type gate struct {
	slots chan struct{}
	wait  time.Duration
}

func newGate(size int, wait time.Duration) *gate {
	if size < 1 {
		size = 1
	}
	return &gate{slots: make(chan struct{}, size), wait: wait}
}

// acquire takes a slot, waiting at most g.wait or until ctx ends.
func (g *gate) acquire(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (g *gate) release() { <-g.slots }

// inUse is the number of slots taken now.
func (g *gate) inUse() int { return len(g.slots) }

// size is the gate's capacity.
func (g *gate) size() int { return cap(g.slots) }
