package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// CardView is what the incident card shows: the services decide what is
// on it, Card decides how it looks in Slack.
type CardView struct {
	Ref, Title          string
	Drill               bool
	Severity            string
	SeverityDescription string
	Status              incident.Status
	OpenFor             time.Duration // from the declaration to the close
	RetroUntil          time.Time
	Private             bool
	Phase               incident.Phase
	PhaseSince          time.Time
	DeclaredAt          time.Time
	DeclaredBy          string
	Roles               []RoleLine
	ChecklistDone       int
	ChecklistTotal      int
	LastUpdate          string // plain text
	LastUpdateBy        string
	LastUpdateAt        time.Time
	// Actions are the card's buttons, in one actions block.
	ActionsBlockID string
	Actions        []Action
}

// RoleLine is a role and who holds it ("" for nobody).
type RoleLine struct{ Name, Holder string }

// Action is a button: what it does (its action ID and value) and its label.
type Action struct {
	ID, Label, Value string
	Primary          bool
}

// Card is the incident card: the one message, pinned in the incident
// channel, that says where the incident stands. Times are Slack date tokens
// ("5 minutes ago"), which every reader's Slack keeps current without an edit.
func Card(v CardView) Message {
	title := v.Ref + ": " + v.Title
	if v.Drill {
		title = "DRILL " + title
	}
	sev := "`" + Text(v.Severity) + "`"
	if v.SeverityDescription != "" {
		sev += " " + Text(v.SeverityDescription)
	}
	status := "Open"
	switch v.Status {
	case incident.Resolved:
		status = "Closed after " + incident.HumanDuration(v.OpenFor) + "\nretro until " + Date(v.RetroUntil, "{date_short_pretty} {time}")
	case incident.Closed:
		status = "Closed after " + incident.HumanDuration(v.OpenFor) + "\npostmortem published"
	}
	if v.Private {
		status += " · :lock: private"
	}
	phase := "*Phase*\n" + v.Phase.Title()
	if !v.PhaseSince.IsZero() {
		phase += " since " + Date(v.PhaseSince, "{ago}")
	}
	var roles strings.Builder
	for _, r := range v.Roles {
		fmt.Fprintf(&roles, "\n• %s: %s", Text(r.Name), User(r.Holder))
	}
	checklist := "_No checklist for this phase._"
	if v.ChecklistTotal > 0 {
		checklist = fmt.Sprintf("%s %d/%d done", progressBar(v.ChecklistDone, v.ChecklistTotal), v.ChecklistDone, v.ChecklistTotal)
	}
	last := "_No updates yet._"
	if v.LastUpdate != "" {
		last = Text(Truncate(v.LastUpdate, 2500)) + "\n_" + User(v.LastUpdateBy) + ", " + Date(v.LastUpdateAt, "{ago}") + "_"
	}
	blocks := []Block{
		Header(":rotating_light: " + title),
		Fields(
			"*Severity*\n"+sev,
			phase,
			"*Status*\n"+status,
			"*Declared*\n"+Date(v.DeclaredAt, "{date_short_pretty} {time}")+" ("+Date(v.DeclaredAt, "{ago}")+") by "+User(v.DeclaredBy),
		),
		Section("*Roles*" + roles.String()),
		Section("*Checklist: " + v.Phase.Title() + "*\n" + checklist),
		Section("*Last update*\n" + last),
	}
	if len(v.Actions) > 0 {
		buttons := make([]any, len(v.Actions))
		for i, a := range v.Actions {
			style := ""
			if a.Primary {
				style = "primary"
			}
			buttons[i] = Button(a.ID, a.Label, a.Value, style)
		}
		blocks = append(blocks, Block{"type": "actions", "block_id": v.ActionsBlockID, "elements": buttons})
	}
	blocks = append(blocks, Context("Run `/incident help` in this channel to see what you can do."))
	return Message{Text: fmt.Sprintf("%s (%s, %s)", Text(title), Text(v.Severity), v.Phase.Title()), Blocks: blocks}
}

func progressBar(done, total int) string {
	const width = 10
	filled := done * width / total
	return strings.Repeat("▰", filled) + strings.Repeat("▱", width-filled)
}

// ScheduledUpdate is the stakeholder update the bot sends on the cadence
// of the severity: the card's facts, for people outside the channel, with
// a link to the channel when there is one.
func ScheduledUpdate(v CardView, channelID string) Message {
	title := v.Ref + ": " + v.Title
	if v.Drill {
		title = "DRILL " + title
	}
	checklist := "no checklist"
	if v.ChecklistTotal > 0 {
		checklist = fmt.Sprintf("%d/%d done", v.ChecklistDone, v.ChecklistTotal)
	}
	var roles []string
	for _, r := range v.Roles {
		if r.Holder != "" {
			roles = append(roles, Text(r.Name)+" "+User(r.Holder))
		}
	}
	if len(roles) == 0 {
		roles = []string{"_none assigned_"}
	}
	latest := "_No update from the team yet._"
	if v.LastUpdate != "" {
		latest = Text(Truncate(v.LastUpdate, 2000)) + "\n_" + User(v.LastUpdateBy) + ", " + Date(v.LastUpdateAt, "{ago}") + "_"
	}
	phase := v.Phase.Title()
	if !v.PhaseSince.IsZero() {
		phase += " since " + Date(v.PhaseSince, "{ago}")
	}
	blocks := []Block{
		Section(":alarm_clock: *Scheduled update on " + Text(Truncate(title, 300)) + "*"),
		Fields("*Severity*\n`"+Text(v.Severity)+"`", "*Phase*\n"+phase,
			"*Open since*\n"+Date(v.DeclaredAt, "{date_short_pretty} {time}")+" ("+Date(v.DeclaredAt, "{ago}")+")",
			"*Checklist*\n"+checklist),
		Section("*Roles*: " + strings.Join(roles, " · ")),
		Section("*Latest update*\n" + latest),
	}
	if channelID != "" {
		blocks = append(blocks, Context("Follow along in <#"+channelID+">"))
	}
	return Message{Text: fmt.Sprintf("Scheduled update on %s (%s, %s)", v.Ref, Text(v.Severity), v.Phase.Title()), Blocks: blocks}
}
