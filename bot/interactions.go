package bot

import (
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
)

// interactionFrom turns Slack's interaction payload into ours.
func interactionFrom(cb slack.InteractionCallback) commands.Interaction {
	in := commands.Interaction{
		Kind: string(cb.Type), UserID: cb.User.ID, ChannelID: cb.Channel.ID,
		TriggerID: cb.TriggerID, ResponseURL: cb.ResponseURL,
	}
	if in.ChannelID == "" {
		in.ChannelID = cb.Container.ChannelID
	}
	if acts := cb.ActionCallback.BlockActions; len(acts) > 0 {
		a := acts[0]
		in.ActionID, in.BlockID, in.Value = a.ActionID, a.BlockID, a.Value
		switch {
		case a.SelectedOption.Value != "":
			in.Value = a.SelectedOption.Value
		case a.SelectedUser != "":
			in.Value = a.SelectedUser
		}
		for _, o := range a.SelectedOptions {
			in.Selected = append(in.Selected, o.Value)
		}
	}
	if cb.Type == slack.InteractionTypeMessageAction {
		in.CallbackID = cb.CallbackID
		in.MessageTS, in.MessageText, in.MessageUser = cb.Message.Timestamp, cb.Message.Text, cb.Message.User
	}
	if cb.Type == slack.InteractionTypeViewSubmission {
		in.ViewID, in.ViewHash = cb.View.ID, cb.View.Hash
		in.CallbackID, in.PrivateMetadata = cb.View.CallbackID, cb.View.PrivateMetadata
		in.Values = map[string]string{}
		if cb.View.State != nil {
			for blockID, actions := range cb.View.State.Values {
				for _, a := range actions {
					switch {
					case len(a.SelectedOptions) > 0:
						vals := make([]string, len(a.SelectedOptions))
						for i, o := range a.SelectedOptions {
							vals[i] = o.Value
						}
						in.Values[blockID] = strings.Join(vals, ",")
					case a.SelectedOption.Value != "":
						in.Values[blockID] = a.SelectedOption.Value
					case a.SelectedUser != "":
						in.Values[blockID] = a.SelectedUser
					case len(a.SelectedUsers) > 0:
						in.Values[blockID] = strings.Join(a.SelectedUsers, ",")
					case a.SelectedDate != "":
						in.Values[blockID] = a.SelectedDate
					default:
						in.Values[blockID] = a.Value
					}
				}
			}
		}
	}
	return in
}

// viewErrors is the answer that keeps a modal open with errors on its
// fields. Slack shows them as plain text.
func viewErrors(fieldErrors map[string]string) map[string]any {
	safe := make(map[string]string, len(fieldErrors))
	for k, v := range fieldErrors {
		safe[k] = render.Label(v)
	}
	return map[string]any{"response_action": "errors", "errors": safe}
}

// homeFrom picks an app_home_opened of the Home tab out of an Events API
// delivery: who opened it, and the event's ID.
func homeFrom(ev slackevents.EventsAPIEvent) (user, eventID string, ok bool) {
	opened, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || opened.Tab != "home" || opened.User == "" {
		return "", "", false
	}
	if outer, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		eventID = outer.EventID
	}
	return opened.User, eventID, true
}

// reactionFrom picks a reaction_added out of an Events API delivery.
func reactionFrom(ev slackevents.EventsAPIEvent) (commands.Reaction, bool) {
	added, ok := ev.InnerEvent.Data.(*slackevents.ReactionAddedEvent)
	if !ok {
		return commands.Reaction{}, false
	}
	r := commands.Reaction{UserID: added.User, Name: added.Reaction, ChannelID: added.Item.Channel, TS: added.Item.Timestamp}
	if outer, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		r.EventID = outer.EventID
	}
	return r, r.EventID != ""
}
