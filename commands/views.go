package commands

import (
	"strconv"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// View is a Block Kit modal, in Slack's JSON shape.
type View map[string]any

// Callback IDs of the modals, and the block IDs of their inputs.
const (
	ModalUpdate = "incident_update"
	ModalNote   = "incident_note"
	ModalAssign = "incident_assign"

	InputText = "text"
	InputRole = "role"
	InputUser = "user"
)

func modal(callbackID, title, submit string, n int64, blocks ...Block) View {
	return View{
		"type": "modal", "callback_id": callbackID, "private_metadata": strconv.FormatInt(n, 10),
		"title": plain(truncate(title, 24)), "submit": plain(submit), "close": plain("Cancel"),
		"blocks": blocks,
	}
}

func textInput(label, hint string) Block {
	return Block{"type": "input", "block_id": InputText, "label": plain(label), "hint": plain(hint),
		"element": map[string]any{"type": "plain_text_input", "action_id": InputText, "multiline": true, "max_length": incident.MaxTextChars}}
}

func updateModal(inc *incident.Incident) View {
	return modal(ModalUpdate, "Post update", "Post", inc.Number,
		textInput("Status update for "+inc.Ref(), "Posted in the channel and to stakeholders; it becomes the card's last update."))
}

func noteModal(inc *incident.Incident) View {
	return modal(ModalNote, "Add note", "Add", inc.Number,
		textInput("Note for the timeline of "+inc.Ref(), "Decisions, findings, anything the postmortem should remember."))
}

func assignModal(cfg config.File, inc *incident.Incident) View {
	options := make([]any, len(cfg.Roles))
	for i, r := range cfg.Roles {
		options[i] = map[string]any{"text": plain(truncate(r.Name, 75)), "value": r.Key}
	}
	return modal(ModalAssign, "Assign role", "Assign", inc.Number,
		Block{"type": "input", "block_id": InputRole, "label": plain("Role"),
			"element": map[string]any{"type": "static_select", "action_id": InputRole, "options": options, "placeholder": plain("Choose a role")}},
		Block{"type": "input", "block_id": InputUser, "label": plain("Person"),
			"element": map[string]any{"type": "users_select", "action_id": InputUser, "placeholder": plain("Choose a person")}},
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

func declareModal(cfg config.File) View {
	options := make([]any, len(cfg.Severities))
	var initial any
	for i, s := range cfg.Severities {
		label := s.Name
		if s.Description != "" {
			label += " · " + s.Description
		}
		options[i] = map[string]any{"text": plain(truncate(label, 75)), "value": s.Name}
		if s.Name == cfg.DefaultSeverity {
			initial = options[i]
		}
	}
	sevSelect := map[string]any{"type": "static_select", "action_id": InputSeverity, "options": options}
	if initial != nil {
		sevSelect["initial_option"] = initial
	}
	privateBox := map[string]any{"text": mrkdwn("*Private*: a private channel; stakeholders see no title"), "value": "private"}
	v := modal(ModalDeclare, "Declare an incident", "Declare", 0,
		Block{"type": "input", "block_id": InputTitle, "label": plain("Title"),
			"element": map[string]any{"type": "plain_text_input", "action_id": InputTitle, "max_length": incident.MaxTitleChars,
				"placeholder": plain("Ransomware on file server")}},
		Block{"type": "input", "block_id": InputSeverity, "label": plain("Severity"), "element": sevSelect},
		Block{"type": "input", "block_id": InputDescription, "label": plain("What do we know?"), "optional": true,
			"element": map[string]any{"type": "plain_text_input", "action_id": InputDescription, "multiline": true, "max_length": incident.MaxTextChars}},
		Block{"type": "input", "block_id": InputPrivate, "label": plain("Visibility"), "optional": true,
			"element": map[string]any{"type": "checkboxes", "action_id": InputPrivate, "options": []any{privateBox}}},
	)
	delete(v, "private_metadata")
	return v
}
