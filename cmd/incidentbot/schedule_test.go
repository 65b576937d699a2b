package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work"
)

// The real thing on the wall clock: robfig/cron drives the runner, and a
// sev1 incident with update_every 2s gets its updates without anyone asking.
func TestScheduledUpdatesRunOnTheirOwn(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, true, time.Now, `severities:
  - {name: sev1, description: "Critical", update_every: 2s}
  - {name: sev2, description: "Major", update_every: 0}
default_severity: sev2
`)
	general := h.slack.CreateChannel("general", false, "UALICE")
	declaredAt := time.Now()
	if _, err := h.slack.Command(context.Background(), "UALICE", general, "declare Ransomware sev1"); err != nil {
		t.Fatal(err)
	}
	h.declared(t, "UALICE", "INC-1")
	count := func() int {
		ch, _ := h.slack.Channel(h.stakeholder)
		n := 0
		for _, m := range ch.Messages {
			if strings.HasPrefix(m.Text, "Scheduled update on INC-1 ") {
				n++
			}
		}
		return n
	}
	h.slack.Await(t, "two scheduled updates", func() bool { return count() >= 2 })
	var at []time.Time
	for _, c := range h.slack.Calls("chat.postMessage") {
		if c.Params.Get("channel") == h.stakeholder && strings.HasPrefix(c.Params.Get("text"), "Scheduled update on INC-1 ") {
			at = append(at, c.At)
		}
	}
	// Due 2s and 4s after the declare; the runner ticks each second, so an
	// update may go out up to a tick early in wall time. Lateness has a wide
	// margin: a loaded machine may delay a tick, and the exact cadence is
	// tested on the manual clock in bot/scheduler_test.go.
	for i, want := range []time.Duration{2 * time.Second, 4 * time.Second} {
		if len(at) <= i {
			t.Fatalf("scheduled updates at %v: want two", at)
		}
		if got := at[i].Sub(declaredAt); got < want-time.Second || got > want+10*time.Second {
			t.Errorf("scheduled update %d went out %s after the declare, due at %s", i+1, got, want)
		}
	}
}

