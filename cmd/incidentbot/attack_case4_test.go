package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// A URL marked TLP:RED is withheld from the postmortem wherever text names
// it, also written the way people write URLs in notes: without its scheme
// (partner-c2.example/gate.php), or defanged the common way, with the
// scheme as hxxps:// and only the dots in brackets.
func TestThePostmortemWithholdsARedURLHoweverANoteWritesIt(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "ioc add https://partner-c2.example/gate.php --tlp red --note from a partner under TLP:RED")
	s.command("UBOB", s.ch, "note host-12 beaconed to partner-c2.example/gate.php every five minutes")
	s.command("UCAROL", s.ch, "note proxy logs show hxxps://partner-c2[.]example/gate.php 400 times")
	pm := strings.ReplaceAll(publishedPostmortem(t, h, s), `\`, "") // Markdown escapes
	for _, form := range []string{"partner-c2.example/gate.php", "partner-c2[.]example/gate.php"} {
		if i := strings.Index(pm, form); i >= 0 {
			t.Errorf("the postmortem names the TLP:RED URL as %s: %q", form, pm[max(0, strings.LastIndex(pm[:i], "\n")):min(len(pm), i+60)])
		}
	}
}

// What goes with the postmortem withholds what the postmortem withholds:
// a malware sample's SHA-256 marked TLP:RED, and logged as evidence, is
// not in the custody CSV published beside the document (the document says
// it "goes with" it), nor is a TLP:RED domain the item's place names.
func TestTheCustodyCSVBesideThePostmortemWithholdsRedValues(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "ioc add "+tampered+" --tlp red --note from a partner, TLP:RED")
	s.command("UALICE", s.ch, "ioc add partner-c2.example --tlp red")
	s.command("UCAROL", s.ch, "evidence add dropper-sample sha256:"+tampered+" sandbox share of partner-c2.example --note pulled from partner-c2.example")
	pm := publishedPostmortem(t, h, s)
	if strings.Contains(strings.ToLower(pm), tampered) {
		t.Fatal("the postmortem itself shows the TLP:RED hash")
	}
	s.await("the custody CSV", func() bool { _, ok := fileNamed(h.slack, "inc-1-custody.csv"); return ok })
	csv, _ := fileNamed(h.slack, "inc-1-custody.csv")
	if strings.Contains(strings.ToLower(string(csv.Content)), tampered) {
		t.Errorf("the custody CSV published with the postmortem holds the TLP:RED hash %s… the postmortem withholds", tampered[:12])
	}
	if strings.Contains(string(csv.Content), "partner-c2.example") {
		t.Errorf("the custody CSV published with the postmortem names the TLP:RED domain partner-c2.example")
	}
}

// Once a value is marked TLP:RED, what the bot posts to the stakeholder
// channel (a wider audience than the incident's channel, where the
// postmortem itself is posted) does not name it either: the notice that
// the postmortem is out repeats the title the postmortem withholds, and
// the close notice the summary it withholds.
func TestStakeholdersAreNotToldARedValueThePostmortemWithholds(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	s.command("UALICE", general.ID, "declare Beacon to partner-c2.example sev2")
	s.ch = h.declared(t, "UALICE", "INC-2").ID
	s.command("UALICE", s.ch, "ioc add partner-c2.example --tlp red --note shared by a partner under TLP:RED")
	stake, _ := h.slack.Channel(h.stakeholder)
	before := len(stake.Messages)
	s.command("UALICE", s.ch, "close --confirm blocked partner-c2.example at the edge")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the postmortem notice", func() bool {
		c, _ := h.slack.Channel(h.stakeholder)
		for _, m := range c.Messages[before:] {
			if strings.Contains(m.Visible(), "Postmortem of INC-2") {
				return true
			}
		}
		return false
	})
	pm, _ := fileNamed(h.slack, "inc-2-postmortem.md")
	if strings.Contains(string(pm.Content), "partner-c2") {
		t.Fatal("the postmortem itself names the TLP:RED domain")
	}
	stake, _ = h.slack.Channel(h.stakeholder)
	for _, m := range stake.Messages[before:] {
		if strings.Contains(m.Visible(), "partner-c2") {
			t.Errorf("after it was marked TLP:RED, the stakeholders were told the domain the postmortem withholds: %q", m.Visible())
		}
	}
}

// A form that gives known indicators a laxer marking says which of them
// keep their stricter one, all of them: the person is about to share what
// they just marked, and one left unnamed (the answer cut at Slack's 3,000
// characters after the lists before it) is one they take for TLP:GREEN.
func TestAFormNamesEveryIndicatorThatKeptAStricterMarking(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	now := time.Now()
	var values []string
	for i := range 100 {
		values = append(values, fmt.Sprintf("198.51.100.%d", 100+i))
	}
	red := values[40:]
	for _, v := range red {
		if _, err := h.store.AddIndicator(s.ctx, 1, incident.Indicator{Type: incident.IOCIPv4, Value: v, FirstSeen: now, LastSeen: now,
			AddedBy: "UALICE", State: incident.IndicatorSuspected, Marking: "TLP:RED"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.slack.Command(s.ctx, "UCAROL", s.ch, "ioc add"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UCAROL", commands.ModalIOC)
	got := s.answer("UCAROL", func() error {
		_, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{commands.InputIndicators: strings.Join(values, " "), commands.InputMarking: "TLP:GREEN"})
		return err
	})
	if !strings.Contains(got, "keep the stricter marking") {
		t.Fatalf("60 of the 100 keep TLP:RED, and the answer does not say so at all (%d characters, ends %q)", len([]rune(got)), got[max(0, len(got)-80):])
	}
	var missing []string
	for _, r := range red {
		if !strings.Contains(got, incident.Defang(incident.IOCIPv4, r)+"` (TLP:RED)") {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 && !regexp.MustCompile(fmt.Sprintf(`\b%d\b`, len(red))).MatchString(got) {
		t.Errorf("%d of the indicators that kept TLP:RED are not named in the answer, nor counted (e.g. %s)", len(missing), missing[0])
	}
}

// A containment action's --until reminder outlives the close and the
// postmortem; a closed incident whose reminder fell off the schedule (a
// reschedule that failed, which is only logged: "the runner's
// reconciliation repairs it") is put back on it when a replica starts,
// as an open incident is. Otherwise an account disabled "for 2 days" is
// never brought up again.
func TestAClosedIncidentsPendingReminderIsReconciled(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UBOB", s.ch, "action disable svc-backup --until 2d")
	publishedPostmortem(t, h, s)
	rdb := h.redis.Client(t)
	const due = "ib:{sched}:due"
	if err := rdb.ZScore(s.ctx, due, "1").Err(); err != nil {
		t.Fatalf("INC-1, closed with A-1 due in 2 days, is not on the schedule: %v", err)
	}
	if err := rdb.ZRem(s.ctx, due, "1").Err(); err != nil {
		t.Fatal(err)
	}
	b := h.replica(t, clocks{now: time.Now, outbound: clocktest.Instant{}})
	defer b.halt()
	s.eventually("the replica started", func() bool { return strings.Contains(b.logs.String(), "incidentbot started") })
	time.Sleep(500 * time.Millisecond) // the start reconciles the schedule
	if err := rdb.ZScore(s.ctx, due, "1").Err(); err != nil {
		t.Errorf("a replica started and INC-1's pending --until reminder of A-1 is still off the schedule (%v): it will never be sent", err)
	}
}
