package work

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
)

// Journal keeps acknowledged requests until their work is done.
type Journal interface {
	// Accept journals a request unless one with its identity was accepted before.
	Accept(ctx context.Context, id string, e storage.InboxEntry) (first bool, err error)
	// Seen marks a request that is not journaled as seen.
	Seen(ctx context.Context, id string) (first bool, err error)
	Journal(ctx context.Context, id string, e storage.InboxEntry) error
	Done(ctx context.Context, ids ...string) error
	Stale(ctx context.Context, cutoff time.Time) (map[string]storage.InboxEntry, error)
	Take(ctx context.Context, id string) (bool, error)
}

// Job is an acknowledged request: its identity, what the journal keeps of
// it (its kind and payload), its work, and how to tell the person who sent
// it again that it ran once already (nil: nobody to tell).
type Job struct {
	ID       string
	Kind     string
	Payload  any // journaled as JSON
	Run      Work
	Repeated func(ctx context.Context)
}

// Redo rebuilds the work of a journaled request of one kind from its
// payload, to do it again; nil when it cannot. ctx carries the request,
// marked as a redo.
type Redo func(ctx context.Context, payload []byte) Work

// Dispatcher runs acknowledged work in the background. Each request is
// deduplicated and journaled in Redis before Slack is answered, and struck
// off when its work is done: on SIGTERM the dispatcher waits for the work;
// if a replica dies instead, another finds the stale entry and does it
// again (Recover), as a redo.
type Dispatcher struct {
	journal Journal // nil: no journal (tests of the transport alone)
	redo    map[string]Redo
	metrics Meter
	log     *slog.Logger
	now     func() time.Time
	// timeout bounds one request's work, so a stuck Slack call cannot hold shutdown forever.
	timeout time.Duration

	mu      sync.Mutex
	closed  bool
	pending sync.WaitGroup

	strikeMu sync.Mutex
	finished []string // finished requests not yet struck off the journal
}

// NewDispatcher returns a Dispatcher journaling in journal; redo rebuilds
// the work of each kind of journaled request; now dates the journal.
func NewDispatcher(journal Journal, redo map[string]Redo, m Meter, log *slog.Logger, now func() time.Time) *Dispatcher {
	return &Dispatcher{journal: journal, redo: redo, metrics: m, log: log, now: now, timeout: 2 * time.Minute}
}

// ErrClosed is returned by Accept once shutdown has begun.
var ErrClosed = errors.New("shutting down")

// ErrNotJournaled is returned by Accept when the journal could not record
// the request: it is not run (it could be lost), and may be sent again.
var ErrNotJournaled = errors.New("the journal did not take the request")

// journalTimeout bounds the journal's write, well within the 3 s Slack
// waits for the acknowledgement that follows it.
const journalTimeout = time.Second

// Accept deduplicates and journals a job and runs its work in the
// background, or, for a request seen before, tells whoever repeated it.
// It fails with ErrClosed once shutdown has begun, and with
// ErrNotJournaled when the store did not answer in time.
func (d *Dispatcher) Accept(j Job) error {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return ErrClosed
	}
	first, err := d.take(j)
	if err != nil {
		d.log.Warn("could not journal a request; it was not run", "ref", j.ID, "kind", j.Kind, "err", err)
		return fmt.Errorf("%w: %w", ErrNotJournaled, err)
	}
	if !first {
		d.metrics.RequestRepeated()
		d.log.Info("a request seen before was not run again", "request_id", j.ID, "kind", j.Kind)
		if j.Repeated != nil {
			d.pending.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				j.Repeated(incident.WithRequest(ctx, j.ID))
			})
		}
		return nil
	}
	if !d.submit(j.ID, j.Run, false) {
		d.finish(j.ID) // refused after all: Slack tells the user; nothing to redo
		return ErrClosed
	}
	return nil
}

// answerWithin bounds a request answered in its acknowledgement, inside
// the 3 s Slack waits.
const answerWithin = 2 * time.Second

