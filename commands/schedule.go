package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// cadence is how often an incident's stakeholders hear from the bot; 0: never.
func (h *core) cadence(inc *incident.Incident) time.Duration {
	if inc.Status != incident.Open {
		return 0
	}
	sev, ok := h.cfg.Severity(inc.Severity)
	if !ok {
		return 0
	}
	return sev.UpdateEvery
}

// schedule works out when an incident's next update is due and when its
// nudge is; ok is false when it has no scheduled updates.
func (h *core) schedule(inc *incident.Incident) (updateDue, nudgeAt time.Time, ok bool) {
	every := h.cadence(inc)
	if every <= 0 {
		return time.Time{}, time.Time{}, false
	}
	updateDue = inc.UpdateBase().Add(every)
	if nb := h.cfg.NudgeBefore; nb > 0 && nb < every && !inc.NudgedFor.Equal(updateDue) {
		nudgeAt = updateDue.Add(-nb)
	}
	return updateDue, nudgeAt, true
}

// nextDue is when the incident's next scheduled work is due: updates and
// nudges while it is open, the retro's reminder and deadline once resolved,
// and, whatever its status, a containment action's --until reminder (an
// action left open at the close is still open) and a regulatory clock's
// reminders and deadline (a regulator's clock does not stop at the close).
func (h *core) nextDue(inc *incident.Incident) (time.Time, bool) {
	due, ok := h.lifecycleDue(inc)
	if a, pending := inc.DueContainmentReminder(); pending && (!ok || a.Until.Before(due)) {
		due, ok = a.Until, true
	}
	if at, pending := h.nextClockPoint(inc); pending && (!ok || at.Before(due)) {
		due, ok = at, true
	}
	return due, ok
}

// lifecycleDue is nextDue but for containment reminders.
func (h *core) lifecycleDue(inc *incident.Incident) (time.Time, bool) {
	if inc.Status == incident.Resolved {
		if r := reminderAt(inc); !inc.Reminded && r.Before(inc.RetroDeadline) {
			return r, true
		}
		return inc.RetroDeadline, true
	}
	due, ok := time.Time{}, false
	if updateDue, nudgeAt, scheduled := h.schedule(inc); scheduled {
		due, ok = updateDue, true
		if !nudgeAt.IsZero() {
			due = nudgeAt
		}
	}
	if at, _, pending := h.nextInject(inc); pending && (!ok || at.Before(due)) {
		due, ok = at, true
	}
	if at, pending := h.targetDue(inc); pending && (!ok || at.Before(due)) {
		due, ok = at, true
	}
	return due, ok
}

// targetDue is when the incident's current phase passes its severity's
// target, while that is still to be told.
func (h *core) targetDue(inc *incident.Incident) (time.Time, bool) {
	sev, ok := h.cfg.Severity(inc.Severity)
	if !ok {
		return time.Time{}, false
	}
	return inc.TargetDue(sev)
}

// nextInject is a drill's next inject to post, and when it is due: at its
// offset from the start, or as soon as the team has reached its phase.
// Injects stop when the drill is closed.
func (h *core) nextInject(inc *incident.Incident) (at time.Time, i int, pending bool) {
	if !inc.Drill || inc.Status != incident.Open {
		return time.Time{}, 0, false
	}
	sc, ok := h.script(inc)
	if !ok {
		return time.Time{}, 0, false
	}
	for j, in := range sc.Injects {
		if slices.Contains(inc.InjectsSent, j) {
			continue
		}
		var due time.Time
		switch {
		case in.On == "":
			due = inc.DeclaredAt.Add(in.At)
		case !inc.Phase.Before(in.On):
			due = inc.PhaseStartedAt // reached: due now
		default:
			continue // not reached yet
		}
		if !pending || due.Before(at) {
			at, i, pending = due, j, true
		}
	}
	return at, i, pending
}

// reschedule puts the incident's next scheduled work on the schedule, or
// takes it off. A failure is logged: the runner's reconciliation and the
// next change of the incident repair it.
func (h *core) reschedule(ctx context.Context, inc *incident.Incident) {
	var err error
	if due, ok := h.nextDue(inc); ok {
		err = h.store.Schedule(ctx, inc.Number, due)
	} else {
		err = h.store.Unschedule(ctx, inc.Number)
	}
	if err != nil {
		h.log.Error("could not schedule the next update", "incident", inc.Number, "err", err)
	}
}

