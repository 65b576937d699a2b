package incident

import (
	"fmt"
	"strings"
	"time"
)

// TimelineEvent is one entry of an incident's timeline, stored as typed
// fields: who, when, what kind, and the values it is about. Text is only
// ever plain text a person wrote (a note, an update, a checklist item, a
// pinned message); the sentences people read are made from the fields when
// the event is shown (Describe), so no Slack markup is stored and renaming
// a role or severity in the configuration does not rewrite history.
type TimelineEvent struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor,omitempty"` // Slack user ID; empty for the bot itself
	Kind  EventKind `json:"kind"`
	Text  string    `json:"text,omitempty"`
	// Phase is the phase entered (EventPhase) or the checklist's phase (EventChecklist).
	Phase Phase `json:"phase,omitempty"`
	// From and To are the values changed: phases, severities (EventPhase, EventSeverity),
	// or the role's previous and new holder (EventRole).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Role is the role key of an EventRole.
	Role string `json:"role,omitempty"`
	// Users are the people an event is about: the invited, a pinned message's author.
	Users []string `json:"users,omitempty"`
	// Reason is why a phase moved back.
	Reason string `json:"reason,omitempty"`
	// Item is a follow-up action's number; Done says a checklist item or
	// follow-up became done (or, for a checklist item, undone).
	Item int  `json:"item,omitempty"`
	Done bool `json:"done,omitempty"`
	// Link points at the Slack message or file the event is about.
	Link string `json:"link,omitempty"`
	// Marking is a note's or update's own TLP marking, when above its
	// incident's at the time: what leaves the channel withholds it.
	Marking string `json:"marking,omitempty"`
	// V is 1 for typed events; 0 for events stored before, whose Text is
	// the sentence as it was written then, Slack mentions and all.
	V int `json:"v,omitempty"`
	// Request is the RequestTag of the request that wrote the event: a
	// request done again after a crash finds its own events by it. Kept
	// by the store; never shown.
	Request string `json:"-"`
}

// typed marks events built here.
const typed = 1

// The events, one constructor each.

func Declared(at time.Time, by, title, severity string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventDeclared, Text: title, To: severity, Users: []string{by}, V: typed}
}
func ChannelCreated(at time.Time, name string) TimelineEvent {
	return TimelineEvent{At: at, Kind: EventChannel, To: name, V: typed}
}
func Invited(at time.Time, by string, users []string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventInvite, Users: users, V: typed}
}
func PhaseMoved(at time.Time, by string, from, to Phase, reason string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventPhase, Phase: to, From: string(from), To: string(to), Reason: reason, V: typed}
}
func SeverityChanged(at time.Time, by, from, to string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventSeverity, From: from, To: to, V: typed}
}

// RoleChanged records a role's holder changing from one user to another;
// either may be "" (nobody).
func RoleChanged(at time.Time, by, role, from, to string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventRole, Role: role, From: from, To: to, V: typed}
}
func ChecklistTicked(at time.Time, by string, p Phase, item string, done bool) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventChecklist, Phase: p, Text: item, Done: done, V: typed}
}
func Updated(at time.Time, by, text string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventUpdate, Text: text, V: typed}
}
func ScheduledUpdateSent(at time.Time) TimelineEvent {
	return TimelineEvent{At: at, Kind: EventScheduled, V: typed}
}
func Noted(at time.Time, by, text string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventNote, Text: text, V: typed}
}

// Pinned records a message put on the timeline with :pushpin:; author may be "".
func Pinned(at time.Time, by, author, text, link string) TimelineEvent {
	ev := TimelineEvent{At: at, Actor: by, Kind: EventPinned, Text: text, Link: link, V: typed}
	if author != "" {
		ev.Users = []string{author}
	}
	return ev
}
func IncidentClosed(at time.Time, by, summary string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventClosed, Text: summary, V: typed}
}
func LessonAdded(at time.Time, by string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventLesson, V: typed}
}
func FollowUpAdded(at time.Time, by string, id int, text string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventFollowUp, Item: id, Text: text, V: typed}
}
func FollowUpDone(at time.Time, by string, id int) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventFollowUp, Item: id, Done: true, V: typed}
}

