package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"

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

// Card is the incident card for the stored state: what it shows, and the
// buttons the incident's state allows; render.Card decides how.
func Card(cfg config.File, inc *incident.Incident) render.Message {
	v := cardView(cfg, inc)
	num := strconv.FormatInt(inc.Number, 10)
	v.ActionsBlockID = "card:" + num
	switch inc.Status {
	case incident.Open:
		if next, ok := inc.Phase.Next(); ok {
			// The value names the phase shown, so a double click moves it once.
			v.Actions = append(v.Actions, render.Action{ID: ActionNextPhase, Label: "Next phase: " + next.Title(), Value: num + ":" + string(inc.Phase), Primary: true})
		}
		v.Actions = append(v.Actions,
			render.Action{ID: ActionAssignRole, Label: "Assign role", Value: num},
			render.Action{ID: ActionPostUpdate, Label: "Post update", Value: num},
			render.Action{ID: ActionAddNote, Label: "Add note", Value: num},
			render.Action{ID: ActionClose, Label: "Close…", Value: num})
	case incident.Resolved:
		v.Actions = []render.Action{{ID: ActionAddLesson, Label: "Add lessons learned", Value: num, Primary: true}}
	}
	return render.Card(v)
}

// cardView is what the card and the scheduled update say of an incident.
func cardView(cfg config.File, inc *incident.Incident) render.CardView {
	v := render.CardView{
		Ref: inc.Ref(), Title: inc.Title, Headline: inc.Outward(), Drill: inc.Drill, Severity: inc.Severity, Status: inc.Status,
		OpenFor: inc.ResolvedAt.Sub(inc.DeclaredAt), RetroUntil: inc.RetroDeadline, Private: inc.Private, Marking: inc.Marking(),
		Phase: inc.Phase, PhaseSince: inc.PhaseStartedAt, DeclaredAt: inc.DeclaredAt, DeclaredBy: inc.DeclaredBy,
		LastUpdate: inc.LastUpdate, LastUpdateBy: inc.LastUpdateBy, LastUpdateAt: inc.LastUpdateAt, LastUpdateMarking: inc.LastUpdateMarking,
	}
	if s, ok := cfg.Severity(inc.Severity); ok {
		v.SeverityDescription = s.Description
		if !inc.Drill {
			v.PhaseTarget = s.Targets[inc.Phase]
			v.PhaseOverdue = v.PhaseTarget > 0 && slices.Contains(inc.TargetsNudged, inc.PhaseStay())
		}
	}
	for _, r := range cfg.Roles {
		v.Roles = append(v.Roles, render.RoleLine{Name: r.Name, Holder: inc.Roles[r.Key]})
	}
	v.ChecklistDone, v.ChecklistTotal = inc.Progress(inc.Phase)
	v.RequiredLeft = len(inc.MissingRequired(inc.Phase))
	v.Indicators, v.EvidenceItems, v.OpenActions = inc.IndicatorCount, inc.EvidenceCount, len(inc.OpenContainment())
	for _, id := range inc.Mismatched {
		v.Mismatched = append(v.Mismatched, incident.Evidence{ID: id}.Ref())
	}
	for _, c := range inc.Clocks(cfg.Notifications.Regimes, cfg.Notifications.Calendar) {
		line := render.ClockLine{Name: c.Name(), Deadline: c.Deadline, Missed: inc.Missed(c)}
		if n := c.Notified; n != nil {
			line.NotifiedAt, line.Ref, line.Late = n.At, n.Ref, n.At.After(c.Deadline)
		}
		v.Clocks = append(v.Clocks, line)
	}
	if r := inc.Report; r != nil {
		v.ReportRef = incident.FormatReportRef(r.Number)
		v.ToAcknowledge, v.ToDeclare = r.AcknowledgedAt.Sub(r.ReportedAt), inc.DeclaredAt.Sub(r.ReportedAt)
	}
	return v
}

