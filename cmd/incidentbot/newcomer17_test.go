package main

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// The README says `phase` "posts the new phase's checklist the first time
// it begins", but moving back to identification (or forward again to a
// phase already run) posted that phase's checklist once more: a second
// copy in the channel, the first left behind and no longer updated.
func TestNewcomer17ChecklistPostedTheFirstTimeOnly(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Suspicious VPN logins sev2", "UBOB")
	s.command("UALICE", s.ch, "phase next")
	s.command("UALICE", s.ch, "phase identification because the scope is not known yet")
	s.command("UALICE", s.ch, "phase next")
	s.card("", "Containment")
	ch, _ := h.slack.Channel(s.ch)
	count := map[string]int{}
	for _, m := range ch.Messages {
		for _, p := range []string{"Identification", "Containment"} {
			if strings.HasPrefix(m.Text, p+" checklist for INC-1") {
				count[p]++
			}
		}
	}
	if count["Identification"] != 1 || count["Containment"] != 1 {
		t.Errorf("checklists posted: %v, want each phase's once", count)
	}
}

// Two people 📌 the same message: it went on the timeline (and into the
// postmortem) twice.
func TestNewcomer17APinnedMessageIsOnTheTimelineOnce(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Suspicious VPN logins sev2", "UBOB")
	ts := h.slack.PostAs("UBOB", s.ch, "Found the source IP 203.0.113.7 in the VPN logs")
	for _, who := range []string{"UBOB", "UALICE"} {
		if _, _, err := h.slack.React(s.ctx, who, s.ch, ts, commands.PinReaction); err != nil {
			t.Fatal(err)
		}
	}
	s.eventually("the pin on the timeline", func() bool { return s.countEvents(1, incident.EventPinned, "203.0.113.7") > 0 })
	if n := s.countEvents(1, incident.EventPinned, "203.0.113.7"); n != 1 {
		t.Errorf("the message pinned by two people is %d times on the timeline, want once", n)
	}
}

// The Close… form with one open containment action said "1 open
// containment action will become follow-ups of the retro".
func TestNewcomer17CloseFormCountsOneActionInTheSingular(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Suspicious VPN logins sev2", "UBOB")
	s.command("UBOB", s.ch, "action block 203.0.113.7")
	card := s.cardMessage()
	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, card.TS, commands.ActionClose, "1"); err != nil {
		t.Fatal(err)
	}
	var form string
	s.await("the close form", func() bool {
		for _, v := range h.slack.Views("UALICE") {
			if v.CallbackID == commands.ModalClose {
				form = string(v.JSON)
				return true
			}
		}
		return false
	})
	if !strings.Contains(form, "1 open containment action will become a follow-up of the retro.") {
		t.Errorf("the close form: %s\nwant it to say 1 open containment action will become a follow-up", form)
	}
}