// InjectPosted records a drill's inject (its place in the scenario and its words).
func InjectPosted(at time.Time, item int, text string) TimelineEvent {
	return TimelineEvent{At: at, Kind: EventInject, Item: item, Text: text, V: typed}
}
func PostmortemPublished(at time.Time, link string) TimelineEvent {
	return TimelineEvent{At: at, Kind: EventPublished, Link: link, V: typed}
}

// Words is how a place that shows events writes their parts: a person
// (a mention in Slack, a name in a document), text a person wrote
// (escaped for where it goes), and a role's display name.
type Words struct {
	User func(id string) string
	Text func(plain string) string
	Role func(key string) string
}

// Describe is the event as one sentence, in the words of where it is shown.
func (ev TimelineEvent) Describe(w Words) string {
	if ev.V == 0 {
		return w.Text(ev.Text) // stored before events were typed: the sentence as written then
	}
	users := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = w.User(id)
		}
		return strings.Join(out, ", ")
	}
	holder := func(id string) string {
		if id == "" {
			return "nobody"
		}
		return w.User(id)
	}
	switch ev.Kind {
	case EventDeclared:
		return fmt.Sprintf("Declared %s with severity %s; %s is the commander", w.Text(`"`+ev.Text+`"`), w.Text(ev.To), users(ev.Users))
	case EventChannel:
		return w.Text("Channel #" + ev.To + " created")
	case EventInvite:
		return "Invited " + users(ev.Users)
	case EventPhase:
		from, to := Phase(ev.From).Title(), Phase(ev.To).Title()
		if ev.Reason != "" {
			return fmt.Sprintf("Phase moved back: %s → %s (%s)", from, to, w.Text(ev.Reason))
		}
		return fmt.Sprintf("Phase: %s → %s", from, to)
	case EventSeverity:
		return fmt.Sprintf("Severity: %s → %s", w.Text(ev.From), w.Text(ev.To))
	case EventRole:
		role := w.Text(w.Role(ev.Role))
		switch {
		case ev.To == "" && ev.From != "" && ev.Actor != "" && ev.Actor != ev.From:
			// Taken off by someone else: the holder did not step down.
			return fmt.Sprintf("%s: no longer %s", role, w.User(ev.From))
		case ev.To == "":
			return fmt.Sprintf("%s: %s stepped down", role, holder(ev.From))
		case ev.From == "":
			return fmt.Sprintf("%s: %s", role, w.User(ev.To))
		}
		return fmt.Sprintf("%s: %s → %s", role, w.User(ev.From), w.User(ev.To))
	case EventChecklist:
		verb := "done"
		if !ev.Done {
			verb = "not done after all"
		}
		return fmt.Sprintf("%s checklist: %s %s", ev.Phase.Title(), w.Text(`"`+ev.Text+`"`), verb)
	case EventScheduled:
		return "Scheduled stakeholder update sent"
	case EventPinned:
		// The line names who pinned it; the author only when someone else.
		switch {
		case len(ev.Users) == 0:
			return "pinned: " + w.Text(ev.Text)
		case ev.Users[0] == ev.Actor:
			return "pinned their message: " + w.Text(ev.Text)
		}
		return "pinned " + w.User(ev.Users[0]) + ": " + w.Text(ev.Text)
	case EventClosed:
		if ev.Text == "" {
			return "Closed"
		}
		return "Closed: " + w.Text(ev.Text)
	case EventLesson:
		return "Lessons learned added"
	case EventFollowUp:
		if ev.Done {
			return fmt.Sprintf("Follow-up #%d done", ev.Item)
		}
		return fmt.Sprintf("Follow-up #%d: %s", ev.Item, w.Text(ev.Text))
	case EventPublished:
		return "Postmortem published"
	case EventIndicator:
		// Stored in its normal form; shown defanged wherever it is shown.
		shown := w.Text(Defang(IndicatorType(ev.From), ev.Text))
		if ev.To != "" {
			return fmt.Sprintf("Indicator (%s) %s marked %s", w.Text(ev.From), shown, w.Text(strings.ReplaceAll(ev.To, "_", " ")))
		}
		if ev.Reason != "" { // a sighting's own note
			return fmt.Sprintf("Indicator (%s): %s (%s)", w.Text(ev.From), shown, w.Text(ev.Reason))
		}
		return fmt.Sprintf("Indicator (%s): %s", w.Text(ev.From), shown)
	case EventEvidence:
		ref := fmt.Sprintf("Evidence EV-%d %s", ev.Item, w.Text(`"`+ev.Text+`"`))
		switch ev.To {
		case CustodyCollected:
			return ref + " collected"
		case CustodyTransferred:
			if len(ev.Users) == 2 {
				return fmt.Sprintf("%s handed from %s to %s", ref, w.User(ev.Users[0]), w.User(ev.Users[1]))
			}
		case CustodyVerified:
			return ref + " re-hashed on receipt: the hash matches"
		case CustodyMismatch:
			return ref + " re-hashed on receipt: HASH MISMATCH, got sha256:" + w.Text(ev.From)
		}
		return ref + " " + w.Text(ev.To)
	case EventContainment:
		what := fmt.Sprintf("Containment A-%d: %s %s", ev.Item, w.Text(ev.From), w.Text(DefangAny(ev.Text)))
		switch ev.To {
		case "":
			if ev.Reason != "" {
				what += " (" + w.Text(ev.Reason) + ")"
			}
			return what
		case ActionKept:
			return what + " made permanent: " + w.Text(ev.Reason)
		case ActionUndone:
			if ev.Reason != "" {
				return what + " undone: " + w.Text(ev.Reason)
			}
		}
		return what + " " + w.Text(ev.To)
	case EventTLP:
		what := "Marking: " + w.Text(ev.From) + " → " + w.Text(ev.To)
		if ev.Reason != "" {
			what += " (" + w.Text(ev.Reason) + ")"
		}
		return what
	case EventDecision:
		what := "Decided: " + w.Text(DecisionTitle(ev.To))
		if at, err := time.Parse(time.RFC3339, ev.Text); err == nil && !at.Equal(ev.At.Truncate(time.Second)) && !at.Equal(ev.At) {
			what += w.Text(" (as of " + at.UTC().Format("2006-01-02 15:04 UTC") + ")")
		}
		return what
	case EventNotified:
		what := "Regulator notified: " + w.Text(ev.From)
		if ev.Text != "" {
			what += w.Text(" (reference " + ev.Text + ")")
		}
		if ev.Reason != "" {
			what += w.Text("; late because " + ev.Reason)
		}
		return what
	case EventSuspect:
		if ev.To == "cleared" {
			return "No longer suspected: " + users(ev.Users)
		}
		return "Suspected accounts: " + users(ev.Users) + " (never invited, told or listed; their attempts are refused)"
	case EventGate:
		return fmt.Sprintf("Exit criteria of %s skipped (%s not done: %s): %s", ev.Phase.Title(), plural(ev.Item, "required item"), w.Text(ev.Text), w.Text(ev.Reason))
	case EventQuiet:
		return "Quiet mode lifted: the title may be told outside the channel, and the stakeholders from the next update"
	case EventInject:
		return "Drill inject: " + w.Text(ev.Text)
	case EventReported:
		// The reporter is the event's actor, shown beside it; none for a tool's
		// alert (its text says which tool) or an anonymous report.
		anon := ""
		if ev.Actor == "" && !strings.HasPrefix(ev.Text, "alert from ") {
			anon = " anonymously"
		}
		return fmt.Sprintf("Reported%s as %s: %s", anon, FormatReportRef(int64(ev.Item)), w.Text(ev.Text))
	}
	return w.Text(ev.Text) // updates, notes, and kinds to come
}
