package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Regulatory notification clocks. A regime (GDPR, NIS2, the SEC's 8-K) is
// configured with the decisions that start it and one or more stages, each
// with its own deadline; the incident records the decisions and the
// notifications made, and its clocks are worked out from both, so that a
// change of the configuration never leaves a stored deadline stale.

// The decisions the bot knows. A regime starts when all of its decisions
// are recorded, at the latest of them.
const (
	DecideAwareness    = "awareness"     // aware of a security incident
	DecidePersonalData = "personal-data" // personal data is affected (GDPR)
	DecideSignificant  = "significant"   // significant under NIS2
	DecideMaterial     = "material"      // material (the SEC's 8-K Item 1.05)
)

// Decisions lists every decision, in the order people usually make them.
func Decisions() []string {
	return []string{DecideAwareness, DecidePersonalData, DecideSignificant, DecideMaterial}
}

// DecisionTitle is a decision as people read it.
func DecisionTitle(name string) string {
	switch name {
	case DecideAwareness:
		return "aware of the incident"
	case DecidePersonalData:
		return "personal data affected"
	case DecideSignificant:
		return "significant (NIS2)"
	case DecideMaterial:
		return "material (SEC)"
	}
	return name
}

// ParseDecision reads a decision's name as typed: any case, with - or _.
func ParseDecision(s string) (string, bool) {
	s = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	switch s {
	case "aware", "awareness":
		return DecideAwareness, true
	case "personal-data", "personaldata":
		return DecidePersonalData, true
	case "significant", "significance":
		return DecideSignificant, true
	case "material", "materiality":
		return DecideMaterial, true
	}
	return "", false
}

// Decision is one recorded decision: who made it and when.
type Decision struct {
	Name string    `json:"name"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// Notification is one stage of a regime reported to its regulator.
type Notification struct {
	Regime string    `json:"regime"`
	Stage  int       `json:"stage"` // the stage's place in the regime
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Ref    string    `json:"ref,omitempty"`
	// DelayReason is why it was made after its deadline (GDPR Art. 33(1)).
	DelayReason string `json:"delay_reason,omitempty"`
}

// Regime is a configured notification duty.
type Regime struct {
	Key    string   // used in commands: /incident notified gdpr
	Name   string   // shown to people
	From   []string // the decisions that start it
	Stages []Stage
}

// Stage is one notification a regime asks for, due within a span of its start.
type Stage struct {
	Name   string
	Within Span
}

// Span is how long a stage has: a duration, calendar months, or business
// days of a working calendar.
type Span struct {
	Duration     time.Duration
	Months       int
	BusinessDays int
}

func (s Span) String() string {
	switch {
	case s.BusinessDays > 0:
		return plural(s.BusinessDays, "business day")
	case s.Months > 0:
		return plural(s.Months, "month")
	case s.Duration%time.Hour == 0:
		return plural(int(s.Duration/time.Hour), "hour")
	}
	return s.Duration.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Calendar says which days are business days, in a time zone.
type Calendar struct {
	Location *time.Location
	Workdays []time.Weekday
	Holidays []string // YYYY-MM-DD, in Location
	// DayEnds is when a business day's deadline falls, after midnight
	// (17h30m: 17:30); 0 or 24h is the end of the day.
	DayEnds time.Duration
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// BusinessDay reports whether the day t falls on is a business day.
func (c Calendar) BusinessDay(t time.Time) bool {
	t = t.In(c.loc())
	return slices.Contains(c.Workdays, t.Weekday()) && !slices.Contains(c.Holidays, t.Format(time.DateOnly))
}

// Deadline is when a span started at start runs out. Business days are
// counted from the day after the start, in the calendar's zone; the
// deadline is the end of the last (or DayEnds on it).
func (s Span) Deadline(start time.Time, cal Calendar) time.Time {
	switch {
	case s.BusinessDays > 0:
		loc := cal.loc()
		local := start.In(loc)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		for left := s.BusinessDays; left > 0; {
			day = day.AddDate(0, 0, 1)
			if cal.BusinessDay(day) {
				left--
			}
		}
		ends := cal.DayEnds
		if ends <= 0 || ends > 24*time.Hour {
			ends = 24 * time.Hour
		}
		h, m := int(ends/time.Hour), int(ends%time.Hour/time.Minute)
		return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc) // 24:00 is the next midnight
	case s.Months > 0:
		// The same day of the month, or the last day of a shorter month:
		// 31 January + 1 month is 28 February, never 3 March.
		loc := cal.loc()
		local := start.In(loc)
		first := time.Date(local.Year(), local.Month()+time.Month(s.Months), 1, local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), loc)
		last := first.AddDate(0, 1, -1).Day()
		return first.AddDate(0, 0, min(local.Day(), last)-1)
	}
	return start.Add(s.Duration)
}

// Clock is one stage of a regime, started for an incident.
type Clock struct {
	Regime   Regime
	Stage    int // its place in Regime.Stages
	Started  time.Time
	Deadline time.Time
	// Notified is the notification that stopped it, when one has.
	Notified *Notification
}

// StageName is the stage as people read it.
func (c Clock) StageName() string { return c.Regime.Stages[c.Stage].Name }

// Name is the regime and the stage: GDPR notification, NIS2 early warning.
func (c Clock) Name() string { return c.Regime.Name + " " + c.StageName() }

// Command is how /incident notified names the clock: the regime, and the
// stage when it has several.
func (c Clock) Command() string {
	if len(c.Regime.Stages) > 1 {
		return c.Regime.Key + " " + strings.ToLower(c.StageName())
	}
	return c.Regime.Key
}

// StageNamed finds a regime's stage by its name (any case).
func (r Regime) StageNamed(name string) (int, bool) {
	norm := func(s string) string {
		return strings.Join(strings.Fields(strings.ReplaceAll(strings.ToLower(s), "-", " ")), " ")
	}
	for k, s := range r.Stages {
		if norm(s.Name) == norm(name) {
			return k, true
		}
	}
	return 0, false
}

// Running reports whether the clock still waits for its notification.
func (c Clock) Running() bool { return c.Notified == nil }

// Decided returns the recorded decision of that name.
func (i *Incident) Decided(name string) (Decision, bool) {
	k := slices.IndexFunc(i.Decisions, func(d Decision) bool { return d.Name == name })
	if k < 0 {
		return Decision{}, false
	}
	return i.Decisions[k], true
}

// Started is when a regime's clocks started: at the latest of its
// decisions, once all are recorded.
func (i *Incident) Started(r Regime) (time.Time, bool) {
	var at time.Time
	for _, name := range r.From {
		d, ok := i.Decided(name)
		if !ok {
			return time.Time{}, false
		}
		if d.At.After(at) {
			at = d.At
		}
	}
	return at, len(r.From) > 0
}

// Clocks are the incident's started clocks, earliest deadline first.
func (i *Incident) Clocks(regimes []Regime, cal Calendar) []Clock {
	var out []Clock
	for _, r := range regimes {
		start, ok := i.Started(r)
		if !ok {
			continue
		}
		for s, st := range r.Stages {
			c := Clock{Regime: r, Stage: s, Started: start, Deadline: st.Within.Deadline(start, cal)}
			if k := slices.IndexFunc(i.Notifications, func(n Notification) bool { return n.Regime == r.Key && n.Stage == s }); k >= 0 {
				c.Notified = &i.Notifications[k]
			}
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Clock) int { return a.Deadline.Compare(b.Deadline) })
	return out
}

// RequireClockKeeper is the refusal for an actor who may not record
// decisions or notifications: they are the commander's, an admin's or a
// legal contact's.
func (i *Incident) RequireClockKeeper(a Actor, what Sentence) error {
	switch {
	case a.Legal || i.Commands(a):
		return nil
	case i.Commander() == "":
		return Fail(Forbidden, "Only the incident commander, an admin or a legal contact can %s, and %s has no commander now.", what, i.Ref())
	}
	return Fail(Forbidden, "Only the incident commander (%s), an admin or a legal contact can %s.", UserRef(i.Commander()), what)
}

// Decide records a decision. Each is made once; the commander, an admin
// or a legal contact makes it, at a time given (the moment it was made, which may be before
// it is recorded) or now.
func (i *Incident) Decide(now time.Time, a Actor, name string, at time.Time) ([]TimelineEvent, error) {
	if err := i.RequireClockKeeper(a, Say("record a decision that starts regulatory clocks")); err != nil {
		return nil, err
	}
	if d, ok := i.Decided(name); ok {
		return nil, Fail(Conflict, "%s was recorded for %s already, by %s at %s.", Strong(DecisionTitle(name)), i.Ref(), UserRef(d.By), Moment(d.At))
	}
	if at.IsZero() {
		at = now
	}
	switch {
	case at.After(now):
		return nil, Errorf("A decision is recorded when it was made, not ahead: give a time up to now.")
	case now.Sub(at) > MaxDecisionAge:
		return nil, Errorf("A decision is recorded within %d days of when it was made.", int(MaxDecisionAge.Hours()/24))
	}
	i.Decisions = append(i.Decisions, Decision{Name: name, By: a.ID, At: at})
	return []TimelineEvent{{At: now, Actor: a.ID, Kind: EventDecision, To: name, Text: at.UTC().Format(time.RFC3339), V: typed}}, nil
}

// MaxDecisionAge bounds how far back a decision may be dated.
const MaxDecisionAge = 90 * 24 * time.Hour

// MaxNotificationRef bounds a regulator's reference and a delay's reason.
const (
	MaxNotificationRef = 120
	MaxDelayReason     = 1000
)

// Notify records a stage of a regime as notified (stage -1: the first
// still running): the commander, an admin or a legal contact records it,
// and past its deadline only with the reason for the delay.
func (i *Incident) Notify(now time.Time, a Actor, r Regime, stage int, cal Calendar, ref, reason string) (Clock, []TimelineEvent, error) {
	if err := i.RequireClockKeeper(a, Say("record a notification to a regulator")); err != nil {
		return Clock{}, nil, err
	}
	ref, reason = strings.TrimSpace(ref), strings.TrimSpace(reason)
	switch {
	case len([]rune(ref)) > MaxNotificationRef:
		return Clock{}, nil, Errorf("Keep the reference under %d characters.", MaxNotificationRef)
	case len([]rune(reason)) > MaxDelayReason:
		return Clock{}, nil, Errorf("Keep the reason under %d characters.", MaxDelayReason)
	}
	if _, ok := i.Started(r); !ok {
		var missing []any
		for _, name := range r.From {
			if _, ok := i.Decided(name); !ok {
				missing = append(missing, Literal("/incident decide "+name))
			}
		}
		return Clock{}, nil, Fail(Conflict, "%s's clock has not started for %s: it starts with %s.", r.Name, i.Ref(), Join(" and ", missing...))
	}
	var next *Clock
	for _, c := range i.Clocks([]Regime{r}, cal) {
		switch {
		case stage >= 0 && c.Stage == stage:
			if !c.Running() {
				return Clock{}, nil, Fail(Conflict, "The %s of %s is recorded already, by %s at %s.", c.Name(), i.Ref(), UserRef(c.Notified.By), Moment(c.Notified.At))
			}
			next = &c
		case stage < 0 && c.Running() && (next == nil || c.Stage < next.Stage):
			next = &c
		}
	}
	if next == nil {
		return Clock{}, nil, Fail(Conflict, "Every %s notification of %s is recorded already.", r.Name, i.Ref())
	}
	if now.After(next.Deadline) && reason == "" {
		return Clock{}, nil, Errorf("The %s deadline passed at %s: the notification must give the reason for the delay. Record it with %s.",
			next.Name(), Moment(next.Deadline), Literal(fmt.Sprintf("/incident notified %s %s [--ref <reference>] because <reason for the delay>", i.Ref(), next.Command())))
	}
	if !now.After(next.Deadline) {
		reason = "" // in time: there is no delay to explain
	}
	n := Notification{Regime: r.Key, Stage: next.Stage, By: a.ID, At: now, Ref: ref, DelayReason: reason}
	i.Notifications = append(i.Notifications, n)
	next.Notified = &i.Notifications[len(i.Notifications)-1]
	ev := TimelineEvent{At: now, Actor: a.ID, Kind: EventNotified, From: next.Name(), Text: ref, Reason: reason, V: typed}
	return *next, []TimelineEvent{ev}, nil
}

// ClockPoint is one instant a clock tells people about: a reminder before
// its deadline, or (Late) the deadline passed.
type ClockPoint struct {
	Clock Clock
	At    time.Time
	Late  bool
	Key   string // names it once for all replicas and runs
}

func (c Clock) key() string     { return fmt.Sprintf("%s/%d@%d", c.Regime.Key, c.Stage, c.Deadline.Unix()) }
func (c Clock) lateKey() string { return c.key() + "/late" }

// Missed reports whether a clock's deadline passed with no notification
// and the people were told so.
func (i *Incident) Missed(c Clock) bool {
	return c.Running() && slices.Contains(i.ClocksTold, c.lateKey())
}

// Reminder is when, before a deadline, people are reminded: a part of the
// clock's time gone (Fraction 0.5: half-time) or a duration before.
type Reminder struct {
	Fraction float64
	Before   time.Duration
}

func (r Reminder) key() string {
	if r.Fraction > 0 {
		return fmt.Sprintf("p%g", r.Fraction*100)
	}
	return "b" + r.Before.String()
}

func (r Reminder) at(c Clock) time.Time {
	if r.Fraction > 0 {
		return c.Started.Add(time.Duration(float64(c.Deadline.Sub(c.Started)) * r.Fraction))
	}
	return c.Deadline.Add(-r.Before)
}

// ClockPoints are the running clocks' points not told yet, in time order:
// each reminder after the clock's start, and the deadline itself.
func (i *Incident) ClockPoints(regimes []Regime, cal Calendar, reminders []Reminder) []ClockPoint {
	var out []ClockPoint
	for _, c := range i.Clocks(regimes, cal) {
		if !c.Running() {
			continue
		}
		base := c.key()
		for _, r := range reminders {
			at := r.at(c)
			key := base + "/" + r.key() // by what it is, not where it is listed: the list may change
			if at.After(c.Started) && at.Before(c.Deadline) && !slices.Contains(i.ClocksTold, key) {
				out = append(out, ClockPoint{Clock: c, At: at, Key: key})
			}
		}
		if key := c.lateKey(); !slices.Contains(i.ClocksTold, key) {
			out = append(out, ClockPoint{Clock: c, At: c.Deadline, Late: true, Key: key})
		}
	}
	slices.SortStableFunc(out, func(a, b ClockPoint) int { return a.At.Compare(b.At) })
	return out
}

// maxClocksTold bounds the points remembered as told: the oldest go first.
const maxClocksTold = 1000

// Told records clock points as told.
func (i *Incident) Told(keys ...string) {
	for _, k := range keys {
		if !slices.Contains(i.ClocksTold, k) {
			i.ClocksTold = append(i.ClocksTold, k)
		}
	}
	if n := len(i.ClocksTold); n > maxClocksTold {
		i.ClocksTold = slices.Clone(i.ClocksTold[n-maxClocksTold:])
	}
}
