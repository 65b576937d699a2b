package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The real thing on the wall clock: robfig/cron drives the runner, and a
// sev1 incident with update_every 2s gets its updates without anyone asking.
func TestScheduledUpdatesRunOnTheirOwn(t *testing.T) {
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
