package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// The commander skips a required item (the move writes a gate event and a
// phase event), the channel is told, and the replica dies before it
// answers. The replica that does the request again must not tell the
// channel a second time: it finds its events on the stored timeline, and
// must find both of them, as the first run told them, not the last alone.
func TestAttack17GateSkipIsToldOnceAfterACrash(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBotWith(t, quietSeverities+`playbooks:
  identification:
    - {text: Confirm the scope, required: true}
`)

	told := len(s.toldIn(s.ch))
	crash.at.Store("told:")
	crash.armed.Store(true)
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "phase next because scope is known from the EDR"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-crash.crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("no told message to crash after")
	}
	redo(t, h, s)
	if n := s.countEvents(1, incident.EventGate, ""); n != 1 {
		t.Fatalf("%d gate events; want 1", n)
	}
	if got := len(s.toldIn(s.ch)) - told; got != 1 {
		for _, m := range s.toldIn(s.ch)[told:] {
			t.Logf("told: %s", m.Visible())
		}
		t.Errorf("the channel was told of the skipped gate %d times; want once", got)
	}
}

// Every new path that shows user text (the declare form's description,
// a phase's reason, a marking's reason, a severity change told to the
// stakeholders, the close form's summary, a lesson, a pinned message and
// its reaction, a display name) with hostile text: nothing comes alive,
// and the outbound guard has nothing to catch.
func TestAttack17HostileTextInToldMessages(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	h.slack.AddUser("UEVE", "<!channel> <https://evil.example|IT desk> \u202egnp.exe")
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UEVE")
	const typed = "<!channel> <!here> <!subteam^S0123|@secops> <https://evil.example|x> *bold* \u202egnp.exe &lt;!everyone&gt;"
	// As Slack delivers a command: broadcasts and links as its markup.
	const delivered = "<!channel> <!here> <!subteam^S0123|@secops> <https://evil.example|x> *bold* \u202egnp.exe &amp;lt;!everyone&amp;gt;"

	if _, err := h.slack.Command(s.ctx, "UALICE", general, ""); err != nil {
		t.Fatal(err)
	}
	form := s.viewOf("UALICE", commands.ModalDeclare)
	if _, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{
		commands.InputTitle: "Title " + typed, commands.InputSeverity: "sev2", commands.InputDescription: typed,
	}); err != nil {
		t.Fatal(err)
	}
	s.eventually("the incident", func() bool { inc, err := h.store.Get(s.ctx, 1); return err == nil && inc.CardTS != "" })
	inc, _ := h.store.Get(s.ctx, 1)
	s.ch = inc.ChannelID
	s.await("what we know", func() bool { ch, _ := h.slack.Channel(s.ch); return countMessages(ch, "What we know") == 1 })

	raw := func(user, text string) {
		t.Helper()
		cmd := h.slack.NewCommand(user, s.ch, "")
		cmd.Text = text
		before, told := len(h.slack.Ephemerals(user)), len(s.toldIn(s.ch))
		h.postCommand(t, cmd, signingSecret, time.Now())
		s.await("the answer to "+text, func() bool { return len(h.slack.Ephemerals(user)) > before || len(s.toldIn(s.ch)) > told })
	}
	raw("UALICE", "assign scribe <@UEVE|eve>")
	raw("UALICE", "phase containment")
	raw("UALICE", "phase identification because "+delivered)
	raw("UALICE", "tlp amber because "+delivered)
	raw("UALICE", "tlp clear because "+delivered)
	raw("UALICE", "severity sev1")
	raw("UEVE", "phase next")
	pinned := h.slack.PostAs("UEVE", s.ch, delivered)
	if _, _, err := h.slack.React(s.ctx, "UBOB", s.ch, pinned, "pushpin"); err != nil {
		t.Fatal(err)
	}
	s.eventually("the pin", func() bool { return s.countEvents(1, incident.EventPinned, "") == 1 })

	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, s.cardMessage().TS, commands.ActionClose); err != nil {
		t.Fatal(err)
	}
	closing := s.viewOf("UALICE", commands.ModalClose)
	told := len(s.toldIn(s.ch))
	if _, err := h.slack.Submit(s.ctx, "UALICE", closing.ID, map[string]string{commands.InputText: typed}); err != nil {
		t.Fatal(err)
	}
	s.await("the close", func() bool { return len(s.toldIn(s.ch)) > told })
	raw("UEVE", "lesson wrong "+delivered)
	raw("UEVE", "lesson "+delivered)

	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("%d live tokens reached Slack, among them: %q", len(live), live[:min(len(live), 5)])
	}
	if strings.Contains(h.logs.String(), "neutralized live markup") {
		t.Error("the outbound guard had to neutralize live markup: some user text was not escaped")
	}
	stake, _ := h.slack.Channel(h.stakeholder)
	found := false
	for _, m := range stake.Messages {
		found = found || strings.Contains(m.Visible(), "severity `sev2` → `sev1`")
	}
	if !found {
		t.Errorf("the stakeholders were not told of the severity change; the test meant to check it")
	}
}

