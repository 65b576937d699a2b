package commands

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// maxUntil bounds how far ahead --until may remind.
const maxUntil = 90 * 24 * time.Hour

// actionCmd is /incident action: record a containment action, undo it or
// make it permanent, or list them.
func (h *Response) actionCmd(ctx context.Context, c *call) error {
	words, opts, err := options(c.parsed.Raw, "note", "until")
	if err != nil {
		return incident.Errorf("%s. %s", err.Error(), c.sub.usageHint())
	}
	verb := ""
	if len(words) > 0 {
		verb = strings.ToLower(words[0])
	}
	switch verb {
	case "", "list":
		if len(words) > 1 || len(opts) > 0 {
			return incident.Errorf("%s takes nothing more. %s", incident.Literal("/incident action list"), c.sub.usageHint())
		}
		c.read = true
		return h.listContainment(ctx, c)
	case "undo", "keep":
		if _, ok := opts["until"]; ok {
			return incident.Errorf("--until is for a new action. %s", c.sub.usageHint())
		}
		return h.resolveContainment(ctx, c, verb, words[1:], opts["note"])
	}
	kind, ok := incident.ParseContainmentKind(verb)
	if !ok && actionRef.MatchString(verb) && len(words) > 1 && (strings.EqualFold(words[1], "undo") || strings.EqualFold(words[1], "keep")) {
		// "action A-5 undo": the right words in the wrong order.
		return incident.Errorf("Put undo or keep before the action: %s. %s", incident.Literal("/incident action "+strings.ToLower(words[1])+" "+strings.ToUpper(verb)), c.sub.usageHint())
	}
	if !ok {
		return incident.Errorf("There is no containment action %s. Choose one of: isolate, block, disable, reset, revoke, other; or undo, keep, list. %s", echo(verb), c.sub.usageHint())
	}
	redo := h.wroteBefore(ctx, c.inc.Number)
	if c.inc.Status != incident.Open && !redo {
		if open := c.inc.OpenContainment(); len(open) > 0 {
			return incident.Fail(incident.Conflict, "%s is closed: record no new containment actions. Undo or keep the open ones, such as %s.", c.inc.Ref(), incident.Literal("/incident action undo "+open[0].Ref()))
		}
		return incident.Fail(incident.Conflict, "%s is closed: record no new containment actions.", c.inc.Ref())
	}
	target := strings.TrimSpace(strings.Join(words[1:], " "))
	switch {
	case target == "":
		return incident.Errorf("Say what was contained: %s. %s", incident.Literal("/incident action "+string(kind)+" host-12"), c.sub.usageHint())
	case len([]rune(target)) > 200:
		return incident.Errorf("Name the target in under 200 characters. %s", c.sub.usageHint())
	case len([]rune(opts["note"])) > 300:
		return incident.Errorf("Keep the note under 300 characters. %s", c.sub.usageHint())
	}
	now := h.now()
	var until time.Time
	if raw, ok := opts["until"]; ok && !redo { // done again, it answers from what was recorded
		if until, err = parseUntil(raw, now); err != nil {
			return err
		}
	}
	var added incident.ContainmentAction
	inc, err := h.store.Update(ctx, c.inc.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		a, events, err := inc.AddContainment(now, c.req.UserID, kind, target, strings.TrimSpace(opts["note"]), until)
		added = a
		return events, err
	})
	if err != nil {
		return err
	}
	if added.ID == 0 {
		// Done again after a crash: the action this request recorded, the
		// latest of this person's with this kind and target.
		for _, a := range inc.Actions {
			if a.By == c.req.UserID && a.Kind == kind && a.Target == target {
				added = a
			}
		}
	}
	until = added.Until
	h.reschedule(ctx, inc) // an --until reminder is scheduled work
	h.refresh(ctx, inc.Number)
	h.syncRecoveryChecklist(ctx, inc)
	if !until.IsZero() {
		h.respond(ctx, c.req, render.Done(incident.Say("Recorded %s: %s %s. I will remind you %s to undo or keep it.",
			incident.Strong(added.Ref()), string(kind), incident.Literal(added.Shown()), incident.Moment(until))))
		return nil
	}
	h.respond(ctx, c.req, render.Done(incident.Say("Recorded %s: %s %s. It stays open until someone runs %s or %s.",
		incident.Strong(added.Ref()), string(kind), incident.Literal(added.Shown()), incident.Literal("/incident action undo "+added.Ref()), incident.Literal("/incident action keep "+added.Ref()+" <reason>"))))
	return nil
}

