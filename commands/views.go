package commands

import (
	"encoding/json"
	"strconv"
	"strings"

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
	return declareModalFor(cfg, declareDraft{severity: cfg.DefaultSeverity})
}

// declareDraft is what the declare form is filled in with.
type declareDraft struct {
	title, severity, description, metadata string
	fromReport                             bool // never quiet: the triage channel knows of it
}

func declareModalFor(cfg config.File, d declareDraft) render.View {
	severities := severityOptions(cfg)
	visibility := []render.Option{{Value: "private", Label: "Private", Detail: "a private channel; stakeholders see no title"}}
	if !d.fromReport {
		visibility = append(visibility, render.Option{Value: "quiet", Label: "An attacker may be watching", Detail: "a private channel under a codename; the title stays in it; the stakeholders are not told"})
	}
	return render.Modal(render.Form{CallbackID: ModalDeclare, Title: "Declare an incident", Submit: "Declare", Metadata: d.metadata, Fields: []render.Field{
		{ID: InputTitle, Kind: render.TextLine, Label: "Title", Placeholder: "Ransomware on file server", MaxLength: incident.MaxTitleChars, Initial: d.title},
		{ID: InputSeverity, Kind: render.Choice, Label: "Severity", Options: severities, Initial: d.severity},
		{ID: InputDescription, Kind: render.TextArea, Label: "What do we know?", Optional: true, MaxLength: incident.MaxTextChars, Initial: d.description},
		{ID: InputPrivate, Kind: render.Ticks, Label: "Visibility", Optional: true,
			Options: visibility},
	}})
}

func severityOptions(cfg config.File) []render.Option {
	options := make([]render.Option, len(cfg.Severities))
	for i, sev := range cfg.Severities {
		label := sev.Name
		if sev.Description != "" {
			label += " · " + sev.Description
		}
		options[i] = render.Option{Value: sev.Name, Label: label}
	}
	return options
}

// reportModal is the report form; a flagged message rides in its metadata.
func reportModal(cfg config.File, f flagged) render.View {
	form := render.Form{CallbackID: ModalReport, Title: "Report to security", Submit: "Report"}
	what := render.Field{ID: InputWhat, Kind: render.TextArea, Label: "What did you see?", MaxLength: incident.MaxTextChars,
		Placeholder: "An email asked me to log in to a page that looked like our VPN"}
	if f.TS != "" || f.Text != "" {
		form.Metadata = flaggedMetadata(&f)
		form.Quote = f.Text
		what.Label = "Why does this message look wrong?"
		what.Hint = "The message itself, its author and a link to it go with your report."
		what.Placeholder = "It asks for my password and the sender is not who they claim"
	}
	form.Fields = []render.Field{
		what,
		{ID: InputWhen, Kind: render.TextLine, Label: "When did it happen?", Optional: true, MaxLength: maxReportLine, Placeholder: "Today around 9:40"},
		{ID: InputSystems, Kind: render.TextLine, Label: "Which systems or accounts?", Optional: true, MaxLength: maxReportLine, Placeholder: "My laptop, my email account"},
		{ID: InputUrgency, Kind: render.Choice, Label: "How urgent is it?", Optional: true, Options: severityOptions(cfg)},
		{ID: InputAnonymous, Kind: render.Ticks, Label: "Anonymity", Optional: true,
			Options: []render.Option{{Value: "anonymous", Label: "Keep my name to the security team", Detail: "an incident made from it will not name you"}}},
	}
	return render.Modal(form)
}

// The drill form's callback ID and inputs.
const (
	ModalDrill    = "incident_drill"
	InputScenario = "scenario"
	InputPeople   = "people"
)

