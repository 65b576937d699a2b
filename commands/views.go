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

func textForm(callbackID, title, submit, label, hint string, inc *incident.Incident) render.View {
	return render.Modal(render.Form{CallbackID: callbackID, Title: title, Submit: submit, Metadata: strconv.FormatInt(inc.Number, 10),
		Fields: []render.Field{{ID: InputText, Kind: render.TextArea, Label: label, Hint: hint, MaxLength: incident.MaxTextChars}}})
}

func updateModal(inc *incident.Incident) render.View {
	return textForm(ModalUpdate, "Post update", "Post", "Status update for "+inc.Ref(),
		"Posted in the channel and to stakeholders; it becomes the card's last update.", inc)
}

func noteModal(inc *incident.Incident) render.View {
	return textForm(ModalNote, "Add note", "Add", "Note for the timeline of "+inc.Ref(),
		"Decisions, findings, anything the postmortem should remember.", inc)
}

func assignModal(cfg config.File, inc *incident.Incident) render.View {
	roles := make([]render.Option, len(cfg.Roles))
	for i, r := range cfg.Roles {
		roles[i] = render.Option{Value: r.Key, Label: r.Name}
	}
	return render.Modal(render.Form{CallbackID: ModalAssign, Title: "Assign role", Submit: "Assign", Metadata: strconv.FormatInt(inc.Number, 10),
		Fields: []render.Field{
			{ID: InputRole, Kind: render.Choice, Label: "Role", Placeholder: "Choose a role", Options: roles},
			{ID: InputUser, Kind: render.Person, Label: "Person", Placeholder: "Choose a person"},
		}})
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
	severities := make([]render.Option, len(cfg.Severities))
	for i, sev := range cfg.Severities {
		label := sev.Name
		if sev.Description != "" {
			label += " · " + sev.Description
		}
		severities[i] = render.Option{Value: sev.Name, Label: label}
	}
	return render.Modal(render.Form{CallbackID: ModalDeclare, Title: "Declare an incident", Submit: "Declare", Fields: []render.Field{
		{ID: InputTitle, Kind: render.TextLine, Label: "Title", Placeholder: "Ransomware on file server", MaxLength: incident.MaxTitleChars},
		{ID: InputSeverity, Kind: render.Choice, Label: "Severity", Options: severities, Initial: cfg.DefaultSeverity},
		{ID: InputDescription, Kind: render.TextArea, Label: "What do we know?", Optional: true, MaxLength: incident.MaxTextChars},
		{ID: InputPrivate, Kind: render.Ticks, Label: "Visibility", Optional: true,
			Options: []render.Option{{Value: "private", Label: "Private", Detail: "a private channel; stakeholders see no title"}}},
	}})
}
