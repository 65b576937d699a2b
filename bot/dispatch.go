package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/commands"
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
}

// Dispatcher runs acknowledged work in the background and, on shutdown,
// waits for it: what was acknowledged is finished, not dropped.
type Dispatcher struct {
	app     App
	metrics *Metrics
	log     *slog.Logger
	// timeout bounds one command's work, so a stuck Slack call cannot hold shutdown forever.
	timeout time.Duration

	mu      sync.Mutex
	closed  bool
	pending sync.WaitGroup
}

// NewDispatcher returns a Dispatcher for the handler.
func NewDispatcher(app App, m *Metrics, log *slog.Logger) *Dispatcher {
	return &Dispatcher{app: app, metrics: m, log: log, timeout: 2 * time.Minute}
}

// Command queues a slash command; it returns false once shutdown has begun.
func (d *Dispatcher) Command(req commands.Request) bool {
	return d.Submit(req.TriggerID, func(ctx context.Context) commands.Result { return d.app.Handle(ctx, req) })
}

// Reaction queues a reaction event.
func (d *Dispatcher) Reaction(r commands.Reaction) bool {
	return d.Submit(r.EventID, func(ctx context.Context) commands.Result { return d.app.Reacted(ctx, r) })
}

// Interact checks an interaction now and queues its work; it returns the
// field errors to answer Slack with. ok is false once shutdown has begun.
func (d *Dispatcher) Interact(ctx context.Context, in commands.Interaction) (fieldErrors map[string]string, ok bool) {
	fieldErrors, work := d.app.Interact(ctx, in)
	if len(fieldErrors) > 0 || work == nil {
		return fieldErrors, true
	}
	return nil, d.Submit(in.TriggerID, work)
}

// Submit queues acknowledged work; it returns false once shutdown has begun.
// requestID (Slack's trigger or event ID) goes into the log line.
func (d *Dispatcher) Submit(requestID string, work commands.Work) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.pending.Go(func() {
		// Not the request's context: the work outlives the acknowledgement.
		ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
		defer cancel()
		start := time.Now()
		res := work(ctx)
		d.metrics.commandDone(res.Subcommand, res.Outcome, time.Since(start))
		attrs := []any{"request_id", requestID, "subcommand", res.Subcommand, "outcome", res.Outcome, "took", time.Since(start)}
		if res.Incident != 0 {
			attrs = append(attrs, "incident", res.Incident)
		}
		d.log.Info("request handled", attrs...)
	})
	return true
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