var actionRef = regexp.MustCompile(`^a-?[0-9]+$`)

// parseUntil reads --until: a duration from now (30m, 4h, 2d) or a UTC
// time (2026-12-03 18:00, or RFC 3339 with its zone).
func parseUntil(raw string, now time.Time) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}, incident.Errorf("Give a time after --until: a duration like %s or a UTC time like %s.", incident.Literal("4h"), incident.Literal("2026-12-03 18:00"))
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return untilInBounds(raw, t, now)
	}
	for _, zone := range []string{" UTC", " utc", "Z"} {
		if t := strings.TrimSuffix(raw, zone); t != raw && len(t) >= 10 {
			raw = t // the bot's own way of writing a time, pasted back
		}
	}
	bad := incident.Errorf("%s is not a time I can read for --until: give a duration like %s, %s, %s or %s, a time of day in UTC like %s, a UTC time like %s, or an RFC 3339 time like %s.",
		echo(raw), incident.Literal("30m"), incident.Literal("4h"), incident.Literal("2d"), incident.Literal("1w"), incident.Literal("18:00"), incident.Literal("2026-12-03 18:00"), incident.Literal("2026-12-03T18:00:00Z"))
	var at time.Time
	if n, unit := strings.TrimRight(raw, "dw"), strings.TrimLeft(raw, "0123456789"); (unit == "d" || unit == "w") && n != "" {
		if count, err := strconv.Atoi(n); err == nil && count > 0 && count < 1000 {
			day := 24 * time.Hour
			if unit == "w" {
				day *= 7
			}
			at = now.Add(time.Duration(count) * day)
		}
	} else if d, err := time.ParseDuration(raw); err == nil {
		at = now.Add(d)
	} else if clock, err := time.Parse("15:04", raw); err == nil {
		// A time of day, UTC: the next time it comes.
		y, m, d := now.UTC().Date()
		at = time.Date(y, m, d, clock.Hour(), clock.Minute(), 0, 0, time.UTC)
		if !at.After(now) {
			at = at.Add(24 * time.Hour)
		}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if !at.IsZero() {
			break
		}
		if t, err := time.ParseInLocation(layout, raw, time.UTC); err == nil {
			at = t
		}
	}
	if at.IsZero() {
		return time.Time{}, bad
	}
	return untilInBounds(raw, at, now)
}

// untilInBounds refuses an --until time past or too far ahead.
func untilInBounds(raw string, at, now time.Time) (time.Time, error) {
	switch {
	case !at.After(now):
		return time.Time{}, incident.Errorf("--until %s is in the past: give a time to come.", incident.Literal(raw))
	case at.Sub(now) > maxUntil:
		return time.Time{}, incident.Errorf("--until is at most %d days ahead.", int(maxUntil.Hours()/24))
	}
	return at.UTC(), nil
}

