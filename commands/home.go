package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// The Home tab: each person's own view of their incidents, actions and
// (for the triage team) the reports waiting. It is published when they
// open it, and again when something it shows changes, for those who
// opened it within homeKeptFor: at most once per homeDebounce a person.
const (
	homeKeptFor   = 24 * time.Hour
	homeDebounce  = 3 * time.Second
	homeRecentFor = 30 * 24 * time.Hour
	homesPerRun   = 50
)

// The Home tab's buttons.
const (
	ActionHomeDeclare = "home_declare"
	ActionHomeReport  = "home_report"
	ActionHomeDrill   = "home_drill"
)

// Home builds and publishes Home tabs.
type Home struct {
	*core
	store homeStore
	chat  homeChat
}

type homeStore interface {
	ListOpen(ctx context.Context) ([]*incident.Incident, error)
	WithOpenFollowUps(ctx context.Context) ([]*incident.Incident, error)
	WaitingReports(ctx context.Context) ([]*incident.Report, error)
	ClosedIncidentsSince(ctx context.Context, t time.Time) ([]*incident.Incident, error)
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	SawHome(ctx context.Context, user string, within time.Duration) error
	NoteHomeTriager(ctx context.Context, user string, triager bool) error
	TakeChangedHomes(ctx context.Context, before time.Time, limit int) ([]string, error)
}

type homeChat interface {
	PublishHome(ctx context.Context, userID string, view render.View) error
	IsMember(ctx context.Context, channelID, userID string) (bool, error)
	OpenView(ctx context.Context, triggerID string, view render.View) error
}

// HomeOpened publishes the Home tab of a person who opened it, and keeps
// it up to date for a day.
func (h *Handler) HomeOpened(ctx context.Context, user string) work.Result {
	res := work.Result{Name: "home", Outcome: work.OutcomeOK}
	if err := h.home.store.SawHome(ctx, user, homeKeptFor); err != nil {
		h.log.Warn("could not note an opened Home tab; it is not kept up to date", "user", user, "err", err)
	}
	if err := h.home.publish(ctx, user); err != nil {
		h.log.Error("could not publish a Home tab", "user", user, "err", err)
		res.Outcome = work.OutcomeError
	}
	return res
}

// PublishChangedHomes publishes the Home tabs whose content changed at
// least homeDebounce ago: a burst of changes is one publish. Each tab is
// taken by one replica.
func (h *Handler) PublishChangedHomes(ctx context.Context) {
	users, err := h.home.store.TakeChangedHomes(ctx, h.now().Add(-homeDebounce), homesPerRun)
	if err != nil {
		h.log.Error("could not take the Home tabs to publish", "err", err)
		return
	}
	for _, u := range users {
		if err := h.home.publish(ctx, u); err != nil {
			h.log.Error("could not publish a Home tab", "user", u, "err", err)
			if errors.Is(err, incident.ErrSlackDown) || incident.ErrorCode(err) == incident.Unavailable {
				// Tried again after the debounce: the change is not lost.
				if err := h.core.store.HomeChanged(ctx, []string{u}, h.now()); err != nil {
					h.log.Warn("could not mark a Home tab to publish again", "user", u, "err", err)
				}
			}
		}
	}
}

// homeChanged marks the Home tabs of the incident's people to publish again.
func (h *core) homeChanged(ctx context.Context, inc *incident.Incident) {
	people := slices.Clone(inc.Members)
	people = append(people, inc.DeclaredBy)
	for _, holder := range inc.Roles {
		people = append(people, holder)
	}
	for _, f := range inc.FollowUps {
		people = append(people, f.Owner)
	}
	for _, a := range inc.Actions {
		people = append(people, a.By)
	}
	// A suspect's tab too: published again, it no longer shows the incident.
	people = append(people, inc.Suspects...)
	slices.Sort(people)
	people = slices.DeleteFunc(slices.Compact(people), func(u string) bool { return u == "" })
	if err := h.store.HomeChanged(ctx, people, h.now()); err != nil {
		h.log.Warn("could not mark Home tabs to publish", "incident", inc.Number, "err", err)
	}
}

// reportsChanged marks the Home tabs that list the waiting reports to publish again.
func (h *core) reportsChanged(ctx context.Context) {
	users, err := h.store.HomeTriagers(ctx)
	if err == nil {
		err = h.store.HomeChanged(ctx, users, h.now())
	}
	if err != nil {
		h.log.Warn("could not mark the triage team's Home tabs to publish", "err", err)
	}
}

// publish builds a person's Home tab from the store and publishes it.
func (h *Home) publish(ctx context.Context, user string) error {
	v, err := h.view(ctx, user)
	if err != nil {
		return err
	}
	if err := h.store.NoteHomeTriager(ctx, user, v.Triage); err != nil {
		h.log.Warn("could not note whose Home tab lists the reports", "user", user, "err", err)
	}
	return h.chat.PublishHome(ctx, user, render.Home(v))
}

