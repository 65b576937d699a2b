// Package work is how acknowledged requests and scheduled work get done:
// the request gate's deduplication and journal, the dispatcher that runs
// work after Slack has its acknowledgement and redoes what a dead replica
// left, the scheduler, and the clock. It knows neither Slack nor what the
// work is: the Slack adapter hands it jobs, and the services do them.
package work

import (
	"context"
	"time"
)

// Work is what remains to do after Slack has been answered.
type Work func(ctx context.Context) Result

// Result says what became of a request.
type Result struct {
	Name     string // the subcommand, action or form, for metrics and logs
	Outcome  string
	Incident int64 // the incident it acted on, when known
}

// Outcomes of a request, for metrics.
const (
	OutcomeOK          = "ok"
	OutcomeUserError   = "user_error"
	OutcomeError       = "error"
	OutcomeUnavailable = "unavailable"
)

// Ran says what a run of scheduled work did.
type Ran struct {
	Sent string    // one of the Sent… values, or "" when nothing was due after all
	Due  time.Time // when what was sent was due
	Next time.Time // when the incident's next scheduled work is due; zero: none
}

// What scheduled work sent.
const (
	SentUpdate    = "update"
	SentNudge     = "nudge"
	SentReminders = "reminders"
	SentPostmort  = "postmortem"
	SentDrill     = "drill" // a drill's inject, update or nudge: not counted with the incidents'
)

// Meter counts what the dispatcher and the scheduler do.
type Meter interface {
	RequestDone(name, outcome string, took time.Duration)
	RequestRepeated()
	UpdateSent(late time.Duration)
	NudgeSent()
	DigestSent()
	ScheduleFailed()
}
