package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
)

// App is what the transport hands Slack's requests to.
type App interface {
	// Handle runs a slash command after it has been acknowledged.
	Handle(ctx context.Context, req commands.Request) commands.Result
	// Interact checks a click or modal submission before the acknowledgement
	// and returns the field errors to answer with, or the work to do after it.
	Interact(ctx context.Context, in commands.Interaction) (map[string]string, commands.Work)
	// Reacted handles a reaction added to a message.
	Reacted(ctx context.Context, r commands.Reaction) commands.Result
	// Repeated tells a person who sent a request again that it ran once already.
	Repeated(ctx context.Context, userID, channelID, responseURL string)
}

// Journal keeps acknowledged requests until their work is done.
type Journal interface {
	// Accept journals a request unless one with its identity was accepted before.
	Accept(ctx context.Context, id string, e storage.InboxEntry) (first bool, err error)
	Journal(ctx context.Context, id string, e storage.InboxEntry) error
	Done(ctx context.Context, id string) error
	Stale(ctx context.Context, cutoff time.Time) (map[string]storage.InboxEntry, error)
	Take(ctx context.Context, id string) (bool, error)
}

// Kinds of journaled request.
const (
	kindCommand     = "command"
	kindInteraction = "interaction"
	kindReaction    = "reaction"
)

// Dispatcher runs acknowledged work in the background. Each request is
// journaled in Redis before Slack is answered and struck off when its work
// is done: on SIGTERM the dispatcher waits for the work; if a replica dies
// instead, another finds the stale entry and does it (Recover).
type Dispatcher struct {
	app     App
	journal Journal // nil: no journal (tests of the transport alone)
	metrics *Metrics
	log     *slog.Logger
	now     func() time.Time
	// timeout bounds one request's work, so a stuck Slack call cannot hold shutdown forever.
	timeout time.Duration

	mu      sync.Mutex
	closed  bool
	pending sync.WaitGroup
}

// NewDispatcher returns a Dispatcher for the app, journaling in journal.
func NewDispatcher(app App, journal Journal, m *Metrics, log *slog.Logger, now func() time.Time) *Dispatcher {
	return &Dispatcher{app: app, journal: journal, metrics: m, log: log, now: now, timeout: 2 * time.Minute}
}

// The gate. Every request passes it in this order: the transport has
// authenticated it (the signature, in HTTP mode); the dispatcher
// deduplicates it by its identity (trigger ID, event ID, a view's ID and
// hash) and journals it; the app authorizes and runs it. A replay, a Slack
// retry or a double click is acknowledged and has its effect once; the
// person who repeated it is told.

// Command queues a slash command; it returns false once shutdown has begun.
func (d *Dispatcher) Command(req commands.Request) bool {
	return d.accept(kindCommand, "cmd:"+orRandom(req.TriggerID), req, d.commandWork(req), func(ctx context.Context) {
		d.app.Repeated(ctx, req.UserID, req.ChannelID, req.ResponseURL)
	})
}

func (d *Dispatcher) commandWork(req commands.Request) commands.Work {
	return func(ctx context.Context) commands.Result { return d.app.Handle(ctx, req) }
}

// Reaction queues a reaction event.
func (d *Dispatcher) Reaction(r commands.Reaction) bool {
	return d.accept(kindReaction, "evt:"+orRandom(r.EventID), r, d.reactionWork(r), nil)
}

func (d *Dispatcher) reactionWork(r commands.Reaction) commands.Work {
	return func(ctx context.Context) commands.Result { return d.app.Reacted(ctx, r) }
}

// interactionID is an interaction's identity: a click has its own trigger
// ID; a form is one view, and a submission Slack sends again has the same
// view ID and hash.
func interactionID(in commands.Interaction) string {
	if in.Kind == commands.InteractionSubmission && in.ViewID != "" {
		return "view:" + in.ViewID + ":" + in.ViewHash
	}
	return "act:" + orRandom(in.TriggerID)
}

// Interact checks an interaction now and queues its work; it returns the
// field errors to answer Slack with. ok is false once shutdown has begun.
// A form sent back with errors is not taken, so its corrected submission is.
func (d *Dispatcher) Interact(ctx context.Context, in commands.Interaction) (fieldErrors map[string]string, ok bool) {
	id := interactionID(in)
	fieldErrors, work := d.app.Interact(incident.WithRequest(ctx, id), in)
	if len(fieldErrors) > 0 || work == nil {
		return fieldErrors, true
	}
	var repeated func(ctx context.Context)
	if in.Kind != commands.InteractionSubmission { // a form's second submission has nobody left to tell
		repeated = func(ctx context.Context) { d.app.Repeated(ctx, in.UserID, in.ChannelID, in.ResponseURL) }
	}
	return nil, d.accept(kindInteraction, id, in, work, repeated)
}

