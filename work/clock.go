package work

import (
	"context"
	"sync/atomic"
	"time"
)

// Clock is time as the outbound path sees it; tests replace it so they
// need not sleep through Retry-After and backoff waits.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time                         { return time.Now() }
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SharedClock reads the time of a clock every replica shares (Redis's),
// as the local clock plus an offset measured by Sync: so that replicas
// whose own clocks disagree still agree on when a journaled request was
// acknowledged and when it is stale, without asking on every request.
type SharedClock struct {
	source func(ctx context.Context) (time.Time, error)
	offset atomic.Int64 // nanoseconds to add to the local clock
}

// NewSharedClock returns a clock that Sync sets by source.
func NewSharedClock(source func(ctx context.Context) (time.Time, error)) *SharedClock {
	return &SharedClock{source: source}
}

// Now is the shared time as best known.
func (c *SharedClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Sync measures the offset again; on failure the last one stands.
func (c *SharedClock) Sync(ctx context.Context) {
	before := time.Now()
	t, err := c.source(ctx)
	if err != nil {
		return
	}
	after := time.Now()
	mid := before.Add(after.Sub(before) / 2) // the source answered about half way
	c.offset.Store(int64(t.Sub(mid)))
}