func (h *Response) resolveContainment(ctx context.Context, c *call, verb string, words []string, note string) error {
	if len(words) == 0 {
		return incident.Errorf("Say which action: %s. %s", incident.Literal("/incident action "+verb+" A-1"), c.sub.usageHint())
	}
	id, err := h.itemID(c, words[0], "A", "A-1")
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(strings.Join(words[1:], " ") + " " + note)
	state := incident.ActionUndone
	if verb == "keep" {
		state = incident.ActionKept
		if reason == "" {
			return incident.Errorf("Say why it stays: %s. %s", incident.Literal("/incident action keep A-1 attacker infrastructure, blocked for good"), c.sub.usageHint())
		}
	}
	if len([]rune(reason)) > 300 {
		return incident.Errorf("Keep the reason under 300 characters. %s", c.sub.usageHint())
	}
	now := h.now()
	inc, err := h.store.Update(ctx, c.inc.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		_, events, err := inc.ResolveContainment(now, h.actor(c.req.UserID), id, state, reason)
		return events, err
	})
	if err != nil {
		return err
	}
	h.reschedule(ctx, inc)
	h.refresh(ctx, inc.Number)
	h.syncRecoveryChecklist(ctx, inc)
	open := len(inc.OpenContainment())
	if state == incident.ActionKept {
		h.respond(ctx, c.req, render.Done(incident.Say("A-%d is kept for good. %s still open on %s.", id, plural(open, "containment action"), inc.Ref())))
		return nil
	}
	h.respond(ctx, c.req, render.Done(incident.Say("A-%d is undone. %s still open on %s.", id, plural(open, "containment action"), inc.Ref())))
	return nil
}

// syncRecoveryChecklist shows the recovery checklist as stored, once it is
// posted: the actions' items come and are ticked with the actions.
func (h *Response) syncRecoveryChecklist(ctx context.Context, inc *incident.Incident) {
	if ts := inc.ChecklistTS[incident.Recovery]; ts != "" {
		if err := h.chat.Update(ctx, inc.ChannelID, ts, about(inc, ChecklistMessage(inc, incident.Recovery))); err != nil {
			h.log.Warn("could not update the recovery checklist", "incident", inc.Number, "err", err)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (h *Response) listContainment(ctx context.Context, c *call) error {
	var open, closed []render.ContainmentLine
	for _, a := range c.inc.Actions {
		l := render.ContainmentLine{Ref: a.Ref(), Kind: string(a.Kind), Target: a.Shown(), Note: a.Note, By: a.By, State: a.State,
			ClosedBy: a.ClosedBy, Reason: a.Reason, At: a.At, Until: a.Until, ClosedAt: a.ClosedAt}
		if a.Open() {
			open = append(open, l)
		} else {
			closed = append(closed, l)
		}
	}
	h.respond(ctx, c.req, render.ContainmentList(c.inc.Ref(), append(open, closed...)))
	return nil
}

// sendContainmentReminder tells an action's actor that its --until time
// has come: once, however many runners and restarts.
func (h *Cadence) sendContainmentReminder(ctx context.Context, inc *incident.Incident, a incident.ContainmentAction) (work.Ran, error) {
	occasion := fmt.Sprintf("until:%d:%d", inc.Number, a.ID)
	msg := about(inc, render.Info(incident.Say("Reminder: %s on %s (%s %s) is still open, and you asked to be reminded now. Undo it with %s, or make it permanent with %s.",
		incident.Strong(a.Ref()), inc.Ref(), string(a.Kind), incident.Literal(a.Shown()),
		incident.Literal(fmt.Sprintf("/incident action %s undo %s", inc.Ref(), a.Ref())), incident.Literal(fmt.Sprintf("/incident action %s keep %s <reason>", inc.Ref(), a.Ref())))))
	// Slack's passing troubles are retried on the way out; what still fails
	// is permanent (the person has left, say): logged, and the incident's
	// other scheduled work goes on.
	if inc.IsSuspect(a.By) {
		// named a suspect since: never told
	} else if err := h.postFor(ctx, occasion, a.By, msg); err != nil {
		h.log.Error("could not remind of a containment action", "incident", inc.Number, "action", a.Ref(), "err", err)
	}
	updated, err := h.record(ctx, inc.Number, func(i *incident.Incident) {
		for k := range i.Actions {
			if i.Actions[k].ID == a.ID {
				i.Actions[k].Reminded = true
			}
		}
	})
	if err != nil {
		return work.Ran{}, err
	}
	next, _ := h.nextDue(updated)
	return work.Ran{Sent: drillOr(inc, work.SentReminders), Due: a.Until, Next: next}, nil
}