// drillModal picks a scenario and the people to practise with.
func drillModal(cfg config.File) render.View {
	options := make([]render.Option, 0, min(len(cfg.Drills), render.MaxSelectOptions))
	for _, s := range cfg.Drills[:min(len(cfg.Drills), render.MaxSelectOptions)] {
		options = append(options, render.Option{Value: s.Key, Label: s.Title + " (" + s.Severity + ")"})
	}
	return render.Modal(render.Form{CallbackID: ModalDrill, Title: "Start a drill", Submit: "Start", Fields: []render.Field{
		{ID: InputScenario, Kind: render.Choice, Label: "Scenario", Options: options, Placeholder: "Choose a scenario"},
		{ID: InputPeople, Kind: render.People, Label: "Who takes part?", Optional: true, Hint: "They are invited to the drill channel; the standing responders are too."},
		{ID: InputPrivate, Kind: render.Ticks, Label: "Visibility", Optional: true,
			Options: []render.Option{{Value: "private", Label: "Private", Detail: "a private channel (for an insider scenario, say)"}}},
	}})
}

func mergeModal(r *incident.Report, incidents []render.Option) render.View {
	return render.Modal(render.Form{CallbackID: ModalMerge, Title: "Merge " + r.Ref(), Submit: "Merge", Metadata: strconv.FormatInt(r.Number, 10),
		Fields: []render.Field{{ID: InputIncident, Kind: render.Choice, Label: "Into which open incident?", Options: incidents,
			Hint: "The report goes on its timeline and the reporter is told."}}})
}

func dismissModal(r *incident.Report) render.View {
	reasons := make([]render.Option, len(incident.DismissReasons))
	for i, reason := range incident.DismissReasons {
		reasons[i] = render.Option{Value: reason.Key, Label: reason.Name}
	}
	return render.Modal(render.Form{CallbackID: ModalDismiss, Title: "Dismiss " + r.Ref(), Submit: "Dismiss", Metadata: strconv.FormatInt(r.Number, 10),
		Fields: []render.Field{
			{ID: InputReason, Kind: render.Choice, Label: "Why?", Options: reasons, Hint: "The reporter is told this reason, with thanks."},
			{ID: InputComment, Kind: render.TextLine, Label: "Note for the team", Optional: true, MaxLength: maxReportLine, Hint: "Shown on the triage card only."},
		}})
}

// maxMetadata keeps a form's private metadata within Slack's 3,000 characters.
const maxMetadata = 2900

// flaggedMetadata encodes a flagged message for a form's metadata, its
// text cut until the whole fits (escaped characters take several).
func flaggedMetadata(f *flagged) string {
	for {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(f) // strings: cannot fail
		meta := strings.TrimSpace(b.String())
		if len(meta) <= maxMetadata || f.Text == "" {
			return meta
		}
		r := []rune(f.Text)
		f.Text = render.Truncate(f.Text, max(len(r)*3/4, 1))
		if len(r) <= 1 {
			f.Text = ""
		}
	}
}

// The case record forms: indicators (typed in, or picked from a message)
// and evidence.
const (
	ModalIOC      = "incident_ioc"
	ModalEvidence = "incident_evidence"
	ShortcutIOC   = "add_indicators"

	InputIndicators = "indicators"
	InputIOCType    = "ioc_type"
	InputMarking    = "marking"
	InputNote       = "note"
	InputName       = "name"
	InputHash       = "hash"
	InputLocation   = "location"
)

func markingOptions() []render.Option {
	ms := incident.Markings()
	out := make([]render.Option, len(ms))
	for i, m := range ms {
		out[i] = render.Option{Value: m, Label: m}
	}
	return out
}

func iocTypeOptions() []render.Option {
	ts := incident.IndicatorTypes()
	out := make([]render.Option, len(ts))
	for i, t := range ts {
		out[i] = render.Option{Value: string(t), Label: string(t)}
	}
	return out
}

