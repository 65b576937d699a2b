package work_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/work"
)

// gate is a replica's request gate on its own dispatcher, as the binary wires it.
func gate(r replica, store *storage.Store) *bot.Gate {
	return bot.NewGate(r.h, func(redo map[string]work.Redo) *work.Dispatcher {
		return work.NewDispatcher(store, redo, r.metrics, quietLog(), time.Now)
	}, quietLog())
}

// A replica acknowledged a command and died before doing it: the journal
// still holds it, and one of the live replicas does it, once.
func TestAcknowledgedWorkOfADeadReplicaIsRedone(t *testing.T) {
	c := newCluster(t, 2, nil)
	inc := c.declare(t, "Worm sev3")
	ctx := context.Background()
	var dispatchers []*work.Dispatcher
	for _, r := range c.replicas {
		dispatchers = append(dispatchers, gate(r, c.store).Dispatcher())
	}

	cmd := c.slack.NewCommand("UBOB", inc.ChannelID, "note seen on 3 more hosts")
	req := commands.Request{UserID: "UBOB", ChannelID: inc.ChannelID, Text: "note seen on 3 more hosts", ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID}
	payload, _ := json.Marshal(req)
	if err := c.store.Journal(ctx, "cmd:"+req.TriggerID, storage.InboxEntry{At: time.Now().Add(-10 * time.Minute), Kind: "command", Payload: payload}); err != nil {
		t.Fatal(err)
	}
	// A request acknowledged a moment ago belongs to a live replica: left alone.
	fresh, _ := json.Marshal(commands.Request{UserID: "UBOB", ChannelID: inc.ChannelID, Text: "note in flight elsewhere"})
	if err := c.store.Journal(ctx, "cmd:fresh", storage.InboxEntry{At: time.Now(), Kind: "command", Payload: fresh}); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for _, d := range dispatchers {
		wg.Go(func() { d.Recover(ctx) })
	}
	wg.Wait()
	for _, d := range dispatchers {
		if err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tl, _ := c.store.Timeline(ctx, inc.Number)
	notes := 0
	for _, ev := range tl {
		if ev.Kind == incident.EventNote {
			notes++
			if ev.Text != "note seen on 3 more hosts"[len("note "):] {
				t.Errorf("redone: %q", ev.Text)
			}
		}
	}
	if notes != 1 {
		t.Errorf("the dead replica's note was done %d times, want once", notes)
	}
	left, _ := c.store.Stale(ctx, time.Now().Add(time.Hour))
	if _, ok := left["cmd:fresh"]; !ok || len(left) != 1 {
		t.Errorf("journal after recovery: %v", left)
	}
}

// Normal handling strikes the request off the journal.
func TestFinishedWorkLeavesTheJournal(t *testing.T) {
	c := newCluster(t, 1, nil)
	inc := c.declare(t, "Worm sev3")
	ctx := context.Background()
	g := gate(c.replicas[0], c.store)
	d := g.Dispatcher()
	cmd := c.slack.NewCommand("UBOB", inc.ChannelID, "note one")
	if _, err := g.Command(commands.Request{UserID: "UBOB", ChannelID: inc.ChannelID, Text: "note one", ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID}); err != nil {
		t.Fatal("refused")
	}
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := c.store.Stale(ctx, time.Now().Add(time.Hour)); len(left) != 0 {
		t.Errorf("journal still holds %v", left)
	}
	if _, err := g.Command(commands.Request{UserID: "UBOB", ChannelID: inc.ChannelID, Text: "note two", TriggerID: "late"}); !errors.Is(err, work.ErrClosed) {
		t.Error("took work after draining")
	}
	if left, _ := c.store.Stale(ctx, time.Now().Add(time.Hour)); len(left) != 0 {
		t.Errorf("a refused request stayed in the journal: %v", left)
	}
}

// A request whose work panics takes nothing else down: the replica goes on
// taking requests, and the request leaves the journal, so that no other
// replica runs it again to the same end.
func TestAPanickingRequestTakesNothingDown(t *testing.T) {
	c := newCluster(t, 1, nil)
	ctx := context.Background()
	d := work.NewDispatcher(c.store, nil, c.replicas[0].metrics, quietLog(), time.Now)
	ran := make(chan struct{})
	if err := d.Accept(work.Job{ID: "cmd:panics", Kind: "command", Run: func(context.Context) work.Result { panic("boom") }}); err != nil {
		t.Fatal(err)
	}
	if err := d.Accept(work.Job{ID: "cmd:after", Kind: "command", Run: func(context.Context) work.Result { close(ran); return work.Result{} }}); err != nil {
		t.Fatal(err)
	}
	<-ran
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if left, _ := c.store.Stale(ctx, time.Now().Add(time.Hour)); len(left) != 0 {
		t.Errorf("the journal still holds %v", left)
	}
}
