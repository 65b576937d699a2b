package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// countVisible counts the messages that show want.
func countVisible(ms []fakeslack.Message, want string) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.Visible(), want) {
			n++
		}
	}
	return n
}

// Alice's update crashes after its write and before it is posted; Bob
// posts another before the redo. The redo posts Alice's update (her text,
// by her), in the channel and to the stakeholders, and not Bob's again:
// the update in the channel is Alice's answer.
func TestAttack18UpdateRedoPostsItsOwnUpdate(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	crashCommand(t, h, s, crash, "UALICE", "update alpha: backups verified")
	// Sent as is: the crashed request stays in the journal until the redo.
	if _, err := h.slack.Command(s.ctx, "UBOB", s.ch, "update bravo: restoring the file server"); err != nil {
		t.Fatal(err)
	}
	s.await("Bob's update", func() bool { return countVisible(s.toldIn(s.ch), "bravo:") == 1 })
	redo(t, h, s)
	ch, _ := h.slack.Channel(s.ch)
	stake, _ := h.slack.Channel(h.stakeholder)
	for _, where := range []struct {
		name string
		ms   []fakeslack.Message
	}{{"the incident channel", s.toldIn(s.ch)}, {"the stakeholder channel", stake.Messages}} {
		if a, b := countVisible(where.ms, "alpha: backups verified"), countVisible(where.ms, "bravo: restoring"); a != 1 || b != 1 {
			for _, m := range where.ms {
				t.Logf("%s: %s", where.name, m.Visible())
			}
			t.Errorf("%s shows Alice's update %d times and Bob's %d times; want each once", where.name, a, b)
		}
	}
	for _, m := range ch.Messages {
		if v := m.Visible(); strings.Contains(v, "alpha:") && !strings.Contains(v, "<@UALICE>") {
			t.Errorf("Alice's update is not shown as hers: %q", v)
		}
	}
}

// A severity change crashes after its write; the commander changes it
// again before the redo. The channel and the stakeholders are told each
// change once, as it was made: sev2 → sev1, then sev1 → sev3, never
// "sev2 → sev3".
func TestAttack18SeverityRedoTellsStakeholdersItsOwnChange(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	crashCommand(t, h, s, crash, "UALICE", "severity sev1")
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "severity sev3"); err != nil {
		t.Fatal(err)
	}
	s.await("the later change told", func() bool { return countVisible(s.toldIn(s.ch), "sev1 → sev3") == 1 })
	redo(t, h, s)
	stake, _ := h.slack.Channel(h.stakeholder)
	count := map[string]int{}
	for _, change := range []string{"`sev2` → `sev1`", "`sev1` → `sev3`", "`sev2` → `sev3`"} {
		count[change] = countVisible(stake.Messages, change)
	}
	if count["`sev2` → `sev1`"] != 1 || count["`sev1` → `sev3`"] != 1 || count["`sev2` → `sev3`"] != 0 {
		for _, m := range stake.Messages {
			t.Logf("stakeholders: %s", m.Visible())
		}
		t.Errorf("the stakeholders were told %v; want each change once, as made", count)
	}
	// And the channel: the redo tells the change its request made, found by
	// its tag, not the later one a second time.
	if a, b := countVisible(s.toldIn(s.ch), "sev2 → sev1"), countVisible(s.toldIn(s.ch), "sev1 → sev3"); a != 1 || b != 1 {
		t.Errorf("the channel was told sev2 → sev1 %d times and sev1 → sev3 %d times; want each once", a, b)
	}
}

