package main

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
)

// A note or update marked TLP:RED is for the incident's members: someone
// outside the channel who may see the (unmarked) incident does not read
// its text through /incident timeline or /incident status.
func TestAttackTLP3AMarkedNoteIsNotReadFromOutsideTheChannel(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UBOB", s.ch, "note --tlp red The CFO's mailbox was read by the attacker")
	s.command("UBOB", s.ch, "update --tlp red Payroll supplier's bank details were changed")
	elsewhere := h.slack.CreateChannel("random", false, "UMALLORY")
	if got := s.command("UMALLORY", elsewhere, "timeline 1"); strings.Contains(got, "CFO") || strings.Contains(got, "bank details") {
		t.Errorf("a non-member read the TLP:RED note and update from another channel:\n%s", got)
	}
	if got := s.command("UMALLORY", elsewhere, "status 1"); strings.Contains(got, "bank details") {
		t.Errorf("a non-member read the TLP:RED update on the card from another channel:\n%s", got)
	}
}

// A note marked TLP:RED is withheld from the postmortem also when the
// incident itself is RED: the writer's marking is not dropped because
// it equals the incident's.
func TestAttackTLP3ARedNoteInARedIncidentIsWithheldFromThePostmortem(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "tlp red")
	s.command("UBOB", s.ch, "note --tlp red The CFO's mailbox was read by the attacker")
	pm := publishedPostmortem(t, h, s)
	if strings.Contains(pm, "CFO") {
		t.Errorf("the postmortem shows a note its writer marked TLP:RED:\n%s", pm)
	}
}

// An update marked AMBER stays AMBER when the incident's marking is later
// lowered: the scheduled stakeholder updates do not start telling it.
func TestAttackTLP3AnAmberUpdateStaysWithheldAfterTheIncidentIsLowered(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, sev1EveryTwoSeconds, "Payroll fraud sev1 --tlp amber")
	s.command("UALICE", s.ch, "update --tlp amber Payroll supplier's bank details were changed")
	s.command("UALICE", s.ch, "tlp green because the partner CERT may know that there is an incident")
	scheduled := scheduledUpdatesFromNow(h)
	h.slack.Await(t, "a scheduled update after the lowering", func() bool { return len(scheduled()) >= 1 })
	for _, m := range scheduled() {
		if strings.Contains(m, "bank details") {
			t.Errorf("a scheduled stakeholder update tells the update marked TLP:AMBER: %q", m)
			break
		}
	}
}

// "--tlp" is honoured wherever it is typed, or the update is refused: an
// update whose marking is not its first word is not broadcast as unmarked.
func TestAttackTLP3AMarkingNotGivenFirstDoesNotBroadcastTheUpdate(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UBOB", s.ch, "update Payroll supplier's bank details were changed --tlp amber")
	s.command("UBOB", s.ch, "update --tlp=amber The CFO's mailbox was read")
	s.command("UBOB", s.ch, "update Backups verified")
	s.await("the last update outside", func() bool {
		return strings.Contains(strings.Join(stakeholderPosts(h, false), "\n"), "Backups verified")
	})
	posts := strings.Join(stakeholderPosts(h, false), "\n")
	if strings.Contains(posts, "bank details") || strings.Contains(posts, "CFO") {
		t.Errorf("an update marked AMBER (flag not first, or --tlp=) reached the stakeholder channel:\n%s", posts)
	}
}

// The card's "Post update" form is the update command: text given there
// as "--tlp amber …" is marked as typed, not broadcast.
func TestAttackTLP3ThePostUpdateFormHonoursALeadingMarking(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	if _, err := h.slack.Click(s.ctx, "UBOB", s.ch, s.cardMessage().TS, commands.ActionPostUpdate); err != nil {
		t.Fatal(err)
	}
	var id string
	s.await("the update form", func() bool {
		if vs := h.slack.Views("UBOB"); len(vs) > 0 {
			id = vs[len(vs)-1].ID
		}
		return id != ""
	})
	if _, err := h.slack.Submit(s.ctx, "UBOB", id, map[string]string{commands.InputText: "--tlp amber Payroll supplier's bank details were changed"}); err != nil {
		t.Fatal(err)
	}
	s.await("the update in the incident channel", func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		return inc != nil && inc.LastUpdate != ""
	})
	s.command("UBOB", s.ch, "update Backups verified")
	s.await("the last update outside", func() bool {
		return strings.Contains(strings.Join(stakeholderPosts(h, false), "\n"), "Backups verified")
	})
	if posts := strings.Join(stakeholderPosts(h, false), "\n"); strings.Contains(posts, "bank details") {
		t.Errorf("an update marked AMBER in the Post update form reached the stakeholder channel:\n%s", posts)
	}
}
