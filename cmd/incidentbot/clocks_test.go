package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// clockConfig keeps the built-in regimes (GDPR from awareness of a personal
// data breach, NIS2 in three stages from awareness of a significant
// incident, the SEC's four business days from materiality) on a calendar
// with Christmas Day as a holiday, and a legal contact.
const clockConfig = quietSeverities + `notifications:
  legal: [ULEGAL]
  remind: [50%, 6h, 1h]
  calendar: {time_zone: UTC, workdays: [mon, tue, wed, thu, fri], holidays: ["2026-12-25"]}
`

// slackDate is how a message names an instant: a Slack date token, which
// every reader sees in their own time zone.
func slackDate(t time.Time) string { return fmt.Sprintf("<!date^%d^", t.Unix()) }

// TestRegulatoryClocks runs GDPR, NIS2 and the SEC's clocks from decisions
// made on Thursday 24 December 2026 at 10:00 UTC, with two replicas and a
// restart: each reminder reaches the commander and the legal contact once,
// at its instant; a missed deadline asks for the reason for the delay; a
// notification stops its clock; the card and the postmortem list them.
func TestRegulatoryClocks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0.Add(-time.Hour))
	setClock := func(at time.Time) { clock.Advance(at.Sub(clock.Now())) }
	cl := clocks{now: clock.Now, outbound: clocktest.Instant{}}
	h := startBotWith(t, false, clock.Now, clockConfig)
	h.slack.AddUser("ULEGAL", "legal")
	replica := func() *harness {
		r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
		r.launch(t, false, false, cl, clockConfig)
		return r
	}
	second := replica()
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Customer database exfiltration sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID

	setClock(t0)
	if got := s.command("UBOB", s.ch, "decide awareness"); !strings.Contains(got, "Only the incident commander (<@UALICE>), an admin or a legal contact can record a decision") {
		t.Errorf("a responder who is not the commander decided: %q", got)
	}
	if got := s.command("UALICE", s.ch, "decide awareness sideways"); !strings.Contains(got, "There is no decision `sideways`") || !strings.Contains(got, "Usage: `/incident decide") {
		t.Errorf("an unknown decision answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.Decisions) != 0 {
		t.Fatalf("a refused decision was recorded: %+v", inc.Decisions)
	}
	gdprDue := t0.Add(72 * time.Hour)
	var earlyWarningDue time.Time
	finalReportDue := time.Date(2027, 1, 24, 10, 0, 0, 0, time.UTC)
	// Friday 25th is a holiday, then a weekend: Mon 28 … Thu 31 are the four business days.
	secDue := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	got := s.command("UALICE", s.ch, "decide awareness personal-data")
	for _, want := range []string{"Recorded for INC-1: *aware of the incident*, *personal data affected*", "*GDPR notification* due " + slackDate(gdprDue), "Not started: NIS2 (`significant`); SEC (`material`)"} {
		if !strings.Contains(got, want) {
			t.Errorf("the decision answered %q; want %q", got, want)
		}
	}
	if got := s.command("UALICE", s.ch, "decide awareness"); !strings.Contains(got, "*aware of the incident* was recorded for INC-1 already, by <@UALICE>") {
		t.Errorf("a decision made twice answered %q", got)
	}
	// An hour later, significance is decided by the form, dated back half
	// an hour: NIS2 runs from then, the later of its two decisions.
	setClock(t0.Add(time.Hour))
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "decide"); err != nil {
		t.Fatal(err)
	}
	view := s.viewOf("UALICE", "incident_decide")
	got = s.answer("UALICE", func() error {
		_, err := h.slack.Submit(s.ctx, "UALICE", view.ID, map[string]string{"decisions": "significant", "at": "10:30"})
		return err
	})
	nis2Start := t0.Add(30 * time.Minute)
	earlyWarningDue = nis2Start.Add(24 * time.Hour)
	nis2NotificationDue := nis2Start.Add(72 * time.Hour)
	finalReportDue = finalReportDue.Add(30 * time.Minute)
	if !strings.Contains(got, "*NIS2 early warning* due "+slackDate(earlyWarningDue)) {
		t.Errorf("the form answered %q", got)
	}
	got = s.command("UALICE", s.ch, "decide material")
	if !strings.Contains(got, "*SEC Form 8-K* due "+slackDate(secDue)) {
		t.Errorf("the SEC clock does not run four business days past the holiday and the weekend: %q", got)
	}
	s.card("", "*Regulatory clocks*")
	card := s.cardMessage().Visible()
	for _, want := range []string{"*NIS2 early warning* due " + slackDate(earlyWarningDue), "*GDPR notification* due " + slackDate(gdprDue),
		"*NIS2 incident notification* due " + slackDate(nis2NotificationDue), "*NIS2 final report* due " + slackDate(finalReportDue), "*SEC Form 8-K* due " + slackDate(secDue)} {
		if !strings.Contains(card, want) {
			t.Errorf("the card lacks %q:\n%s", want, card)
		}
	}

	told := func(user string) []string {
		var out []string
		for _, m := range h.slack.DirectMessages(user) {
			if strings.Contains(m.Visible(), "INC-1: the ") {
				out = append(out, m.Visible())
			}
		}
		return out
	}
	// step moves the clock to at and waits for want more messages to each of
	// the commander and the legal contact; a second before, none came.
	step := func(name string, at time.Time, want int, says ...string) {
		t.Helper()
		before := len(told("ULEGAL"))
		setClock(at.Add(-time.Second))
		time.Sleep(1200 * time.Millisecond) // a tick of each replica
		if n := len(told("ULEGAL")); n != before {
			t.Fatalf("%s: told %d messages early: %q", name, n-before, told("ULEGAL")[before:])
		}
		setClock(at)
		s.await(name, func() bool { return len(told("ULEGAL")) >= before+want && len(told("UALICE")) >= before+want })
		for _, want := range says {
			if !strings.Contains(strings.Join(told("ULEGAL")[before:], "\n"), want) {
				t.Errorf("%s: the messages lack %q: %q", name, want, told("ULEGAL")[before:])
			}
		}
	}
	// NIS2's early warning: half its 24 hours gone.
	step("the early warning at half-time", nis2Start.Add(12*time.Hour), 1, "*NIS2 early warning* is due in 12h, at "+slackDate(earlyWarningDue))
	if got := s.command("UALICE", s.ch, "notified nis2 --ref CSIRT-2026-17"); !strings.Contains(got, "*NIS2 early warning* notified in time") ||
		!strings.Contains(got, "Next: *NIS2 incident notification*, due "+slackDate(nis2NotificationDue)) {
		t.Errorf("the early warning's notification answered %q", got)
	}

	// A restart: the second replica stops, a third starts.
	second.halt()
	replica()
	step("GDPR at half-time", t0.Add(36*time.Hour), 1, "*GDPR notification* is due in 1d 12h, at "+slackDate(gdprDue))
	step("NIS2's notification at half-time", nis2Start.Add(36*time.Hour), 1, "*NIS2 incident notification* is due in 1d 12h, at "+slackDate(nis2NotificationDue))
	step("GDPR 6 hours before", gdprDue.Add(-6*time.Hour), 1, "*GDPR notification* is due in 6h")
	step("NIS2's notification 6 hours before", nis2NotificationDue.Add(-6*time.Hour), 1, "*NIS2 incident notification* is due")
	step("GDPR 1 hour before", gdprDue.Add(-time.Hour), 1, "*GDPR notification* is due in 1h")
	step("NIS2's notification 1 hour before", nis2NotificationDue.Add(-time.Hour), 1, "*NIS2 incident notification* is due")
	step("GDPR's deadline", gdprDue, 1, "the deadline for the *GDPR notification* passed at "+slackDate(gdprDue), "must give the reason for the delay")
	step("NIS2's deadline", nis2NotificationDue, 1, "the deadline for the *NIS2 incident notification* passed", "/incident notified INC-1 nis2 incident notification --ref")
	s.card("", "*GDPR notification* *deadline missed*")
	ch, _ := h.slack.Channel(s.ch)
	if n := countMessages(ch, "the deadline for the *GDPR notification* passed"); n != 1 {
		t.Errorf("the missed deadline was posted %d times in the incident channel; want once", n)
	}

	setClock(gdprDue.Add(2 * time.Hour))
	if got := s.command("UALICE", s.ch, "notified gdpr --ref DPA-0042"); !strings.Contains(got, "The GDPR notification deadline passed at "+slackDate(gdprDue)) || !strings.Contains(got, "because &lt;reason for the delay&gt;") {
		t.Errorf("a late notification without a reason answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "notified gdpr --ref DPA-0042 because the scope of the breach was confirmed only on day 3"); !strings.Contains(got, "*GDPR notification* notified after its deadline") {
		t.Errorf("a late notification with its reason answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "notified gdpr"); !strings.Contains(got, "Every GDPR notification of INC-1 is recorded already") {
		t.Errorf("a second GDPR notification answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "notified nis2 final reprot"); !strings.Contains(got, "NIS2 has no stage `final reprot`: name one of `early warning, incident notification, final report`") {
		t.Errorf("a misspelt stage answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "notified nis2 incident notification because the CSIRT portal was down"); !strings.Contains(got, "*NIS2 incident notification* notified after its deadline") {
		t.Errorf("the named stage's late notification answered %q", got)
	}
	// The SEC's clock: half its time gone is Monday 28 December 05:00.
	secStart := t0.Add(time.Hour)
	step("the SEC's clock at half-time", secStart.Add(secDue.Sub(secStart)/2), 1, "*SEC Form 8-K* is due in 3d 18h 30m, at "+slackDate(secDue))
	// The legal contact records the filing: clocks are theirs to keep too.
	if got := s.command("ULEGAL", s.ch, "notified sec --ref 0001193125-26-000001"); !strings.Contains(got, "*SEC Form 8-K* notified in time") {
		t.Errorf("the legal contact's notification answered %q", got)
	}

	// After the close the final report's clock still runs; a bot that was
	// down past its deadline tells the latest point once, not each it missed.
	s.command("UALICE", s.ch, "close Customer data exfiltrated via a stolen API key; regulators notified")
	// Its place on the schedule lost, a replica that starts puts it back.
	if err := h.redis.Client(t).ZRem(s.ctx, "ib:{sched}:due", "1").Err(); err != nil {
		t.Fatal(err)
	}
	replica()
	before := len(told("ULEGAL"))
	setClock(finalReportDue.Add(time.Hour))
	s.await("the final report's deadline", func() bool { return len(told("ULEGAL")) > before })
	time.Sleep(1200 * time.Millisecond)
	if late := told("ULEGAL")[before:]; len(late) != 1 || !strings.Contains(late[0], "the deadline for the *NIS2 final report* passed") {
		t.Errorf("after the final report's deadline the legal contact was told %q; want its deadline once", late)
	}

	// Every message went to each of the two once: 11 so far.
	for _, user := range []string{"UALICE", "ULEGAL"} {
		msgs := told(user)
		seen := map[string]int{}
		for _, m := range msgs {
			seen[m]++
		}
		for m, n := range seen {
			if n > 1 {
				t.Errorf("%s was told %d times: %q", user, n, m)
			}
		}
		if len(msgs) != 11 {
			t.Errorf("%s was told %d messages; want 11:\n%s", user, len(msgs), strings.Join(msgs, "\n"))
		}
	}
	if n := s.countEvents(1, incident.EventNotified, ""); n != 4 {
		t.Errorf("%d notifications on the timeline; want 4", n)
	}
	if n := s.countEvents(1, incident.EventDecision, ""); n != 4 {
		t.Errorf("%d decisions on the timeline; want 4", n)
	}

	s.command("UALICE", s.ch, "notified nis2 --ref CSIRT-2026-17-final because the forensic report came late")
	md := publishedPostmortem(t, h, s)
	for _, want := range []string{
		"## Regulatory notifications",
		"- Decided aware of the incident: 2026-12-24 10:00 UTC, by @alice",
		"- Decided significant (NIS2): 2026-12-24 10:30 UTC, by @alice",
		"| GDPR notification | 2026-12-24 10:00 UTC | 2026-12-27 10:00 UTC | 2026-12-27 12:00 UTC by @alice | DPA-0042 | the scope of the breach was confirmed only on day 3 |",
		"| NIS2 early warning | 2026-12-24 10:30 UTC | 2026-12-25 10:30 UTC | 2026-12-24 22:30 UTC by @alice | CSIRT-2026-17 |  |",
		"| SEC Form 8-K | 2026-12-24 11:00 UTC | 2027-01-01 00:00 UTC | 2026-12-28 05:30 UTC by @legal | 0001193125-26-000001 |  |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the postmortem lacks %q", want)
		}
	}
}

func countMessages(ch fakeslack.Channel, text string) int {
	n := 0
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), text) {
			n++
		}
	}
	return n
}