func (h *Home) view(ctx context.Context, user string) (render.HomeView, error) {
	var v render.HomeView
	now := h.now()
	open, err := h.store.ListOpen(ctx)
	if err != nil {
		return v, err
	}
	slices.SortStableFunc(open, func(a, b *incident.Incident) int {
		return cmp.Or(cmp.Compare(h.cfg.SeverityRank(a.Severity), h.cfg.SeverityRank(b.Severity)), cmp.Compare(a.Number, b.Number))
	})
	for _, inc := range open {
		if !inc.IsMember(user) && inc.DeclaredBy != user || !h.maySee(inc, user, "") {
			continue
		}
		item := render.HomeIncident{Ref: inc.Ref(), Title: inc.Outward(), Severity: inc.Severity, Phase: inc.Phase,
			PhaseSince: inc.PhaseStartedAt, ChannelID: inc.ChannelID, Drill: inc.Drill}
		for _, r := range h.cfg.Roles {
			if inc.Roles[r.Key] == user {
				item.Roles = append(item.Roles, r.Name)
			}
		}
		if due, _, ok := h.schedule(inc); ok {
			item.NextUpdate = due
		}
		v.Incidents = append(v.Incidents, item)
	}

	followed, err := h.store.WithOpenFollowUps(ctx)
	if err != nil {
		return v, err
	}
	today := now.UTC().Format(time.DateOnly)
	for _, inc := range append(slices.Clone(open), followed...) {
		if !h.maySee(inc, user, "") {
			continue
		}
		for _, a := range inc.OpenContainment() {
			if a.By == user && !slices.ContainsFunc(v.Containment, func(c render.HomeContainment) bool { return c.Ref == inc.Ref() && c.Action == a.Ref() }) {
				target := a.Shown()
				if inc.Quiet {
					target = "(in its channel)" // a quiet incident's details stay there
				}
				v.Containment = append(v.Containment, render.HomeContainment{Ref: inc.Ref(), Action: a.Ref(), Kind: string(a.Kind), Target: target, Until: a.Until})
			}
		}
	}
	for _, inc := range followed {
		if !h.maySee(inc, user, "") {
			continue
		}
		for _, f := range inc.FollowUps {
			if f.Done || f.Owner != user {
				continue
			}
			text := f.Text
			if inc.Quiet {
				text = "(an action of a quiet incident: see it in its channel)"
			}
			v.Actions = append(v.Actions, render.HomeAction{Ref: fmt.Sprintf("%s #%d", inc.Ref(), f.ID), Text: text, Due: f.Due,
				Overdue:  f.Due != "" && f.Due < today,
				MarkDone: render.Action{ID: ActionFollowUpDone, Label: "Mark done", Value: fmt.Sprintf("%d:%d", inc.Number, f.ID)}})
		}
	}

	if h.cfg.TriageChannel != "" {
		triager := slices.Contains(h.cfg.Admins, user)
		if !triager {
			triager, _ = h.chat.IsMember(ctx, h.cfg.TriageChannel, user)
		}
		if triager {
			v.Triage = true
			waiting, err := h.store.WaitingReports(ctx)
			if err != nil {
				return v, err
			}
			for _, r := range waiting {
				v.Reports = append(v.Reports, render.HomeReport{Ref: r.Ref(), What: r.Title(), ReportedAt: r.ReportedAt})
			}
		}
	}

	closed, err := h.store.ClosedIncidentsSince(ctx, now.Add(-homeRecentFor))
	if err != nil {
		return v, err
	}
	for _, inc := range closed {
		if !(inc.IsMember(user) || inc.DeclaredBy == user) || !h.maySee(inc, user, "") {
			continue
		}
		v.Recent = append(v.Recent, render.HomeRecent{Ref: inc.Ref(), Title: inc.Outward(), ClosedAt: inc.ClosedAt, PostmortemLink: inc.PostmortemLink})
	}

	v.Buttons = []render.Action{{ID: ActionHomeDeclare, Label: "Declare incident", Value: "declare", Primary: true}}
	if h.cfg.TriageChannel != "" {
		v.Buttons = append(v.Buttons, render.Action{ID: ActionHomeReport, Label: "Report something suspicious", Value: "report"})
	}
	if len(h.cfg.Drills) > 0 {
		v.Buttons = append(v.Buttons, render.Action{ID: ActionHomeDrill, Label: "Start a drill", Value: "drill"})
	}
	return v, nil
}

// openForm is a Home button that opens a form.
func (h *Home) openForm(view func() render.View) func(ctx context.Context, in Interaction, _ *incident.Incident) error {
	return func(ctx context.Context, in Interaction, _ *incident.Incident) error {
		return h.chat.OpenView(ctx, in.TriggerID, view())
	}
}