// iocModal adds indicators typed or pasted in: each one found in the text.
func iocModal(inc *incident.Incident) render.View {
	return render.Modal(render.Form{CallbackID: ModalIOC, Title: "Add indicators", Submit: "Add", Metadata: strconv.FormatInt(inc.Number, 10),
		Fields: []render.Field{
			{ID: InputIndicators, Kind: render.TextArea, Label: "Indicators for " + inc.Ref(), MaxLength: incident.MaxTextChars,
				Placeholder: "hxxps://login-example[.]com/vpn 203.0.113.7", Hint: "One or more, defanged or not; each one found is added, and always shown defanged."},
			{ID: InputIOCType, Kind: render.Choice, Label: "Only of type", Optional: true, Options: iocTypeOptions()},
			{ID: InputMarking, Kind: render.Choice, Label: "TLP marking", Optional: true, Options: markingOptions()},
			{ID: InputNote, Kind: render.TextLine, Label: "Note", Optional: true, MaxLength: maxIOCNote},
		}})
}

// maxPicked bounds the candidates a shortcut offers, within a menu's options.
const maxPicked = render.MaxSelectOptions

// pickedMetadata is what the pick form remembers: the incident (0 when
// the person chooses it in the form) and the candidates offered.
type pickedMetadata struct {
	Incident   int64       `json:"n"`
	Candidates [][2]string `json:"c"`
}

// iocPickModal offers the indicators found in a message, all chosen at
// first; incidents (when not run in an incident's channel) are the open
// incidents the person may choose from.
func iocPickModal(n int64, found []incident.Candidate, incidents []render.Option) render.View {
	label := "Indicators found in the message"
	if n > 0 {
		label += ", for " + incident.FormatRef(n)
	}
	meta := pickedMetadata{Incident: n}
	options := make([]render.Option, 0, len(found))
	for i, c := range found {
		meta.Candidates = append(meta.Candidates, [2]string{string(c.Type), c.Value})
		doc, _ := json.Marshal(meta)
		if len(doc) > maxMetadata || i == maxPicked {
			meta.Candidates = meta.Candidates[:i]
			break
		}
		options = append(options, render.Option{Value: strconv.Itoa(i), Label: string(c.Type) + " " + incident.Defang(c.Type, c.Value)})
	}
	doc, _ := json.Marshal(meta)
	fields := []render.Field{{ID: InputIndicators, Kind: render.Picks, Label: label, Options: options,
		Hint: "Take out any that are not indicators. They are shown defanged."}}
	if n == 0 {
		fields = append(fields, render.Field{ID: InputIncident, Kind: render.Choice, Label: "Add them to", Options: incidents, Placeholder: "Choose an open incident"})
	}
	fields = append(fields,
		render.Field{ID: InputMarking, Kind: render.Choice, Label: "TLP marking", Optional: true, Options: markingOptions()},
		render.Field{ID: InputNote, Kind: render.TextLine, Label: "Note", Optional: true, MaxLength: maxIOCNote})
	return render.Modal(render.Form{CallbackID: ModalIOC + "_picked", Title: "Add indicators", Submit: "Add", Metadata: string(doc), Fields: fields})
}

// evidenceModal logs an item of evidence.
func evidenceModal(inc *incident.Incident) render.View {
	return render.Modal(render.Form{CallbackID: ModalEvidence, Title: "Log evidence", Submit: "Log", Metadata: strconv.FormatInt(inc.Number, 10),
		Fields: []render.Field{
			{ID: InputName, Kind: render.TextLine, Label: "Item", MaxLength: 200, Placeholder: "laptop-image-jdoe"},
			{ID: InputHash, Kind: render.TextLine, Label: "SHA-256", MaxLength: 71, Placeholder: "sha256:9f86d081884c7d659a2feaa0c55ad015…",
				Hint: "The hash taken when it was collected; whoever receives it re-hashes it with /incident evidence verify."},
			{ID: InputLocation, Kind: render.TextLine, Label: "Where it is stored", MaxLength: 300, Placeholder: "evidence locker 3, bag 0042"},
			{ID: InputNote, Kind: render.TextLine, Label: "Note", Optional: true, MaxLength: 300},
		}})
}
