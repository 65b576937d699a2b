package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// App is what the transport hands Slack's requests to.
type App interface {
	// Handle runs a slash command after it has been acknowledged.
	Handle(ctx context.Context, req commands.Request) work.Result
	// Interact checks a click or modal submission before the acknowledgement
	// and returns the field errors to answer with, or the work to do after it.
	Interact(ctx context.Context, in commands.Interaction) (map[string]string, work.Work)
	// Reacted handles a reaction added to a message.
	Reacted(ctx context.Context, r commands.Reaction) work.Result
	// Repeated tells a person who sent a request again that it ran once already.
	Repeated(ctx context.Context, userID, channelID, responseURL string)
	// Refused tells a person that a form they sent, checked again when it
	// was done late, no longer passes, and why.
	Refused(ctx context.Context, in commands.Interaction, fieldErrors map[string]string) work.Result
}

// Kinds of journaled request.
const (
	kindCommand     = "command"
	kindInteraction = "interaction"
	kindReaction    = "reaction"
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
}

// NewGate returns the gate for app, on a dispatcher made by dispatcher from
// the gate's way of redoing each kind of journaled request.
func NewGate(app App, dispatcher func(redo map[string]work.Redo) *work.Dispatcher) *Gate {
	g := &Gate{app: app}
	g.d = dispatcher(map[string]work.Redo{
		kindCommand: func(ctx context.Context, payload []byte) work.Work {
			var req commands.Request
			if json.Unmarshal(payload, &req) != nil {
				return nil
			}
			return g.commandWork(req)
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

// Command queues a slash command; it returns false once shutdown has begun.
func (g *Gate) Command(req commands.Request) bool {
	return g.d.Accept(work.Job{ID: "cmd:" + orRandom(req.TriggerID), Kind: kindCommand, Payload: req, Run: g.commandWork(req),
		Repeated: func(ctx context.Context) { g.app.Repeated(ctx, req.UserID, req.ChannelID, req.ResponseURL) }})
}

func (g *Gate) commandWork(req commands.Request) work.Work {
	return func(ctx context.Context) work.Result { return g.app.Handle(ctx, req) }
}

// Reaction queues a reaction event.
func (g *Gate) Reaction(r commands.Reaction) bool {
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
// field errors to answer Slack with. ok is false once shutdown has begun.
// A form sent back with errors is not taken, so its corrected submission is.
func (g *Gate) Interact(ctx context.Context, in commands.Interaction) (fieldErrors map[string]string, ok bool) {
	id := interactionID(in)
	fieldErrors, run := g.app.Interact(incident.WithRequest(ctx, id), in)
	if len(fieldErrors) > 0 || run == nil {
		return fieldErrors, true
	}
	job := work.Job{ID: id, Kind: kindInteraction, Payload: in, Run: run}
	if in.Kind != commands.InteractionSubmission { // a form's second submission has nobody left to tell
		job.Repeated = func(ctx context.Context) { g.app.Repeated(ctx, in.UserID, in.ChannelID, in.ResponseURL) }
	}
	return nil, g.d.Accept(job)
}

func orRandom(id string) string {
	if id != "" {
		return id
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