// Who learns what from an update: in the channel the update is the
// answer (no private "posted"); from elsewhere, a member is told where it
// went; an outsider naming a private incident learns nothing of it (not
// its channel, not its title) and posts nothing; a replayed command posts
// nothing again.
func TestAttack18UpdateAnswers(t *testing.T) {
	t.Parallel()
	h, s, general := declared18(t, "Private matter sev2 --private")
	s.command("UALICE", s.ch, "assign comms <@UBOB|bob>")

	before := len(h.slack.Ephemerals("UALICE"))
	got := s.command("UALICE", s.ch, "update charlie-in-channel")
	if !strings.Contains(got, "charlie-in-channel") || !strings.Contains(got, "<@UALICE>") {
		t.Errorf("Alice saw %q; want her update as the channel shows it", got)
	}
	time.Sleep(200 * time.Millisecond)
	if e := h.slack.Ephemerals("UALICE"); len(e) != before {
		t.Errorf("Alice was also answered privately: %q", e[len(e)-1].Visible())
	}

	// Replayed: nothing posted again.
	if _, err := h.slack.Replay(s.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := countVisible(s.toldIn(s.ch), "charlie-in-channel"); n != 1 {
		t.Errorf("a replayed update shows %d times in the channel; want once", n)
	}

	got = s.command("UBOB", general, "update INC-1 from general")
	if !strings.Contains(got, "Update posted in <#"+s.ch+">") {
		t.Errorf("Bob, posting from elsewhere, saw %q; want where it was posted", got)
	}

	ch, _ := h.slack.Channel(s.ch)
	posts := len(ch.Messages)
	got = s.command("UMAL", general, "update INC-1 mallory was here")
	if strings.Contains(got, s.ch) || strings.Contains(got, "Private matter") || !strings.Contains(got, "that you can see") {
		t.Errorf("an outsider saw %q; want only that there is no such incident they can see", got)
	}
	time.Sleep(200 * time.Millisecond)
	ch, _ = h.slack.Channel(s.ch)
	if len(ch.Messages) != posts || s.countEvents(1, incident.EventUpdate, "mallory") != 0 {
		t.Error("an outsider's update reached the private incident")
	}
}

// Hostile text, long enough to be cut, in the update command and form,
// marked and not: nothing becomes live markup in any message, and the
// outbound guard has nothing to catch.
func TestAttack18HostileLongUpdates(t *testing.T) {
	t.Parallel()
	h, s, general := declared18(t, "Hostile updates sev2")
	const delivered = "<!channel> <!here> <https://evil.example|x> \u202egnp.exe &amp;lt;!everyone&amp;gt; *b* "
	const typed = "<!channel> <!here> <https://evil.example|x> \u202egnp.exe &lt;!everyone&gt; *b* "
	raw := func(user, channel, text string) {
		t.Helper()
		cmd := h.slack.NewCommand(user, channel, "")
		cmd.Text = text
		before, told := len(h.slack.Ephemerals(user)), len(s.toldIn(s.ch))
		h.postCommand(t, cmd, signingSecret, time.Now())
		s.await("the answer", func() bool { return len(h.slack.Ephemerals(user)) > before || len(s.toldIn(s.ch)) > told })
	}
	// Near the cuts: each '&' is five characters once escaped, each '<' four.
	for _, pad := range []int{290, 297, 2990, 2996} {
		long := strings.Repeat("&", pad/5) + strings.Repeat("x", pad-pad/5)
		raw("UALICE", s.ch, "update "+long+delivered+strings.Repeat("&amp;&lt;", 150))
	}
	raw("UALICE", s.ch, "update --tlp red "+delivered+strings.Repeat("&lt;!channel&gt;", 180))
	raw("UBOB", general, "update INC-1 "+delivered+strings.Repeat("&amp;", 500)+delivered)

	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, s.cardMessage().TS, commands.ActionPostUpdate); err != nil {
		t.Fatal(err)
	}
	form := s.viewOf("UALICE", commands.ModalUpdate)
	told := len(s.toldIn(s.ch))
	if _, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputText: strings.Repeat("<&>", 900) + typed}); err != nil {
		t.Fatal(err)
	}
	s.await("the form's update", func() bool { return len(s.toldIn(s.ch)) > told })

	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("%d live tokens reached Slack, among them: %q", len(live), live[:min(len(live), 5)])
	}
	if strings.Contains(h.logs.String(), "neutralized live markup") {
		t.Error("the outbound guard had to neutralize live markup: some user text was not escaped")
	}
	for _, m := range s.toldIn(s.ch) {
		if strings.Count(m.Text, "<") != strings.Count(m.Text, ">") {
			t.Errorf("a told message's notification has a broken token: %q", m.Text[max(0, len(m.Text)-40):])
		}
	}
}

