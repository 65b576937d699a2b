package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// homeJSON is the Home tab last published for user, and how many were.
func homeJSON(h *harness, user string) (string, int) {
	v, n := h.slack.Home(user)
	return string(v.JSON), n
}

// TestASuspectsHomeTabIsRepublishedWithoutTheIncident: bob, a responder
// who keeps his Home tab open, sees INC-1 there. The commander then names
// him a suspected account. The README says "a suspected account sees
// nothing of an incident", and the incident's card changes at once, so his
// tab must be published again without INC-1. homeChanged leaves suspects
// out of the tabs it marks, though, so his tab is never published again
// and keeps showing the incident's title, phase and channel.
func TestASuspectsHomeTabIsRepublishedWithoutTheIncident(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	h, s := declaredBot(t, clock.Now, "", "Payroll admin account taken over sev1 <@UBOB|bob>", "UBOB")
	if _, err := h.slack.OpenHome(s.ctx, "UBOB"); err != nil {
		t.Fatal(err)
	}
	s.await("bob's Home tab", func() bool { j, _ := homeJSON(h, "UBOB"); return strings.Contains(j, "Payroll admin") })
	_, before := homeJSON(h, "UBOB")

	if got := s.command("UALICE", s.ch, "suspect <@UBOB|bob>"); !strings.Contains(got, "Suspected in INC-1") {
		t.Fatalf("naming bob a suspect answered %q", got)
	}
	s.command("UALICE", s.ch, "phase next") // and another change of the incident
	clock.Advance(10 * time.Second)
	time.Sleep(2500 * time.Millisecond) // ticks of the Home publisher
	j, after := homeJSON(h, "UBOB")
	if strings.Contains(j, "INC-1") || strings.Contains(j, "Payroll") {
		t.Errorf("suspected bob's Home tab still shows INC-1 (published %d times before, %d after):\n%s", before, after, j)
	}
}

// TestAQuietIncidentsContainmentTargetStaysOutOfTheHomeTab: a quiet
// incident keeps its details inside its channel ("no answer outside it
// carries its details"); the Home tab already hides its title (codename)
// and the words of its follow-up actions. The containment actions list
// shows the target of its containment action all the same: the account
// or address the responders are acting on, outside the channel.
func TestAQuietIncidentsContainmentTargetStaysOutOfTheHomeTab(t *testing.T) {
	t.Parallel()
	h, s, _ := quietBot(t, "")
	s.command("UALICE", s.ch, "action block 198.51.100.23 --note payroll attacker's VPN exit")
	if _, err := h.slack.OpenHome(s.ctx, "UALICE"); err != nil {
		t.Fatal(err)
	}
	s.await("alice's Home tab", func() bool { _, n := homeJSON(h, "UALICE"); return n >= 1 })
	j, _ := homeJSON(h, "UALICE")
	if !strings.Contains(j, "codename") {
		t.Fatalf("alice's Home tab does not list the quiet INC-1:\n%s", j)
	}
	if quietSecret(j) || strings.Contains(j, "198.51.100") || strings.Contains(j, "198[.]51[.]100") {
		t.Errorf("the Home tab carries a detail of the quiet INC-1 outside its channel:\n%s", j)
	}
}

const gatedPlaybook = `playbooks:
  containment:
    - {text: Isolate affected hosts from the network, required: true}
    - Block malicious IP addresses
  eradication:
    - {text: Reimage the infected hosts, required: true}
`

// TestARequiredItemCannotBeJumpedOver: containment has a required item.
// The README: moving on "(phase next, phase <a later phase>…)" with a
// required item not ticked is refused, and only the commander or an admin
// skips it, with a reason. A responder in identification who types
// "phase recovery" jumps over containment and eradication: their required
// items are never checked (Move gates only the phase being left, and a
// phase never entered has no checklist yet), nothing goes on the timeline
// as skipped, and the postmortem's "Exit criteria skipped" stays empty.
func TestARequiredItemCannotBeJumpedOver(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, gatedPlaybook, "Ransomware on the file server sev1 <@UBOB|bob>", "UBOB")
	got := s.command("UBOB", s.ch, "phase recovery")
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Phase != incident.Identification {
		t.Errorf("responder bob jumped INC-1 from identification to %s over two required items (answer %q); skipped gates on the timeline: %d",
			inc.Phase, got, s.countEvents(1, incident.EventGate, ""))
	}
}

