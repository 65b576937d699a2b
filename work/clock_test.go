package work_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/work"
)

// A replica whose own clock is ten minutes ahead still dates the journal
// by the shared clock.
func TestSharedClockFollowsTheSource(t *testing.T) {
	skew := -10 * time.Minute // the source is ten minutes behind this machine
	fail := false
	c := work.NewSharedClock(func(context.Context) (time.Time, error) {
		if fail {
			return time.Time{}, errors.New("down")
		}
		return time.Now().Add(skew), nil
	})
	if d := time.Since(c.Now()); d > time.Second || d < -time.Second {
		t.Fatalf("before any sync the clock is the local one: off by %s", d)
	}
	c.Sync(context.Background())
	if d := c.Now().Sub(time.Now().Add(skew)); d > time.Second || d < -time.Second {
		t.Errorf("after a sync the clock is off the source by %s", d)
	}
	fail = true
	c.Sync(context.Background())
	if d := c.Now().Sub(time.Now().Add(skew)); d > time.Second || d < -time.Second {
		t.Errorf("a failed sync changed the offset: off by %s", d)
	}
}