// Reconcile puts every open incident that is missing from the schedule on
// it; entries already there are left alone, since they may be claimed.
func (h *Cadence) Reconcile(ctx context.Context) error {
	open, err := h.store.ListOpen(ctx)
	if err != nil {
		return err
	}
	// A closed incident left with an open containment action has it as a
	// follow-up: its --until reminder is scheduled work too; so are a
	// closed incident's regulatory clocks.
	followed, err := h.store.WithOpenFollowUps(ctx)
	if err != nil {
		return err
	}
	clocked, err := h.store.WithRunningClocks(ctx)
	if err != nil {
		return err
	}
	dues := map[int64]time.Time{}
	for _, inc := range slices.Concat(open, followed, clocked) {
		if due, ok := h.nextDue(inc); ok {
			dues[inc.Number] = due
		}
	}
	return h.store.ScheduleMissing(ctx, dues)
}

// RunScheduled does an incident's scheduled work if it is due: the
// stakeholder update, or before it the nudge to the comms lead. It is called
// by whichever runner claimed the incident, and decides from the stored
// state alone, so a claim that is stale (a person posted an update meanwhile)
// sends nothing.
func (h *Cadence) RunScheduled(ctx context.Context, n int64) (work.Ran, error) {
	inc, err := h.store.Get(ctx, n)
	if errors.Is(err, incident.ErrNotFound) {
		return work.Ran{}, nil
	}
	if err != nil {
		return work.Ran{}, err
	}
	now := h.now()
	if at, pending := h.nextClockPoint(inc); pending && !now.Before(at) {
		return h.sendClockPoints(ctx, inc, now)
	}
	if a, pending := inc.DueContainmentReminder(); pending && !now.Before(a.Until) {
		return h.sendContainmentReminder(ctx, inc, a)
	}
	if inc.Status == incident.Resolved {
		return h.retro.runRetro(ctx, inc, now)
	}
	if at, pending := h.targetDue(inc); pending && !now.Before(at) {
		return h.sendTargetNudge(ctx, inc, at)
	}
	if at, i, pending := h.nextInject(inc); pending && !now.Before(at) {
		// Injects due together go out in one run (a few, so the claim's
		// lease holds; Slack's pace spaces them).
		ran, err := h.sendInject(ctx, inc, i, at)
		for range injectsPerRun - 1 {
			if err != nil || ran.Next.IsZero() || now.Before(ran.Next) {
				break
			}
			fresh, gerr := h.store.Get(ctx, n)
			if gerr != nil {
				break
			}
			at, i, pending = h.nextInject(fresh)
			if !pending || now.Before(at) {
				break
			}
			ran, err = h.sendInject(ctx, fresh, i, at)
		}
		return ran, err
	}
	updateDue, nudgeAt, ok := h.schedule(inc)
	switch {
	case !ok:
		next, _ := h.nextDue(inc)
		return work.Ran{Next: next}, nil
	case !now.Before(updateDue):
		return h.sendScheduledUpdate(ctx, inc, updateDue, now)
	case !nudgeAt.IsZero() && !now.Before(nudgeAt):
		return h.sendNudge(ctx, inc, updateDue, now)
	}
	next, _ := h.nextDue(inc)
	return work.Ran{Next: next}, nil
}

func (h *Cadence) sendScheduledUpdate(ctx context.Context, inc *incident.Incident, due, now time.Time) (work.Ran, error) {
	// Post first, record after: a runner that dies in between makes the
	// next one send again rather than lose the update. Slack's passing
	// troubles are retried by the outbound path; what still fails is
	// permanent (an archived channel, say): logged, counted, not retried.
	occasion := "update:" + strconv.FormatInt(inc.Number, 10) + ":" + strconv.FormatInt(due.Unix(), 10)
	if inc.ChannelID != "" {
		if err := h.postFor(ctx, occasion, inc.ChannelID, about(inc, ScheduledUpdate(h.cfg, inc, false))); err != nil {
			h.log.Error("could not post the scheduled update in the incident channel", "incident", inc.Number, "err", err)
		}
	}
	if h.cfg.StakeholderChannel != "" && !inc.Unannounced() {
		// Queued, not posted: StakeholderUpdates posts what waits, in as
		// few messages as Slack's pace allows.
		if err := h.store.QueueStakeholderUpdate(ctx, inc.Number, due, occasion); err != nil {
			return work.Ran{}, err
		}
	}
	base := inc.UpdateBase()
	updated, err := h.store.Update(ctx, inc.Number, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		if !i.UpdateBase().Equal(base) {
			return nil, errNoChange // a person posted meanwhile; their update starts the next cycle
		}
		i.LastScheduledAt = now
		return []incident.TimelineEvent{incident.ScheduledUpdateSent(now)}, nil
	})
	if errors.Is(err, errNoChange) {
		updated, err = h.store.Get(ctx, inc.Number)
	}
	if err != nil {
		return work.Ran{}, err
	}
	next, _ := h.nextDue(updated)
	return work.Ran{Sent: drillOr(inc, work.SentUpdate), Due: due, Next: next}, nil
}

