// Package incident holds the domain types every other package shares:
// incidents, phases, severities, roles and timeline events. It imports
// nothing of ours so that storage, commands and the Slack transport can all
// depend on it without depending on each other.
package incident

import (
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Phase is a step of the incident response lifecycle.
type Phase string

// The phases, in the order an incident moves through them.
const (
	Identification Phase = "identification"
	Containment    Phase = "containment"
	Eradication    Phase = "eradication"
	Recovery       Phase = "recovery"
	Lessons        Phase = "lessons"
)

// Phases returns every phase in lifecycle order.
func Phases() []Phase {
	return []Phase{Identification, Containment, Eradication, Recovery, Lessons}
}

// ParsePhase accepts a phase name in any letter case.
func ParsePhase(s string) (Phase, bool) {
	for _, p := range Phases() {
		if strings.EqualFold(s, string(p)) {
			return p, true
		}
	}
	return "", false
}

// Next returns the phase after p, if there is one.
func (p Phase) Next() (Phase, bool) {
	ps := Phases()
	for i, q := range ps[:len(ps)-1] {
		if q == p {
			return ps[i+1], true
		}
	}
	return "", false
}

// Between are the phases after p and before q, in order.
func (p Phase) Between(q Phase) iter.Seq[Phase] {
	return func(yield func(Phase) bool) {
		for _, r := range Phases() {
			if p.Before(r) && r.Before(q) && !yield(r) {
				return
			}
		}
	}
}

// Before reports whether p comes earlier in the lifecycle than q.
func (p Phase) Before(q Phase) bool { return p.index() < q.index() }

func (p Phase) index() int {
	for i, q := range Phases() {
		if q == p {
			return i
		}
	}
	return -1
}

// Title is the phase as people read it.
func (p Phase) Title() string {
	if p == Lessons {
		return "Lessons learned"
	}
	if p == "" {
		return ""
	}
	return strings.ToUpper(string(p[:1])) + string(p[1:])
}

// Status tells whether an incident is still being worked on.
type Status string

const (
	Open Status = "open"
	// Resolved incidents are closed by the team; the retro is collecting lessons.
	Resolved Status = "resolved"
	// Closed incidents have their postmortem published.
	Closed Status = "closed"
)

// Severity is one configured severity level; the first configured is the most severe.
type Severity struct {
	Name        string
	Description string
	// UpdateEvery is the stakeholder update cadence; zero means no scheduled updates.
	UpdateEvery time.Duration
	// Targets are the longest an incident of this severity should spend in
	// each phase; the commander is nudged once when one passes.
	Targets map[Phase]time.Duration
}

// Role is a configured response role such as the incident commander.
type Role struct {
	Key  string // used in commands: /incident assign comms @carol
	Name string // shown to people: Communications Lead
}

// CommanderRole is the role the declarer receives.
const CommanderRole = "commander"

// Incident is the stored state of one incident.
type Incident struct {
	Number   int64  `json:"number"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Phase    Phase  `json:"phase"`
	Status   Status `json:"status"`
	Private  bool   `json:"private,omitempty"`
	// TLP is the incident's TLP 2.0 marking (TLP:CLEAR … TLP:RED): what of
	// it may be told outside its channel. "" (stored before markings) is TLP:CLEAR.
	TLP   string `json:"tlp,omitempty"`
	Drill bool   `json:"drill,omitempty"`
	// Quiet runs it in compromise-aware mode, its channel named Codename;
	// Suspects are the accounts the commander suspects.
	Quiet    bool     `json:"quiet,omitempty"`
	Codename string   `json:"codename,omitempty"`
	Suspects []string `json:"suspects,omitempty"`
	Scenario string   `json:"scenario,omitempty"` // a drill's scenario key
	// Script is the drill's scenario as it was when the drill began: a
	// change of the configuration meanwhile does not change a running drill.
	Script *Scenario `json:"script,omitempty"`
	// InjectsSent are the drill's injects posted so far, by their place in the scenario.
	InjectsSent []int             `json:"injects_sent,omitempty"`
	ChannelID   string            `json:"channel_id,omitempty"`
	ChannelName string            `json:"channel_name,omitempty"`
	CardTS      string            `json:"card_ts,omitempty"`
	DeclaredBy  string            `json:"declared_by"`
	DeclaredAt  time.Time         `json:"declared_at"`
	Roles       map[string]string `json:"roles,omitempty"` // role key -> Slack user ID
	// Members are the people the bot invited; private incidents are listed only to them.
	Members      []string  `json:"members,omitempty"`
	LastUpdate   string    `json:"last_update,omitempty"`
	LastUpdateAt time.Time `json:"last_update_at,omitzero"`
	LastUpdateBy string    `json:"last_update_by,omitempty"`
	// LastUpdateMarking is the latest update's own marking, when it has one.
	LastUpdateMarking string `json:"last_update_marking,omitempty"`
	// PhaseStartedAt is when the current phase began.
	PhaseStartedAt time.Time `json:"phase_started_at,omitzero"`
	// Checklists are the playbook items of each phase begun so far, copied
	// from the configuration when the phase began.
	Checklists map[Phase][]ChecklistItem `json:"checklists,omitempty"`
	// ChecklistTS is the timestamp of each phase's checklist message.
	ChecklistTS map[Phase]string `json:"checklist_ts,omitempty"`
	// Topic is the channel topic last set, so it is only set when it changes.
	Topic string `json:"topic,omitempty"`
	// LastScheduledAt is when the last scheduled stakeholder update went out.
	LastScheduledAt time.Time `json:"last_scheduled_at,omitzero"`
	// NudgedFor is the due time of the scheduled update the comms lead was last nudged about.
	NudgedFor time.Time `json:"nudged_for,omitzero"`
	// TargetsNudged are the phase stays (PhaseStay) whose target passed and
	// the commander was nudged about: once each.
	TargetsNudged []string `json:"targets_nudged,omitempty"`

	// The retro, after /incident close.
	Summary        string     `json:"summary,omitempty"`
	ResolvedAt     time.Time  `json:"resolved_at,omitzero"`
	RetroDeadline  time.Time  `json:"retro_deadline,omitzero"`
	Reminded       bool       `json:"reminded,omitempty"`
	ClosedAt       time.Time  `json:"closed_at,omitzero"`
	PostmortemLink string     `json:"postmortem_link,omitempty"`
	Lessons        []Lesson   `json:"lessons,omitempty"`
	FollowUps      []FollowUp `json:"follow_ups,omitempty"`

	// Security case records: the number of indicators (stored apart, each
	// counted in the same transaction), what the card shows of the evidence
	// (stored apart too: its custody logs are read only when asked for),
	// and the containment action log.
	IndicatorCount int                 `json:"indicator_count,omitempty"`
	EvidenceCount  int                 `json:"evidence_count,omitempty"`
	Mismatched     []int               `json:"mismatched,omitempty"` // items that failed a re-hash
	Actions        []ContainmentAction `json:"actions,omitempty"`

	// Regulatory clocks: the decisions that start them, the notifications
	// that stop them, the reminders told (ClockPoint keys), and whether any
	// still runs (kept by whoever changes them, for the schedule's index).
	Decisions     []Decision     `json:"decisions,omitempty"`
	Notifications []Notification `json:"notifications,omitempty"`
	ClocksTold    []string       `json:"clocks_told,omitempty"`
	ClocksRunning bool           `json:"clocks_running,omitempty"`

	// Report is the report it was declared from, if any.
	Report *ReportLink `json:"report,omitempty"`
}

// Lesson is one contribution to the lessons learned.
type Lesson struct {
	Author    string    `json:"author"`
	At        time.Time `json:"at"`
	WentWell  string    `json:"went_well,omitempty"`
	WentWrong string    `json:"went_wrong,omitempty"`
	Improve   string    `json:"improve,omitempty"`
}

// LessonCount counts the lessons as the postmortem lists them: each
// thing that went well, went wrong or should improve, not each form sent.
func (i *Incident) LessonCount() int {
	n := 0
	for _, l := range i.Lessons {
		for _, s := range []string{l.WentWell, l.WentWrong, l.Improve} {
			if s != "" {
				n++
			}
		}
	}
	return n
}

// FollowUp is an action the retro decided on.
type FollowUp struct {
	ID     int       `json:"id"` // 1, 2, … within the incident
	Text   string    `json:"text"`
	Owner  string    `json:"owner,omitempty"`
	Due    string    `json:"due,omitempty"` // YYYY-MM-DD
	Author string    `json:"author"`
	At     time.Time `json:"at"`
	Done   bool      `json:"done,omitempty"`
	DoneBy string    `json:"done_by,omitempty"`
	DoneAt time.Time `json:"done_at,omitzero"`
}

// HasOpenFollowUps reports whether any follow-up action is not done.
func (i *Incident) HasOpenFollowUps() bool {
	for _, f := range i.FollowUps {
		if !f.Done {
			return true
		}
	}
	return false
}

// Participants are everyone who took part: invited people, role holders,
// lesson authors and everyone who acted on the timeline.
func (i *Incident) Participants(events []TimelineEvent) []string {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(i.DeclaredBy)
	for _, m := range i.Members {
		add(m)
	}
	for _, h := range i.Roles {
		add(h)
	}
	for _, ev := range events {
		add(ev.Actor)
	}
	for _, l := range i.Lessons {
		add(l.Author)
	}
	// Suspected accounts are never told nor listed, whatever they did.
	return slices.DeleteFunc(out, i.IsSuspect)
}

// UpdateBase is when the current stakeholder-update cycle began: the last
// update, by a person or scheduled, or else the declaration.
func (i *Incident) UpdateBase() time.Time {
	base := i.DeclaredAt
	for _, t := range []time.Time{i.LastUpdateAt, i.LastScheduledAt} {
		if t.After(base) {
			base = t
		}
	}
	return base
}

// ChecklistItem is one playbook step of a phase.
type ChecklistItem struct {
	Text string `json:"text"`
	// Required: it must be done before the phase is left.
	Required bool      `json:"required,omitempty"`
	Done     bool      `json:"done,omitempty"`
	By       string    `json:"by,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

// Progress counts the done and all checklist items of a phase.
func (i *Incident) Progress(p Phase) (done, total int) {
	for _, item := range i.Checklists[p] {
		if item.Done {
			done++
		}
	}
	return done, len(i.Checklists[p])
}

// Commander is the user holding the commander role, or "".
func (i *Incident) Commander() string { return i.Roles[CommanderRole] }

// Ref is the incident's short reference, as people type and read it.
func (i *Incident) Ref() string { return FormatRef(i.Number) }

// FormatRef renders an incident number as INC-42.
func FormatRef(n int64) string { return "INC-" + strconv.FormatInt(n, 10) }

// ParseRef accepts INC-42, inc-42, #42 and 42.
func ParseRef(s string) (int64, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) > 4 && strings.EqualFold(s[:4], "inc-") {
		s = s[4:]
	}
	if s == "" || len(s) > 15 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// IsMember reports whether the user was invited to the incident or holds a role in it.
func (i *Incident) IsMember(userID string) bool {
	for _, m := range i.Members {
		if m == userID {
			return true
		}
	}
	for _, holder := range i.Roles {
		if holder == userID {
			return true
		}
	}
	return false
}

// Listing is what a list of open incidents shows of one, and what it needs
// to decide who may see it: kept beside the incident, so that a list does
// not read every incident whole.
type Listing struct {
	Number     int64
	Title      string
	Severity   string
	Phase      Phase
	ChannelID  string
	Commander  string
	Private    bool
	TLP        string
	Drill      bool
	DeclaredAt time.Time
	// Members are, for a private incident or a drill only, the people who
	// may see it: those invited and the role holders.
	Members []string
	// Suspects are its suspected accounts, who never see it.
	Suspects []string
	Quiet    bool
}

// Listing is the incident as a list shows it.
func (i *Incident) Listing() Listing {
	s := Listing{Number: i.Number, Title: i.Outward(), Severity: i.Severity, Phase: i.Phase, ChannelID: i.ChannelID,
		Commander: i.Commander(), Private: i.Private, TLP: i.Marking(), Drill: i.Drill, DeclaredAt: i.DeclaredAt,
		Suspects: slices.Clone(i.Suspects), Quiet: i.Quiet}
	if i.restricted() {
		s.Members = slices.Clone(i.Members)
		for _, holder := range i.Roles {
			if holder != "" && !slices.Contains(s.Members, holder) {
				s.Members = append(s.Members, holder)
			}
		}
		slices.Sort(s.Members)
	}
	return s
}

// Ref is the incident's short reference.
func (s Listing) Ref() string { return FormatRef(s.Number) }

// VisibleTo is Incident.VisibleTo, from the listing; a drill is listed
// only to its participants too.
func (s Listing) VisibleTo(userID, channelID string) bool {
	if userID != "" && slices.Contains(s.Suspects, userID) {
		return false
	}
	return (!s.Private && !s.Drill && s.TLP != "TLP:RED") || slices.Contains(s.Members, userID) || (channelID != "" && channelID == s.ChannelID)
}

// EnsureOpen refuses a change only an open incident takes: checked with
// the change itself, on the state at that moment.
func (i *Incident) EnsureOpen(what string) error {
	if i.Status == Open {
		return nil
	}
	return Fail(Conflict, "%s is closed, so %s no longer applies. Add lessons with %s until the postmortem is published.", i.Ref(), what, Literal("/incident lesson"))
}

// VisibleTo reports whether a user may see the incident: anyone may see a
// public one; a private one is seen by its members and from its own channel.
func (i *Incident) VisibleTo(userID, channelID string) bool {
	if i.IsSuspect(userID) {
		return false // not even from its channel, where they should not be
	}
	return !i.restricted() || i.IsMember(userID) || (channelID != "" && channelID == i.ChannelID)
}

// restricted: seen only by its members (and admins, and from its channel):
// a private incident, a drill, and one marked TLP:RED, whose recipients
// are named.
func (i *Incident) restricted() bool { return i.Private || i.Drill || i.Marking() == "TLP:RED" }

// EventKind names what a timeline event records.
type EventKind string

const (
	EventDeclared    EventKind = "declared"
	EventChannel     EventKind = "channel"
	EventInvite      EventKind = "invite"
	EventPhase       EventKind = "phase"
	EventSeverity    EventKind = "severity"
	EventRole        EventKind = "role"
	EventChecklist   EventKind = "checklist"
	EventUpdate      EventKind = "update"
	EventScheduled   EventKind = "scheduled_update"
	EventNudge       EventKind = "nudge"
	EventNote        EventKind = "note"
	EventPinned      EventKind = "pinned"
	EventClosed      EventKind = "closed"
	EventLesson      EventKind = "lesson"
	EventFollowUp    EventKind = "follow_up"
	EventPublished   EventKind = "postmortem"
	EventReported    EventKind = "reported"
	EventInject      EventKind = "inject"
	EventIndicator   EventKind = "indicator"
	EventEvidence    EventKind = "evidence"
	EventContainment EventKind = "containment"
	EventTLP         EventKind = "tlp"
	EventDecision    EventKind = "decision"
	EventNotified    EventKind = "notified"
	EventSuspect     EventKind = "suspect"
	EventQuiet       EventKind = "quiet"
	EventGate        EventKind = "gate"
)

// Interval is a stretch of time the incident spent in one phase.
type Interval struct {
	Phase      Phase
	Start, End time.Time
}

// PhaseIntervals are the phases in the order the incident went through
// them, up to end: it is in identification from its declaration, and each
// phase event moves it on (or back). Empty stretches are left out, but for
// the phase it is in.
func PhaseIntervals(declaredAt time.Time, events []TimelineEvent, end time.Time) []Interval {
	var out []Interval
	cur, since := Identification, declaredAt
	for _, ev := range events {
		if ev.Kind != EventPhase || ev.Phase == "" || ev.At.After(end) {
			continue
		}
		out = append(out, Interval{Phase: cur, Start: since, End: ev.At})
		cur, since = ev.Phase, ev.At
	}
	if cur != Lessons || end.After(since) {
		out = append(out, Interval{Phase: cur, Start: since, End: end})
	}
	return slices.DeleteFunc(out, func(iv Interval) bool { return !iv.End.After(iv.Start) && iv.Phase != cur })
}

// PhaseDurations adds up the time spent in each phase, up to now.
func PhaseDurations(declaredAt time.Time, events []TimelineEvent, now time.Time) map[Phase]time.Duration {
	out := map[Phase]time.Duration{}
	for _, iv := range PhaseIntervals(declaredAt, events, now) {
		out[iv.Phase] += iv.End.Sub(iv.Start)
	}
	return out
}

// HumanDuration is a duration as people read it: "under a minute", "45m",
// "2h 5m", "3d 4h".
func HumanDuration(d time.Duration) string {
	if d < time.Minute { // 38 s too, not rounded up to "1m"
		return "under a minute"
	}
	d = d.Round(time.Minute)
	days, hours, mins := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour, (d%time.Hour)/time.Minute
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%dh", hours))
	}
	if mins > 0 {
		parts = append(parts, fmt.Sprintf("%dm", mins))
	}
	return strings.Join(parts, " ")
}

// TargetDuration is a configured time as written: 10s, 45m, 1h 30m.
func TargetDuration(d time.Duration) string {
	if d > 0 && d < time.Minute || d%time.Minute != 0 {
		return d.String()
	}
	return HumanDuration(d)
}

// Length limits of what people write, so that each fits where it is shown
// (a title in a header and a channel topic, text in one Block Kit section).
const (
	MaxTitleChars = 500
	MaxTextChars  = 2900
)

// TooLong is the error for text of more than max characters, naming what
// it is ("the note"), or nil.
func TooLong(what, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf("%s is %d characters long; keep it to %d.", strings.ToUpper(what[:1])+what[1:], n, max)
	}
	return nil
}

