package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// CardView is what the incident card shows: the services decide what is
// on it, Card decides how it looks in Slack.
type CardView struct {
	Ref, Title          string
	Headline            string // names it in push notification text: the title, or a quiet incident's codename
	Drill               bool
	Severity            string
	SeverityDescription string
	Status              incident.Status
	OpenFor             time.Duration // from the declaration to the close
	RetroUntil          time.Time
	Private             bool
	Marking             string // TLP
	Phase               incident.Phase
	PhaseSince          time.Time
	PhaseTarget         time.Duration // the severity's target for the phase; 0: none
	PhaseOverdue        bool          // the target passed and the commander was nudged
	DeclaredAt          time.Time
	DeclaredBy          string
	Roles               []RoleLine
	ChecklistDone       int
	ChecklistTotal      int
	RequiredLeft        int    // required items of the phase not done
	LastUpdate          string // plain text
	LastUpdateBy        string
	LastUpdateAt        time.Time
	LastUpdateMarking   string // its own marking, when above the incident's
	// ReportRef is the report it was declared from (""), and how long that
	// report waited for someone and for the declaration.
	ReportRef                string
	ToAcknowledge, ToDeclare time.Duration
	// Case records: how many indicators, items of evidence and open
	// containment actions, and the items whose re-hash did not match.
	Indicators, EvidenceItems, OpenActions int
	Mismatched                             []string
	// Clocks are the regulatory clocks started, earliest deadline first.
	Clocks []ClockLine
	// Actions are the card's buttons, in one actions block.
	ActionsBlockID string
	Actions        []Action
}

