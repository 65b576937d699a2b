package commands

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// Action IDs of the interactive elements the bot posts.
const (
	ActionNextPhase  = "card_next_phase"
	ActionAssignRole = "card_assign_role"
	ActionPostUpdate = "card_post_update"
	ActionAddNote    = "card_add_note"
	ActionChecklist  = "checklist" // block ID checklist:<number>:<phase>, action ID checklist:<group>
)

// Card renders the incident card: the one message, pinned in the incident
// channel, that says where the incident stands. It is a function of the
// stored state alone; times are Slack date tokens ("5 minutes ago"), which
// every reader's Slack keeps current without an edit.
func Card(cfg config.File, inc *incident.Incident) render.Message {
	title := inc.Ref() + ": " + inc.Title
	if inc.Drill {
		title = "DRILL " + title
	}
	sev := "`" + inc.Severity + "`"
	if s, ok := cfg.Severity(inc.Severity); ok && s.Description != "" {
		sev += " " + render.Text(s.Description)
	}
	status := "Open"
	switch inc.Status {
	case incident.Resolved:
		status = "Closed after " + shortDur(inc.ResolvedAt.Sub(inc.DeclaredAt)) + "\nretro until " + render.Date(inc.RetroDeadline, "{date_short_pretty} {time}")
	case incident.Closed:
		status = "Closed after " + shortDur(inc.ResolvedAt.Sub(inc.DeclaredAt)) + "\npostmortem published"
	}
	if inc.Private {
		status += " · :lock: private"
	}
	phase := "*Phase*\n" + inc.Phase.Title()
	if since := inc.PhaseStartedAt; !since.IsZero() {
		phase += " since " + render.Date(since, "{ago}")
	}
	var roles strings.Builder
	for _, r := range cfg.Roles {
		fmt.Fprintf(&roles, "\n• %s: %s", render.Text(r.Name), render.User(inc.Roles[r.Key]))
	}
	checklist := "_No checklist for this phase._"
	if done, total := inc.Progress(inc.Phase); total > 0 {
		checklist = fmt.Sprintf("%s %d/%d done", progressBar(done, total), done, total)
	}
	last := "_No updates yet._"
	if inc.LastUpdate != "" {
		last = render.Text(render.Truncate(inc.LastUpdate, 2500)) + "\n_" + render.User(inc.LastUpdateBy) + ", " + render.Date(inc.LastUpdateAt, "{ago}") + "_"
	}
	blocks := []render.Block{
		render.Header(":rotating_light: " + title),
		render.Fields(
			"*Severity*\n"+sev,
			phase,
			"*Status*\n"+status,
			"*Declared*\n"+render.Date(inc.DeclaredAt, "{date_short_pretty} {time}")+" ("+render.Date(inc.DeclaredAt, "{ago}")+") by "+render.User(inc.DeclaredBy),
		),
		render.Section("*Roles*" + roles.String()),
		render.Section("*Checklist: " + inc.Phase.Title() + "*\n" + checklist),
		render.Section("*Last update*\n" + last),
	}
	if inc.Status == incident.Open {
		num := strconv.FormatInt(inc.Number, 10)
		var buttons []any
		if next, ok := inc.Phase.Next(); ok {
			// The value names the phase shown, so a double click moves it once.
			buttons = append(buttons, render.Button(ActionNextPhase, "Next phase: "+next.Title(), num+":"+string(inc.Phase), "primary"))
		}
		buttons = append(buttons,
			render.Button(ActionAssignRole, "Assign role", num, ""),
			render.Button(ActionPostUpdate, "Post update", num, ""),
			render.Button(ActionAddNote, "Add note", num, ""))
		blocks = append(blocks, render.Block{"type": "actions", "block_id": "card:" + num, "elements": buttons})
	}
	if inc.Status == incident.Resolved {
		num := strconv.FormatInt(inc.Number, 10)
		blocks = append(blocks, render.Block{"type": "actions", "block_id": "card:" + num, "elements": []any{
			render.Button(ActionAddLesson, "Add lessons learned", num, "primary")}})
	}
	blocks = append(blocks, render.Context("Run `/incident help` in this channel to see what you can do."))
	return render.Message{Text: fmt.Sprintf("%s (%s, %s)", render.Text(title), inc.Severity, inc.Phase.Title()), Blocks: blocks}
}

func progressBar(done, total int) string {
	const width = 10
	filled := done * width / total
	return strings.Repeat("▰", filled) + strings.Repeat("▱", width-filled)
}