// EnterPhase moves the incident into phase to, from the phase it is in,
// and begins the phase's checklist from its playbook the first time the
// phase is entered. It returns the event to record and whether the
// checklist began. The one phase walk: a phase command, the Next phase
// button and a close all go through it.
func (i *Incident) EnterPhase(at time.Time, actor string, to Phase, reason string, playbook []PlaybookItem) (TimelineEvent, bool) {
	ev := PhaseMoved(at, actor, i.Phase, to, reason)
	i.Phase, i.PhaseStartedAt = to, at
	if _, ok := i.Checklists[to]; ok {
		if to == Recovery {
			i.addOpenToRecovery()
		}
		return ev, false
	}
	i.BeginChecklist(to, playbook)
	if to == Recovery {
		i.addOpenToRecovery() // what was contained must be undone or kept before recovery ends
	}
	return ev, true
}

// PlaybookItem is one configured step of a phase's checklist; a required
// one must be done before the phase is left (its exit criteria).
type PlaybookItem struct {
	Text     string
	Required bool
	// DoneByDeclaring: declaring does it (setting the severity and naming
	// the commander), so the item starts ticked by the declarer.
	DoneByDeclaring bool
}

// Items is a playbook of optional items.
func Items(texts ...string) []PlaybookItem {
	out := make([]PlaybookItem, len(texts))
	for k, t := range texts {
		out[k] = PlaybookItem{Text: t}
	}
	return out
}