// sendInject posts a drill's inject in its channel, addressed to the role
// holder it names, and records it: once, whatever the replicas.
func (h *Cadence) sendInject(ctx context.Context, inc *incident.Incident, i int, due time.Time) (work.Ran, error) {
	sc, _ := h.script(inc)
	in := sc.Injects[i]
	// Under the drill's lock, which its close takes too, and read again:
	// a drill ended meanwhile gets no more, and none lands after its end.
	unlock, err := h.drillLock(ctx, inc.Number)
	if err != nil {
		return work.Ran{}, err
	}
	defer unlock()
	fresh, err := h.store.Get(ctx, inc.Number)
	if err != nil {
		return work.Ran{}, err
	}
	if fresh.Status != incident.Open {
		next, _ := h.nextDue(fresh)
		return work.Ran{Next: next}, nil
	}
	inc = fresh
	to := ""
	if in.To != "" {
		to = inc.Roles[in.To]
	}
	if inc.ChannelID != "" {
		// Within the lock's lifetime, so that it never lapses mid-post and
		// lets the end in before the inject.
		postCtx, cancel := context.WithTimeout(ctx, injectPostWithin)
		defer cancel()
		ctx := postCtx
		occasion := "inject:" + strconv.FormatInt(inc.Number, 10) + ":" + strconv.Itoa(i)
		msg := render.Inject(render.InjectView{Ref: inc.Ref(), Text: in.Text, Role: h.roleNameIf(in.To), Holder: to, Number: i + 1, Of: len(sc.Injects)})
		if err := h.postFor(ctx, occasion, inc.ChannelID, about(inc, msg)); err != nil {
			h.log.Error("could not post a drill inject", "incident", inc.Number, "inject", i, "err", err)
		}
	}
	now := h.now()
	updated, err := h.store.Update(incident.Untracked(ctx), inc.Number, func(x *incident.Incident) ([]incident.TimelineEvent, error) {
		if slices.Contains(x.InjectsSent, i) {
			return nil, errNoChange
		}
		x.InjectsSent = append(x.InjectsSent, i)
		return []incident.TimelineEvent{incident.InjectPosted(now, i, in.Text)}, nil
	})
	if errors.Is(err, errNoChange) {
		updated, err = h.store.Get(ctx, inc.Number)
	}
	if err != nil {
		return work.Ran{}, err
	}
	next, _ := h.nextDue(updated)
	return work.Ran{Sent: work.SentDrill, Due: due, Next: next}, nil
}

// drillLock serialises a drill's injects with its end, across replicas.
func (h *core) drillLock(ctx context.Context, n int64) (unlock func(), err error) {
	return h.store.Lock(ctx, "drill:"+strconv.FormatInt(n, 10), cardLockFor)
}

// injectPostWithin bounds an inject's post, well inside the drill lock's
// lifetime (cardLockFor).
const injectPostWithin = 20 * time.Second

// injectsPerRun bounds the injects one scheduled run posts.
const injectsPerRun = 10

// script is a drill's scenario: as it was when the drill began, or for a
// drill begun before scenarios were kept with it, as configured now.
func (h *core) script(inc *incident.Incident) (incident.Scenario, bool) {
	if inc.Script != nil {
		return *inc.Script, true
	}
	return h.cfg.Scenario(inc.Scenario)
}

func (h *core) roleNameIf(key string) string {
	if key == "" {
		return ""
	}
	return h.roleName(key)
}

func (h *Cadence) sendNudge(ctx context.Context, inc *incident.Incident, updateDue, now time.Time) (work.Ran, error) {
	if inc.ChannelID != "" {
		occasion := "nudge:" + strconv.FormatInt(inc.Number, 10) + ":" + strconv.FormatInt(updateDue.Unix(), 10)
		if err := h.postFor(ctx, occasion, inc.ChannelID, about(inc, nudgeMessage(inc, updateDue, now))); err != nil {
			h.log.Error("could not nudge for the next update", "incident", inc.Number, "err", err)
		}
	}
	updated, err := h.record(ctx, inc.Number, func(i *incident.Incident) { i.NudgedFor = updateDue })
	if err != nil {
		return work.Ran{}, err
	}
	next, _ := h.nextDue(updated)
	return work.Ran{Sent: drillOr(inc, work.SentNudge), Due: updateDue.Add(-h.cfg.NudgeBefore), Next: next}, nil
}

