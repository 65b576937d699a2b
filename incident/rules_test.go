package incident

import (
	"strings"
	"testing"
	"time"
)

func TestRules(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	none := func(Phase) []PlaybookItem { return nil }
	fresh := func() *Incident {
		return &Incident{Number: 1, Status: Open, Phase: Eradication, Severity: "sev2",
			Roles:     map[string]string{CommanderRole: "UALICE"},
			FollowUps: []FollowUp{{ID: 1, Text: "MFA", Owner: "UBOB"}, {ID: 2, Text: "Alerts"}}}
	}
	alice, bob, admin := Actor{ID: "UALICE"}, Actor{ID: "UBOB"}, Actor{ID: "UADMIN", Admin: true}
	comms := Role{Key: "comms", Name: "Communications Lead"}
	commander := Role{Key: CommanderRole, Name: "Incident Commander"}
	for _, tc := range []struct {
		name   string
		change func(i *Incident) ([]TimelineEvent, error)
		code   Code // "" for allowed
	}{
		{"anyone moves forward", func(i *Incident) ([]TimelineEvent, error) { return i.Move(at, bob, "", "", "", none) }, ""},
		{"a member cannot move back", func(i *Incident) ([]TimelineEvent, error) { return i.Move(at, bob, Containment, "x", "", none) }, Forbidden},
		{"moving back needs a reason", func(i *Incident) ([]TimelineEvent, error) { return i.Move(at, alice, Containment, "", "", none) }, Invalid},
		{"an admin moves back", func(i *Incident) ([]TimelineEvent, error) { return i.Move(at, admin, Containment, "x", "", none) }, ""},
		{"a stale double click", func(i *Incident) ([]TimelineEvent, error) { return i.Move(at, bob, "", "", Containment, none) }, Conflict},
		{"a member cannot change severity", func(i *Incident) ([]TimelineEvent, error) { return i.SetSeverity(at, bob, "sev1") }, Forbidden},
		{"the commander changes severity", func(i *Incident) ([]TimelineEvent, error) { return i.SetSeverity(at, alice, "sev1") }, ""},
		{"anyone assigns comms", func(i *Incident) ([]TimelineEvent, error) { return i.Assign(at, bob, comms, "UCAROL") }, ""},
		{"a member cannot take command", func(i *Incident) ([]TimelineEvent, error) { return i.Assign(at, bob, commander, "UBOB") }, Forbidden},
		{"a member cannot close", func(i *Incident) ([]TimelineEvent, error) {
			ev, _, err := i.Close(at, bob, "", time.Hour, none)
			return ev, err
		}, Forbidden},
		{"the owner marks done", func(i *Incident) ([]TimelineEvent, error) {
			_, ev, err := i.MarkFollowUpDone(at, bob, 1)
			return ev, err
		}, ""},
		{"another cannot mark an owned one done", func(i *Incident) ([]TimelineEvent, error) {
			_, ev, err := i.MarkFollowUpDone(at, alice, 1)
			return ev, err
		}, Forbidden},
		{"anyone marks an unowned one done", func(i *Incident) ([]TimelineEvent, error) {
			_, ev, err := i.MarkFollowUpDone(at, alice, 2)
			return ev, err
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := fresh()
			before := *inc
			events, err := tc.change(inc)
			if got := ErrorCode(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
			if tc.code != "" && (len(events) > 0 || inc.Phase != before.Phase || inc.Severity != before.Severity) {
				t.Errorf("a refused change changed the incident: %+v", inc)
			}
			if tc.code == "" && len(events) == 0 {
				t.Error("an allowed change recorded no event")
			}
		})
	}
	closed := fresh()
	if _, _, err := closed.Close(at, alice, "done", time.Hour, none); err != nil {
		t.Fatal(err)
	}
	if _, err := closed.SetSeverity(at, alice, "sev1"); ErrorCode(err) != Conflict {
		t.Errorf("a closed incident's severity changed: %v", err)
	}
}

// A phase with required checklist items is left (forward) only once they
// are done, or by the commander or an admin with a reason, which goes on
// the timeline with what was skipped; moving back is not gated.
func TestPhaseGates(t *testing.T) {
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	none := func(Phase) []PlaybookItem { return nil }
	alice, bob, admin := Actor{ID: "UALICE"}, Actor{ID: "UBOB"}, Actor{ID: "UADMIN", Admin: true}
	fresh := func() *Incident {
		i := &Incident{Number: 1, Status: Open, Phase: Containment, Roles: map[string]string{CommanderRole: "UALICE"}}
		i.BeginChecklist(Containment, []PlaybookItem{{Text: "Isolate hosts", Required: true}, {Text: "Block IPs"}, {Text: "Disable accounts", Required: true}})
		return i
	}
	i := fresh()
	_, err := i.Move(at, bob, "", "", "", none)
	if ErrorCode(err) != Conflict || !strings.Contains(err.Error(), `2 required items not done: "Isolate hosts"; "Disable accounts"`) || !strings.Contains(err.Error(), "/incident phase next because <reason>") {
		t.Fatalf("leaving with required items undone: %v", err)
	}
	if _, err := i.Move(at, bob, Recovery, "because hosts are off", "", none); ErrorCode(err) != Forbidden {
		t.Errorf("a member skipped the gate: %v", err)
	}
	if _, err := i.Move(at, alice, Identification, "because misjudged", "", none); err != nil {
		t.Errorf("moving back is gated: %v", err)
	}
	i = fresh()
	evs, err := i.Move(at, admin, "", "because the hosts are powered off", "", none)
	if err != nil || len(evs) != 2 || evs[0].Kind != EventGate || evs[0].Item != 2 || evs[0].Text != "Isolate hosts; Disable accounts" || i.Phase != Eradication {
		t.Fatalf("an admin's override: %+v, %v", evs, err)
	}
	i = fresh()
	for k := range i.Checklists[Containment] {
		i.Checklists[Containment][k].Done = true
	}
	if evs, err := i.Move(at, bob, "", "", "", none); err != nil || len(evs) != 1 {
		t.Errorf("leaving with every required item done: %+v, %v", evs, err)
	}
}