// Now runs a request that changes nothing (it only shows something) before
// its acknowledgement, so its answer can go in it. It is deduplicated like
// any request but not journaled: if the replica dies, Slack shows the
// person a timeout and there is nothing to redo. first is false for a
// request seen before, which is not run (repeated, when set, tells its
// sender); an error means it was not run.
func (d *Dispatcher) Now(id string, run Work, repeated func(ctx context.Context)) (first bool, res Result, err error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return false, Result{}, ErrClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), answerWithin)
	defer cancel()
	first = true
	if d.journal != nil {
		jctx, jcancel := context.WithTimeout(ctx, journalTimeout)
		first, err = d.journal.Seen(jctx, id)
		jcancel()
		if err != nil {
			d.log.Warn("could not mark a request seen; it was not run", "ref", id, "err", err)
			return false, Result{}, fmt.Errorf("%w: %w", ErrNotJournaled, err)
		}
	}
	if !first {
		d.metrics.RequestRepeated()
		d.log.Info("a request seen before was not run again", "request_id", id)
		if repeated != nil {
			d.pending.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				repeated(incident.WithRequest(ctx, id))
			})
		}
		return false, Result{}, nil
	}
	start := time.Now()
	res = func() (res Result) {
		defer func() {
			if p := recover(); p != nil {
				d.log.Error("a request failed unexpectedly", "request_id", id, "panic", fmt.Sprint(p))
				res = Result{Name: "unknown", Outcome: OutcomeError}
			}
		}()
		return run(incident.WithRequest(ctx, id))
	}()
	d.metrics.RequestDone(res.Name, res.Outcome, time.Since(start))
	d.log.Info("request handled", "request_id", id, "subcommand", res.Name, "outcome", res.Outcome, "took", time.Since(start), "answered", "in the acknowledgement")
	return true, res, nil
}

// take is the gate's deduplication and journal: first is false for a
// request seen before.
func (d *Dispatcher) take(j Job) (first bool, err error) {
	if d.journal == nil {
		return true, nil
	}
	raw, _ := json.Marshal(j.Payload) // plain structs of strings: cannot fail
	ctx, cancel := context.WithTimeout(context.Background(), journalTimeout)
	defer cancel()
	return d.journal.Accept(ctx, j.ID, storage.InboxEntry{At: d.now(), Kind: j.Kind, Payload: raw})
}

func (d *Dispatcher) record(kind, id string, raw json.RawMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := d.journal.Journal(ctx, id, storage.InboxEntry{At: d.now(), Kind: kind, Payload: raw}); err != nil {
		// The work still runs; only a crash before it ends would lose it.
		d.log.Warn("could not journal a request", "request_id", id, "err", err)
	}
}

// strikeAfter gathers finished requests for a moment and strikes them off
// the journal in one command: one Redis command a request fewer. A request
// finished in the moment before a crash is done again, which its effects,
// recorded with its identity, make harmless.
const strikeAfter = 50 * time.Millisecond

func (d *Dispatcher) finish(id string) {
	if d.journal == nil {
		return
	}
	d.strikeMu.Lock()
	defer d.strikeMu.Unlock()
	d.finished = append(d.finished, id)
	if len(d.finished) == 1 {
		time.AfterFunc(strikeAfter, d.strike)
	}
}

// strike strikes the finished requests off the journal.
func (d *Dispatcher) strike() {
	d.strikeMu.Lock()
	ids := d.finished
	d.finished = nil
	d.strikeMu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.journal.Done(ctx, ids...); err != nil {
		d.log.Warn("could not strike finished requests off the journal; they may be done again", "requests", len(ids), "err", err)
	}
}

// submit runs work in the background; it returns false once shutdown has begun.
// A redo runs as one: the effects its first run recorded are not made again.
func (d *Dispatcher) submit(id string, work Work, redo bool) bool {
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
		res := func() (res Result) {
			// A request that panics is logged and struck off the journal:
			// done again, it would only take the next replica down too.
			defer func() {
				if p := recover(); p != nil {
					d.log.Error("a request failed unexpectedly", "request_id", id, "panic", fmt.Sprint(p))
					res = Result{Name: "unknown", Outcome: OutcomeError}
				}
			}()
			return work(ctx)
		}()
		d.finish(id)
		d.metrics.RequestDone(res.Name, res.Outcome, time.Since(start))
		attrs := []any{"request_id", id, "subcommand", res.Name, "outcome", res.Outcome, "took", time.Since(start)}
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
		var work Work
		if redo, ok := d.redo[e.Kind]; ok {
			work = redo(incident.WithRedo(ctx, id), e.Payload)
		}
		if work == nil {
			d.log.Error("dropped a journal entry that cannot be done again (unreadable, or for something that no longer exists)", "request_id", id, "kind", e.Kind)
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
	go func() {
		d.pending.Wait()
		if d.journal != nil {
			d.strike()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
