package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The rules of an incident. Each change is a method that checks the rules
// on the state it is given and returns the events to record, or a domain
// error that says what was wrong; the caller stores both in one step.

// Actor is who asks for a change.
type Actor struct {
	ID    string
	Admin bool // listed in admins: in the configuration
	Legal bool // a legal contact (notifications.legal): keeps the regulatory clocks
}

// MayLead reports whether the actor has the lead permission (severity
// changes, moving a phase back, handing over command, closing): the
// commander, an admin, or anyone while nobody holds the commander role.
func (i *Incident) MayLead(a Actor) bool {
	cmd := i.Commander()
	return cmd == "" || cmd == a.ID || a.Admin
}

// Commands reports whether the actor is the incident's commander or an
// admin: for what must not fall to anyone while the role is vacant.
func (i *Incident) Commands(a Actor) bool {
	return a.Admin || (a.ID != "" && i.Commander() == a.ID)
}

// RequireCommands is the refusal for an actor who is neither the
// commander nor an admin; what is what they asked to do.
func (i *Incident) RequireCommands(a Actor, what Sentence) error {
	switch {
	case i.Commands(a):
		return nil
	case i.Commander() == "":
		return Fail(Forbidden, "Only the incident commander or an admin can %s, and %s has no commander now.", what, i.Ref())
	}
	return Fail(Forbidden, "Only the incident commander (%s) or an admin can %s.", UserRef(i.Commander()), what)
}

// RequireLead is the refusal for an actor without the lead permission.
func (i *Incident) RequireLead(a Actor, what string) error {
	if i.MayLead(a) {
		return nil
	}
	return Fail(Forbidden, "Only the incident commander (%s) or an admin can %s in %s.", UserRef(i.Commander()), what, i.Ref())
}

// Move moves the incident to phase to, or to the next phase when to is "".
// Moving back needs the lead permission and a reason. A non-empty seen is
// the phase the asker saw: if the incident has moved on since, it does not
// move again (a double click).
func (i *Incident) Move(at time.Time, a Actor, to Phase, reason string, seen Phase, playbook func(Phase) []PlaybookItem) ([]TimelineEvent, error) {
	if err := i.EnsureOpen("moving the phase"); err != nil {
		return nil, err
	}
	if seen != "" && seen != i.Phase {
		return nil, Fail(Conflict, "%s has already moved on from %s: it is in %s.", i.Ref(), seen.Title(), i.Phase.Title())
	}
	if to == "" {
		next, ok := i.Phase.Next()
		if !ok {
			return nil, Errorf("%s is already in the last phase, %s.", i.Ref(), i.Phase.Title())
		}
		to = next
	}
	if to == i.Phase {
		return nil, Errorf("%s is already in %s.", i.Ref(), to.Title())
	}
	why := ""
	var events []TimelineEvent
	if i.Phase.Before(to) {
		// Leaving a phase forward: its required items are its exit criteria,
		// and so are those of every phase jumped over.
		missing := i.MissingRequired(i.Phase)
		for p := range i.Phase.Between(to) {
			var left []string
			if _, begun := i.Checklists[p]; begun {
				left = i.MissingRequired(p)
			} else {
				for _, it := range playbook(p) {
					if it.Required {
						left = append(left, it.Text)
					}
				}
			}
			for _, m := range left {
				missing = append(missing, p.Title()+": "+m)
			}
		}
		if len(missing) > 0 {
			list := make([]any, len(missing))
			for k, m := range missing {
				list[k] = Literal(m)
			}
			if reason == "" {
				word := string(to)
				if next, _ := i.Phase.Next(); next == to {
					word = "next"
				}
				return nil, Fail(Conflict, "%s cannot leave %s yet: %s not done: %s. Tick them in the checklists, or the commander or an admin skips them with %s.",
					i.Ref(), i.Phase.Title(), plural(len(missing), "required item"), Join("; ", list...), Literal("/incident phase "+word+" because <reason>"))
			}
			if err := i.RequireCommands(a, Say("move %s on from %s with required items not done", i.Ref(), i.Phase.Title())); err != nil {
				return nil, err
			}
			events = append(events, TimelineEvent{At: at, Actor: a.ID, Kind: EventGate, Phase: i.Phase, Text: strings.Join(missing, "; "), Item: len(missing), Reason: reason, V: typed})
		}
	}
	if to.Before(i.Phase) {
		if err := i.RequireLead(a, "move the phase back"); err != nil {
			return nil, err
		}
		if reason == "" {
			return nil, Errorf("Moving %s back from %s to %s needs a reason: %s.", i.Ref(), i.Phase.Title(), to.Title(), Literal("/incident phase "+string(to)+" because <reason>"))
		}
		why = reason
	}
	ev, _ := i.EnterPhase(at, a.ID, to, why, playbook(to))
	return append(events, ev), nil
}

// SetSeverity changes the severity; it needs the lead permission.
func (i *Incident) SetSeverity(at time.Time, a Actor, severity string) ([]TimelineEvent, error) {
	if err := i.EnsureOpen("changing the severity"); err != nil {
		return nil, err
	}
	if err := i.RequireLead(a, "change the severity"); err != nil {
		return nil, err
	}
	if i.Severity == severity {
		return nil, Errorf("%s is already %s.", i.Ref(), severity)
	}
	ev := SeverityChanged(at, a.ID, i.Severity, severity)
	i.Severity = severity
	return []TimelineEvent{ev}, nil
}

