package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// App is what the transport hands Slack's requests to.
type App interface {
	// Handle runs a slash command after it has been acknowledged.
	Handle(ctx context.Context, req commands.Request) work.Result
	// AnswersAtOnce reports whether a slash command only shows the asker
	// something; Answer runs it before the acknowledgement and returns what
	// to show in it.
	AnswersAtOnce(req commands.Request) bool
	Answer(ctx context.Context, req commands.Request) (render.Message, work.Result)
	// Interact checks a click or modal submission before the acknowledgement
	// and returns the field errors to answer with, or the work to do after it.
	Interact(ctx context.Context, in commands.Interaction) (map[string]string, work.Work)
	// TakeAlert stores an alert from another tool as a report (or counts
	// it on the waiting report of its dedup key); DeliverReport posts a
	// stored report's card.
	TakeAlert(ctx context.Context, a commands.Alert) (n int64, deduplicated bool, err error)
	DeliverReport(ctx context.Context, n int64) work.Result
	// Reacted handles a reaction added to a message.
	Reacted(ctx context.Context, r commands.Reaction) work.Result
	// HomeOpened publishes the Home tab of a person who opened it.
	HomeOpened(ctx context.Context, userID string) work.Result
	// Repeated tells a person who sent a request again that it ran once already.
	Repeated(ctx context.Context, userID, channelID, responseURL string)
	// NotTaken tells a person that what they asked was not done because the
	// store did not answer, and that they may ask again.
	NotTaken(ctx context.Context, userID, channelID, responseURL string)
	// Refused tells a person that a form they sent, checked again when it
	// was done late, no longer passes, and why.
	Refused(ctx context.Context, in commands.Interaction, fieldErrors map[string]string) work.Result
}

// Kinds of journaled request.
const (
	kindCommand     = "command"
	kindInteraction = "interaction"
	kindReaction    = "reaction"
	kindHome        = "home"
	kindReport      = "report" // a stored report's card and receipt
)

// Gate is where every request from Slack enters, whatever its transport:
// the transport has authenticated it (the signature, in HTTP mode); the
// gate names it by its identity (trigger ID, event ID, a view's ID and
// hash) and hands it to the dispatcher, which deduplicates and journals it;
// the app authorizes and runs it. A replay, a Slack retry or a double
// submission is acknowledged and has its effect once; the person who
// repeated it is told.
type Gate struct {
	app App
	d   *work.Dispatcher
	log *slog.Logger
}

// NewGate returns the gate for app, on a dispatcher made by dispatcher from
// the gate's way of redoing each kind of journaled request.
func NewGate(app App, dispatcher func(redo map[string]work.Redo) *work.Dispatcher, log *slog.Logger) *Gate {
	g := &Gate{app: app, log: log}
	g.d = dispatcher(map[string]work.Redo{
		kindCommand: func(ctx context.Context, payload []byte) work.Work {
			var req commands.Request
			if json.Unmarshal(payload, &req) != nil {
				return nil
			}
			return g.commandWork(req)
		},
		kindReport: func(ctx context.Context, payload []byte) work.Work {
			var n int64
			if json.Unmarshal(payload, &n) != nil || n <= 0 {
				return nil
			}
			return g.reportWork(n)
		},
		kindReaction: func(ctx context.Context, payload []byte) work.Work {
			var r commands.Reaction
			if json.Unmarshal(payload, &r) != nil {
				return nil
			}
			return g.reactionWork(r)
		},
		kindInteraction: func(ctx context.Context, payload []byte) work.Work {
			var in commands.Interaction
			if json.Unmarshal(payload, &in) != nil {
				return nil
			}
			errs, w := app.Interact(ctx, in)
			if len(errs) > 0 {
				// Its form closed long ago: the answer goes to the person instead.
				return func(ctx context.Context) work.Result { return app.Refused(ctx, in, errs) }
			}
			return w
		},
	})
	return g
}

// Dispatcher is the gate's dispatcher: Recover and Drain are the caller's.
func (g *Gate) Dispatcher() *work.Dispatcher { return g.d }

// Command takes a slash command. One that only shows something runs at
// once and its answer is returned, for the acknowledgement; any other is
// queued (an empty answer: it follows on the response URL). It fails with
// work.ErrClosed once shutdown has begun and work.ErrNotJournaled when the
// store did not take it; either way it was not run.
func (g *Gate) Command(req commands.Request) (render.Message, error) {
	id := "cmd:" + orRandom(req.TriggerID)
	repeated := func(ctx context.Context) { g.app.Repeated(ctx, req.UserID, req.ChannelID, req.ResponseURL) }
	if g.app.AnswersAtOnce(req) {
		var answer render.Message
		_, _, err := g.d.Now(id, func(ctx context.Context) work.Result {
			var res work.Result
			answer, res = g.app.Answer(ctx, req)
			return res
		}, repeated)
		if err != nil {
			return render.Message{}, &notTakenError{err: err, ref: id}
		}
		return answer, nil
	}
	err := g.d.Accept(work.Job{ID: id, Kind: kindCommand, Payload: req, Run: g.commandWork(req), Repeated: repeated})
	if err != nil {
		return render.Message{}, &notTakenError{err: err, ref: id}
	}
	return render.Message{}, nil
}