// sendTargetNudge tells the commander, in the incident's channel, that the
// phase passed its target: once a stay in the phase, whatever the replicas.
func (h *Cadence) sendTargetNudge(ctx context.Context, inc *incident.Incident, due time.Time) (work.Ran, error) {
	stay := inc.PhaseStay()
	sev, _ := h.cfg.Severity(inc.Severity)
	if inc.ChannelID != "" {
		who := inc.Commander()
		move := incident.Say("move it on with %s", incident.Literal("/incident phase next"))
		if left := inc.MissingRequired(inc.Phase); len(left) > 0 {
			move = incident.Say("tick its %s first (or move on with %s)", plural(len(left), "required item"), incident.Literal("/incident phase next because <reason>"))
		}
		msg := about(inc, render.Warning(incident.Say("%s has been in %s for %s, past the %s target for %s. %s: %s, or say in a note why it takes longer.",
			inc.Ref(), incident.Strong(inc.Phase.Title()), incident.TargetDuration(h.now().Sub(inc.PhaseStartedAt).Round(time.Second)), incident.TargetDuration(sev.Targets[inc.Phase]),
			inc.Severity, commanderOrChannel(who), move)))
		if err := h.postFor(ctx, "target:"+strconv.FormatInt(inc.Number, 10)+":"+stay, inc.ChannelID, msg); err != nil {
			h.log.Error("could not nudge about a phase target", "incident", inc.Number, "err", err)
		}
	}
	updated, err := h.record(ctx, inc.Number, func(i *incident.Incident) {
		if i.PhaseStay() == stay { // moved on meanwhile: the new stay has its own target
			i.TargetNudged()
		}
	})
	if err != nil {
		return work.Ran{}, err
	}
	h.refresh(ctx, inc.Number) // the card shows the phase overdue
	next, _ := h.nextDue(updated)
	return work.Ran{Sent: work.SentNudge, Due: due, Next: next}, nil
}

// commanderOrChannel addresses the commander, or the channel's people
// while the role is vacant.
func commanderOrChannel(who string) any {
	if who == "" {
		return "Whoever leads it"
	}
	return incident.UserRef(who)
}

// drillOr is what the scheduler is told was sent: a drill's work is not
// counted with the incidents'.
func drillOr(inc *incident.Incident, sent string) string {
	if inc.Drill {
		return work.SentDrill
	}
	return sent
}

// maxBatch is how many incidents' scheduled updates one stakeholder message
// carries: a section each, within Block Kit's 50 blocks.
const maxBatch = 45

// stakeholderRounds bounds the batches one run posts; at Slack's one
// message a second, the rest wait for the next run.
const stakeholderRounds = 3

// batchLease is how long a poster holds a batch; its post gives up before
// (batchPostTimeout), so no other poster takes a batch still being posted.
const (
	batchLease       = 5 * time.Minute
	batchPostTimeout = 4 * time.Minute
)