// TestAReminderOutlastsASlackOutage: Slack fails every post for a while
// at the instant of a reminder (HTTP 503 until the outbound path gives
// up); the reminder is not lost: it goes out once Slack answers again, to
// each of the two once.
func TestAReminderOutlastsASlackOutage(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	h := startBotWith(t, false, clock.Now, quietSeverities+`notifications:
  legal: [ULEGAL]
  remind: [50%]
  regimes: [{key: gdpr, name: GDPR, from: [awareness], within: 72h}]
`)
	h.slack.AddUser("ULEGAL", "legal")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE")
	s.command("UALICE", general, "declare Customer database exfiltration sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "decide awareness")
	reminded := func(user string) int {
		n := 0
		for _, m := range h.slack.DirectMessages(user) {
			if strings.Contains(m.Visible(), "INC-1: the *GDPR notification* is due") {
				n++
			}
		}
		return n
	}
	outage := make([]fakeslack.Failure, 12)
	for i := range outage {
		outage[i] = fakeslack.Failure{Status: 503}
	}
	before := len(h.slack.Calls("chat.postMessage"))
	h.slack.Fail("chat.postMessage", outage...)
	clock.Advance(36 * time.Hour)
	s.eventually("the outage to be used up", func() bool { return len(h.slack.Calls("chat.postMessage")) >= before+len(outage) })
	// The failed run schedules its retry 30 s on (the scheduler's retry):
	// once it has, and not before, the clock moves past it.
	retry := t0.Add(36*time.Hour + 30*time.Second)
	s.eventually("the retry scheduled", func() bool {
		due, _, _ := h.store.Scheduled(s.ctx, 1)
		return due.Equal(retry)
	})
	clock.Advance(time.Minute)
	s.await("the reminders after the outage", func() bool { return reminded("UALICE") >= 1 && reminded("ULEGAL") >= 1 })
	time.Sleep(1200 * time.Millisecond)
	if a, l := reminded("UALICE"), reminded("ULEGAL"); a != 1 || l != 1 {
		t.Errorf("after the outage the commander got %d reminders and the legal contact %d; want one each", a, l)
	}
}