// notTakenError is why a request was not taken, with its reference, which
// the log line about it holds too.
type notTakenError struct {
	err error
	ref string
}

func (e *notTakenError) Error() string { return e.err.Error() + " (ref " + e.ref + ")" }
func (e *notTakenError) Unwrap() error { return e.err }

func (g *Gate) commandWork(req commands.Request) work.Work {
	return func(ctx context.Context) work.Result { return g.app.Handle(ctx, req) }
}

// alertWithin bounds storing an alert, inside any sender's patience.
const alertWithin = 2 * time.Second

// Alert takes an alert from another tool, named by its signature: it is
// stored before the answer, in the same step as its identity, so a replay
// fails with incident.ErrReplayed and a request the store did not take may
// be sent again; its card is posted after (journaled, so a replica that
// dies first leaves it to another, and the triage sweep posts any card
// still missing).
func (g *Gate) Alert(a commands.Alert, signature string) (n int64, deduplicated bool, err error) {
	id := "alert:" + signature
	ctx, cancel := context.WithTimeout(incident.WithRequest(context.Background(), id), alertWithin)
	defer cancel()
	n, deduplicated, err = g.app.TakeAlert(ctx, a)
	if err != nil {
		return 0, false, err
	}
	if err := g.d.Accept(work.Job{ID: "deliver:" + id, Kind: kindReport, Payload: n, Run: g.reportWork(n)}); err != nil {
		g.log.Warn("an alert is stored but its card waits for the triage sweep", "report", n, "err", err)
	}
	return n, deduplicated, nil
}

func (g *Gate) reportWork(n int64) work.Work {
	return func(ctx context.Context) work.Result { return g.app.DeliverReport(ctx, n) }
}

// HomeOpened queues the publishing of a person's Home tab; an error means it was not taken.
func (g *Gate) HomeOpened(user, eventID string) error {
	return g.d.Accept(work.Job{ID: "evt:" + orRandom(eventID), Kind: kindHome, Payload: user,
		Run: func(ctx context.Context) work.Result { return g.app.HomeOpened(ctx, user) }})
}

// Reaction queues a reaction event; an error means it was not taken.
func (g *Gate) Reaction(r commands.Reaction) error {
	return g.d.Accept(work.Job{ID: "evt:" + orRandom(r.EventID), Kind: kindReaction, Payload: r, Run: g.reactionWork(r)})
}

func (g *Gate) reactionWork(r commands.Reaction) work.Work {
	return func(ctx context.Context) work.Result { return g.app.Reacted(ctx, r) }
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
// field errors to answer Slack with, and work.ErrClosed once shutdown has
// begun. A form sent back with errors is not taken, so its corrected
// submission is. When the store does not take it, a form stays open with
// the reason on a field; a click is answered in the background.
func (g *Gate) Interact(ctx context.Context, in commands.Interaction) (fieldErrors map[string]string, err error) {
	id := interactionID(in)
	defer func() {
		if p := recover(); p != nil {
			g.log.Error("an interaction failed unexpectedly", "ref", id, "panic", fmt.Sprint(p))
			fieldErrors, err = map[string]string{commands.FirstInput(in.Values): "Something went wrong (ref " + id + "); nothing was done."}, nil
		}
	}()
	fieldErrors, run := g.app.Interact(incident.WithRequest(ctx, id), in)
	if len(fieldErrors) > 0 || run == nil {
		return fieldErrors, nil
	}
	job := work.Job{ID: id, Kind: kindInteraction, Payload: in, Run: run}
	if in.Kind != commands.InteractionSubmission { // a form's second submission has nobody left to tell
		job.Repeated = func(ctx context.Context) { g.app.Repeated(ctx, in.UserID, in.ChannelID, in.ResponseURL) }
	}
	err = g.d.Accept(job)
	if errors.Is(err, work.ErrNotJournaled) {
		if in.Kind == commands.InteractionSubmission {
			return map[string]string{commands.FirstInput(in.Values): storeDown(id, err)}, nil
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			g.app.NotTaken(ctx, in.UserID, in.ChannelID, in.ResponseURL)
		}()
		return nil, nil // acknowledged: the click was answered, not done
	}
	return nil, err
}

// storeDown is the answer to a request the store did not take: it did not
// answer, or too few of its replicas confirmed keeping the request.
func storeDown(ref string, err error) string {
	if errors.Is(err, incident.ErrNotDurable) {
		return "incidentbot could not keep a safe copy of that (too few copies of its store answered), so it was not done and nothing was changed. Try again in a moment (ref " + ref + ")."
	}
	return "incidentbot cannot reach its store right now, so that was not done and nothing was changed. Try again in a moment (ref " + ref + ")."
}

func orRandom(id string) string {
	if id != "" {
		return id
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
