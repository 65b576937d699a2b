package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
)

// Effects recorded by the version before the digests (member = the effect
// itself, score = Unix ms) are still recognised after an upgrade: a request
// journaled by an old replica and done again by a new one makes its change
// once.
func TestEffectsFromBeforeTheDigestsStillCount(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := storage.New(rdb)
	ctx := context.Background()
	if err := s.Create(ctx, newIncident(1, "sev1"), incident.TimelineEvent{At: t0, Kind: incident.EventDeclared}); err != nil {
		t.Fatal(err)
	}
	// What the previous version wrote for request cmd:T1's first effect.
	if err := rdb.ZAdd(ctx, "ib:inc:{1}:effects", redis.Z{Score: float64(time.Now().UnixMilli()), Member: "cmd:T1#1"}).Err(); err != nil {
		t.Fatal(err)
	}
	if done, err := s.Applied(ctx, 1, "cmd:T1#1"); err != nil || !done {
		t.Errorf("an effect recorded before the upgrade: Applied = %v, %v; want true", done, err)
	}
	// The redo of that request (its note) after the upgrade.
	redo := incident.WithRedo(ctx, "cmd:T1")
	if err := s.AddEvents(redo, 1, incident.Noted(t0, "UBOB", "note from before the upgrade")); err != nil {
		t.Fatal(err)
	}
	tl, _ := s.Timeline(ctx, 1)
	if len(tl) != 1 {
		t.Errorf("the redo of a request whose note was already recorded added it again: %d events, want 1", len(tl))
	}
}

// The effects set is trimmed from the lowest score: on an incident that
// already holds 1,000 effects from before the upgrade, a new effect must not
// be the one trimmed (both are scored in ms).
func TestNewEffectsSurviveOldOnes(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := storage.New(rdb)
	ctx := context.Background()
	if err := s.Create(ctx, newIncident(1, "sev1"), incident.TimelineEvent{At: t0, Kind: incident.EventDeclared}); err != nil {
		t.Fatal(err)
	}
	ms := time.Now().Add(-time.Hour).UnixMilli()
	var old []redis.Z
	for i := range 1000 {
		old = append(old, redis.Z{Score: float64(ms + int64(i)), Member: fmt.Sprintf("cmd:OLD%d#1", i)})
	}
	if err := rdb.ZAdd(ctx, "ib:inc:{1}:effects", old...).Err(); err != nil {
		t.Fatal(err)
	}
	req := incident.WithRequest(ctx, "cmd:NEW")
	if err := s.AddEvents(req, 1, incident.Noted(t0, "UBOB", "after the upgrade")); err != nil {
		t.Fatal(err)
	}
	if done, err := s.Applied(ctx, 1, "cmd:NEW#1"); err != nil || !done {
		t.Errorf("the effect just recorded is not there (trimmed as the oldest): Applied = %v, %v", done, err)
	}
	redo := incident.WithRedo(ctx, "cmd:NEW")
	if err := s.AddEvents(redo, 1, incident.Noted(t0, "UBOB", "after the upgrade")); err != nil {
		t.Fatal(err)
	}
	if tl, _ := s.Timeline(ctx, 1); len(tl) != 2 {
		t.Errorf("a redo made its note again: %d events, want 2", len(tl))
	}
}

// An event's time is its entry ID; one event dated in the future (a replica
// whose clock ran ahead) must not re-date the later events of replicas
// whose clocks are right: each keeps its own time.
func TestOneFutureEventDoesNotRedateTheRest(t *testing.T) {
	srv := redistest.Start(t)
	s := storage.New(srv.Client(t))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := s.Create(ctx, newIncident(1, "sev1"), incident.TimelineEvent{At: now, Kind: incident.EventDeclared}); err != nil {
		t.Fatal(err)
	}
	ahead := incident.Noted(now.Add(24*time.Hour), "UBOB", "from a replica whose clock is a day ahead")
	right := incident.Noted(now.Add(time.Minute), "UALICE", "from a replica with the right time")
	if err := s.AddEvents(ctx, 1, ahead); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvents(ctx, 1, right); err != nil {
		t.Fatal(err)
	}
	tl, err := s.Timeline(ctx, 1)
	if err != nil || len(tl) != 3 {
		t.Fatalf("timeline %+v, %v", tl, err)
	}
	if !tl[2].At.Equal(right.At) {
		t.Errorf("an event made at %s reads back dated %s (the future event's time)", right.At, tl[2].At)
	}
}

// TimelinePage with a page number whose page*size would overflow int is
// refused, not a panic.
func TestTimelinePageHugePageDoesNotPanic(t *testing.T) {
	srv := redistest.Start(t)
	s := storage.New(srv.Client(t))
	ctx := context.Background()
	if err := s.Create(ctx, newIncident(1, "sev1"), incident.TimelineEvent{At: t0, Kind: incident.EventDeclared}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("TimelinePage(page 461168601842738791) panicked: %v", r)
		}
	}()
	_, total, err := s.TimelinePage(ctx, 1, 461168601842738791, 40)
	t.Logf("total %d, err %v", total, err)
}