// BeginChecklist copies a phase's playbook into the incident.
func (i *Incident) BeginChecklist(p Phase, playbook []PlaybookItem) {
	if i.Checklists == nil {
		i.Checklists = map[Phase][]ChecklistItem{}
	}
	items := make([]ChecklistItem, 0, len(playbook))
	for _, it := range playbook {
		items = append(items, ChecklistItem{Text: it.Text, Required: it.Required})
	}
	i.Checklists[p] = items
}

// TickDoneByDeclaring ticks the items of a phase's playbook that declaring
// did, as the declarer's, and returns their timeline events.
func (i *Incident) TickDoneByDeclaring(at time.Time, by string, p Phase, playbook []PlaybookItem) []TimelineEvent {
	var events []TimelineEvent
	for k, it := range playbook {
		if it.DoneByDeclaring && k < len(i.Checklists[p]) && !i.Checklists[p][k].Done {
			item := &i.Checklists[p][k]
			item.Done, item.By, item.At = true, by, at
			events = append(events, ChecklistTicked(at, by, p, item.Text, true))
		}
	}
	return events
}

// MissingRequired are a phase's required checklist items not done.
func (i *Incident) MissingRequired(p Phase) []string {
	var out []string
	for _, it := range i.Checklists[p] {
		if it.Required && !it.Done {
			out = append(out, it.Text)
		}
	}
	return out
}

