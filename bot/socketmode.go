package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/commands"
)

// RunSocketMode connects over Socket Mode and feeds what Slack sends to the
// dispatcher, acknowledging each envelope first. It returns when ctx ends or
// the connection cannot be established for good (for example a revoked token).
func RunSocketMode(ctx context.Context, api *slack.Client, d *Gate, log *slog.Logger) error {
	sm := socketmode.New(api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-sm.Events:
			if evt.Type != socketmode.EventTypeSlashCommand {
				handleSocketEvent(ctx, sm, evt, d, log)
				continue
			}
			// A command may be answered in its acknowledgement, worked out
			// first: it must not hold up the events behind it.
			go func() {
				defer func() {
					if p := recover(); p != nil {
						log.Error("a slash command failed unexpectedly", "panic", fmt.Sprint(p))
					}
				}()
				handleSocketEvent(ctx, sm, evt, d, log)
			}()
		}
	}
}

func handleSocketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event, d *Gate, log *slog.Logger) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		log.Info("socket mode connected")
	case socketmode.EventTypeConnectionError:
		log.Warn("socket mode connection error; retrying", "err", evt.Data)
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := commands.Request{UserID: cmd.UserID, ChannelID: cmd.ChannelID, Text: cmd.Text,
			ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID}
		var payload any // nil: a plain ack; the answer follows on the response URL
		answer, err := d.Command(req)
		if err != nil {
			payload = map[string]string{"response_type": "ephemeral", "text": notTaken(err)}
		} else if body := answerBody(answer, log); body != nil {
			payload = json.RawMessage(body)
		}
		if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
			log.Error("socket mode ack failed", "err", err)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		var payload any
		if fieldErrors, _ := d.Interact(ctx, interactionFrom(cb)); len(fieldErrors) > 0 {
			payload = viewErrors(fieldErrors)
		}
		if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
			log.Error("socket mode ack failed", "err", err)
		}
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		if r, ok := reactionFrom(ev); ok && d.Reaction(r) != nil {
			return // not acknowledged: Slack delivers it again, to a replica that is not stopping (or a store that answers)
		}
		if user, id, ok := homeFrom(ev); ok && d.HomeOpened(user, id) != nil {
			return
		}
		if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, nil); err != nil {
			log.Error("socket mode ack failed", "err", err)
		}
	}
}