// The close form, forged and copied: a non-member of a private incident
// with a copy of the commander's form, a responder with one, a suspect of
// a quiet incident with one, and the commander's form with its metadata
// turned to name an incident they do not lead. None of them closes.
func TestAttack17CloseFormForgedOrCopied(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	h.slack.AddUser("UMAL", "mallory")
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UMAL")
	s.command("UALICE", general, "declare Private matter sev2 --private")
	private := h.declared(t, "UALICE", "INC-1").ID
	s.command("UBOB", general, "declare Bob's own sev3")
	bobs := h.declared(t, "UBOB", "INC-2").ID
	s.ch = private
	s.command("UALICE", private, "assign tech <@UCAROL|carol>")

	// A non-member clicks the button (a copied card) and is refused as for nothing.
	kept, err := h.slack.CopyMessage(private, s.cardMessage().TS, general, nil)
	if err != nil {
		t.Fatal(err)
	}
	mal := s.answer("UMAL", func() error {
		_, err := h.slack.Click(s.ctx, "UMAL", general, kept, commands.ActionClose)
		return err
	})
	if !strings.Contains(mal, "no incident INC-1 that you can see") {
		t.Errorf("a non-member's Close click answered %q", mal)
	}
	if len(h.slack.Views("UMAL")) != 0 {
		t.Errorf("a non-member got the close form")
	}

	if _, err := h.slack.Click(s.ctx, "UALICE", private, s.cardMessage().TS, commands.ActionClose); err != nil {
		t.Fatal(err)
	}
	closing := s.viewOf("UALICE", commands.ModalClose)
	for _, who := range []string{"UMAL", "UCAROL"} {
		c, err := h.slack.CopyView(closing.ID, who, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := h.slack.Submit(s.ctx, who, c, map[string]string{commands.InputText: "closed by " + who})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(d.Body), "errors") {
			t.Errorf("%s's copied close form was accepted: %s", who, d.Body)
		}
	}
	// Bob leads INC-2; alice's INC-1 form turned to name INC-2 in bob's hands
	// closes INC-2 at most, and INC-1 never.
	c, err := h.slack.CopyView(closing.ID, "UBOB", strings.NewReplacer(`"private_metadata":"1:0"`, `"private_metadata":"2:0"`))
	if err != nil {
		t.Fatal(err)
	}
	// Alice's own form turned to name bob's INC-2, which she does not lead.
	c2, err := h.slack.CopyView(closing.ID, "UALICE", strings.NewReplacer(`"private_metadata":"1:0"`, `"private_metadata":"2:0"`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.slack.Submit(s.ctx, "UALICE", c2, map[string]string{commands.InputText: "not hers"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Body), "errors") {
		t.Errorf("alice closed bob's INC-2 with a turned form: %s", d.Body)
	}
	time.Sleep(300 * time.Millisecond)
	for n := int64(1); n <= 2; n++ {
		if inc, _ := h.store.Get(s.ctx, n); inc.Status != incident.Open {
			t.Errorf("INC-%d is %s after forged close forms", n, inc.Status)
		}
	}
	if _, err := h.slack.Submit(s.ctx, "UBOB", c, map[string]string{commands.InputText: "bob closes his own"}); err != nil {
		t.Fatal(err)
	}
	s.eventually("bob's INC-2 closed by his own right", func() bool { inc, _ := h.store.Get(s.ctx, 2); return inc.Status == incident.Resolved })
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Open {
		t.Errorf("INC-1 is %s", inc.Status)
	}
	// The close is stored, then told.
	s.eventually("bob's close told in INC-2's channel", func() bool { return channelText(h.slack, bobs, "Closed") != "" })
	if ch, _ := h.slack.Channel(private); countMessages(ch, "Closed") != 0 {
		t.Errorf("INC-1's channel was told of a close")
	}

	// The commander's own submission, replayed after it closed: closed once, told once.
	told := len(s.toldIn(private))
	if _, err := h.slack.Submit(s.ctx, "UALICE", closing.ID, map[string]string{commands.InputText: "done"}); err != nil {
		t.Fatal(err)
	}
	s.await("the close", func() bool { return len(s.toldIn(private)) > told })
	if _, err := h.slack.Replay(s.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := len(s.toldIn(private)) - told; got != 1 {
		t.Errorf("the close was told %d times after a replay", got)
	}
	if n := s.countEvents(1, incident.EventClosed, ""); n != 1 {
		t.Errorf("%d close events", n)
	}
}

// A quiet incident's suspect with a copy of the close form, and a drill's
// and a quiet incident's severity changes: the suspect closes nothing,
// and the stakeholders hear nothing of either.
func TestAttack17QuietAndDrillTellStakeholdersNothing(t *testing.T) {
	t.Parallel()
	h, s, _ := quietBot(t, "")
	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, s.cardMessage().TS, commands.ActionClose); err != nil {
		t.Fatal(err)
	}
	closing := s.viewOf("UALICE", commands.ModalClose)
	for _, who := range []string{"UMAL", "UERIN"} { // a suspect, a suspected admin
		c, err := h.slack.CopyView(closing.ID, who, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.slack.Submit(s.ctx, who, c, map[string]string{commands.InputText: "closed by " + who}); err != nil {
			t.Fatal(err)
		}
	}
	stakeBefore := func() int { ch, _ := h.slack.Channel(h.stakeholder); return len(ch.Messages) }()
	s.command("UALICE", s.ch, "severity sev2")
	time.Sleep(300 * time.Millisecond)
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Open || inc.Severity != "sev2" {
		t.Errorf("INC-1 after the suspects' close forms: %s %s", inc.Status, inc.Severity)
	}
	stake, _ := h.slack.Channel(h.stakeholder)
	if len(stake.Messages) != stakeBefore {
		t.Errorf("the stakeholders heard of a quiet incident's severity: %q", stake.Messages[len(stake.Messages)-1].Visible())
	}
	for _, m := range stake.Messages {
		if strings.Contains(m.Visible(), quietTitle) {
			t.Errorf("the quiet title reached the stakeholders: %q", m.Visible())
		}
	}
}

// A TLP:RED indicator in a public incident's title stays out of the
// severity change told to the stakeholders; a TLP:AMBER incident's title
// does not reach them at all.
func TestAttack17SeverityToStakeholdersKeepsRedAndAmber(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Beacon to 198.51.100.77 sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	if got := s.command("UALICE", s.ch, "ioc add 198.51.100.77 --tlp red"); got == "" {
		t.Fatal("no answer to ioc add")
	}
	s.command("UALICE", s.ch, "severity sev1")
	s.command("UALICE", general, "declare Amber thing secretword sev3")
	ch2 := h.declared(t, "UALICE", "INC-2").ID
	s.command("UALICE", ch2, "tlp amber because partners only")
	s.command("UALICE", ch2, "severity sev2")
	time.Sleep(300 * time.Millisecond)
	stake, _ := h.slack.Channel(h.stakeholder)
	sawRed, sawAmber := false, false
	for _, m := range stake.Messages {
		v := m.Visible()
		if strings.Contains(v, "198.51.100.77") && strings.Contains(v, "→") {
			t.Errorf("the RED indicator reached the stakeholders with the severity change: %q", v)
		}
		if strings.Contains(v, "secretword") && strings.Contains(v, "→") {
			t.Errorf("the AMBER title reached the stakeholders with the severity change: %q", v)
		}
		sawRed = sawRed || strings.Contains(v, "INC-1") && strings.Contains(v, "→")
		sawAmber = sawAmber || strings.Contains(v, "INC-2") && strings.Contains(v, "→")
	}
	if !sawRed || !sawAmber {
		t.Errorf("the severity changes were not told (INC-1 %v, INC-2 %v); the test meant to check them", sawRed, sawAmber)
	}
}