// TestAHomeTabChangeIsNotLostWhenSlackIsDown: alice keeps her Home tab
// open; her incident moves to containment while Slack answers views.publish
// with 503s for longer than the bot retries. TakeChangedHomes takes her
// tab off the list before publishing it and nothing puts it back when the
// publish fails, so once Slack is back her tab still shows Identification
// (and would until some other change, up to a day later).
func TestAHomeTabChangeIsNotLostWhenSlackIsDown(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	h, s := declaredBot(t, clock.Now, quietSeverities, "Phishing wave sev2", "UBOB")
	if _, err := h.slack.OpenHome(s.ctx, "UALICE"); err != nil {
		t.Fatal(err)
	}
	s.await("alice's Home tab", func() bool { j, _ := homeJSON(h, "UALICE"); return strings.Contains(j, "Identification since") })
	outage := make([]fakeslack.Failure, 8)
	for k := range outage {
		outage[k] = fakeslack.Failure{Status: 503}
	}
	h.slack.Fail("views.publish", outage...)
	s.command("UALICE", s.ch, "phase next")
	clock.Advance(5 * time.Second)
	s.await("the failed publishes", func() bool { return len(h.slack.Calls("views.publish")) >= 9 })
	// Slack is back; the bot's ticks go on.
	for range 3 {
		clock.Advance(5 * time.Second)
		time.Sleep(1100 * time.Millisecond)
	}
	if j, _ := homeJSON(h, "UALICE"); !strings.Contains(j, "Containment since") {
		t.Errorf("after Slack came back alice's Home tab still shows the old phase:\n%s", j)
	}
}

// TestRecentlyClosedListsMyIncidentWhateverOthersClose: bob took part in
// INC-1, closed 20 days ago. Since then the organisation closed 50 other
// incidents he was not in. His Home tab must still list INC-1 under
// "Recently closed, with you" (the README: "the incidents you took part
// in that were closed in the last 30 days"); the view reads only the 50
// newest closed incidents of anyone, then keeps bob's, so INC-1 is gone.
func TestRecentlyClosedListsMyIncidentWhateverOthersClose(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	now := time.Now()
	closed := func(at time.Time, members ...string) {
		n, err := h.store.NextNumber(s.ctx)
		if err != nil {
			t.Fatal(err)
		}
		inc := &incident.Incident{Number: n, Title: "Phishing wave", Severity: "sev2", Phase: incident.Lessons, Status: incident.Closed,
			TLP: "TLP:CLEAR", DeclaredBy: "UALICE", DeclaredAt: at.Add(-time.Hour), PhaseStartedAt: at, ResolvedAt: at, ClosedAt: at,
			Roles: map[string]string{incident.CommanderRole: "UALICE"}, Members: members}
		if err := h.store.Create(s.ctx, inc, incident.Declared(inc.DeclaredAt, "UALICE", inc.Title, inc.Severity)); err != nil {
			t.Fatal(err)
		}
	}
	closed(now.Add(-20*24*time.Hour), "UALICE", "UBOB")
	for k := 0; k < 50; k++ {
		closed(now.Add(-time.Duration(10*24-k)*time.Hour), "UALICE")
	}
	if _, err := h.slack.OpenHome(s.ctx, "UBOB"); err != nil {
		t.Fatal(err)
	}
	s.await("bob's Home tab", func() bool { _, n := homeJSON(h, "UBOB"); return n >= 1 })
	if j, _ := homeJSON(h, "UBOB"); !strings.Contains(j, "*INC-1*") {
		t.Errorf("bob's Home tab does not list INC-1, closed 20 days ago with him:\n%s", j)
	}
}