// ClockLine is a regulatory clock: its deadline, and the notification
// that stopped it (zero while it runs).
type ClockLine struct {
	Name       string
	Deadline   time.Time
	NotifiedAt time.Time
	Ref        string
	Late       bool // notified after the deadline
	Missed     bool // not notified, and the deadline passed
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
	icon := ":rotating_light: "
	if v.Drill {
		title, icon = incident.DrillPrefix+" "+title, ":performing_arts: "
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
	if v.Marking != "" {
		status += " · *" + Text(v.Marking) + "*"
	}
	phase := "*Phase*\n" + v.Phase.Title()
	if !v.PhaseSince.IsZero() {
		phase += " since " + Date(v.PhaseSince, "{ago}")
		switch {
		case v.PhaseOverdue:
			phase += "\n:alarm_clock: *overdue*: past its " + incident.TargetDuration(v.PhaseTarget) + " target"
		case v.PhaseTarget > 0 && v.Status == incident.Open:
			phase += "\ntarget " + incident.TargetDuration(v.PhaseTarget) + ": " + Date(v.PhaseSince.Add(v.PhaseTarget), "{ago}")
		}
	}
	var roles strings.Builder
	for _, r := range v.Roles {
		fmt.Fprintf(&roles, "\n• %s: %s", Text(r.Name), User(r.Holder))
	}
	checklist := "_No checklist for this phase._"
	if v.ChecklistTotal > 0 {
		checklist = fmt.Sprintf("%s %d/%d done", progressBar(v.ChecklistDone, v.ChecklistTotal), v.ChecklistDone, v.ChecklistTotal)
		if v.RequiredLeft > 0 {
			checklist += fmt.Sprintf(" · %s %s before the phase ends", requiredMark, plural(v.RequiredLeft, "required item left", "required items left"))
		}
	}
	last := "_No updates yet._"
	if v.LastUpdate != "" {
		marked := ""
		if v.LastUpdateMarking != "" && v.LastUpdateMarking != v.Marking {
			marked = "*" + Text(v.LastUpdateMarking) + "* "
		}
		last = marked + Text(Truncate(v.LastUpdate, 2500)) + "\n_" + User(v.LastUpdateBy) + ", " + Date(v.LastUpdateAt, "{ago}") + "_"
	}
	blocks := []Block{
		Header(icon + title),
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
	if v.Indicators+v.EvidenceItems+v.OpenActions > 0 || len(v.Mismatched) > 0 {
		blocks = append(blocks, Context(fmt.Sprintf(":mag_right: %s · :lock_with_ink_pen: %s · :no_entry: %s open",
			plural(v.Indicators, "indicator"), plural(v.EvidenceItems, "item of evidence", "items of evidence"), plural(v.OpenActions, "containment action"))))
	}
	if len(v.Mismatched) > 0 {
		blocks = append(blocks, Section(fmt.Sprintf(":warning: *Evidence hash mismatch:* %s failed its re-hash on receipt. See %s.",
			Text(strings.Join(v.Mismatched, ", ")), Code("/incident evidence log "+v.Mismatched[0]))))
	}
	if len(v.Clocks) > 0 {
		blocks = append(blocks, Section(clockLines(v.Clocks)))
	}
	if len(v.Actions) > 0 {
		blocks = append(blocks, actions(v.ActionsBlockID, v.Actions...))
	}
	if v.ReportRef != "" {
		blocks = append(blocks, Context(fmt.Sprintf(":mag: Declared from report %s: acknowledged after %s, declared after %s",
			Text(v.ReportRef), incident.HumanDuration(v.ToAcknowledge), incident.HumanDuration(v.ToDeclare))))
	}
	blocks = append(blocks, Context("Run `/incident help` in this channel to see what you can do."))
	headline := v.Ref + ": " + cmp.Or(v.Headline, v.Title)
	if v.Drill {
		headline = incident.DrillPrefix + " " + headline
	}
	if v.Marking != "" && v.Marking != "TLP:CLEAR" {
		headline = "[" + v.Marking + "] " + headline // as every message about it
	}
	return Message{Text: fmt.Sprintf("%s (%s, %s)", Text(headline), Text(v.Severity), v.Phase.Title()), Blocks: blocks}
}

// clockLines lists the clocks; the times are Slack date tokens, so "due
// in 3 hours" becomes "due 2 hours ago" without an edit.
func clockLines(clocks []ClockLine) string {
	out := "*Regulatory clocks*"
	for k, c := range clocks {
		name := "*" + Text(Truncate(c.Name, 130)) + "*"
		var line string
		switch {
		case c.Missed:
			line = fmt.Sprintf("\n:red_circle: %s *deadline missed* at %s: record the notification with the reason for the delay", name, Date(c.Deadline, "{date_short_pretty} {time}"))
		case c.NotifiedAt.IsZero():
			line = fmt.Sprintf("\n:hourglass_flowing_sand: %s due %s (%s)", name, Date(c.Deadline, "{date_short_pretty} {time}"), Date(c.Deadline, "{ago}"))
		default:
			late := ""
			if c.Late {
				late = ", after the deadline"
			}
			ref := ""
			if c.Ref != "" {
				ref = " · ref " + Text(Truncate(c.Ref, 120))
			}
			line = fmt.Sprintf("\n:white_check_mark: %s notified %s%s%s", name, Date(c.NotifiedAt, "{date_short_pretty} {time}"), late, ref)
		}
		if len(out)+len(line) > 2900 { // a section's 3000 characters
			return out + fmt.Sprintf("\n…and %d more", len(clocks)-k)
		}
		out += line
	}
	return out
}

func progressBar(done, total int) string {
	const width = 10
	filled := done * width / total
	return strings.Repeat("▰", filled) + strings.Repeat("▱", width-filled)
}

// requiredMark marks a checklist item required before its phase ends.
const requiredMark = "⚑"

// ScheduledUpdate is the stakeholder update the bot sends on the cadence
// of the severity: the card's facts, for people outside the channel, with
// a link to the channel when there is one.
func ScheduledUpdate(v CardView, channelID string) Message {
	title := v.Ref + ": " + v.Title
	if v.Drill {
		title = incident.DrillPrefix + " " + title
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
	text := fmt.Sprintf("Scheduled update on %s (%s, %s)", v.Ref, Text(v.Severity), v.Phase.Title())
	if v.Drill {
		text = incident.DrillPrefix + " " + text
	}
	return Message{Text: text, Blocks: blocks}
}

// ChecklistView is a phase's checklist as people tick it.
type ChecklistView struct {
	Ref     string
	Phase   incident.Phase
	Items   []incident.ChecklistItem
	BlockID string // names the incident and the phase
	// ActionID names the checkbox group of items [10g, 10g+10).
	ActionID func(group int) string
}

// Checklist draws a checklist as checkboxes anyone in the channel can tick,
// ten to a group (Slack's limit), with who ticked what below.
func Checklist(v ChecklistView) Message {
	done := 0
	for _, it := range v.Items {
		if it.Done {
			done++
		}
	}
	total := len(v.Items)
	head := fmt.Sprintf("*%s checklist for %s* (%d/%d done). Tick items as they are done.", v.Phase.Title(), v.Ref, done, total)
	if slices.ContainsFunc(v.Items, func(it incident.ChecklistItem) bool { return it.Required }) {
		head += " " + requiredMark + " items are required before the phase ends."
	}
	blocks := []Block{Section(head)}
	var elements []any
	for start := 0; start < total; start += MaxOptions {
		end := min(start+MaxOptions, total)
		var options, selected []any
		for i := start; i < end; i++ {
			text := []rune(v.Items[i].Text)
			if v.Items[i].Required {
				text = []rune(requiredMark + " " + v.Items[i].Text)
			}
			shown, used := TextFit(string(text), 75)
			opt := map[string]any{"text": Mrkdwn(shown), "value": fmt.Sprint(i)}
			if used < len(text) {
				rest, _ := TextFit("…"+string(text[used:]), 75)
				opt["description"] = Mrkdwn(rest)
			}
			options = append(options, opt)
			if v.Items[i].Done {
				selected = append(selected, opt)
			}
		}
		el := map[string]any{"type": "checkboxes", "action_id": v.ActionID(start / MaxOptions), "options": options}
		if len(selected) > 0 {
			el["initial_options"] = selected
		}
		elements = append(elements, el)
	}
	if len(elements) > 0 {
		blocks = append(blocks, Block{"type": "actions", "block_id": v.BlockID, "elements": elements})
	}
	var ticked []string
	for _, it := range v.Items {
		if it.Done {
			// Whole: the box above may have cut it to fit its option.
			ticked = append(ticked, fmt.Sprintf("✓ %s by %s", Text(Truncate(it.Text, 2000)), User(it.By)))
		}
	}
	for len(ticked) > 0 { // a context block takes ten elements
		n := min(len(ticked), 10)
		blocks = append(blocks, Context(ticked[:n]...))
		ticked = ticked[n:]
	}
	return Message{Text: fmt.Sprintf("%s checklist for %s: %d/%d done", v.Phase.Title(), v.Ref, done, total), Blocks: blocks}
}
