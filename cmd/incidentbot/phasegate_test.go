package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// TestARequiredItemGatesThePhase: containment's required item blocks
// leaving it, by command and by the card's button, with what is missing
// and how to skip it; a responder cannot skip it; the commander does, with
// a reason, which is on the timeline and in the postmortem.
func TestARequiredItemGatesThePhase(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+`playbooks:
  containment:
    - {text: Isolate affected hosts from the network, required: true}
    - Block malicious IP addresses
`)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Ransomware on the file server sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UBOB", s.ch, "phase next")
	checklist := s.checklistMessage(incident.Containment).Visible()
	s.card("", "⚑ 1 required item left before the phase ends")
	if !strings.Contains(checklist, "⚑ Isolate affected hosts from the network") || !strings.Contains(checklist, "⚑ items are required before the phase ends") {
		t.Errorf("the containment checklist does not mark its required item:\n%s", checklist)
	}
	const missing = "INC-1 cannot leave Containment yet: 1 required item not done: `Isolate affected hosts from the network`"
	if got := s.command("UBOB", s.ch, "phase next"); !strings.Contains(got, missing) || !strings.Contains(got, "`/incident phase next because &lt;reason&gt;`") {
		t.Errorf("phase next with the required item undone answered %q", got)
	}
	got := s.answer("UBOB", func() error {
		_, err := h.slack.Click(s.ctx, "UBOB", s.ch, s.cardMessage().TS, commands.ActionNextPhase)
		return err
	})
	if !strings.Contains(got, missing) {
		t.Errorf("the Next phase button answered %q", got)
	}
	if got := s.command("UBOB", s.ch, "phase next because the hosts are off"); !strings.Contains(got, "Only the incident commander (<@UALICE>) or an admin can move INC-1 on from Containment with required items not done") {
		t.Errorf("a responder skipping the gate was answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Phase != incident.Containment {
		t.Fatalf("INC-1 left containment: %s", inc.Phase)
	}
	if got := s.command("UALICE", s.ch, "phase next because the hosts are powered off"); !strings.Contains(got, "Phase: Containment → Eradication") {
		t.Errorf("the commander's override answered %q", got)
	}
	if n := s.countEvents(1, incident.EventGate, "Isolate affected hosts"); n != 1 {
		t.Errorf("%d skipped gates on the timeline; want 1", n)
	}
	s.command("UALICE", s.ch, "close Restored from backups")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the postmortem", func() bool { _, ok := fileNamed(h.slack, "inc-1-postmortem.md"); return ok })
	pm, _ := fileNamed(h.slack, "inc-1-postmortem.md")
	if md := string(pm.Content); !strings.Contains(md, "### Exit criteria skipped") || !strings.Contains(md, "| Isolate affected hosts from the network | because the hosts are powered off |") {
		t.Errorf("the postmortem does not show the skipped gate:\n%s", md)
	}
}

const targetSeverities = `severities:
  - {name: sev1, description: "Critical", update_every: 0, targets: {containment: 1h, eradication: 2h}}
  - {name: sev2, description: "Major", update_every: 0}
default_severity: sev2
`

// TestAPhaseTargetNudgesOnce: a sev1 incident in containment past its
// one-hour target nudges its commander once in the channel, with two
// replicas and a restart; the card shows the phase overdue; the
// postmortem reports each phase against its target.
func TestAPhaseTargetNudgesOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	cl := clocks{now: clock.Now, outbound: clocktest.Instant{}}
	h := startBotWith(t, false, clock.Now, targetSeverities)
	replica := func() *harness {
		r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
		r.launch(t, false, false, cl, targetSeverities)
		return r
	}
	second := replica()
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Ransomware on the file server sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "phase next")
	s.card("", "target 1h")
	nudges := func() int {
		ch, _ := h.slack.Channel(s.ch)
		return countMessages(ch, "past the 1h target for sev1")
	}
	clock.Advance(time.Hour - time.Second)
	time.Sleep(1200 * time.Millisecond) // ticks of both replicas
	if n := nudges(); n != 0 {
		t.Fatalf("nudged %d times before the target passed", n)
	}
	clock.Advance(time.Second)
	s.await("the nudge", func() bool { return nudges() == 1 })
	second.halt()
	replica()
	clock.Advance(20 * time.Minute)
	time.Sleep(1500 * time.Millisecond)
	if n := nudges(); n != 1 {
		t.Errorf("nudged %d times; want once", n)
	}
	ch, _ := h.slack.Channel(s.ch)
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), "past the 1h target") && !strings.Contains(m.Visible(), "<@UALICE>: move it on") {
			t.Errorf("the nudge does not address the commander: %q", m.Visible())
		}
	}
	s.card("", ":alarm_clock: *overdue*: past its 1h target")

	clock.Advance(10 * time.Minute) // containment: 1h30m
	s.command("UALICE", s.ch, "phase next")
	clock.Advance(30 * time.Minute) // eradication: 30m, within its 2h
	s.command("UALICE", s.ch, "phase next")
	s.command("UALICE", s.ch, "close Restored")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the postmortem", func() bool { _, ok := fileNamed(h.slack, "inc-1-postmortem.md"); return ok })
	pm, _ := fileNamed(h.slack, "inc-1-postmortem.md")
	for _, want := range []string{"| Phase | Time | Target (sev1) |", "| Containment | 1h 30m | 1h: **missed** by 30m |", "| Eradication | 30m | 2h: met |"} {
		if !strings.Contains(string(pm.Content), want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, pm.Content)
		}
	}
	if n := nudges(); n != 1 {
		t.Errorf("nudged %d times in all; want once", n)
	}
}
