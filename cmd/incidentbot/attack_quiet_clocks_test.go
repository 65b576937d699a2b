package main

// Attacks on quiet incidents, suspected accounts, regulatory clocks and
// the TLP markings on posted messages, as a hostile insider of the
// workspace would try them.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

const quietTitle = "Payroll admin account taken over"

// quietSecret reports whether text names the quiet incident's title.
func quietSecret(text string) bool { return strings.Contains(strings.ToLower(text), "payroll") }

// quietBot starts a bot with erin an admin, ULEGAL a legal contact, and a quiet
// INC-1 declared by alice in #general, with mallory and erin (a stolen
// admin session, the README's own example) named suspected accounts.
func quietBot(t *testing.T, extraYAML string) (*harness, *script, string) {
	t.Helper()
	h := startBotWith(t, false, time.Now, clockConfig+"admins: [UERIN]\n"+extraYAML)
	h.slack.AddUser("UMAL", "mallory")
	h.slack.AddUser("UERIN", "erin")
	h.slack.AddUser("ULEGAL", "legal")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UMAL", "UERIN", "UDAVE")
	s.command("UALICE", general, "declare "+quietTitle+" sev1 --quiet")
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || !inc.Quiet {
		t.Fatalf("INC-1 = %+v, %v", inc, err)
	}
	s.ch = inc.ChannelID
	if got := s.command("UALICE", s.ch, "suspect <@UMAL|mallory> <@UERIN|erin>"); !strings.Contains(got, "Suspected in INC-1") {
		t.Fatalf("naming the suspects answered %q", got)
	}
	return h, s, general
}

// dmsWith counts the direct messages to user that contain marker.
func dmsWith(h *harness, user, marker string) int {
	n := 0
	for _, m := range h.slack.DirectMessages(user) {
		if strings.Contains(m.Visible(), marker) {
			n++
		}
	}
	return n
}

const notThere = "There is no incident INC-1 that you can see"

// A suspected account that is also an admin (a stolen admin session) asks
// for the quiet incident by number from #general. The README: anything a
// suspect tries "from anywhere, is refused as if the incident did not
// exist". The admin check in maySee runs before the suspect check, so the
// answer instead confirms the incident exists, that it is quiet, and names
// its private channel.
// dmWithin waits a little for a direct message: a report to the commander
// follows the answer to the suspect and the audit entry.
func dmWithin(h *harness, user, marker string) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if dmsWith(h, user, marker) > 0 {
			return true
		}
	}
	return false
}

func TestSuspectedAdminCannotLearnOfAQuietIncidentByNumber(t *testing.T) {
	t.Parallel()
	h, s, general := quietBot(t, "")
	inc, _ := h.store.Get(s.ctx, 1)
	for _, try := range []string{"status 1", "timeline INC-1", "quiet 1", "tlp 1"} {
		got := s.command("UERIN", general, try)
		if !strings.Contains(got, notThere) {
			t.Errorf("suspected admin's /incident %s answered %q; want it answered as for a number that does not exist", try, got)
		}
		if strings.Contains(got, "run quietly") || strings.Contains(got, inc.ChannelID) || strings.Contains(got, inc.Codename) {
			t.Errorf("suspected admin's /incident %s learned of the quiet incident: %q", try, got)
		}
	}
}

// The same suspected admin runs /incident list: the quiet incident must not
// be listed to a suspect (the listing filter has no notion of suspects and
// lets every admin through).
func TestSuspectedAdminDoesNotSeeAQuietIncidentInTheList(t *testing.T) {
	t.Parallel()
	h, s, general := quietBot(t, "")
	inc, _ := h.store.Get(s.ctx, 1)
	got := s.command("UERIN", general, "list")
	if strings.Contains(got, "INC-1") || strings.Contains(got, inc.Codename) || strings.Contains(got, inc.ChannelID) {
		t.Errorf("the list shows the quiet incident to a suspected admin: %q", got)
	}
	// Control: mallory (a plain suspect) does not see it.
	if got := s.command("UMAL", general, "list"); strings.Contains(got, "INC-1") {
		t.Errorf("the list shows the quiet incident to a suspect: %q", got)
	}
}