// accept deduplicates and journals a request, and queues its work, or for
// a request seen before, the answer that says so.
func (d *Dispatcher) accept(kind, id string, payload any, work commands.Work, repeated func(ctx context.Context)) bool {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return false
	}
	if !d.take(kind, id, payload) {
		d.metrics.requestsDeny.WithLabelValues("repeated").Inc()
		d.log.Info("a request seen before was not run again", "request_id", id, "kind", kind)
		if repeated != nil {
			d.pending.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				repeated(ctx)
			})
		}
		return true
	}
	if !d.submit(id, work, false) {
		d.finish(id) // refused after all: Slack tells the user; nothing to redo
		return false
	}
	return true
}

// take is the gate's deduplication: false for a request seen before.
func (d *Dispatcher) take(kind, id string, payload any) bool {
	if d.journal == nil {
		return true
	}
	raw, _ := json.Marshal(payload) // plain structs of strings: cannot fail
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	first, err := d.journal.Accept(ctx, id, storage.InboxEntry{At: d.now(), Kind: kind, Payload: raw})
	if err != nil {
		// The work still runs and meets the store's failure itself; only a
		// crash before it ends would lose it.
		d.log.Warn("could not journal a request", "request_id", id, "err", err)
	}
	return first
}

func (d *Dispatcher) record(kind, id string, payload any) {
	if d.journal == nil {
		return
	}
	raw, _ := json.Marshal(payload) // plain structs of strings: cannot fail
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := d.journal.Journal(ctx, id, storage.InboxEntry{At: d.now(), Kind: kind, Payload: raw}); err != nil {
		// The work still runs; only a crash before it ends would lose it.
		d.log.Warn("could not journal a request", "request_id", id, "err", err)
	}
}

func (d *Dispatcher) finish(id string) {
	if d.journal == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.journal.Done(ctx, id); err != nil {
		d.log.Warn("could not strike a finished request off the journal; it may be done again", "request_id", id, "err", err)
	}
}

// submit runs work in the background; it returns false once shutdown has begun.
// A redo runs as one: the effects its first run recorded are not made again.
func (d *Dispatcher) submit(id string, work commands.Work, redo bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.pending.Go(func() {
		// Not the request's context: the work outlives the acknowledgement.
		ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
		defer cancel()
		if redo {
			ctx = incident.WithRedo(ctx, id)
		} else {
			ctx = incident.WithRequest(ctx, id)
		}
		start := time.Now()
		res := work(ctx)
		d.finish(id)
		d.metrics.commandDone(res.Subcommand, res.Outcome, time.Since(start))
		attrs := []any{"request_id", id, "subcommand", res.Subcommand, "outcome", res.Outcome, "took", time.Since(start)}
		if res.Incident != 0 {
			attrs = append(attrs, "incident", res.Incident)
		}
		d.log.Info("request handled", attrs...)
	})
	return true
}

// Recover redoes the journaled requests older than the longest a request's
// work may take: the replica that acknowledged them died before finishing.
// With several replicas each stale request is taken by one of them.
func (d *Dispatcher) Recover(ctx context.Context) {
	if d.journal == nil {
		return
	}
	stale, err := d.journal.Stale(ctx, d.now().Add(-d.timeout-time.Minute))
	if err != nil {
		d.log.Error("could not read the journal", "err", err)
		return
	}
	for id, e := range stale {
		if mine, err := d.journal.Take(ctx, id); err != nil || !mine {
			continue
		}
		var work commands.Work
		switch e.Kind {
		case kindCommand:
			var req commands.Request
			if json.Unmarshal(e.Payload, &req) == nil {
				work = d.commandWork(req)
			}
		case kindReaction:
			var r commands.Reaction
			if json.Unmarshal(e.Payload, &r) == nil {
				work = d.reactionWork(r)
			}
		case kindInteraction:
			var in commands.Interaction
			if json.Unmarshal(e.Payload, &in) == nil {
				if errs, w := d.app.Interact(incident.WithRedo(ctx, id), in); len(errs) == 0 {
					work = w
				}
			}
		}
		if work == nil {
			d.log.Error("dropped an unreadable journal entry", "request_id", id, "kind", e.Kind)
			continue
		}
		d.log.Warn("redoing a request its replica did not finish", "request_id", id, "kind", e.Kind, "acknowledged", e.At)
		d.record(e.Kind, id, json.RawMessage(e.Payload))
		if !d.submit(id, work, true) {
			return // shutting down: the entry stays for the next replica
		}
	}
}

// Drain stops taking work and waits for what was taken, or until ctx ends.
func (d *Dispatcher) Drain(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.pending.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func orRandom(id string) string {
	if id != "" {
		return id
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