// StakeholderUpdates posts the scheduled updates waiting for the stakeholder
// channel: one waiting update as its own message, several as one message
// listing each incident (private ones without title or people). A batch is
// held by its poster; one whose poster died is taken by the next run after
// its lease and posted unless it was noted as posted.
func (h *Cadence) StakeholderUpdates(ctx context.Context) error {
	if h.cfg.StakeholderChannel == "" {
		return nil
	}
	for range stakeholderRounds {
		id, numbers, err := h.store.TakeStakeholderBatch(ctx, h.poster, maxBatch, batchLease)
		if err != nil || id == "" {
			return err
		}
		var incs []*incident.Incident
		for _, n := range numbers {
			inc, err := h.store.Get(ctx, n)
			if errors.Is(err, incident.ErrNotFound) {
				continue // purged meanwhile
			}
			if err != nil {
				return err // the batch waits for the next run
			}
			if !inc.Unannounced() && inc.Status == incident.Open { // a closed one had its final word
				incs = append(incs, inc)
			}
		}
		var msg render.Message
		switch len(incs) {
		case 0:
		case 1:
			msg = ScheduledUpdate(h.cfg, h.forOutside(ctx, incs[0]), true)
		default:
			msg = render.ScheduledUpdates(listItems(h.cfg, listings(h.allForOutside(ctx, incs)), true))
		}
		if len(incs) > 0 {
			postCtx, cancel := context.WithTimeout(ctx, batchPostTimeout)
			err := h.postFor(postCtx, "stakeholders:"+id, h.cfg.StakeholderChannel, msg)
			timedOut := postCtx.Err() != nil
			cancel()
			if err != nil && timedOut {
				return fmt.Errorf("stakeholder updates: still not posted after %s: %w", batchPostTimeout, err) // the next run tries again
			}
			// What still fails after the outbound path's retries is
			// permanent (an archived channel): logged, not retried.
			if err != nil {
				h.log.Error("could not post scheduled updates to the stakeholder channel", "incidents", numbers, "err", err)
			}
		}
		if err := h.store.FinishStakeholderBatch(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// ScheduledUpdate is the bot's own status message about an open incident,
// for the incident channel or, with forStakeholders, the stakeholder
// channel, where a private incident shows only its number, severity and phase.
func ScheduledUpdate(cfg config.File, inc *incident.Incident, forStakeholders bool) render.Message {
	if forStakeholders && (inc.Private || !cfg.Shareable(inc.Marking())) {
		return render.PrivateStatus(notice(cfg, inc, true))
	}
	return render.ScheduledUpdate(cardView(cfg, inc), inc.ChannelID)
}

func nudgeMessage(inc *incident.Incident, due, now time.Time) render.Message {
	who := inc.Roles["comms"]
	if who == "" {
		who = inc.Commander()
	}
	num := strconv.FormatInt(inc.Number, 10)
	return render.Nudge(render.NudgeView{Ref: inc.Ref(), Who: who, Due: due, Overdue: now.After(due), BlockID: "nudge:" + num,
		Action: render.Action{ID: ActionPostUpdate, Label: "Post update", Value: num, Primary: true}})
}

// Purge deletes the incidents closed longer ago than retro.keep_for, on one
// replica an hour. Nothing is deleted while keep_for is 0, nor an incident
// with a containment action still open: a host still isolated, an account
// still disabled, must not lose the record of who did it and why.
func (h *Cadence) Purge(ctx context.Context) error {
	if h.cfg.Retro.KeepFor == 0 {
		return nil
	}
	now := h.now()
	if first, err := h.store.Once(ctx, "purge:"+now.UTC().Format("2006010215"), 2*time.Hour); err != nil || !first {
		return err
	}
	old, err := h.store.ClosedBefore(ctx, now.Add(-h.cfg.Retro.KeepFor))
	if err != nil {
		return err
	}
	for _, n := range old {
		inc, err := h.store.Get(ctx, n)
		switch {
		case errors.Is(err, incident.ErrNotFound): // its keys are gone: the purge takes its index entries
		case err != nil:
			return err // not known to be safe to delete: the next purge tries again
		case len(inc.OpenContainment()) > 0:
			h.log.Warn("kept an incident past its retention: containment actions are still open", "incident", n,
				"open_actions", len(inc.OpenContainment()), "keep_for", h.cfg.Retro.KeepFor)
			continue
		case !inc.Drill && inc.ClocksRunning && slices.ContainsFunc(h.clocks(inc), incident.Clock.Running): // under the configuration now; a drill's are practice
			h.log.Warn("kept an incident past its retention: a regulatory notification is still to be made", "incident", n, "keep_for", h.cfg.Retro.KeepFor)
			continue
		}
		if err := h.store.Purge(ctx, n); err != nil {
			return err
		}
		h.log.Info("deleted an incident past its retention", "incident", n, "keep_for", h.cfg.Retro.KeepFor)
	}
	return nil
}

// Digest posts one message to the stakeholder channel listing every open
// incident. Drills are left out; private incidents show no title.
func (h *Cadence) Digest(ctx context.Context) error {
	if h.cfg.StakeholderChannel == "" {
		return work.DigestSkipped{Reason: "no stakeholder_channel"}
	}
	open, err := h.store.ListOpen(ctx)
	if err != nil {
		return err
	}
	open = slices.DeleteFunc(open, (*incident.Incident).Unannounced)
	waiting, oldest := h.triage.waitingSummary(ctx)
	if len(open) == 0 && waiting == 0 && !h.cfg.DigestWhenEmpty {
		// nothing to tell: a daily "0" teaches people to skip it
		return work.DigestSkipped{Reason: "nothing open or waiting for triage (digest_when_empty: false)"}
	}
	_, err = h.chat.Post(ctx, h.cfg.StakeholderChannel, render.Digest(listItems(h.cfg, listings(h.allForOutside(ctx, open)), true), waiting, oldest))
	return err
}