// A suspected admin with a form kept from earlier (or crafted: CopyView
// with the incident's number in its metadata) records a regulatory decision
// and adds a note to the quiet incident. Forms are checked by
// visibleIncident alone, which lets any admin through, suspected or not,
// and skips the quiet incident's "only from its channel" rule too.
func TestSuspectedAdminCannotActOnAQuietIncidentByForm(t *testing.T) {
	t.Parallel()
	h, s, _ := quietBot(t, "")
	// The commander opens the decide form and the note form; the suspect
	// gets copies of them.
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "decide"); err != nil {
		t.Fatal(err)
	}
	decide := s.viewOf("UALICE", "incident_decide")
	forged, err := h.slack.CopyView(decide.ID, "UERIN", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.slack.Submit(s.ctx, "UERIN", forged, map[string]string{"decisions": "awareness,personal-data", "at": "2h"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.Decisions) != 0 {
		t.Errorf("a suspected admin recorded regulatory decisions on the quiet incident by a forged form: %+v", inc.Decisions)
	}
	if n := s.countEvents(1, incident.EventDecision, ""); n != 0 {
		t.Errorf("%d decisions of a suspect on the timeline", n)
	}
	if !auditWithin(h, s, 1, "UERIN", "form incident_decide") {
		t.Errorf("the suspect's form is not on the audit log:\n%s", auditDump(h, s, 1))
	}
	for _, e := range mustAudit(t, h, s) {
		if e.Actor == "UERIN" && e.Outcome == incident.AuditOK {
			t.Errorf("the suspect's attempt is on the audit log as done: %+v", e)
		}
	}
}

// mustAudit reads INC-1's audit log.
func mustAudit(t *testing.T, h *harness, s *script) []incident.AuditEntry {
	t.Helper()
	entries, _, err := h.store.Audit(s.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// A plain suspected account (mallory, no admin) with the same forged
// decide form is refused as if the incident did not exist (that holds).
// But the README says a suspect's attempt by "a command, a button, a
// form" is "written on its audit log, and reported to the commander": a
// form refused by its incident check (interactionIncident) is neither.
func TestSuspectsFormAttemptIsAuditedAndReported(t *testing.T) {
	t.Parallel()
	h, s, _ := quietBot(t, "")
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "decide"); err != nil {
		t.Fatal(err)
	}
	decide := s.viewOf("UALICE", "incident_decide")
	forged, err := h.slack.CopyView(decide.ID, "UMAL", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.slack.Submit(s.ctx, "UMAL", forged, map[string]string{"decisions": "awareness"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Body), notThere) {
		t.Errorf("the suspect's forged form was answered %s; want the answer for a number that does not exist", d.Body)
	}
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.Decisions) != 0 {
		t.Errorf("a suspect recorded a decision: %+v", inc.Decisions)
	}
	if !auditWithin(h, s, 1, "UMAL", "form incident_decide") {
		t.Errorf("the suspect's forged form is not on the audit log:\n%s", auditDump(h, s, 1))
	}
	if !dmWithin(h, "UALICE", "Suspected account <@UMAL>") {
		t.Errorf("the commander was not told of the suspect's forged form")
	}
}

// Mallory, a suspect, keeps a copy of the quiet incident's card (CopyMessage
// into #general) and clicks its buttons. Refused as if it did not exist
// (holds); but a refused button names no incident to the audit (inc nil,
// tried 0), so the attempt is neither on the audit log nor reported.
func TestSuspectsButtonAttemptIsAuditedAndReported(t *testing.T) {
	t.Parallel()
	h, s, general := quietBot(t, "")
	card := s.cardMessage()
	copied, err := h.slack.CopyMessage(s.ch, card.TS, general, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := s.answer("UMAL", func() error {
		_, err := h.slack.Click(s.ctx, "UMAL", general, copied, commands.ActionNextPhase)
		return err
	})
	if !strings.Contains(got, notThere) {
		t.Errorf("the suspect's click was answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Phase != incident.Identification {
		t.Errorf("the suspect moved the phase to %s", inc.Phase)
	}
	if !auditWithin(h, s, 1, "UMAL", "button "+commands.ActionNextPhase) {
		t.Errorf("the suspect's click is not on the audit log:\n%s", auditDump(h, s, 1))
	}
	if !dmWithin(h, "UALICE", "Suspected account <@UMAL>") {
		t.Errorf("the commander was not told of the suspect's click")
	}
}

// On a public incident that is not quiet, the commander names erin, an
// admin, a suspected account. From #general, erin clears herself by number
// and adds a note: an admin's powers are checked before, and without, the
// suspicion. The README: anything a suspect tries on the incident, from
// anywhere, is refused as if the incident did not exist.
func TestSuspectedAdminCannotClearThemselves(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"admins: [UERIN]\n")
	h.slack.AddUser("UERIN", "erin")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UERIN")
	s.command("UALICE", general, "declare Supplier portal phishing sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	if got := s.command("UALICE", s.ch, "suspect <@UERIN|erin>"); !strings.Contains(got, "Suspected in INC-1") {
		t.Fatalf("naming erin answered %q", got)
	}
	got := s.command("UERIN", general, "suspect 1 remove <@UERIN|erin>")
	if !strings.Contains(got, notThere) {
		t.Errorf("a suspected admin clearing herself was answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); !inc.IsSuspect("UERIN") {
		t.Errorf("a suspected admin cleared herself: suspects %v", inc.Suspects)
	}
	if got := s.command("UERIN", general, "note 1 nothing to see here"); !strings.Contains(got, notThere) {
		t.Errorf("a suspected admin's note was answered %q", got)
	}
	if n := s.countEvents(1, incident.EventNote, "nothing to see"); n != 0 {
		t.Errorf("a suspected admin's note is on the timeline")
	}
}

// Slack refuses to take carol, a responder named a suspect, out of the
// quiet incident's channel (the answer tells the commander to remove her by
// hand). Until someone does, her :pushpin: reactions put messages of her
// choice on the incident's timeline, under her name, audited as done:
// Reacted never asks whether the reacting person is a suspect, though every
// command of hers in that same channel is refused.
func TestSuspectCannotPinToTheTimeline(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, clockConfig)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
	s.command("UALICE", general, "declare "+quietTitle+" sev1 --quiet")
	inc, _ := h.store.Get(s.ctx, 1)
	s.ch = inc.ChannelID
	h.slack.Fail("conversations.kick", fakeslackFailure("restricted_action"))
	if got := s.command("UALICE", s.ch, "suspect <@UCAROL|carol>"); !strings.Contains(got, "remove them by hand") {
		t.Fatalf("naming carol with the kick refused answered %q", got)
	}
	if got := s.command("UCAROL", s.ch, "timeline"); !strings.Contains(got, notThere) {
		t.Errorf("carol's command in the channel answered %q", got)
	}
	ts := h.slack.PostAs("UCAROL", s.ch, "false lead: the payroll admin just forgot their password, stand down")
	before := s.timelineLen()
	if _, _, err := h.slack.React(s.ctx, "UCAROL", s.ch, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := s.countEvents(1, incident.EventPinned, ""); n != 0 || s.timelineLen() != before {
		t.Errorf("a suspect's :pushpin: put %d messages on the quiet incident's timeline", n)
	}
	for _, e := range mustAudit(t, h, s) {
		if e.Actor == "UCAROL" && e.What == "reaction pushpin" && e.Outcome == incident.AuditOK {
			t.Errorf("the suspect's pin is on the audit log as done: %+v", e)
		}
	}
}

func fakeslackFailure(code string) fakeslack.Failure { return fakeslack.Failure{Error: code} }

// Bob (any member of the quiet incident) makes mallory, a suspected
// account, the owner of a follow-up action: the lessons form's person
// picker offers everyone, and addLessons makes every owner a member with no
// check for suspects. The listing then carries mallory among its members,
// and Listing.VisibleTo (which knows nothing of suspects) lists the open
// quiet incident to her: its number, codename and private channel. The
// README: suspects are "never invited, told or listed". (The lessons form
// is taken while the incident is open, as the bot allows; here it is the
// form of another incident bob closed, its metadata set to INC-1.)
func TestSuspectMadeFollowUpOwnerIsNotListedTheQuietIncident(t *testing.T) {
	t.Parallel()
	h, s, general := quietBot(t, "")
	s.command("UBOB", general, "declare Printer jam sev4")
	two := h.declared(t, "UBOB", "INC-2").ID
	s.command("UBOB", two, "close Cleared")
	s.await("INC-2's retro", func() bool {
		inc, _ := h.store.Get(s.ctx, 2)
		return inc.Status != incident.Open
	})
	ch, _ := h.slack.Channel(two)
	card := ch.Pinned()[0]
	if _, err := h.slack.Click(s.ctx, "UBOB", two, card.TS, commands.ActionAddLesson); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UBOB", commands.ModalLesson)
	forged, err := h.slack.CopyView(v.ID, "UBOB", strings.NewReplacer(`"private_metadata":"2"`, `"private_metadata":"1"`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.slack.Submit(s.ctx, "UBOB", forged, map[string]string{
		commands.InputAction(1): "Review the admin's access", commands.InputOwner(1): "UMAL",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Body), "suspected account") {
		t.Errorf("a suspect as a follow-up's owner was answered %q; want the field refused", d.Body)
	}
	time.Sleep(200 * time.Millisecond)
	inc, _ := h.store.Get(s.ctx, 1)
	if len(inc.FollowUps) != 0 {
		t.Errorf("a follow-up owned by a suspect was recorded: %+v", inc.FollowUps)
	}
	if inc.IsMember("UMAL") {
		t.Errorf("a suspect became a member of the quiet incident as a follow-up's owner: %v", inc.Members)
	}
	if got := s.command("UMAL", general, "list"); strings.Contains(got, "INC-1") || strings.Contains(got, inc.Codename) {
		t.Errorf("the suspect is listed the quiet incident: %q", got)
	}
}

// A /incident notified whose replica died after recording the notification
// and before answering is done again by another replica. The store skips
// the change (done already), so notifiedCmd's closure never sets the clock
// it stopped, and the answer reads the zero Clock: Clock.Name indexes an
// empty Regime.Stages and panics. The person is told "Something went wrong"
// for a notification that was recorded (the README: "A change that was
// made is never reported as failed").
func TestANotificationDoneAgainAfterACrashIsAnsweredAsRecorded(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	if got := s.command("UALICE", s.ch, "decide awareness personal-data"); !strings.Contains(got, "GDPR notification") {
		t.Fatalf("the decision answered %q", got)
	}
	before := len(h.slack.Ephemerals("UALICE"))
	crashCommand(t, h, s, crash, "UALICE", "notified gdpr --ref DPA-2026-0042")
	redo(t, h, s)
	got := s.lastEphemeral("UALICE", before)
	if !strings.Contains(got, "*GDPR notification* notified in time") {
		t.Errorf("the notification done again was answered %q", got)
	}
	if n := s.countEvents(1, incident.EventNotified, ""); n != 1 {
		t.Errorf("%d notifications on the timeline; want 1", n)
	}
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.Notifications) != 1 {
		t.Errorf("%d notifications recorded; want 1", len(inc.Notifications))
	}
}

// A /incident decide done again after a crash records each decision once
// and answers with the clocks it started (regression).
func TestADecisionDoneAgainAfterACrashIsRecordedOnce(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	before := len(h.slack.Ephemerals("UALICE"))
	crashCommand(t, h, s, crash, "UALICE", "decide awareness personal-data")
	redo(t, h, s)
	got := s.lastEphemeral("UALICE", before)
	if !strings.Contains(got, "Recorded for INC-1") || !strings.Contains(got, "*GDPR notification* due") {
		t.Errorf("the decision done again was answered %q", got)
	}
	if n := s.countEvents(1, incident.EventDecision, ""); n != 2 {
		t.Errorf("%d decisions on the timeline; want 2", n)
	}
}

// Naming a suspect whose replica died after recording it and before taking
// them out of the channel: done again, they are taken out (regression).
func TestASuspectNamedAgainAfterACrashIsTakenOutOfTheChannel(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	crashCommand(t, h, s, crash, "UALICE", "suspect <@UCAROL|carol>")
	redo(t, h, s)
	s.await("carol out of the channel", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		return !slices.Contains(ch.Members, "UCAROL")
	})
	if n := s.countEvents(1, incident.EventSuspect, ""); n != 1 {
		t.Errorf("%d suspect events on the timeline; want 1", n)
	}
}

// A TLP:RED domain named in a notification's reference and in its reason
// for the delay is withheld from the postmortem's regulatory section and
// its timeline (regression for the new section).
func TestThePostmortemWithholdsRedIndicatorsInNotifications(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "ioc add exfil-drop.example --tlp red --note a partner's, TLP:RED")
	s.command("UALICE", s.ch, "decide awareness personal-data --at 80h")
	got := s.command("UALICE", s.ch, "notified gdpr --ref exfil-drop.example because exfil-drop.example was still live")
	if !strings.Contains(got, "after its deadline") {
		t.Fatalf("the late notification answered %q", got)
	}
	pm := strings.ToLower(publishedPostmortem(t, h, s))
	for _, form := range []string{"exfil-drop.example", "exfil-drop[.]example"} {
		if i := strings.Index(pm, form); i >= 0 {
			t.Errorf("the postmortem shows the TLP:RED domain: %q", pm[max(0, i-150):min(len(pm), i+60)])
		}
	}
}

// Broadcasts and user-group mentions typed into the new fields (a
// notification's reference and reason, decide --at, the decide form's
// time, suspect's words) come alive nowhere: not in answers, the card,
// the timeline or field errors (regression).
func TestNothingTypedIntoTheClockAndSuspectFieldsComesAlive(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	const ping = "<!channel> <!here> <!subteam^S0001|@security> <!everyone>"
	s.command("UALICE", s.ch, "decide awareness --at "+ping)
	s.command("UALICE", s.ch, "decide awareness personal-data --at 80h")
	s.command("UALICE", s.ch, "notified gdpr --ref "+ping+" because "+ping)
	s.command("UALICE", s.ch, "suspect "+ping)
	s.command("UALICE", s.ch, "suspect remove "+ping)
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "decide"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UALICE", "incident_decide")
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{"decisions": "significant", "at": ping}); err != nil {
		t.Fatal(err)
	}
	s.command("UALICE", s.ch, "timeline")
	s.card("", "Regulatory clocks")
	time.Sleep(300 * time.Millisecond)
	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("typed markup came alive:\n%s", strings.Join(live, "\n"))
	}
	if strings.Contains(h.logs.String(), "neutralized live markup") {
		t.Errorf("typed markup reached the last line of defence (the guard neutralized it)")
	}
}

// A quiet incident's regulatory clocks: a legal contact named a suspect is
// never reminded; the commander's reminders and the missed deadline name
// the incident by number and regime only, never the title (regression).
func TestQuietClockRemindersSkipSuspectsAndNameNoTitle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	h := startBotWith(t, false, clock.Now, clockConfig)
	h.slack.AddUser("ULEGAL", "legal")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare "+quietTitle+" sev1 --quiet")
	inc, _ := h.store.Get(s.ctx, 1)
	s.ch = inc.ChannelID
	s.command("UALICE", s.ch, "suspect <@ULEGAL|legal>")
	s.command("UALICE", s.ch, "decide awareness personal-data")
	clock.Advance(36 * time.Hour)
	s.await("the half-time reminder", func() bool { return dmsWith(h, "UALICE", "INC-1: the *GDPR notification* is due") == 1 })
	clock.Advance(36 * time.Hour)
	s.await("the missed deadline", func() bool { return dmsWith(h, "UALICE", "the deadline for the *GDPR notification* passed") == 1 })
	time.Sleep(1200 * time.Millisecond)
	if got := h.slack.DirectMessages("ULEGAL"); len(got) != 0 {
		t.Errorf("a suspected legal contact was told: %q", got[0].Visible())
	}
	for _, m := range h.slack.DirectMessages("UALICE") {
		if quietSecret(m.Visible()) || quietSecret(m.Text) {
			t.Errorf("a direct message names the quiet incident's title: %q", m.Visible())
		}
	}
	ch, _ := h.slack.Channel(s.ch)
	for _, m := range ch.Messages {
		if quietSecret(m.Text) {
			t.Errorf("a notification text in the channel names the title: %q", m.Text)
		}
	}
}

