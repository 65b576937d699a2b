package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ContainmentKind is what a containment action did.
type ContainmentKind string

// The containment kinds.
const (
	ContainIsolate ContainmentKind = "isolate"
	ContainBlock   ContainmentKind = "block"
	ContainDisable ContainmentKind = "disable"
	ContainReset   ContainmentKind = "reset"
	ContainRevoke  ContainmentKind = "revoke"
	ContainOther   ContainmentKind = "other"
)

// ContainmentKinds are the kinds, in the order help lists them.
func ContainmentKinds() []ContainmentKind {
	return []ContainmentKind{ContainIsolate, ContainBlock, ContainDisable, ContainReset, ContainRevoke, ContainOther}
}

// ParseContainmentKind reads a kind word in any letter case.
func ParseContainmentKind(s string) (ContainmentKind, bool) {
	for _, k := range ContainmentKinds() {
		if strings.EqualFold(s, string(k)) {
			return k, true
		}
	}
	return "", false
}

// What an open containment action became.
const (
	ActionOpen   = "open"
	ActionUndone = "undone" // restored
	ActionKept   = "kept"   // made permanent
)

// MaxContainmentActions bounds an incident's containment log, so its
// record stays small enough to read on every command.
const MaxContainmentActions = 100

// ContainmentAction is a containment action taken during an incident: open until
// someone undoes it or makes it permanent.
type ContainmentAction struct {
	ID     int             `json:"id"` // 1, 2, … within the incident: A-1
	Kind   ContainmentKind `json:"kind"`
	Target string          `json:"target"`
	Note   string          `json:"note,omitempty"`
	By     string          `json:"by"`
	At     time.Time       `json:"at"`
	// Until is when the actor wants to be reminded to undo or keep it.
	Until    time.Time `json:"until,omitzero"`
	Reminded bool      `json:"reminded,omitempty"`
	State    string    `json:"state"`
	ClosedBy string    `json:"closed_by,omitempty"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	Reason   string    `json:"reason,omitempty"` // why it was kept (or undone)
	// FollowUp is the follow-up it became when the incident closed with it open.
	FollowUp int `json:"follow_up,omitempty"`
}

// Ref is the action as commands name it: A-3.
func (c ContainmentAction) Ref() string { return "A-" + strconv.Itoa(c.ID) }

// Shown is the target as it is shown: defanged when it is an indicator.
func (c ContainmentAction) Shown() string { return DefangAny(c.Target) }

// Open reports whether nobody has undone or kept it yet.
func (c ContainmentAction) Open() bool { return c.State == ActionOpen }

// ParseItemRef reads an item number as people type it: 3, #3, A-3 (prefix
// is the item's letter code, any case).
func ParseItemRef(s, prefix string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(s) > len(prefix)+1 && strings.EqualFold(s[:len(prefix)+1], prefix+"-") {
		s = s[len(prefix)+1:]
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0 && n < 1_000_000
}

// OpenContainment are the actions not yet undone or kept.
func (i *Incident) OpenContainment() []ContainmentAction {
	var out []ContainmentAction
	for _, c := range i.Actions {
		if c.Open() {
			out = append(out, c)
		}
	}
	return out
}

// recoveryItem is the recovery checklist item an open action becomes.
func recoveryItem(c ContainmentAction) string {
	return fmt.Sprintf("Undo or keep %s: %s %s", c.Ref(), c.Kind, c.Shown())
}

// AddContainment records a containment action. In recovery, it joins the
// recovery checklist at once.
func (i *Incident) AddContainment(at time.Time, by string, kind ContainmentKind, target, note string, until time.Time) (ContainmentAction, []TimelineEvent, error) {
	if len(i.Actions) >= MaxContainmentActions {
		return ContainmentAction{}, nil, Fail(Conflict, "%s has %d containment actions, the most it keeps.", i.Ref(), MaxContainmentActions)
	}
	c := ContainmentAction{ID: len(i.Actions) + 1, Kind: kind, Target: target, Note: note, By: by, At: at, Until: until, State: ActionOpen}
	i.Actions = append(i.Actions, c)
	if _, ok := i.Checklists[Recovery]; ok {
		i.Checklists[Recovery] = append(i.Checklists[Recovery], ChecklistItem{Text: recoveryItem(c)})
	}
	return c, []TimelineEvent{ContainmentRecorded(at, by, c)}, nil
}

// ResolveContainment undoes an open action (state ActionUndone) or makes it
// permanent (ActionKept, with a reason); its recovery checklist item and
// the follow-up it became at close are done with it.
func (i *Incident) ResolveContainment(at time.Time, a Actor, id int, state, reason string) (ContainmentAction, []TimelineEvent, error) {
	by := a.ID
	k := slices.IndexFunc(i.Actions, func(c ContainmentAction) bool { return c.ID == id })
	if k < 0 {
		return ContainmentAction{}, nil, Fail(NotFound, "%s has no containment action A-%d.", i.Ref(), id)
	}
	c := &i.Actions[k]
	if !c.Open() {
		return ContainmentAction{}, nil, Fail(Conflict, "%s was already %s by %s.", c.Ref(), c.State, UserRef(c.ClosedBy))
	}
	if c.FollowUp > 0 {
		// Left open at the close, it became its actor's follow-up: theirs to finish, as follow-ups are.
		for _, f := range i.FollowUps {
			if f.ID == c.FollowUp && f.Owner != "" && f.Owner != by && !a.Admin {
				return ContainmentAction{}, nil, Fail(Forbidden, "%s became follow-up #%d of %s: only its owner (%s) or an admin can undo or keep it now.", c.Ref(), f.ID, UserRef(f.Owner), UserRef(f.Owner))
			}
		}
	}
	c.State, c.ClosedBy, c.ClosedAt, c.Reason = state, by, at, reason
	events := []TimelineEvent{ContainmentResolved(at, by, *c)}
	item := recoveryItem(*c)
	for j, it := range i.Checklists[Recovery] {
		if it.Text == item && !it.Done {
			i.Checklists[Recovery][j] = ChecklistItem{Text: it.Text, Done: true, By: by, At: at}
			events = append(events, ChecklistTicked(at, by, Recovery, it.Text, true))
		}
	}
	if c.FollowUp > 0 {
		for j, f := range i.FollowUps {
			if f.ID == c.FollowUp && !f.Done {
				i.FollowUps[j].Done, i.FollowUps[j].DoneBy, i.FollowUps[j].DoneAt = true, by, at
				events = append(events, FollowUpDone(at, by, f.ID))
			}
		}
	}
	return *c, events, nil
}

// ActionOf is the action a checklist item stands for, if it stands for
// one: the item follows the action (ticked when it is undone or kept), and
// is neither ticked nor unticked by hand.
func (i *Incident) ActionOf(p Phase, item string) (ContainmentAction, bool) {
	if p != Recovery {
		return ContainmentAction{}, false
	}
	for _, c := range i.Actions {
		if recoveryItem(c) == item {
			return c, true
		}
	}
	return ContainmentAction{}, false
}

// addOpenToRecovery puts each open action on the recovery checklist.
func (i *Incident) addOpenToRecovery() {
	for _, c := range i.OpenContainment() {
		item := recoveryItem(c)
		if !slices.ContainsFunc(i.Checklists[Recovery], func(it ChecklistItem) bool { return it.Text == item }) {
			i.Checklists[Recovery] = append(i.Checklists[Recovery], ChecklistItem{Text: item})
		}
	}
}

// openContainmentFollowUps makes each open action a follow-up of the
// retro, owned by whoever took it, when the incident closes with it open.
func (i *Incident) openContainmentFollowUps(at time.Time, by string) []TimelineEvent {
	var events []TimelineEvent
	for k := range i.Actions {
		c := &i.Actions[k]
		if !c.Open() || c.FollowUp > 0 {
			continue
		}
		owner := c.By
		if i.IsSuspect(owner) {
			owner = "" // a suspect owns nothing of it: anyone working on it finishes it
		}
		f := FollowUp{ID: len(i.FollowUps) + 1, Text: fmt.Sprintf("Undo or keep containment action %s (%s %s)", c.Ref(), c.Kind, c.Shown()),
			Owner: owner, Author: by, At: at}
		i.FollowUps = append(i.FollowUps, f)
		c.FollowUp = f.ID
		events = append(events, FollowUpAdded(at, by, f.ID, f.Text))
	}
	return events
}

// DueContainmentReminder is the open action whose --until time comes
// first and whose actor was not reminded yet.
func (i *Incident) DueContainmentReminder() (ContainmentAction, bool) {
	var first ContainmentAction
	found := false
	for _, c := range i.Actions {
		if c.Open() && !c.Until.IsZero() && !c.Reminded && (!found || c.Until.Before(first.Until)) {
			first, found = c, true
		}
	}
	return first, found
}

// ContainmentRecorded records a containment action taken.
func ContainmentRecorded(at time.Time, by string, c ContainmentAction) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventContainment, Item: c.ID, From: string(c.Kind), Text: c.Target, Reason: c.Note, V: typed}
}

// ContainmentResolved records an action undone or kept.
func ContainmentResolved(at time.Time, by string, c ContainmentAction) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventContainment, Item: c.ID, From: string(c.Kind), Text: c.Target, To: c.State, Reason: c.Reason, V: typed}
}