// The update could not be posted in the channel (Slack refused it): the
// person posting it from the channel is not told it was posted there.
func TestAttack18UpdateNotPostedIsNotSaidPosted(t *testing.T) {
	t.Parallel()
	h, s, _ := declared18(t, "Unposted sev2")
	h.slack.Fail("chat.postMessage", fakeslack.Failure{Error: "channel_not_found"})
	got := s.command("UALICE", s.ch, "update lost in transit")
	if strings.Contains(got, "Update posted") {
		t.Errorf("Alice was told %q; the update was not posted in the channel", got)
	}
	if !strings.Contains(got, "could not") {
		t.Errorf("Alice was told %q; want that it could not be posted", got)
	}
}

// declared18 starts a bot and declares title from #general-18 as Alice;
// s.ch is the incident's channel. Alice, Bob and Mallory are in #general-18.
func declared18(t *testing.T, title string) (*harness, *script, string) {
	t.Helper()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	h.slack.AddUser("UMAL", "mallory")
	general := h.slack.CreateChannel("general-18", false, "UALICE", "UBOB", "UMAL")
	s.command("UALICE", general, "declare "+title)
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	return h, s, general
}

// A marked update: the channel sees it marked TLP:RED, the stakeholders
// only that there was one. And when an unmarked update crashes and a RED
// one is posted before its redo, the redo does not post the RED text
// again under the incident's lower marking, nor to the stakeholders.
func TestAttack18MarkedUpdateStaysMarkedThroughARedo(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	crashCommand(t, h, s, crash, "UALICE", "update alpha: nothing secret")
	if _, err := h.slack.Command(s.ctx, "UBOB", s.ch, "update --tlp red bravo-secret 198.51.100.9"); err != nil {
		t.Fatal(err)
	}
	s.await("Bob's update", func() bool { return countVisible(s.toldIn(s.ch), "bravo-secret") == 1 })
	redo(t, h, s)
	for _, m := range s.toldIn(s.ch) {
		v := m.Visible()
		if strings.Contains(v, "bravo-secret") && !strings.Contains(v, "TLP:RED") {
			t.Errorf("the RED update is shown without its marking: %q", v)
		}
	}
	if n := countVisible(s.toldIn(s.ch), "bravo-secret"); n != 1 {
		t.Errorf("the RED update is in the channel %d times; want once", n)
	}
	stake, _ := h.slack.Channel(h.stakeholder)
	withheld := 0
	for _, m := range stake.Messages {
		v := m.Visible()
		if strings.Contains(v, "bravo-secret") || strings.Contains(v, "198.51.100.9") {
			t.Errorf("the RED update reached the stakeholders: %q", v)
		}
		if strings.Contains(v, "TLP:RED") && strings.Contains(v, "an update was posted") {
			withheld++
		}
	}
	if withheld != 1 {
		t.Errorf("the stakeholders were told of the RED update %d times; want once, without its text", withheld)
	}
}