// On a public incident that is not quiet, carol is named a suspect. Every
// request of hers on INC-1 is answered "There is no incident INC-1 that you
// can see", yet /incident list shows it to her with its title and channel:
// Listing.VisibleTo knows nothing of suspects. The contradiction tells the
// attacker they have been named a suspect, which is what the quiet mode
// exists to avoid.
func TestSuspectIsNotListedTheIncidentTheyAreRefused(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general := h.slack.CreateChannel("lobby", false, "UALICE", "UCAROL")
	s.command("UALICE", s.ch, "suspect <@UCAROL|carol>")
	if got := s.command("UCAROL", general, "status 1"); !strings.Contains(got, notThere) {
		t.Fatalf("the suspect's status answered %q", got)
	}
	if got := s.command("UCAROL", general, "list"); strings.Contains(got, "INC-1") {
		t.Errorf("the incident the suspect is refused as nonexistent is listed to her: %q", got)
	}
}

// INC-1 is raised to TLP:AMBER. Bob posts an update whose words contain
// "[TLP:AMBER]" (pasted from a partner's mail, or on purpose). render.Marked
// skips a message whose notification text already contains the marking,
// meant for its own edits, so the update goes out without the marking line
// at its top (what the marking allows) and without the marking at the start
// of its notification text. The README: every message about a marked
// incident carries it "on a line at the top … and at the start of its
// notification text".
func TestAnUpdateCannotShedItsMarkingByQuotingIt(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "tlp amber")
	s.command("UBOB", s.ch, "update Mailbox rules removed; partner says [TLP:AMBER] on their IOCs")
	var m fakeslackMessage
	s.await("the update in the channel", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		for _, x := range ch.Messages {
			if strings.Contains(x.Text, "Update on INC-1: Mailbox rules removed") {
				m = x
				return true
			}
		}
		return false
	})
	if !strings.HasPrefix(m.Text, "[TLP:AMBER] ") {
		t.Errorf("the update's notification text does not start with its marking: %q", m.Text)
	}
	if !strings.Contains(m.Visible(), "share only within the organisation and its clients") {
		t.Errorf("the update lacks the marking line at its top:\n%s", m.Visible())
	}
}

type fakeslackMessage = fakeslack.Message