// ChecklistMessage renders a phase's checklist as checkboxes anyone in the
// channel can tick; the ticked state comes from the store.
func ChecklistMessage(inc *incident.Incident, p incident.Phase) render.Message {
	return render.Checklist(render.ChecklistView{
		Ref: inc.Ref(), Phase: p, Items: inc.Checklists[p],
		BlockID:  fmt.Sprintf("%s:%d:%s", ActionChecklist, inc.Number, p),
		ActionID: func(group int) string { return fmt.Sprintf("%s:%d", ActionChecklist, group) },
	})
}

// notice is what a channel is told of an incident. Outside the incident's
// own channel (outside), a private incident is told by its number, severity
// and phase alone: its title, people and text stay with its members.
func notice(cfg config.File, inc *incident.Incident, outside bool) render.Notice {
	if outside && (inc.Private || !cfg.Shareable(inc.Marking())) {
		// Its number, severity, phase and marking only.
		return render.Notice{Ref: inc.Ref(), Severity: inc.Severity, Phase: inc.Phase, Private: inc.Private,
			Withheld: !inc.Private, Marking: inc.Marking(), OpenFor: inc.ResolvedAt.Sub(inc.DeclaredAt)}
	}
	n := render.Notice{Ref: inc.Ref(), Title: inc.Title, Severity: inc.Severity, Phase: inc.Phase, Marking: inc.Marking(),
		Commander: inc.Commander(), UpdateBy: inc.LastUpdateBy, Update: inc.LastUpdate,
		OpenFor: inc.ResolvedAt.Sub(inc.DeclaredAt), Summary: inc.Summary,
		Lessons: inc.LessonCount(), FollowUps: len(inc.FollowUps), Link: inc.PostmortemLink}
	if s, ok := cfg.Severity(inc.Severity); ok {
		n.SeverityDescription = s.Description
	}
	if outside {
		n.ChannelID = inc.ChannelID
	}
	return n
}

// stakeholderNotice is notice for outside the incident's channel, with
// its TLP:RED indicators taken out of what people wrote (title, summary,
// latest update), as the postmortem takes them out.
func (h *core) stakeholderNotice(ctx context.Context, inc *incident.Incident) render.Notice {
	return notice(h.cfg, h.forOutside(ctx, inc), true)
}

// forOutside is the incident as what goes outside its channel (stakeholder
// notices, scheduled updates, the digest) may tell of it: a copy with its
// TLP:RED indicators taken out of its title, summary and latest update.
func (h *core) forOutside(ctx context.Context, inc *incident.Incident) *incident.Incident {
	inc = h.withheldUpdate(inc)
	if inc.IndicatorCount == 0 || inc.Private {
		return inc // a private one is shown by number only
	}
	out := *inc
	inds, err := h.store.Indicators(ctx, inc.Number)
	if err != nil {
		// Without them it cannot tell what is RED: say only what is safe.
		h.log.Warn("could not read the indicators to withhold from what goes outside", "incident", inc.Number, "err", err)
		out.Title, out.Summary, out.LastUpdate = incident.WithheldRed, "", ""
		return &out
	}
	red := incident.WithholdRed(inc.AtLeastMarked(inds))
	out.Title, out.Summary, out.LastUpdate = red.Apply(inc.Title), red.Apply(inc.Summary), red.Apply(inc.LastUpdate)
	return &out
}

// withheldUpdate is the incident with its latest update taken out when
// the update's own marking keeps it from outside the channel.
func (h *core) withheldUpdate(inc *incident.Incident) *incident.Incident {
	if inc.LastUpdateMarking == "" || h.cfg.Shareable(inc.LastUpdateMarking) {
		return inc
	}
	out := *inc
	out.LastUpdate = "(an update marked " + inc.LastUpdateMarking + ", for the incident's members)"
	return &out
}

// allForOutside is forOutside of each.
func (h *core) allForOutside(ctx context.Context, incs []*incident.Incident) []*incident.Incident {
	out := make([]*incident.Incident, len(incs))
	for i, inc := range incs {
		out[i] = h.forOutside(ctx, inc)
	}
	return out
}

// topic is the incident channel's one-line summary, within Slack's 250 characters.
func topic(cfg config.File, inc *incident.Incident) string {
	return render.Topic(render.Notice{Ref: inc.Ref(), Severity: inc.Severity, Phase: inc.Phase, Commander: inc.Commander(), Title: inc.Outward(), Drill: inc.Drill})
}
