package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
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
	if got := s.command("UALICE", s.ch, "phase next because the hosts are powered off"); !strings.Contains(got, "INC-1 is now in *Eradication*") {
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