// Many incidents due at once, two replicas, and a Slack that answers 429 to
// a second post in a channel within a second: every incident channel gets
// each of its updates once, the stakeholder channel hears of every one of
// them in as few messages as the pace allows, and nothing provokes a 429.
func TestManyUpdatesDueTogether(t *testing.T) {
	const incidents, cycles = 60, 2
	yaml := `severities:
  - {name: sev1, description: "Critical", update_every: 3s}
  - {name: sev2, description: "Major", update_every: 0}
default_severity: sev2
nudge_before: 0s
`
	h := rateLimitedHarness(t)
	fs := h.slack
	ctx := context.Background()
	start := time.Now()
	var channels []string
	for i := range incidents {
		n, err := h.store.NextNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ch := fs.CreateChannel(fmt.Sprintf("inc-%d", n), false, fs.BotUserID, "UALICE")
		channels = append(channels, ch)
		inc := &incident.Incident{Number: n, Title: fmt.Sprintf("Worm wave %d", i), Severity: "sev1", Phase: incident.Containment,
			Status: incident.Open, DeclaredBy: "UALICE", DeclaredAt: start, PhaseStartedAt: start, ChannelID: ch,
			Roles: map[string]string{incident.CommanderRole: "UALICE"}, Members: []string{"UALICE"}, Private: i%10 == 0}
		if err := h.store.Create(ctx, inc, incident.Declared(start, "UALICE", inc.Title, inc.Severity)); err != nil {
			t.Fatal(err)
		}
	}
	real := clocks{now: time.Now, outbound: work.RealClock{}}
	h.launch(t, false, true, real, yaml)
	r := &harness{slack: fs, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
	r.launch(t, false, false, real, yaml)

	// seq orders Slack's messages across channels (the fake numbers them).
	seq := func(m fakeslack.Message) int {
		_, n, _ := strings.Cut(m.TS, ".")
		v, _ := strconv.Atoi(n)
		return v
	}
	scheduled := func(ch string) []fakeslack.Message {
		c, _ := fs.Channel(ch)
		var out []fakeslack.Message
		for _, m := range c.Messages {
			if strings.HasPrefix(m.Text, "Scheduled update on ") {
				out = append(out, m)
			}
		}
		return out
	}
	inChannel := func(ch string) int { return len(scheduled(ch)) }
	// toStakeholders: how many stakeholder messages told of each incident,
	// and the last of them.
	toStakeholders := func() (map[string]int, map[string]int) {
		c, _ := fs.Channel(h.stakeholder)
		refs, last := map[string]int{}, map[string]int{}
		for _, m := range c.Messages {
			if rest, ok := strings.CutPrefix(m.Text, "Scheduled updates on "); ok {
				for _, ref := range strings.Split(strings.TrimSuffix(rest, "."), ", ") {
					refs[ref]++
					last[ref] = seq(m)
				}
			} else if rest, ok := strings.CutPrefix(m.Text, "Scheduled update on "); ok {
				ref, _, _ := strings.Cut(rest, " ")
				refs[ref]++
				last[ref] = seq(m)
			}
		}
		return refs, last
	}
	fs.Await(t, fmt.Sprintf("%d scheduled updates in each of %d channels", cycles, incidents), func() bool {
		for _, ch := range channels {
			if inChannel(ch) < cycles {
				return false
			}
		}
		return true
	})
	// The replicas stop before the count: what one has sent, the other may
	// still be posting to the stakeholders.
	for _, b := range []*harness{r, h} {
		b.stop()
		<-b.exit
		b.exit <- 0 // for the cleanup
	}
	// What the replicas had queued for the stakeholders and not yet posted
	// when they stopped waits in Redis for the next one to start.
	heard, lastHeard := toStakeholders()
	rdb := h.redis.Client(t)
	waiting, err := rdb.ZRange(ctx, "ib:{stakeholders}:queue", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if batch, err := rdb.Get(ctx, "ib:{stakeholders}:batch").Result(); err == nil {
		waiting = append(waiting, strings.Fields(batch)[1:]...)
	}
	waits := map[string]bool{}
	for _, n := range waiting {
		heard["INC-"+n]++
		waits["INC-"+n] = true
	}
	// Every update reaches the stakeholders: told after it was posted in
	// its channel, or still waiting. An update due while the incident's
	// last one still waits is told with it, by one message showing the
	// incident as it is then.
	merged := 0
	pending := map[string]int{} // ref: its last post in the channel, whose run is to be done again
	for i, ch := range channels {
		ref := incident.FormatRef(int64(i + 1))
		posts := scheduled(ch)
		if heard[ref] < 1 || heard[ref] > len(posts) {
			t.Errorf("%s: %d scheduled updates in its channel, %d told or waiting for the stakeholders", ref, len(posts), heard[ref])
			continue
		}
		// A run stopped with its replica after its post in the channel and
		// before it queued and recorded it is done again by the next
		// replica to start (the post noted, not made twice): its
		// stakeholder copy waits in the schedule, as the run itself.
		recorded := 0
		if tl, err := h.store.Timeline(ctx, int64(i+1)); err == nil {
			for _, ev := range tl {
				if ev.Kind == incident.EventScheduled {
					recorded++
				}
			}
		}
		if !waits[ref] && lastHeard[ref] < seq(posts[len(posts)-1]) {
			if recorded < len(posts) {
				pending[ref] = seq(posts[len(posts)-1])
			} else {
				t.Errorf("%s: its last update in the channel was never told to the stakeholders (told before it, nothing waiting)", ref)
			}
		}
		merged += len(posts) - heard[ref]
	}
	if len(pending) > 0 {
		// The next replica to start (its clock past the stopped runs'
		// leases) does them again: each queues its stakeholder copy, or
		// tells it.
		later := func() time.Time { return time.Now().Add(10 * time.Minute) }
		next := &harness{slack: fs, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
		next.launch(t, false, false, clocks{now: later, outbound: work.RealClock{}}, yaml)
		fs.Await(t, fmt.Sprintf("the stopped runs of %v done again", slices.Collect(maps.Keys(pending))), func() bool {
			_, told := toStakeholders()
			for ref, post := range pending {
				_, err := rdb.ZScore(ctx, "ib:{stakeholders}:queue", strings.TrimPrefix(ref, "INC-")).Result()
				if err != nil && told[ref] < post {
					return false
				}
			}
			return true
		})
		next.halt()
	}
	stake, _ := fs.Channel(h.stakeholder)
	var limited int
	for _, c := range fs.Calls("chat.postMessage") {
		if c.Error == "ratelimited" {
			limited++
		}
	}
	if limited > 0 {
		t.Errorf("%d posts were answered 429", limited)
	}
	if len(stake.Messages) >= incidents*cycles/2 {
		t.Errorf("the stakeholders got %d messages for %d updates: not batched", len(stake.Messages), incidents*cycles)
	}
	for _, m := range stake.Messages {
		if strings.Contains(m.Visible(), "Worm wave 0") || strings.Contains(m.Visible(), "Worm wave 10") {
			t.Errorf("a private incident's title reached the stakeholders: %q", m.Visible())
		}
	}
	t.Logf("%d incidents, %d scheduled updates each: %d stakeholder messages; %d updates told with the one before; %d runs stopped with their replicas and done again", incidents, cycles, len(stake.Messages), merged, len(pending))
}

// rateLimitedHarness is a harness not yet launched, on a fake Slack that
// answers 429 beyond one post a second per channel, and a real Redis.
func rateLimitedHarness(t *testing.T) *harness {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	fs.EnforcePostRate()
	h := &harness{slack: fs, redis: redistest.Start(t)}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	return h
}
