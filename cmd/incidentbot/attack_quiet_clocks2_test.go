package main

// A second hostile-insider review of quiet incidents, suspected accounts,
// regulatory clocks and the TLP markings on posted messages: what the
// first review's fixes left open, in new places.

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// quietFollowUp closes the quiet INC-1 of quietBot and has alice add a
// follow-up action through the lessons form, owned by bob: its text names
// what the quiet incident is about.
func quietFollowUp(t *testing.T, h *harness, s *script) {
	t.Helper()
	s.command("UALICE", s.ch, "close Reset the payroll admin's sessions")
	s.await("INC-1's retro", func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		return inc.Status == incident.Resolved
	})
	card := s.cardMessage()
	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, card.TS, commands.ActionAddLesson); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UALICE", commands.ModalLesson)
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{
		commands.InputAction(1): "Rotate the payroll admin's MFA seed", commands.InputOwner(1): "UBOB",
	}); err != nil {
		t.Fatal(err)
	}
	s.eventually("the follow-up recorded", func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		return len(inc.FollowUps) == 1
	})
}

// A quiet incident is "answered only in its own channel": its members
// asking from elsewhere are told to use its channel, "so no answer outside
// it carries its details". /incident actions, run by bob (a member and a
// follow-up's owner) in #general, lists the quiet incident's follow-up
// actions with their text, which names what the incident is about; its
// Mark-done button, clicked there, answers with the text again.
func TestQuietIncidentsFollowUpsAreNotShownOutsideItsChannel(t *testing.T) {
	t.Parallel()
	h, s, general := quietBot(t, "")
	quietFollowUp(t, h, s)
	got := s.command("UBOB", general, "actions")
	if quietSecret(got) {
		t.Errorf("/incident actions in #general shows the quiet incident's follow-up: %q", got)
	}
	e := h.slack.Ephemerals("UBOB")
	list := e[len(e)-1]
	if strings.Contains(list.Visible(), "INC-1") {
		answer := s.answer("UBOB", func() error {
			_, err := h.slack.Click(s.ctx, "UBOB", general, list.TS, commands.ActionFollowUpDone, "1:1")
			return err
		})
		if quietSecret(answer) {
			t.Errorf("Mark done in #general answered with the quiet incident's follow-up: %q", answer)
		}
	}
}

// The README: every read of a private incident's details, "and each list
// that shows it", is written on its audit log (/incident list does so).
// /incident actions shows a private (here quiet) incident's follow-up
// actions, their text and owners, and writes nothing on its log.
func TestAListOfAPrivateIncidentsFollowUpsIsOnItsAuditLog(t *testing.T) {
	t.Parallel()
	h, s, general := quietBot(t, "")
	quietFollowUp(t, h, s)
	got := s.command("UBOB", general, "actions")
	if !strings.Contains(got, "INC-1 #1") {
		t.Fatalf("the list does not show the follow-up at all: %q", got)
	}
	time.Sleep(500 * time.Millisecond)
	read := false
	for _, e := range mustAudit(t, h, s) {
		read = read || (e.Actor == "UBOB" && strings.HasPrefix(e.What, "read"))
	}
	if !read {
		t.Errorf("bob's read of the private incident's follow-ups is not on its audit log:\n%s", auditDump(h, s, 1))
	}
}

// A drill started under tlp.default amber is TLP:AMBER. The README: every
// message the bot posts about an incident marked above TLP:CLEAR, in its
// channel, "carries it too, on a line at the top … and at the start of its
// notification text". The drill's briefing and its score card are posted
// without any marking (they skip about()).
func TestAMarkedDrillsBriefingAndScoreCardCarryTheMarking(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"tlp:\n  default: amber\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
	s.command("UALICE", general, "drill phishing <@UBOB|bob>")
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || !inc.Drill || inc.Marking() != "TLP:AMBER" {
		t.Fatalf("INC-1 = %+v, %v", inc, err)
	}
	s.ch = inc.ChannelID
	find := func(what, marker string) fakeslackMessage {
		var m fakeslackMessage
		s.await(what, func() bool {
			ch, _ := h.slack.Channel(s.ch)
			for _, x := range ch.Messages {
				if strings.Contains(x.Visible(), marker) {
					m = x
					return true
				}
			}
			return false
		})
		return m
	}
	check := func(what string, m fakeslackMessage) {
		if !strings.Contains(m.Text, "[TLP:AMBER]") {
			t.Errorf("the %s's notification text lacks the marking: %q", what, m.Text)
		}
		if !strings.Contains(m.Visible(), "share only within the organisation and its clients") {
			t.Errorf("the %s lacks the marking line at its top:\n%s", what, m.Visible())
		}
	}
	check("drill briefing", find("the briefing", "*Briefing*"))
	s.command("UALICE", s.ch, "close Practice over")
	check("score card", find("the score card", "Score card"))
}