// PhaseStay names the current stay in a phase: the phase and when it
// began. A phase entered again is another stay.
func (i *Incident) PhaseStay() string {
	return string(i.Phase) + "@" + strconv.FormatInt(i.PhaseStartedAt.Unix(), 10)
}

// TargetDue is when the current phase passes its target under sev, and
// whether that is still to be told: only for an open incident, not a
// drill (its scenario has targets of its own), once a stay.
func (i *Incident) TargetDue(sev Severity) (time.Time, bool) {
	target, ok := sev.Targets[i.Phase]
	if !ok || target <= 0 || i.Status != Open || i.Drill || i.PhaseStartedAt.IsZero() || slices.Contains(i.TargetsNudged, i.PhaseStay()) {
		return time.Time{}, false
	}
	return i.PhaseStartedAt.Add(target), true
}

// maxTargetsNudged bounds the stays remembered: the oldest go first.
const maxTargetsNudged = 50

// TargetNudged records the current stay's target as told.
func (i *Incident) TargetNudged() {
	if !slices.Contains(i.TargetsNudged, i.PhaseStay()) {
		i.TargetsNudged = append(i.TargetsNudged, i.PhaseStay())
	}
	if n := len(i.TargetsNudged); n > maxTargetsNudged {
		i.TargetsNudged = slices.Clone(i.TargetsNudged[n-maxTargetsNudged:])
	}
}
