package incident

import (
	"cmp"
	"slices"
	"time"
)

// Compromise-aware mode. When an attacker may be reading the workspace, an
// incident is run quietly: its channel is named by a codename, its title
// stays inside the channel, the stakeholder channel is never told, and the
// accounts the commander suspects are never invited, briefed, messaged or
// listed, and their attempts on it are refused and reported.

// Unannounced reports whether the stakeholder channel is never told of
// the incident: a drill's or a quiet one's.
func (i *Incident) Unannounced() bool { return i.Drill || i.Quiet }

// Outward is what names the incident where its title must not go (the
// channel name and topic, direct messages, push notification text): its
// title, or while it is quiet its codename.
func (i *Incident) Outward() string {
	if i.Quiet {
		return "codename " + i.Codename
	}
	return i.Title
}

// IsSuspect reports whether a user is one of the incident's suspected accounts.
func (i *Incident) IsSuspect(user string) bool {
	return user != "" && slices.Contains(i.Suspects, user)
}

// maxSuspects bounds the suspected accounts of one incident.
const maxSuspects = 50

// Suspect names suspected accounts: the commander's or an admin's to do.
// A suspect loses any role they hold and is no longer a member; the
// commander cannot be named (hand the role over first).
func (i *Incident) Suspect(at time.Time, a Actor, users []string) ([]TimelineEvent, error) {
	if err := i.RequireCommands(a, Say("name suspected accounts of %s", i.Ref())); err != nil {
		return nil, err
	}
	var events []TimelineEvent
	var named []string
	for _, u := range users {
		switch {
		case u == i.Commander():
			return nil, Errorf("%s is the commander of %s: hand the role over first (%s).", UserRef(u), i.Ref(), Literal("/incident assign commander <@user>"))
		case u == a.ID:
			return nil, Errorf("You cannot name yourself a suspected account.")
		case i.IsSuspect(u) || slices.Contains(named, u):
			continue
		}
		named = append(named, u)
	}
	if len(named) == 0 {
		return nil, Fail(Conflict, "They are suspected accounts of %s already.", i.Ref())
	}
	if len(i.Suspects)+len(named) > maxSuspects {
		return nil, Errorf("An incident has at most %d suspected accounts.", maxSuspects)
	}
	for _, u := range named {
		for key, holder := range i.Roles {
			if holder == u {
				delete(i.Roles, key)
				events = append(events, RoleChanged(at, a.ID, key, u, ""))
			}
		}
		i.Members = slices.DeleteFunc(i.Members, func(m string) bool { return m == u })
	}
	i.Suspects = append(i.Suspects, named...)
	slices.SortFunc(events, func(x, y TimelineEvent) int { return cmp.Compare(x.Role, y.Role) })
	return append(events, TimelineEvent{At: at, Actor: a.ID, Kind: EventSuspect, Users: named, V: typed}), nil
}

// Unsuspect clears suspected accounts: the commander's or an admin's to do.
func (i *Incident) Unsuspect(at time.Time, a Actor, users []string) ([]TimelineEvent, error) {
	if err := i.RequireCommands(a, Say("clear suspected accounts of %s", i.Ref())); err != nil {
		return nil, err
	}
	var cleared []string
	for _, u := range users {
		if i.IsSuspect(u) && !slices.Contains(cleared, u) {
			cleared = append(cleared, u)
		}
	}
	if len(cleared) == 0 {
		return nil, Fail(Conflict, "They are not suspected accounts of %s.", i.Ref())
	}
	i.Suspects = slices.DeleteFunc(i.Suspects, func(s string) bool { return slices.Contains(cleared, s) })
	return []TimelineEvent{{At: at, Actor: a.ID, Kind: EventSuspect, Users: cleared, To: "cleared", V: typed}}, nil
}

// QuietOff lifts the compromise-aware mode: the commander's or an admin's
// to do. Suspected accounts stay suspected.
func (i *Incident) QuietOff(at time.Time, a Actor) ([]TimelineEvent, error) {
	if !i.Quiet {
		return nil, Fail(Conflict, "%s is not quiet.", i.Ref())
	}
	if err := i.RequireCommands(a, Say("lift the quiet mode of %s", i.Ref())); err != nil {
		return nil, err
	}
	i.Quiet = false
	return []TimelineEvent{{At: at, Actor: a.ID, Kind: EventQuiet, To: "off", V: typed}}, nil
}

// Codename is a name for a quiet incident's channel that says nothing of
// it: two words, chosen by n (random).
func Codename(n uint32) string {
	adjectives := []string{"amber", "azure", "brisk", "calm", "cobalt", "crimson", "dusky", "eager", "fallow", "gentle",
		"golden", "hollow", "idle", "jade", "keen", "lunar", "mellow", "misty", "nimble", "olive", "pale", "quiet",
		"rapid", "rustic", "silent", "silver", "steady", "tawny", "umber", "vivid", "wary", "young"}
	nouns := []string{"badger", "beacon", "birch", "canyon", "cedar", "comet", "crane", "delta", "ember", "falcon",
		"fjord", "glacier", "harbor", "heron", "island", "juniper", "kestrel", "lagoon", "lantern", "maple", "meadow",
		"otter", "pebble", "pine", "quarry", "raven", "ridge", "river", "summit", "thistle", "willow", "wren"}
	return adjectives[n%uint32(len(adjectives))] + "-" + nouns[(n/uint32(len(adjectives)))%uint32(len(nouns))]
}