// The README: "Drills and declarations from a report are never quiet."
// Yet the declare form opened from a report's triage card offers "An
// attacker may be watching", and ticking it declares a quiet incident.
// The report then records it as not private (only --private counts), so the
// reporter, who is not in the incident, is told its channel, and the
// triage card names it: a report that should have been refused as quiet,
// or kept private, is told to whoever reported it (possibly the
// suspected insider).
func TestAReportIsNeverDeclaredQuietAndItsReporterIsNotToldItsChannel(t *testing.T) {
	t.Parallel()
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	s.command("UERIN", b.general(), "report the payroll admin account logged in from abroad")
	card := b.card(t, "RPT-1", "Waiting since")
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputSeverity: "sev1", commands.InputPrivate: "quiet"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "INC-1")
	inc, err := b.store.Get(s.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Quiet {
		t.Errorf("a declaration from a report is quiet (codename %s); the README says it never is", inc.Codename)
	}
	out := b.dm(t, "UERIN", "Thank you for reporting *RPT-1*")
	if inc.Private && strings.Contains(out, inc.ChannelID) {
		t.Errorf("the reporter of a report declared as a private/quiet incident is told its channel: %q", out)
	}
}

// Mallory declared the incident (it was her account that raised the
// alarm, before anyone knew it was taken over); she handed the command to
// alice, who names her and carol suspected accounts and then steps down
// as commander (the role is vacant while a new one is found). Carol then
// tries the incident from #general. A suspect's attempt is reported "to
// the commander … (the declarer while the role is vacant)": the declarer
// is mallory, a suspect, so the report tells a suspect that the incident
// exists, that carol is suspected too, and that they are being watched.
func TestASuspectsAttemptIsNeverReportedToAnotherSuspect(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, clockConfig)
	h.slack.AddUser("UMAL", "mallory")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UMAL")
	s.command("UMAL", general, "declare "+quietTitle+" sev1 --quiet")
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || !inc.Quiet {
		t.Fatalf("INC-1 = %+v, %v", inc, err)
	}
	s.ch = inc.ChannelID
	if got := s.command("UMAL", s.ch, "assign commander <@UALICE|alice>"); !strings.Contains(got, "UALICE") {
		t.Fatalf("the handover answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "suspect <@UMAL|mallory> <@UCAROL|carol>"); !strings.Contains(got, "Suspected in INC-1") {
		t.Fatalf("naming the suspects answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "unassign commander"); !strings.Contains(got, "stepped down") {
		t.Fatalf("stepping down answered %q", got)
	}
	before := len(h.slack.DirectMessages("UMAL"))
	if got := s.command("UCAROL", general, "status 1"); !strings.Contains(got, notThere) {
		t.Fatalf("carol's attempt answered %q", got)
	}
	time.Sleep(800 * time.Millisecond)
	for _, m := range h.slack.DirectMessages("UMAL")[before:] {
		t.Errorf("a suspect was sent a report of another suspect's attempt: %q", m.Visible())
	}
}

// The reminders of a running GDPR clock were told at half-time and six
// hours before (remind: [50%, 6h, 1h]). An admin then drops the half-time
// point from the configuration (remind: [6h, 1h]) and restarts the bot. A
// point is remembered as told by its place in the list (r0, r1…), not by
// what it is: the 1h reminder is now r1, which the 6h reminder already
// took, so the last reminder before a regulator's deadline is silently
// never sent.
func TestARemindersConfigChangeNeverLosesAReminderStillToCome(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	cl := clocks{now: clock.Now, outbound: clocktest.Instant{}}
	h := startBotWith(t, false, clock.Now, clockConfig)
	h.slack.AddUser("ULEGAL", "legal")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Customer database exfiltration sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "decide awareness personal-data")
	reminders := func() int { return dmsWith(h, "UALICE", "INC-1: the *GDPR notification* is due") }
	clock.Advance(36 * time.Hour)
	s.await("the half-time reminder", func() bool { return reminders() == 1 })
	clock.Advance(30 * time.Hour) // six hours before
	s.await("the 6h reminder", func() bool { return reminders() == 2 })
	h.halt()

	r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
	r.launch(t, false, false, cl, strings.Replace(clockConfig, "remind: [50%, 6h, 1h]", "remind: [6h, 1h]", 1))
	clock.Advance(5 * time.Hour) // an hour before
	deadline := time.Now().Add(5 * time.Second)
	for reminders() < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := reminders(); n != 3 {
		t.Errorf("after the configuration dropped the half-time point, the commander got %d reminders; want the 1h one too (3)", n)
	}
}

