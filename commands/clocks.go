package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// Regulatory clocks: /incident decide records the decisions that start
// them, /incident notified stops them, and the scheduled work reminds the
// commander and the legal contacts before each deadline and asks for the
// reason for the delay once it has passed.

// clocks are the incident's started clocks under the configuration.
func (h *core) clocks(inc *incident.Incident) []incident.Clock {
	n := h.cfg.Notifications
	return inc.Clocks(n.Regimes, n.Calendar)
}

// keepClocksRunning notes whether any clock still runs, for the index
// that puts them back on the schedule after a restart.
func (h *core) keepClocksRunning(inc *incident.Incident) {
	inc.ClocksRunning = slices.ContainsFunc(h.clocks(inc), incident.Clock.Running)
}

// nextClockPoint is when the incident's next reminder or missed deadline is due.
func (h *core) nextClockPoint(inc *incident.Incident) (time.Time, bool) {
	n := h.cfg.Notifications
	points := inc.ClockPoints(n.Regimes, n.Calendar, n.Remind)
	if len(points) == 0 {
		return time.Time{}, false
	}
	return points[0].At, true
}

// decideCmd is /incident decide <decision>… [--at <time>]; alone, the form.
func (h *Response) decideCmd(ctx context.Context, c *call) error {
	words, opts, err := options(c.parsed.Raw, "at")
	if err != nil {
		return incident.Errorf("%s. %s", err.Error(), c.sub.usageHint())
	}
	if len(words) == 0 && len(opts) == 0 {
		return h.openDecideForm(ctx, c)
	}
	var names []string
	for _, w := range words {
		for part := range strings.SplitSeq(w, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			name, ok := incident.ParseDecision(part)
			if !ok {
				return incident.Errorf("There is no decision %s. Decide one or more of: %s. %s", echo(part),
					incident.Literal(strings.Join(incident.Decisions(), ", ")), c.sub.usageHint())
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return incident.Errorf("Say what was decided. %s", c.sub.usageHint())
	}
	now := h.now()
	var at time.Time
	if raw, ok := opts["at"]; ok {
		if at, err = parsePast(raw, now, "--at"); err != nil {
			return err
		}
	}
	return h.decide(ctx, c.inc.Number, c.req.UserID, names, at, func(m render.Message) { h.respond(ctx, c.req, m) })
}

// decide records decisions, all or none, and says which clocks they started.
func (h *core) decide(ctx context.Context, n int64, user string, names []string, at time.Time, tell func(render.Message)) error {
	now := h.now()
	if cur, err := h.store.Get(ctx, n); err == nil && !h.wroteBefore(ctx, n) {
		// One recorded already: nothing is, and the answer says how to record the others.
		var done, rest []string
		for _, name := range names {
			if _, ok := cur.Decided(name); ok {
				done = append(done, name)
			} else {
				rest = append(rest, name)
			}
		}
		if len(done) > 0 && len(rest) > 0 {
			d, _ := cur.Decided(done[0])
			return incident.Fail(incident.Conflict, "%s was recorded for %s already, by %s at %s, so nothing was recorded. Record the others with %s (outside its channel, with %s first).",
				incident.Strong(incident.DecisionTitle(done[0])), cur.Ref(), incident.UserRef(d.By), incident.Moment(d.At), incident.Literal("/incident decide "+strings.Join(rest, " ")), incident.Literal(cur.Ref()))
		}
	}
	before := h.clockNames(nil)
	inc, err := h.store.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		before = h.clockNames(inc)
		var events []incident.TimelineEvent
		for _, name := range names {
			evs, err := inc.Decide(now, h.actor(user), name, at)
			if err != nil {
				return nil, err
			}
			events = append(events, evs...)
		}
		h.keepClocksRunning(inc)
		return events, nil
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, inc.Number)
	h.reschedule(ctx, inc)
	var titles []any
	for _, name := range names {
		titles = append(titles, incident.Strong(incident.DecisionTitle(name)))
	}
	when := incident.Say("")
	if !at.IsZero() {
		when = incident.Say(" (as of %s)", incident.Moment(at))
	}
	var started []any
	for _, c := range h.clocks(inc) {
		switch {
		case slices.Contains(before, c.Name()):
		case !c.Deadline.After(now):
			started = append(started, incident.Say("%s due %s, which has passed: record it with the reason for the delay", incident.Strong(c.Name()), incident.Moment(c.Deadline)))
		default:
			started = append(started, incident.Say("%s due %s", incident.Strong(c.Name()), incident.Moment(c.Deadline)))
		}
	}
	said := incident.Say("No clock started.")
	if len(started) > 0 {
		said = incident.Say("Started: %s. The commander and the legal contacts are reminded before each deadline; %s stops a clock.",
			incident.Join("; ", started...), incident.Literal("/incident notified "+inc.Ref()+" <regime> --ref <reference>"))
	}
	tell(render.Done(incident.Say("Recorded for %s: %s%s. %s%s", inc.Ref(), incident.Join(", ", titles...), when, said, h.waiting(inc))))
	return nil
}

// clockNames are the names of the incident's started clocks.
func (h *core) clockNames(inc *incident.Incident) []string {
	if inc == nil {
		return nil
	}
	var out []string
	for _, c := range h.clocks(inc) {
		out = append(out, c.Name())
	}
	return out
}

// waiting names the regimes not started yet and the decisions they wait for.
func (h *core) waiting(inc *incident.Incident) incident.Sentence {
	var parts []any
	for _, r := range h.cfg.Notifications.Regimes {
		if _, ok := inc.Started(r); ok {
			continue
		}
		var missing []any
		for _, name := range r.From {
			if _, ok := inc.Decided(name); !ok {
				missing = append(missing, incident.Literal(name))
			}
		}
		parts = append(parts, incident.Say("%s (%s)", r.Name, incident.Join(" and ", missing...)))
	}
	if len(parts) == 0 {
		return incident.Say("")
	}
	return incident.Say(" Not started: %s.", incident.Join("; ", parts...))
}

// notifiedCmd is /incident notified <regime> [--ref <reference>] [because <reason>].
func (h *Response) notifiedCmd(ctx context.Context, c *call) error {
	toks := tokenize(c.parsed.Raw)
	reason := ""
	if k := slices.IndexFunc(toks, func(t string) bool { return strings.EqualFold(t, "because") }); k >= 0 {
		reason = strings.Join(toks[k+1:], " ")
		toks = toks[:k]
		if strings.TrimSpace(reason) == "" {
			return incident.Errorf("Give the reason for the delay after %s. %s", incident.Literal("because"), c.sub.usageHint())
		}
	}
	words, opts, err := options(strings.Join(toks, " "), "ref")
	if err != nil {
		return incident.Errorf("%s. %s", err.Error(), c.sub.usageHint())
	}
	if ref, ok := opts["ref"]; ok && strings.TrimSpace(ref) == "" {
		return incident.Errorf("Give the regulator's reference after %s, or leave it out. %s", incident.Literal("--ref"), c.sub.usageHint())
	}
	if len(words) == 0 {
		return incident.Errorf("Name one regime: %s. %s", incident.Literal(strings.Join(h.cfg.Notifications.RegimeKeys(), ", ")), c.sub.usageHint())
	}
	regime, ok := h.cfg.Notifications.Regime(words[0])
	if !ok {
		if len(h.cfg.Notifications.Regimes) == 0 {
			return incident.Errorf("No notification regimes are configured (notifications.regimes in the configuration file).")
		}
		return incident.Errorf("There is no regime %s: name one of %s. %s", echo(words[0]),
			incident.Literal(strings.Join(h.cfg.Notifications.RegimeKeys(), ", ")), c.sub.usageHint())
	}
	stage := -1 // the first still running
	if len(words) > 1 {
		var stages []string
		for _, s := range regime.Stages {
			stages = append(stages, strings.ToLower(s.Name))
		}
		k, ok := regime.StageNamed(strings.Join(words[1:], " "))
		if !ok {
			return incident.Errorf("%s has no stage %s: name one of %s, or none for the first still to make. %s", regime.Name,
				incident.Literal(render.Truncate(strings.Join(words[1:], " "), 60)), incident.Literal(strings.Join(stages, ", ")), c.sub.usageHint())
		}
		stage = k
	}
	now := h.now()
	var done incident.Clock
	inc, err := h.store.Update(ctx, c.inc.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		clock, evs, err := inc.Notify(now, h.actor(c.req.UserID), regime, stage, h.cfg.Notifications.Calendar, opts["ref"], reason)
		if err != nil {
			return nil, err
		}
		done = clock
		h.keepClocksRunning(inc)
		return evs, nil
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, inc.Number)
	h.reschedule(ctx, inc)
	if done.Notified == nil {
		// Done again after a crash: the first run recorded it; answer from that.
		last := latestNotification(inc, regime.Key)
		for _, c := range h.clocks(inc) {
			if c.Regime.Key == regime.Key && c.Notified != nil && c.Notified.At.Equal(last) {
				done = c
			}
		}
		if done.Notified == nil {
			return incident.Fail(incident.Conflict, "Every %s notification of %s is recorded already.", regime.Name, inc.Ref())
		}
	}
	late := incident.Say("in time (due %s)", incident.Moment(done.Deadline))
	switch {
	case done.Notified.DelayReason != "":
		late = incident.Say("after its deadline of %s; the reason for the delay is recorded", incident.Moment(done.Deadline))
	case reason != "":
		late = incident.Say("in time (due %s), so no reason for a delay is needed, and the one given is not recorded", incident.Moment(done.Deadline))
	}
	next := incident.Say("")
	for _, c := range h.clocks(inc) {
		if c.Regime.Key == regime.Key && c.Running() {
			next = incident.Say(" Next: %s, due %s.", incident.Strong(c.Name()), incident.Moment(c.Deadline))
			break
		}
	}
	h.respond(ctx, c.req, render.Done(incident.Say("Recorded for %s: %s notified %s.%s", inc.Ref(), incident.Strong(done.Name()), late, next)))
	return nil
}

// latestNotification is when a regime's last notification was recorded.
func latestNotification(inc *incident.Incident, regime string) time.Time {
	var at time.Time
	for _, n := range inc.Notifications {
		if n.Regime == regime && n.At.After(at) {
			at = n.At
		}
	}
	return at
}

// parsePast reads --at: when a decision was made, up to now: a UTC time
// (2026-12-03 09:00, or RFC 3339 with its zone), a time of day in UTC
// (the last time it came), or a duration ago (2h).
func parsePast(raw string, now time.Time, field string) (time.Time, error) {
	at, err := readPast(raw, now, field)
	switch {
	case err != nil:
		return at, err
	case at.After(now):
		return at, incident.Errorf("A decision is recorded when it was made, not ahead: give a time up to now in %s, or leave it out for now.", field)
	case now.Sub(at) > incident.MaxDecisionAge:
		return at, incident.Errorf("A decision is recorded within %d days of when it was made: give a later time in %s.", int(incident.MaxDecisionAge.Hours()/24), field)
	}
	return at, nil
}

func readPast(raw string, now time.Time, field string) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	forms := incident.Say("a UTC time like %s, a time of day in UTC like %s, a time ago like %s or %s, or an RFC 3339 time like %s",
		incident.Literal("2026-12-03 09:00"), incident.Literal("09:00"), incident.Literal("2h"), incident.Literal("1d"), incident.Literal("2026-12-03T09:00:00Z"))
	if raw == "" {
		return time.Time{}, incident.Errorf("Give when it was decided after %s: %s.", field, forms)
	}
	bad := incident.Errorf("%s is not a time I can read for %s: give %s.", echo(raw), field, forms)
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t, nil
	}
	raw = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(raw, " UTC"), "Z"))
	ago := strings.TrimSpace(strings.TrimSuffix(raw, " ago"))
	if d, err := time.ParseDuration(ago); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if days, ok := strings.CutSuffix(ago, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 && n < 1000 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if clock, err := time.Parse("15:04", raw); err == nil {
		y, m, d := now.UTC().Date()
		at := time.Date(y, m, d, clock.Hour(), clock.Minute(), 0, 0, time.UTC)
		if at.After(now) {
			at = at.Add(-24 * time.Hour)
		}
		return at, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, raw, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, bad
}

// clockRecipients are who is told of a clock: the commander (the declarer
// while the role is vacant) and, for a real incident, the legal contacts.
func (h *core) clockRecipients(inc *incident.Incident) []string {
	to := []string{inc.Commander()}
	if to[0] == "" {
		to[0] = inc.DeclaredBy
	}
	if !inc.Drill {
		for _, id := range h.cfg.Notifications.Legal {
			if !slices.Contains(to, id) {
				to = append(to, id)
			}
		}
	}
	return slices.DeleteFunc(to, func(id string) bool { return id == "" || inc.IsSuspect(id) })
}

// sendClockPoints tells of the clock points that are due: a reminder, or
// the deadline passed. Points of one clock that are due together (the
// bot was down, or a decision dated back) are told as the latest of them.
// Each message goes out once, however many runners and restarts.
func (h *Cadence) sendClockPoints(ctx context.Context, inc *incident.Incident, now time.Time) (work.Ran, error) {
	n := h.cfg.Notifications
	var due []incident.ClockPoint
	for _, p := range inc.ClockPoints(n.Regimes, n.Calendar, n.Remind) {
		if !now.Before(p.At) {
			due = append(due, p)
		}
	}
	if len(due) == 0 {
		next, _ := h.nextDue(inc)
		return work.Ran{Next: next}, nil
	}
	latest := map[string]incident.ClockPoint{} // by clock
	var keys []string
	for _, p := range due {
		id := p.Clock.Regime.Key + "/" + strconv.Itoa(p.Clock.Stage)
		latest[id] = p // due is in time order
		keys = append(keys, p.Key)
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var down error // Slack kept failing: the points are told again later
	for _, id := range ids {
		p := latest[id]
		msg := about(inc, clockMessage(inc, p, now))
		for _, user := range h.clockRecipients(inc) {
			// Permanent failures (someone who has left) are logged; the others are still told.
			if err := h.postFor(ctx, fmt.Sprintf("clock:%d:%s:%s", inc.Number, p.Key, user), user, msg); err != nil {
				h.log.Error("could not tell of a regulatory clock", "incident", inc.Number, "clock", p.Key, "user", user, "err", err)
				down = cmp.Or(down, slackDown(err))
			}
		}
		if p.Late && inc.ChannelID != "" {
			if err := h.postFor(ctx, fmt.Sprintf("clock:%d:%s:channel", inc.Number, p.Key), inc.ChannelID, msg); err != nil {
				h.log.Error("could not post a missed deadline in the incident channel", "incident", inc.Number, "clock", p.Key, "err", err)
				down = cmp.Or(down, slackDown(err))
			}
		}
	}
	if down != nil {
		// What was posted is noted (postFor) and not posted again.
		return work.Ran{}, fmt.Errorf("tell of regulatory clocks: %w", down)
	}
	updated, err := h.record(ctx, inc.Number, func(i *incident.Incident) { i.Told(keys...) })
	if err != nil {
		return work.Ran{}, err
	}
	if slices.ContainsFunc(due, func(p incident.ClockPoint) bool { return p.Late }) {
		h.refresh(ctx, inc.Number) // the card flags the missed deadline
	}
	next, _ := h.nextDue(updated)
	return work.Ran{Sent: drillOr(inc, work.SentReminders), Due: due[len(due)-1].At, Next: next}, nil
}

// slackDown is err when Slack kept failing in a way that passes, else nil.
func slackDown(err error) error {
	if errors.Is(err, incident.ErrSlackDown) {
		return err
	}
	return nil
}

// clockMessage is a reminder of a deadline to come, or the question a
// missed one asks: why the notification is late (GDPR Art. 33(1)).
func clockMessage(inc *incident.Incident, p incident.ClockPoint, now time.Time) render.Message {
	c := p.Clock
	record := fmt.Sprintf("/incident notified %s %s --ref <reference>", inc.Ref(), c.Command())
	if p.Late {
		return render.Warning(incident.Say("%s: the deadline for the %s passed at %s, and no notification is recorded. When it is made, it must give the reason for the delay, and so must the record: %s.",
			inc.Ref(), incident.Strong(c.Name()), incident.Moment(c.Deadline), incident.Literal(record+" because <reason for the delay>")))
	}
	return render.Info(incident.Say("%s: the %s is due in %s, at %s (%s from %s). Once it is made: %s.",
		inc.Ref(), incident.Strong(c.Name()), incident.HumanDuration(c.Deadline.Sub(now)), incident.Moment(c.Deadline), c.Regime.Stages[c.Stage].Within, incident.Moment(c.Started), incident.Literal(record)))
}

// The decide form's callback ID and inputs.
const (
	ModalDecide = "incident_decide"
	InputDecide = "decisions"
	InputAt     = "at"
)

// openDecideForm is /incident decide alone: a box for each decision not
// recorded yet, and when they were made.
func (h *Response) openDecideForm(ctx context.Context, c *call) error {
	var options []render.Option
	for _, name := range incident.Decisions() {
		if _, done := c.inc.Decided(name); !done {
			options = append(options, render.Option{Value: name, Label: decisionLabels[name], Detail: h.neededBy(name)})
		}
	}
	if len(options) == 0 {
		return incident.Fail(incident.Conflict, "Every decision of %s is recorded already: %s lists them on the card.", c.inc.Ref(), incident.Literal("/incident status "+c.inc.Ref()))
	}
	return h.chat.OpenView(ctx, c.req.TriggerID, render.Modal(render.Form{CallbackID: ModalDecide, Title: "Record decisions", Submit: "Record",
		Metadata: strconv.FormatInt(c.inc.Number, 10), Fields: []render.Field{
			{ID: InputDecide, Kind: render.Ticks, Label: "What has been decided for " + c.inc.Ref() + "?", Options: options,
				Hint: "Each starts the regulatory clocks that wait for it; the commander and the legal contacts are reminded before each deadline."},
			{ID: InputAt, Kind: render.TextLine, Label: "When it was decided (UTC)", Optional: true, MaxLength: 40, Placeholder: "now, or like 2026-12-03 09:00"},
		}}))
}

// decisionLabels are the form's words for each decision.
var decisionLabels = map[string]string{
	incident.DecideAwareness:    "We are aware of a security incident",
	incident.DecidePersonalData: "Personal data is affected",
	incident.DecideSignificant:  "It is significant (NIS2)",
	incident.DecideMaterial:     "It is material (SEC)",
}

// neededBy says which configured regimes wait for a decision.
func (h *core) neededBy(name string) string {
	var regimes []string
	for _, r := range h.cfg.Notifications.Regimes {
		if slices.Contains(r.From, name) {
			regimes = append(regimes, r.Name)
		}
	}
	if len(regimes) == 0 {
		return "no configured regime waits for it"
	}
	return render.Truncate("starts, with the others it needs: "+strings.Join(regimes, ", "), 70)
}

// decideSubmission records the form's decisions, by the command's rules.
func (h *Response) decideSubmission(_ context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	var names []string
	for part := range strings.SplitSeq(in.Values[InputDecide], ",") {
		if name, ok := incident.ParseDecision(part); ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return map[string]string{InputDecide: "Tick what has been decided."}, nil
	}
	if err := inc.RequireClockKeeper(h.actor(in.UserID), incident.Say("record a decision that starts regulatory clocks")); err != nil {
		return map[string]string{InputDecide: render.SayLabel(incident.ErrorMessage(err, ""))}, nil
	}
	now := h.now()
	var at time.Time
	if raw := strings.TrimSpace(in.Values[InputAt]); raw != "" && !strings.EqualFold(raw, "now") {
		var err error
		if at, err = parsePast(raw, now, "this field"); err != nil {
			return map[string]string{InputAt: render.SayLabel(incident.ErrorMessage(err, ""))}, nil
		}
	}
	return nil, func(ctx context.Context) error {
		return h.decide(ctx, inc.Number, in.UserID, names, at, func(m render.Message) {
			if err := h.tellPrivately(ctx, inc.ChannelID, in.UserID, m); err != nil {
				h.log.Warn("could not answer the decide form", "incident", inc.Number, "err", err)
			}
		})
	}
}
