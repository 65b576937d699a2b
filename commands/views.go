package commands

import (
	"strconv"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// Callback IDs of the modals, and the block IDs of their inputs.
const (
	ModalUpdate = "incident_update"
	ModalNote   = "incident_note"
	ModalAssign = "incident_assign"

	InputText = "text"
	InputRole = "role"
	InputUser = "user"
)

func modal(callbackID, title, submit string, n int64, blocks ...render.Block) render.View {
	return render.View{
		"type": "modal", "callback_id": callbackID, "private_metadata": strconv.FormatInt(n, 10),
		"title": render.PlainText(render.Truncate(title, 24)), "submit": render.PlainText(submit), "close": render.PlainText("Cancel"),
		"blocks": blocks,
	}
}

func textInput(label, hint string) render.Block {
	return render.Block{"type": "input", "block_id": InputText, "label": render.PlainText(label), "hint": render.PlainText(hint),
		"element": map[string]any{"type": "plain_text_input", "action_id": InputText, "multiline": true, "max_length": incident.MaxTextChars}}
}

func updateModal(inc *incident.Incident) render.View {
	return modal(ModalUpdate, "Post update", "Post", inc.Number,
		textInput("Status update for "+inc.Ref(), "Posted in the channel and to stakeholders; it becomes the card's last update."))
}

func noteModal(inc *incident.Incident) render.View {
	return modal(ModalNote, "Add note", "Add", inc.Number,
		textInput("Note for the timeline of "+inc.Ref(), "Decisions, findings, anything the postmortem should remember."))
}

func assignModal(cfg config.File, inc *incident.Incident) render.View {
	options := make([]any, len(cfg.Roles))
	for i, r := range cfg.Roles {
		options[i] = map[string]any{"text": render.PlainText(render.Truncate(r.Name, 75)), "value": r.Key}
	}
	return modal(ModalAssign, "Assign role", "Assign", inc.Number,
		render.Block{"type": "input", "block_id": InputRole, "label": render.PlainText("Role"),
			"element": map[string]any{"type": "static_select", "action_id": InputRole, "options": options, "placeholder": render.PlainText("Choose a role")}},
		render.Block{"type": "input", "block_id": InputUser, "label": render.PlainText("Person"),
			"element": map[string]any{"type": "users_select", "action_id": InputUser, "placeholder": render.PlainText("Choose a person")}},
	)
}

// The declare form's callback ID and inputs.
const (
	ModalDeclare     = "incident_declare"
	InputTitle       = "title"
	InputSeverity    = "severity"
	InputDescription = "description"
	InputPrivate     = "private"
)

func declareModal(cfg config.File) render.View {
	options := make([]any, len(cfg.Severities))
	var initial any
	for i, s := range cfg.Severities {
		label := s.Name
		if s.Description != "" {
			label += " · " + s.Description
		}
		options[i] = map[string]any{"text": render.PlainText(render.Truncate(label, 75)), "value": s.Name}
		if s.Name == cfg.DefaultSeverity {
			initial = options[i]
		}
	}
	sevSelect := map[string]any{"type": "static_select", "action_id": InputSeverity, "options": options}
	if initial != nil {
		sevSelect["initial_option"] = initial
	}
	privateBox := map[string]any{"text": render.Mrkdwn("*Private*: a private channel; stakeholders see no title"), "value": "private"}
	v := modal(ModalDeclare, "Declare an incident", "Declare", 0,
		render.Block{"type": "input", "block_id": InputTitle, "label": render.PlainText("Title"),
			"element": map[string]any{"type": "plain_text_input", "action_id": InputTitle, "max_length": incident.MaxTitleChars,
				"placeholder": render.PlainText("Ransomware on file server")}},
		render.Block{"type": "input", "block_id": InputSeverity, "label": render.PlainText("Severity"), "element": sevSelect},
		render.Block{"type": "input", "block_id": InputDescription, "label": render.PlainText("What do we know?"), "optional": true,
			"element": map[string]any{"type": "plain_text_input", "action_id": InputDescription, "multiline": true, "max_length": incident.MaxTextChars}},
		render.Block{"type": "input", "block_id": InputPrivate, "label": render.PlainText("Visibility"), "optional": true,
			"element": map[string]any{"type": "checkboxes", "action_id": InputPrivate, "options": []any{privateBox}}},
	)
	delete(v, "private_metadata")
	return v
}