// Assign gives a role to a user, or with user "" takes it back; the
// commander role needs the lead permission. A new holder becomes a member.
func (i *Incident) Assign(at time.Time, a Actor, role Role, user string) ([]TimelineEvent, error) {
	if err := i.EnsureOpen("assigning roles"); err != nil {
		return nil, err
	}
	if role.Key == CommanderRole {
		if err := i.RequireLead(a, "hand over the commander role"); err != nil {
			return nil, err
		}
		// A vacant command is filled by an admin or by whoever declared
		// the incident: the commander's powers (lowering a marking, custody
		// steps) must not go to whoever comes by first, nor to someone who
		// gave themselves a lesser role to look like one of its people. The
		// commander hands over with assign, which never leaves it vacant.
		if i.Commander() == "" && user != "" && !a.Admin && a.ID != i.DeclaredBy {
			// A suspected declarer holds nothing: then its members may.
			if !i.IsSuspect(i.DeclaredBy) {
				return nil, Fail(Forbidden, "Nobody is the commander of %s: only an admin or %s, who declared it, can fill the role.", i.Ref(), UserRef(i.DeclaredBy))
			}
			if !i.IsMember(a.ID) {
				return nil, Fail(Forbidden, "Nobody is the commander of %s: only an admin or one of its members can fill the role.", i.Ref())
			}
		}
	}
	prev := i.Roles[role.Key]
	switch {
	case i.IsSuspect(user):
		return nil, Fail(Forbidden, "%s is a suspected account of %s: they are never given a role or invited.", UserRef(user), i.Ref())
	case user == "" && prev == "":
		return nil, Errorf("Nobody is the %s of %s.", role.Name, i.Ref())
	case user != "" && prev == user:
		return nil, Errorf("%s is already the %s of %s.", UserRef(user), role.Name, i.Ref())
	}
	if i.Roles == nil {
		i.Roles = map[string]string{}
	}
	if user == "" {
		delete(i.Roles, role.Key)
	} else {
		i.Roles[role.Key] = user
	}
	events := []TimelineEvent{RoleChanged(at, a.ID, role.Key, prev, user)}
	if user != "" && !slices.Contains(i.Members, user) {
		i.Members = append(i.Members, user)
		events = append(events, Invited(at, a.ID, []string{user}))
	}
	return events, nil
}

// Close resolves the incident: it enters lessons learned (beginning that
// checklist the first time) and the retro runs until the deadline. It
// needs the lead permission.
func (i *Incident) Close(at time.Time, a Actor, summary string, retro time.Duration, playbook func(Phase) []PlaybookItem) (events []TimelineEvent, beganLessons bool, err error) {
	if i.Status != Open {
		return nil, false, Fail(Conflict, "%s is already closed.", i.Ref())
	}
	if err := i.RequireLead(a, "close the incident"); err != nil {
		return nil, false, err
	}
	if i.Phase != Lessons {
		var ev TimelineEvent
		ev, beganLessons = i.EnterPhase(at, a.ID, Lessons, "", playbook(Lessons))
		events = append(events, ev)
	}
	i.Status, i.Summary, i.ResolvedAt, i.RetroDeadline = Resolved, summary, at, at.Add(retro)
	events = append(events, IncidentClosed(at, a.ID, summary))
	return append(events, i.openContainmentFollowUps(at, a.ID)...), beganLessons, nil
}

// MarkFollowUpDone marks a follow-up action done: its owner may, an admin
// may, and anyone while it has no owner.
func (i *Incident) MarkFollowUpDone(at time.Time, a Actor, id int) (*FollowUp, []TimelineEvent, error) {
	k := slices.IndexFunc(i.FollowUps, func(f FollowUp) bool { return f.ID == id })
	if k < 0 {
		return nil, nil, Fail(NotFound, "%s has no follow-up #%d.", i.Ref(), id)
	}
	f := &i.FollowUps[k]
	switch {
	case f.Done:
		return nil, nil, Fail(Conflict, "%s #%d is already done.", i.Ref(), id)
	case f.Owner != "" && f.Owner != a.ID && !a.Admin:
		return nil, nil, Fail(Forbidden, "Only its owner (%s) or an admin can mark %s #%d done.", UserRef(f.Owner), i.Ref(), id)
	}
	for _, c := range i.OpenContainment() {
		if c.FollowUp == id {
			// Done means the action was undone or kept: saying which is the follow-up.
			return nil, nil, Fail(Conflict, "%s #%d is containment action %s, still open: %s or %s, and it is done then.", i.Ref(), id, c.Ref(),
				Literal(fmt.Sprintf("/incident action %s undo %s", i.Ref(), c.Ref())), Literal(fmt.Sprintf("/incident action %s keep %s <reason>", i.Ref(), c.Ref())))
		}
	}
	f.Done, f.DoneBy, f.DoneAt = true, a.ID, at
	return f, []TimelineEvent{FollowUpDone(at, a.ID, id)}, nil
}

// StillRecording refuses what would add to the record (what: "a note")
// once the postmortem is published: nobody who reads it would see it.
func (i *Incident) StillRecording(what string) error {
	if i.Status != Closed {
		return nil
	}
	return Fail(Conflict, "The postmortem of %s is published, so %s would no longer reach it; nothing was added. Follow-up actions are still open to mark done (%s), and %s shows the record.",
		i.Ref(), what, Literal("/incident actions"), Literal("/incident timeline"))
}
