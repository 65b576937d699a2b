package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// publishedPostmortem closes INC-1 (open actions and all) and publishes
// its postmortem now, and returns it.
func publishedPostmortem(t *testing.T, h *harness, s *script) string {
	t.Helper()
	s.command("UALICE", s.ch, "close --confirm contained")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the postmortem", func() bool { _, ok := fileNamed(h.slack, "inc-1-postmortem.md"); return ok })
	pm, _ := fileNamed(h.slack, "inc-1-postmortem.md")
	return string(pm.Content)
}

// A malware sample's SHA-256 marked TLP:RED (a partner's, not to be
// shared) is withheld from the postmortem wherever it would appear: also
// in the evidence table, when the sample itself was logged as evidence.
func TestThePostmortemWithholdsARedHashLoggedAsEvidence(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "ioc add "+tampered+" --tlp red --note from a partner, TLP:RED")
	s.command("UCAROL", s.ch, "evidence add dropper-sample sha256:"+tampered+" malware vault")
	pm := publishedPostmortem(t, h, s)
	if strings.Contains(strings.ToLower(pm), tampered) {
		i := strings.Index(strings.ToLower(pm), tampered)
		t.Errorf("the postmortem shows the TLP:RED hash %s…: %q", tampered[:12], pm[max(0, i-120):min(len(pm), i+70)])
	}
}

