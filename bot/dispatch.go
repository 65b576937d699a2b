package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/commands"
)

// CommandHandler runs a slash command after it has been acknowledged.
type CommandHandler interface {
	Handle(ctx context.Context, req commands.Request) commands.Result
}

// Dispatcher runs acknowledged work in the background and, on shutdown,
// waits for it: what was acknowledged is finished, not dropped.
type Dispatcher struct {
	handler CommandHandler
	metrics *Metrics
	log     *slog.Logger
	// timeout bounds one command's work, so a stuck Slack call cannot hold shutdown forever.
	timeout time.Duration

	mu      sync.Mutex
	closed  bool
	pending sync.WaitGroup
}

// NewDispatcher returns a Dispatcher for the handler.
func NewDispatcher(h CommandHandler, m *Metrics, log *slog.Logger) *Dispatcher {
	return &Dispatcher{handler: h, metrics: m, log: log, timeout: 2 * time.Minute}
}

// Command queues a command; it returns false once shutdown has begun.
func (d *Dispatcher) Command(req commands.Request) bool {
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
		res := d.handler.Handle(ctx, req)
		d.metrics.commandDone(res.Subcommand, res.Outcome, time.Since(start))
		d.log.Info("command handled", "user", req.UserID, "channel", req.ChannelID,
			"subcommand", res.Subcommand, "outcome", res.Outcome, "took", time.Since(start))
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