// ChecklistMessage renders a phase's checklist as checkboxes anyone in the
// channel can tick; the ticked state comes from the store.
func ChecklistMessage(inc *incident.Incident, p incident.Phase) render.Message {
	items := inc.Checklists[p]
	done, total := inc.Progress(p)
	var list strings.Builder
	fmt.Fprintf(&list, "*%s checklist for %s* (%d/%d done). Tick items as they are done.", p.Title(), inc.Ref(), done, total)
	blocks := []render.Block{render.Section(list.String())}
	var elements []any
	for start := 0; start < len(items); start += render.MaxOptions {
		end := min(start+render.MaxOptions, len(items))
		var options, selected []any
		for i := start; i < end; i++ {
			opt := map[string]any{"text": render.Mrkdwn(render.Text(render.Truncate(items[i].Text, 75))), "value": strconv.Itoa(i)}
			if len([]rune(items[i].Text)) > 75 {
				opt["description"] = render.Mrkdwn(render.Text(render.Truncate("…"+string([]rune(items[i].Text)[74:]), 75)))
			}
			options = append(options, opt)
			if items[i].Done {
				selected = append(selected, opt)
			}
		}
		el := map[string]any{"type": "checkboxes", "action_id": fmt.Sprintf("%s:%d", ActionChecklist, start/render.MaxOptions), "options": options}
		if len(selected) > 0 {
			el["initial_options"] = selected
		}
		elements = append(elements, el)
	}
	if len(elements) > 0 {
		blocks = append(blocks, render.Block{"type": "actions", "block_id": fmt.Sprintf("%s:%d:%s", ActionChecklist, inc.Number, p), "elements": elements})
	}
	var ticked []string
	for _, it := range items {
		if it.Done {
			ticked = append(ticked, fmt.Sprintf("✓ %s by %s", render.Text(render.Truncate(it.Text, 60)), render.User(it.By)))
		}
	}
	if len(ticked) > 0 {
		blocks = append(blocks, render.Context(strings.Join(ticked, "\n")))
	}
	return render.Message{Text: fmt.Sprintf("%s checklist for %s: %d/%d done", p.Title(), inc.Ref(), done, total), Blocks: blocks}
}

// announcement is the stakeholder channel's notice of a new incident. A
// private incident's title and channel stay out of it.
func announcement(cfg config.File, inc *incident.Incident) render.Message {
	if inc.Private {
		text := fmt.Sprintf(":lock: *%s* declared: a private incident, severity `%s`.", inc.Ref(), inc.Severity)
		return render.TextMessage(text)
	}
	sev := "`" + inc.Severity + "`"
	if s, ok := cfg.Severity(inc.Severity); ok && s.Description != "" {
		sev += " (" + render.Text(s.Description) + ")"
	}
	text := fmt.Sprintf(":rotating_light: *%s declared: %s*\nSeverity %s · commander %s · follow along in <#%s>",
		inc.Ref(), render.Text(inc.Title), sev, render.User(inc.Commander()), inc.ChannelID)
	return render.TextMessage(text)
}

// updateMessage is a status update as posted in the incident channel, or,
// with forStakeholders, in the stakeholder channel, where a private
// incident shows no title and no text.
func updateMessage(cfg config.File, inc *incident.Incident, forStakeholders bool) render.Message {
	if forStakeholders && inc.Private {
		return render.TextMessage(fmt.Sprintf(":lock: *%s* (private incident) · `%s` · %s: an update was posted for its members.", inc.Ref(), inc.Severity, inc.Phase.Title()))
	}
	head := fmt.Sprintf(":mega: *Update on %s: %s*", inc.Ref(), render.Text(inc.Title))
	meta := fmt.Sprintf("`%s` · %s · by %s", inc.Severity, inc.Phase.Title(), render.User(inc.LastUpdateBy))
	if forStakeholders {
		meta += " · <#" + inc.ChannelID + ">"
	}
	return render.Message{
		Text:   fmt.Sprintf("Update on %s: %s", inc.Ref(), render.Text(render.Truncate(inc.LastUpdate, 200))),
		Blocks: []render.Block{render.Section(head + "\n" + render.Text(inc.LastUpdate)), render.Context(meta)},
	}
}

// topic is the incident channel's one-line summary, within Slack's 250 characters.
func topic(cfg config.File, inc *incident.Incident) string {
	cmd := "no commander"
	if c := inc.Commander(); c != "" {
		cmd = "IC <@" + c + ">"
	}
	prefix := fmt.Sprintf("%s · %s · %s · %s · ", inc.Ref(), inc.Severity, inc.Phase.Title(), cmd)
	return render.Truncate(prefix+render.Text(inc.Title), 250)
}