// A domain marked TLP:RED is withheld from the postmortem wherever its
// text names it: also when another indicator holds it (a URL on it, a
// mailbox at it), which anyone on the incident may add unmarked. Otherwise
// adding one is a way around the rule that only the commander lowers a
// marking.
func TestThePostmortemWithholdsARedDomainInsideAnotherIndicator(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "ioc add partner-c2.example --tlp red --note shared by a partner under TLP:RED")
	if got := s.command("UCAROL", s.ch, "ioc mark partner-c2.example --tlp clear"); !strings.Contains(got, "Only the incident commander") {
		t.Fatalf("carol lowering the marking was answered %q", got)
	}
	s.command("UCAROL", s.ch, "ioc add https://partner-c2.example/gate.php")
	s.command("UCAROL", s.ch, "ioc add ops@partner-c2.example")
	pm := strings.ReplaceAll(publishedPostmortem(t, h, s), `\`, "") // Markdown escapes
	for _, form := range []string{"partner-c2[.]example", "partner-c2.example"} {
		if i := strings.Index(pm, form); i >= 0 {
			t.Errorf("the postmortem names the TLP:RED domain: %q", pm[max(0, strings.LastIndex(pm[:i], "\n")):min(len(pm), i+60)])
			break
		}
	}
}

// An item of evidence sent in the form by someone outside the incident's
// channel (on a public incident, anyone) that cannot be logged (the
// incident keeps 50 items) is not lost in silence: the form closed, so
// they are told, as they are told when it is logged.
func TestAFormThatCouldNotBeDoneIsNeverSilentlyLost(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	now := time.Now()
	for i := 0; i < incident.MaxEvidence; i++ {
		if _, err := h.store.AddEvidence(s.ctx, 1, func(id int) (incident.Evidence, incident.TimelineEvent, error) {
			return incident.NewEvidence(1, id, now, "UALICE", fmt.Sprintf("item-%d", id), collected, "locker", "")
		}); err != nil {
			t.Fatal(err)
		}
	}
	if ch, _ := h.slack.Channel(s.ch); strings.Contains(strings.Join(ch.Members, ","), "UDAVE") {
		t.Fatal("the test needs dave outside the incident's channel")
	}
	if _, err := h.slack.Command(s.ctx, "UDAVE", general.ID, "evidence INC-1 add"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UDAVE", commands.ModalEvidence)
	d, err := h.slack.Submit(s.ctx, "UDAVE", v.ID, map[string]string{commands.InputName: "usb-stick", commands.InputHash: "sha256:" + tampered, commands.InputLocation: "desk drawer"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(d.Body), "errors") {
		return // refused on the form itself: dave sees why
	}
	told := func() bool {
		for _, m := range append(h.slack.DirectMessages("UDAVE"), h.slack.Ephemerals("UDAVE")...) {
			if strings.Contains(m.Visible(), "the most it keeps") || strings.Contains(m.Visible(), "usb-stick") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && !told(); time.Sleep(20 * time.Millisecond) {
	}
	if !told() {
		t.Errorf("dave's form closed and the item was not logged (INC-1 keeps 50), and he was never told (log has \"could not answer the user\": %v)",
			strings.Contains(h.logs.String(), "could not answer the user"))
	}
}

// A note given with an indicator already on the incident is kept (or the
// answer says it was not): it is not acknowledged and dropped.
func TestASightingsNoteIsNeverSilentlyDropped(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "ioc add evil.example --note phishing landing page")
	got := s.command("UCAROL", s.ch, "ioc add evil.example --note also beaconed from host-12 at 03:10, see EDR case 4411")
	inds, _ := h.store.Indicators(s.ctx, 1)
	tl, _ := h.store.Timeline(s.ctx, 1)
	kept := strings.Contains(fmt.Sprint(inds), "host-12")
	for _, ev := range tl {
		kept = kept || strings.Contains(ev.Text+ev.Reason+ev.To, "host-12")
	}
	if !kept {
		t.Errorf("carol's note is nowhere (not on the indicator, not on the timeline), and she was told only %q", got)
	}
}

// --until accepts an RFC 3339 UTC time, written as RFC 3339 writes it: with Z.
func TestUntilTakesAnRFC3339TimeInUTC(t *testing.T) {
	t.Parallel()
	_, s := caseBot(t)
	at := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
	for _, v := range []string{at.Format(time.RFC3339), at.Format("2006-01-02T15:04:05+00:00")} {
		if got := s.command("UBOB", s.ch, "action block 203.0.113.7 --until "+v); !strings.Contains(got, "I will remind you") {
			t.Errorf("--until %s answered %q", v, got)
		}
	}
}

// A containment action recorded by a request done again after a crash is
// not reported as failed: its --until, in the future when it was recorded,
// is not checked again against the time of the redo.
func TestAnActionDoneAgainIsNeverReportedAsFailed(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	until := time.Now().UTC().Add(3 * time.Second).Truncate(time.Second).Add(time.Second)
	before := len(h.slack.Ephemerals("UALICE"))
	crashCommand(t, h, s, crash, "UALICE", "action isolate host-12 --until "+until.Format("2006-01-02T15:04:05+00:00"))
	time.Sleep(time.Until(until) + 200*time.Millisecond)
	redo(t, h, s)
	inc, _ := h.store.Get(s.ctx, 1)
	if len(inc.Actions) != 1 {
		t.Fatalf("%d actions, want the one recorded", len(inc.Actions))
	}
	if got := s.lastEphemeral("UALICE", before); !strings.Contains(got, "Recorded") {
		t.Errorf("alice's action A-1 was recorded, and she was told %q", got)
	}
}

// While nobody holds the commander role, lowering a TLP:RED marking and
// recording custody steps of someone else's item fall to admins only, and
// the role goes only to an admin or the declarer. Someone from outside (on
// a public incident, anyone in the workspace, from any channel) gets round
// that neither by taking the role at once nor by first giving themselves a
// lesser role, which anyone may hand out and which makes its holder a member.
func TestAVacantCommandIsNoWayAroundMarkingsAndCustody(t *testing.T) {
	t.Parallel()
	for name, first := range map[string][]string{
		"taking it at once":                nil,
		"through a self-given lesser role": {"assign INC-1 scribe <@UDAVE>"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, s := caseBot(t)
			general, _ := h.slack.ChannelByName("general")
			s.command("UALICE", s.ch, "ioc add evil.example --tlp red --note from a partner, not to be shared")
			s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3")
			if got := s.command("UALICE", s.ch, "unassign commander"); !strings.Contains(got, "stepped down") {
				t.Fatalf("alice stepping down was answered %q", got)
			}
			if inc, _ := h.store.Get(s.ctx, 1); inc.IsMember("UDAVE") {
				t.Fatal("the test needs dave outside INC-1")
			}
			// Dave, who is not in the incident, comes by from #general.
			for _, cmd := range first {
				s.command("UDAVE", general.ID, cmd)
			}
			if got := s.command("UDAVE", general.ID, "assign INC-1 commander <@UDAVE>"); !strings.Contains(got, "only an admin or <@UALICE>, who declared it, can fill the role") {
				t.Errorf("dave taking the vacant command was answered %q", got)
			}
			s.command("UDAVE", general.ID, "ioc INC-1 mark evil.example --tlp clear")
			s.command("UDAVE", general.ID, "evidence INC-1 transfer EV-1 <@UDAVE>")
			if inc, _ := h.store.Get(s.ctx, 1); inc.Commander() == "UDAVE" {
				t.Errorf("dave, an outsider, became commander of INC-1")
			}
			if inds, _ := h.store.Indicators(s.ctx, 1); inds[0].Marking != "TLP:RED" {
				t.Errorf("with the command vacant, dave lowered TLP:RED to %s", inds[0].Marking)
			}
			if e := item(t, h, 1); e.Holder != "UALICE" {
				t.Errorf("with the command vacant, dave handed alice's EV-1 to %s", e.Holder)
			}
			// The declarer takes it back.
			if got := s.command("UALICE", s.ch, "assign commander <@UALICE>"); strings.Contains(got, ":warning:") {
				t.Errorf("alice, who declared INC-1, taking the vacant command back was answered %q", got)
			}
		})
	}
}

// A containment action's recovery item follows the action: ticked when it
// is undone or kept, not by hand; and once ticked so, not unticked by hand
// either, which would leave the checklist (and the postmortem) saying that
// an action nobody can undo or keep any more is still to be dealt with.
func TestAnActionsRecoveryItemIsNotUntickedByHand(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UBOB", s.ch, "action disable svc-backup")
	s.command("UALICE", s.ch, "phase recovery")
	const item = "Undo or keep A-1: disable svc-backup"
	s.await("the recovery checklist", func() bool { return strings.Contains(s.checklistMessage(incident.Recovery).Visible(), item) })
	s.command("UBOB", s.ch, "action keep A-1 service retired for good")
	done := func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		for _, it := range inc.Checklists[incident.Recovery] {
			if it.Text == item {
				return it.Done
			}
		}
		return false
	}
	s.eventually("the item ticked with the action kept", done)
	// Carol unticks every box of the first ten.
	if _, err := h.slack.Check(s.ctx, "UCAROL", s.ch, s.checklistMessage(incident.Recovery).TS, "checklist:0"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if !done() {
		inc, _ := h.store.Get(s.ctx, 1)
		t.Errorf("carol unticked %q by hand; A-1 is %s and cannot be undone or kept again to tick it", item, inc.Actions[0].State)
	}
}

// An incident declared after what it saw and whose indicator is then
// marked TLP:RED: the postmortem withholds the value in the title and
// everywhere text names it, also in the channel's name made from that
// title (#inc-2-exfil-to-10-2-3-4), which names it just as plainly,
// however short the value.
func TestThePostmortemWithholdsARedValueInTheChannelName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ title, value, slug string }{
		{"Beacon to partner-c2.example", "partner-c2.example", "partner-c2"},
		{"Exfil to 10.2.3.4", "10.2.3.4", "10-2-3-4"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			h, s := caseBot(t)
			general, _ := h.slack.ChannelByName("general")
			s.command("UALICE", general.ID, "declare "+tc.title+" sev2")
			s.ch = h.declared(t, "UALICE", "INC-2").ID
			s.command("UALICE", s.ch, "ioc add "+tc.value+" --tlp red")
			s.command("UALICE", s.ch, "close --confirm contained")
			s.command("UALICE", s.ch, "postmortem")
			s.await("the postmortem", func() bool { _, ok := fileNamed(h.slack, "inc-2-postmortem.md"); return ok })
			pm, _ := fileNamed(h.slack, "inc-2-postmortem.md")
			if i := strings.Index(string(pm.Content), tc.slug); i >= 0 {
				t.Errorf("the postmortem names the TLP:RED value: %q", string(pm.Content)[max(0, i-40):min(len(pm.Content), i+30)])
			}
		})
	}
}