// A role change and a phase move, each crashed after its write while
// another change of the same kind is made before the redo: the channel is
// told each change once, as it was made, and each phase's checklist is
// posted once.
func TestAttack18RoleAndPhaseRedoTellTheirOwnChange(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	send := func(user, text string) {
		t.Helper()
		if _, err := h.slack.Command(s.ctx, user, s.ch, text); err != nil {
			t.Fatal(err)
		}
	}
	crashCommand(t, h, s, crash, "UALICE", "assign comms <@UCAROL|carol>")
	send("UALICE", "assign comms <@UBOB|bob>")
	s.await("the later assignment told", func() bool { return countVisible(s.toldIn(s.ch), "<@UCAROL> → <@UBOB>") == 1 })
	redo(t, h, s)
	if n := countVisible(s.toldIn(s.ch), ":bust_in_silhouette:"); n != 2 {
		for _, m := range s.toldIn(s.ch) {
			t.Logf("told: %s", m.Visible())
		}
		t.Errorf("the channel was told of %d role changes; want 2", n)
	}
	if n := countVisible(s.toldIn(s.ch), "<@UCAROL> → <@UBOB>"); n != 1 {
		t.Errorf("the later assignment was told %d times; want once", n)
	}

	crashCommand(t, h, s, crash, "UALICE", "phase next")
	send("UALICE", "phase next")
	s.await("the later move told", func() bool { return countVisible(s.toldIn(s.ch), "Containment → Eradication") == 1 })
	redo(t, h, s)
	for _, move := range []string{"Identification → Containment", "Containment → Eradication"} {
		if n := countVisible(s.toldIn(s.ch), move); n != 1 {
			t.Errorf("the channel was told %q %d times; want once", move, n)
		}
	}
	ch, _ := h.slack.Channel(s.ch)
	for _, p := range []string{"Containment", "Eradication"} {
		if n := countVisible(ch.Messages, "*"+p+" checklist for INC-1*"); n != 1 {
			t.Errorf("the %s checklist was posted %d times; want once", p, n)
		}
	}
	if n := len(s.toldIn(s.ch)); n != 4 {
		t.Errorf("%d told messages; want 4 (two roles, two moves)", n)
	}
}

// The same through the card's update form: the person who submitted it is
// told that it is on the timeline and not in the channel.
func TestAttack18UpdateFormNotPostedIsSaid(t *testing.T) {
	t.Parallel()
	h, s, _ := declared18(t, "Unposted form sev2")
	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, s.cardMessage().TS, commands.ActionPostUpdate); err != nil {
		t.Fatal(err)
	}
	form := s.viewOf("UALICE", commands.ModalUpdate)
	h.slack.Fail("chat.postMessage", fakeslack.Failure{Error: "channel_not_found"})
	got := s.answer("UALICE", func() error {
		_, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputText: "lost in transit"})
		return err
	})
	if !strings.Contains(got, "is on the timeline of INC-1, but I could not post it") {
		t.Errorf("the form's author was told %q", got)
	}
}

// The severity redo's line in the channel gives the cadence of the
// severity it set (sev1: every 30m), not of the one the commander set
// after the crash (sev3: every 4h).
func TestAttack18SeverityRedoToldWithItsOwnCadence(t *testing.T) {
	t.Parallel()
	const cadences = `severities:
  - {name: sev1, description: Critical, update_every: 30m}
  - {name: sev2, description: Major, update_every: 0}
  - {name: sev3, description: Minor, update_every: 4h}
default_severity: sev2
`
	h, s, crash := crashCaseBotWith(t, cadences)
	crashCommand(t, h, s, crash, "UALICE", "severity sev1")
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "severity sev3"); err != nil {
		t.Fatal(err)
	}
	s.await("the later change told", func() bool { return countVisible(s.toldIn(s.ch), "sev1 → sev3") == 1 })
	redoWith(t, h, s, cadences)
	for _, m := range s.toldIn(s.ch) {
		v := m.Visible()
		if strings.Contains(v, "sev2 → sev1") && !strings.Contains(v, "every 30m") {
			t.Errorf("the redone change sev2 → sev1 was told %q; want sev1's cadence, every 30m", v)
		}
		if strings.Contains(v, "sev1 → sev3") && !strings.Contains(v, "every 4h") {
			t.Errorf("the change sev1 → sev3 was told %q", v)
		}
	}
	if countVisible(s.toldIn(s.ch), "sev2 → sev1") != 1 {
		t.Errorf("the redone change was not told once")
	}
}