// Carol, of the security team (a member of the triage channel), is a
// suspected account of the quiet INC-1. Erin reports something; bob
// merges the report into INC-1. The triage card, which everyone in the
// triage channel sees (carol too), now says "Merged into *INC-1*": a quiet
// incident "tells nobody outside it that it exists", least of all a
// suspect, yet the card tells the triage channel that INC-1 exists and
// what it is about (the report's text is on the card).
func TestMergingAReportIntoAQuietIncidentDoesNotNameItInTheTriageChannel(t *testing.T) {
	t.Parallel()
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	s.command("UALICE", b.general(), "declare "+quietTitle+" sev1 --quiet")
	inc, err := b.store.Get(s.ctx, 1)
	if err != nil || !inc.Quiet {
		t.Fatalf("INC-1 = %+v, %v", inc, err)
	}
	s.ch = inc.ChannelID
	s.command("UALICE", s.ch, "suspect <@UCAROL|carol>")
	s.command("UBOB", b.general(), "declare Printer jam sev4")
	b.declared(t, "UBOB", "INC-2")
	s.command("UERIN", b.general(), "report the payroll admin account logged in from abroad")
	card := b.card(t, "RPT-1", "Waiting since")
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportMerge, commands.ModalMerge)
	if strings.Contains(string(f.JSON), "INC-1") || strings.Contains(string(f.JSON), inc.Codename) {
		t.Errorf("the merge form offers the quiet incident:\n%s", f.JSON)
	}
	// Its number given all the same (a forged choice): refused.
	d, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputIncident: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Body), "is run quietly") {
		t.Errorf("merging into the quiet incident was answered %s", d.Body)
	}
	time.Sleep(300 * time.Millisecond)
	if r := b.report(t, 1); r.State == incident.ReportMerged {
		t.Errorf("the report was merged into the quiet incident")
	}
	ch, _ := b.slack.Channel(b.triage)
	for _, m := range ch.Messages {
		if v := m.Visible(); strings.Contains(v, "RPT-1") && (strings.Contains(v, "INC-1") || strings.Contains(v, inc.Codename)) {
			t.Errorf("the triage channel (carol, a suspect, among its members) is told of the quiet incident:\n%s", v)
		}
	}
}

// INC-1 is marked TLP:AMBER. Erin's report is merged into it, and the bot
// tells her by direct message that it "belongs to an incident the security
// team is already handling, INC-1 (#its-channel)". The README: every
// message the bot posts about an incident marked above TLP:CLEAR, by direct
// message too, carries the marking at its top and at the start of its
// notification text. The outcome message carries none.
func TestAReportersOutcomeMessageCarriesTheIncidentsMarking(t *testing.T) {
	t.Parallel()
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	s.command("UALICE", b.general(), "declare Supplier invoice fraud sev2")
	s.ch = b.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "tlp amber")
	s.command("UERIN", b.general(), "report an invoice from our supplier asks to change bank details")
	card := b.card(t, "RPT-1", "Waiting since")
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportMerge, commands.ModalMerge)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputIncident: "1"}); err != nil {
		t.Fatal(err)
	}
	b.dm(t, "UERIN", "Thank you for reporting *RPT-1*")
	for _, m := range b.slack.DirectMessages("UERIN") {
		if !strings.Contains(m.Visible(), "INC-1") {
			continue
		}
		if !strings.HasPrefix(m.Text, "[TLP:AMBER] ") {
			t.Errorf("the outcome message about the TLP:AMBER INC-1 lacks the marking in its notification text: %q", m.Text)
		}
		if !strings.Contains(m.Visible(), "share only within the organisation and its clients") {
			t.Errorf("the outcome message about the TLP:AMBER INC-1 lacks the marking line:\n%s", m.Visible())
		}
	}
}

// An incident's GDPR clock ran when its postmortem was published; the
// organisation then decides the regimes do not apply to it and turns the
// clocks off (notifications.regimes: [], "turns the clocks off"). No clock
// runs any more (the card shows none), yet the stored ClocksRunning flag is
// only ever worked out again by decide and notified, so retro.keep_for
// keeps the incident for ever, logging each hour that "a regulatory
// notification is still to be made".
func TestAnIncidentWithNoClockRunningUnderTheConfigurationIsPurged(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	h, s := declaredBot(t, clock.Now, clockConfig, "Customer database exfiltration sev1", "UBOB")
	s.command("UALICE", s.ch, "decide awareness personal-data")
	s.command("UALICE", s.ch, "close Contained")
	s.command("UALICE", s.ch, "postmortem")
	s.eventually("the postmortem", func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		return inc.Status == incident.Closed
	})
	h.halt()
	clock.Advance(30 * 24 * time.Hour)

	cfg, err := config.ParseFile([]byte(quietSeverities + "notifications:\n  regimes: []\nretro:\n  keep_for: 24h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.Clocks(cfg.Notifications.Regimes, cfg.Notifications.Calendar)) != 0 {
		t.Fatalf("the test needs no clock under the new configuration")
	}
	handler := commands.New(cfg, h.store, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), "UBOT", clock.Now, nil)
	if err := handler.Purge(s.ctx); err != nil {
		t.Fatal(err)
	}
	if inc, err := h.store.Get(s.ctx, 1); err == nil {
		t.Errorf("INC-1, closed 30 days ago with keep_for 24h and no clock configured, is kept (clocks_running %v)", inc.ClocksRunning)
	}
}
