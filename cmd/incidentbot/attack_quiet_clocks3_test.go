package main

// A third hostile-insider review of quiet incidents, suspected accounts,
// regulatory clocks and their interactions with the case records, the
// retro and the configuration: what the first two reviews' fixes left
// open.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
)

// Carol, a responder, disabled an account (an open containment action).
// The commander then names her a suspected account and closes the
// incident with --confirm. The close turns every open action into a
// follow-up of the retro "owned by whoever took it": carol, a suspect, is
// made its owner, though the README says "A suspect cannot be made a
// follow-up's owner". And since such a follow-up is "theirs to finish"
// (only its owner or an admin may undo or keep the action now), the
// commander can no longer undo or keep the containment action at all:
// only the suspect (refused everywhere) or an admin could.
func TestAnOpenContainmentActionOfASuspectDoesNotBecomeTheirFollowUp(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	if got := s.command("UCAROL", s.ch, "action disable svc-payroll-admin --until 2h"); !strings.Contains(got, "A-1") {
		t.Fatalf("carol's containment action answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "suspect <@UCAROL|carol>"); !strings.Contains(got, "Suspected in INC-1") {
		t.Fatalf("naming carol answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "close --confirm Contained"); !strings.Contains(got, "Closed: Contained") {
		t.Fatalf("the close answered %q", got)
	}
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range inc.FollowUps {
		if f.Owner == "UCAROL" {
			t.Errorf("the close made the suspect the owner of follow-up #%d: %q", f.ID, f.Text)
		}
	}
	if inc.IsMember("UCAROL") {
		t.Errorf("the suspect is a member again after the close: %v", inc.Members)
	}
	got := s.command("UALICE", s.ch, "action undo A-1 account re-enabled after the reset")
	if !strings.Contains(got, "A-1 is undone") {
		t.Errorf("the commander cannot undo the suspect's containment action after the close: %q", got)
	}
}

// Mallory, a suspected account of the quiet INC-1, keeps a copy of the
// "add indicators" form the message shortcut opened for alice in the
// incident's channel (the form names INC-1 in its metadata) and submits
// it. It is refused as if the incident did not exist (holds). But the
// README: anything a suspect tries on the incident, "a command, a
// button, a form", is "written on its audit log, and reported to the
// commander". The pick form has no incident in its row of the
// interaction table, so its refusal is written nowhere and reported to
// nobody.
func TestSuspectsIndicatorPickFormIsAuditedAndReported(t *testing.T) {
	t.Parallel()
	h, s, _ := quietBot(t, "")
	ts := h.slack.PostAs("UALICE", s.ch, "the session came from 203.0.113.77")
	if _, err := h.slack.Shortcut(s.ctx, "UALICE", s.ch, ts, commands.ShortcutIOC); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UALICE", commands.ModalIOC+"_picked")
	forged, err := h.slack.CopyView(v.ID, "UMAL", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.slack.Submit(s.ctx, "UMAL", forged, map[string]string{commands.InputIndicators: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Body), notThere) {
		t.Errorf("the suspect's form was answered %s; want the answer for a number that does not exist", d.Body)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.IndicatorCount != 0 {
		t.Errorf("the suspect added %d indicators", inc.IndicatorCount)
	}
	if !auditWithin(h, s, 1, "UMAL", "form "+commands.ModalIOC+"_picked") {
		t.Errorf("the suspect's form is not on the audit log:\n%s", auditDump(h, s, 1))
	}
	if !dmWithin(h, "UALICE", "Suspected account <@UMAL>") {
		t.Errorf("the commander was not told of the suspect's form")
	}
}

// Start-up refuses stages listed out of the order they fall due, so that
// "/incident notified <regime>" (the first stage still to make) and the
// "Next:" of its answer follow the deadlines. It checks the order from
// one start only (Monday 5 January 2026, 09:00): a regime whose first
// stage is 3 business days and whose second is 5 days (5d) passes, yet
// from any Thursday the 5 days run out first (Thursday 09:00 + 5d is
// Tuesday 09:00; three business days end on Tuesday night). The same goes
// for 30d before "1 month" from the 1st of February. A configuration
// accepted at start-up thus has its stages fall due out of order.
func TestStagesThatCanFallDueOutOfOrderAreRefusedAtStartUp(t *testing.T) {
	t.Parallel()
	for _, stages := range []string{
		"[{name: early report, within: 3 business days}, {name: full report, within: 5d}]",
		"[{name: interim report, within: 30d}, {name: final report, within: 1 month}]",
	} {
		cfg, err := config.ParseFile([]byte("notifications:\n  regimes:\n    - {key: dora, name: DORA, from: [awareness], stages: " + stages + "}\n"))
		if err != nil {
			continue // refused: holds
		}
		r, _ := cfg.Notifications.Regime("dora")
		for _, start := range []time.Time{time.Date(2026, 1, 8, 9, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)} {
			first := r.Stages[0].Within.Deadline(start, cfg.Notifications.Calendar)
			second := r.Stages[1].Within.Deadline(start, cfg.Notifications.Calendar)
			if second.Before(first) {
				t.Errorf("stages %s were accepted, yet from %s the second is due %s, before the first (%s)",
					stages, start.Format("Mon 2006-01-02 15:04"), second.Format("Mon 2006-01-02 15:04"), first.Format("Mon 2006-01-02 15:04"))
			}
		}
	}
}

// On a public incident (not quiet), the commander names carol a
// suspected account. "Who is suspected is the commander's to know": the
// list (/incident suspect) is the commander's or an admin's to read. Yet
// the timeline, which anyone in the workspace may read for a public
// incident, says "Suspected accounts: @carol": dave, who has nothing to do
// with the incident (or the attacker's second account, or a colleague
// carol asks), reads from #general who is suspected, and can warn her.
func TestWhoIsSuspectedIsNotShownToAnyoneOnAPublicTimeline(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general := h.slack.CreateChannel("lobby", false, "UDAVE", "UERIN")
	if got := s.command("UALICE", s.ch, "suspect <@UCAROL|carol>"); !strings.Contains(got, "Suspected in INC-1") {
		t.Fatalf("naming carol answered %q", got)
	}
	// Control: the list itself is the commander's.
	if got := s.command("UDAVE", general, "suspect 1"); strings.Contains(got, "UCAROL") {
		t.Fatalf("the suspect list itself is shown to dave: %q", got)
	}
	got := s.command("UDAVE", general, "timeline 1")
	if strings.Contains(strings.ToLower(got), "suspected") {
		t.Errorf("dave, outside the incident, reads who is suspected on its timeline: %q", got)
	}
	got = s.command("UDAVE", general, "status 1")
	if strings.Contains(got, "UCAROL") {
		t.Errorf("dave, outside the incident, sees the suspect on its card: %q", got)
	}
}

// The list of suspected accounts is "the commander's to know". Reading it
// on a public incident (an admin account, perhaps a stolen session not yet
// suspected, checking whether it has been found out) leaves no trace: a
// read is audited only for a private or TLP:RED incident, though the
// suspect list is not something anyone may see.
func TestEveryReadOfTheSuspectListIsOnTheAuditLog(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"admins: [UERIN]\n")
	h.slack.AddUser("UERIN", "erin")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UERIN")
	s.command("UALICE", general, "declare Supplier portal phishing sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "suspect <@UCAROL|carol>")
	if got := s.command("UERIN", general, "suspect 1"); !strings.Contains(got, "UCAROL") {
		t.Fatalf("the admin's read of the suspect list answered %q", got)
	}
	if !auditWithin(h, s, 1, "UERIN", "read suspect") {
		t.Errorf("an admin's read of the suspected accounts is not on the audit log:\n%s", auditDump(h, s, 1))
	}
}

// Mallory declared the quiet incident and handed the command to alice,
// who names her a suspected account. Alice then steps down (unassign
// commander) to hand over to bob. A vacant command is filled "by an admin
// or by whoever declared the incident": the declarer is mallory, a
// suspect, who is refused everything; with no admin configured, nobody
// can ever be commander again, so nobody can name or clear suspects,
// lower the marking, lift the quiet mode or read the audit log. And the
// refusal tells the team to turn to mallory, the suspect, to fill it.
func TestASuspectedDeclarerDoesNotHoldTheVacantCommand(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, clockConfig)
	h.slack.AddUser("UMAL", "mallory")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UMAL")
	s.command("UMAL", general, "declare "+quietTitle+" sev1 --quiet <@UALICE|alice> <@UBOB|bob>")
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || !inc.Quiet {
		t.Fatalf("INC-1 = %+v, %v", inc, err)
	}
	s.ch = inc.ChannelID
	if got := s.command("UMAL", s.ch, "assign commander <@UALICE|alice>"); !strings.Contains(got, "UALICE") {
		t.Fatalf("the handover answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "suspect <@UMAL|mallory>"); !strings.Contains(got, "Suspected in INC-1") {
		t.Fatalf("naming mallory answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "unassign commander"); !strings.Contains(got, "stepped down") {
		t.Fatalf("stepping down answered %q", got)
	}
	got := s.command("UALICE", s.ch, "assign commander <@UBOB|bob>")
	if strings.Contains(got, "UMAL") {
		t.Errorf("the refusal points the team to the suspect to fill the command: %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Commander() == "" {
		t.Errorf("with the declarer suspected and no admin, nobody can fill the vacant command (%q)", got)
	}
}

// Erin, an admin (a stolen admin session nobody suspects yet), reads the
// private incident's timeline from #general: the read is on its audit log
// (holds). Dave, who is not a member (or the attacker's second account),
// then asks for INC-1 a hundred times; each refusal is an entry of its
// own, with no bound. /incident audit shows only the newest 100 entries
// and has no way to page back ("the postmortem's audit file has them
// all"), so the commander checking who read the incident sees a page of
// dave's noise, and erin's read is pushed out of sight until the
// postmortem. Nothing bounds how much one account can append either.
func TestAFloodOfRefusedAttemptsDoesNotHideEarlierEntriesFromTheAuditLog(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"admins: [UERIN]\n")
	h.slack.AddUser("UERIN", "erin")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UDAVE", "UERIN")
	s.command("UALICE", general, "declare Payroll fraud sev2 --private <@UBOB|bob>")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	if got := s.command("UERIN", general, "timeline 1"); !strings.Contains(got, "Timeline of INC-1") {
		t.Fatalf("the admin's read answered %q", got)
	}
	if !auditWithin(h, s, 1, "UERIN", "read timeline") {
		t.Fatalf("the admin's read is not on the audit log:\n%s", auditDump(h, s, 1))
	}
	const flood = 120
	for range flood {
		if _, err := h.slack.Command(s.ctx, "UDAVE", general, "status 1"); err != nil {
			t.Fatal(err)
		}
	}
	s.eventually("the flood on the audit log", func() bool {
		n := 0
		for _, e := range mustAudit(t, h, s) {
			if e.Actor == "UDAVE" {
				n++
			}
		}
		return n >= flood
	})
	got := s.command("UALICE", s.ch, "audit")
	if !strings.Contains(got, "<@UERIN>") {
		t.Errorf("after %d refused attempts by one account, /incident audit no longer shows the admin's read of the private incident:\n%.600s…", flood, got)
	}
}

// Carol took part (a note, a role) before she was named a suspected
// account. The postmortem, which stays in the incident's channel, names
// everyone by their @name, looked up for the incident's participants;
// suspects are dropped from the participants ("never listed"), so the
// lookup skips them and the document shows carol as a bare user ID
// ("UCAROL") in its roles and its timeline: the record of
// what a suspected insider did is the one the reader cannot read.
func TestThePostmortemNamesASuspectLikeEveryoneElse(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "assign scribe <@UCAROL|carol>")
	s.command("UCAROL", s.ch, "note the payroll admin's MFA was reset from an unknown device")
	s.command("UALICE", s.ch, "suspect <@UCAROL|carol>")
	pm := publishedPostmortem(t, h, s)
	if i := strings.Index(pm, "UCAROL"); i >= 0 {
		t.Errorf("the postmortem shows the suspect as a bare user ID: %q", pm[max(0, i-120):min(len(pm), i+40)])
	}
	if !strings.Contains(pm, "@carol") {
		t.Errorf("the postmortem never names @carol")
	}
}
