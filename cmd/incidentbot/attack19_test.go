package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// fieldError is the error a submission was answered with on the form's
// text field, "" when it was not refused.
func fieldError(t *testing.T, d fakeslack.Delivered) string {
	t.Helper()
	var body struct {
		Action string            `json:"response_action"`
		Errors map[string]string `json:"errors"`
	}
	if len(d.Body) == 0 || json.Unmarshal(d.Body, &body) != nil || body.Action != "errors" {
		return ""
	}
	return body.Errors[commands.InputText]
}

// openClose clicks the card's Close… as user and returns the form.
func openClose(t *testing.T, h *harness, s *script, user string) fakeslack.View {
	t.Helper()
	before := len(h.slack.Views(user))
	if _, err := h.slack.Click(s.ctx, user, s.ch, s.cardMessage().TS, commands.ActionClose); err != nil {
		t.Fatal(err)
	}
	s.await("the close form", func() bool { return len(h.slack.Views(user)) > before })
	vs := h.slack.Views(user)
	return vs[len(vs)-1]
}

// The close form's metadata, copied and edited by the lead or by someone
// else: a count that is no count refuses with every open action named; a
// number that is no incident's is a form not made by the bot; a copy in
// other hands is refused without naming the actions.
func TestAttack19CloseFormMetadataEdited(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Beacon sev2", "UBOB")
	form := openClose(t, h, s, "UALICE")
	if form.PrivateMetadata != "1:0" {
		t.Fatalf("the close form's metadata is %q", form.PrivateMetadata)
	}
	s.command("UBOB", s.ch, "action block evil.example")

	submit := func(user, metadata string) string {
		t.Helper()
		c, err := h.slack.CopyView(form.ID, user, strings.NewReplacer(`"private_metadata":"1:0"`, `"private_metadata":"`+metadata+`"`))
		if err != nil {
			t.Fatal(err)
		}
		d, err := h.slack.Submit(s.ctx, user, c, map[string]string{commands.InputText: "forged"})
		if err != nil {
			t.Fatal(err)
		}
		return fieldError(t, d)
	}
	for _, m := range []string{"1:abc", "1:", "1:-1", "1:0:0", "1", "1:99999999999999999999", "1:0x10", "1: 5"} {
		if e := submit("UALICE", m); !strings.Contains(e, "A-1 (block evil[.]example)") {
			t.Errorf("metadata %q answered %q, not the refusal naming A-1", m, e)
		}
	}
	for _, m := range []string{"0:0", "-1:0", " 1:0", "99999999999999999999:0", ":1", "INC-1:0", ""} {
		if e := submit("UALICE", m); !strings.Contains(e, "not one I made") {
			t.Errorf("metadata %q answered %q", m, e)
		}
	}
	if e := submit("UALICE", "7:0"); !strings.Contains(e, "no incident INC-7") {
		t.Errorf("an incident that does not exist answered %q", e)
	}
	// Bob is in the channel but does not lead: refused as such, the actions unnamed.
	if e := submit("UBOB", "1:0"); e == "" || strings.Contains(e, "A-1") || strings.Contains(e, "evil") {
		t.Errorf("bob's copy of the close form answered %q", e)
	}
	time.Sleep(200 * time.Millisecond)
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Open {
		t.Fatalf("INC-1 is %s after edited close forms", inc.Status)
	}
}

// Actions recorded after the form opened, many and with hostile, long
// targets: the refusal under the field stays short and plain (Slack shows
// it as plain text under one input), naming the first few and how many more,
// as /incident close does.
func TestAttack19CloseRefusalOfManyHostileActionsIsShort(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Beacon sev2", "UBOB")
	form := openClose(t, h, s, "UALICE")
	hostile := "<!channel> \u202egnp.exe *bold* `code` <https://evil.example|click> " + strings.Repeat("x", 120)
	const n = 12
	for i := 0; i < n; i++ {
		s.command("UBOB", s.ch, "action other "+hostile)
	}
	d, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputText: "Done"})
	if err != nil {
		t.Fatal(err)
	}
	e := fieldError(t, d)
	if !strings.Contains(e, "A-1 (other") {
		t.Fatalf("the close with %d unseen actions answered %q", n, e)
	}
	if got := utf8.RuneCountInString(e); got > 1000 {
		t.Errorf("the refusal under the summary field is %d characters: %.200s…", got, e)
	}
	if !strings.Contains(e, "and 7 more") {
		t.Errorf("the refusal does not say how many more: %q", e)
	}
	if strings.ContainsAny(e, "\u202e\u202d\u2066\u2067\u2068\u2069") {
		t.Errorf("the refusal carries a direction control: %q", e)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Open {
		t.Fatalf("the refused form closed INC-1: %s", inc.Status)
	}
}

// Hostile words in the answers that now name them: a severity that is
// none, a phase, "because" with no reason, roles and postmortem given
// more than a number; and the other answers that name a word back (a role,
// a page, an evidence verb, a lesson's kind, a drill). Nothing comes alive, no backtick ends the code
// early, no direction control turns the answer, and a long word is cut.
func TestAttack19HostileWordsInUsageAnswers(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Beacon sev2", "UBOB")
	long := strings.Repeat("w", 3000)
	for _, text := range []string{
		"severity <!channel>", "severity <!subteam^S123|@sec>", "severity a`b`c", "severity \u202ecritical", "severity " + long,
		"severity <https://evil.example|sev1>", "phase <!here>", "phase \u2066x", "phase " + long, "phase containment because",
		"phase containment BECAUSE", "severity sev" + strings.Repeat("9", 3000), "roles <!channel>",
		"assign " + long + " <@UBOB|bob>", "unassign " + long, "timeline page " + long, "evidence " + long, "lesson " + long + " text", "drill " + long, "postmortem `x`", "roles " + long,
	} {
		got := s.command("UBOB", s.ch, text)
		if live := render.Live(got); len(live) > 0 {
			t.Errorf("/incident %.40s answered with live %q: %.300s", text, live, got)
		}
		if strings.ContainsAny(got, "\u202e\u2066") {
			t.Errorf("/incident %.40s answered with a direction control: %q", text, got)
		}
		if strings.Count(got, "`")%2 != 0 {
			t.Errorf("/incident %.40s: a backtick left unpaired: %q", text, got)
		}
		if strings.HasPrefix(text, "severity ") && !strings.Contains(got, "`sev1`") {
			t.Errorf("/incident %.40s: the severities to choose from are not shown: %.300s", text, got)
		}
		if strings.HasSuffix(strings.ToLower(text), "because") && !strings.Contains(got, "Give the reason after") {
			t.Errorf("/incident %s answered %q", text, got)
		}
		if strings.HasSuffix(got, "…") {
			t.Errorf("/incident %.40s: the answer was cut at Slack's limit: …%s", text, got[len(got)-100:])
		}
		if n := utf8.RuneCountInString(got); n > 1500 {
			t.Errorf("/incident %.40s answered %d characters: %.200s…", text, n, got)
		}
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Severity != "sev2" || inc.Phase != incident.Identification {
		t.Errorf("hostile words changed INC-1: %s, %s", inc.Severity, inc.Phase)
	}
}

// An update by the card's form that Slack would not post is answered to
// its author alone: not to the lead, nor to an outsider who copied the
// form of a private incident (refused before anything is stored).
func TestAttack19UpdateNotPostedIsToldToItsAuthorAlone(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Quiet matter sev2 --private", "UBOB", "UMAL")
	s.command("UALICE", s.ch, "assign tech <@UBOB|bob>")
	if _, err := h.slack.Click(s.ctx, "UBOB", s.ch, s.cardMessage().TS, commands.ActionPostUpdate); err != nil {
		t.Fatal(err)
	}
	form := s.viewOf("UBOB", commands.ModalUpdate)

	copied, err := h.slack.CopyView(form.ID, "UMAL", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.slack.Submit(s.ctx, "UMAL", copied, map[string]string{commands.InputText: "mallory was here"})
	if err != nil {
		t.Fatal(err)
	}
	if e := fieldError(t, d); !strings.Contains(e, "no incident INC-1 that you can see") {
		t.Errorf("an outsider's copy of a private incident's update form answered %q", e)
	}

	h.slack.Fail("chat.postMessage", fakeslack.Failure{Error: "channel_not_found"})
	got := s.answer("UBOB", func() error {
		_, err := h.slack.Submit(s.ctx, "UBOB", form.ID, map[string]string{commands.InputText: "restoring the file server"})
		return err
	})
	if !strings.Contains(got, "is on the timeline of INC-1, but I could not post it") {
		t.Errorf("the form's author was told %q", got)
	}
	time.Sleep(200 * time.Millisecond)
	for _, who := range []string{"UALICE", "UMAL"} {
		n := dmsWith(h, who, "on the timeline of INC-1")
		for _, m := range h.slack.Ephemerals(who) {
			if strings.Contains(m.Visible(), "on the timeline of INC-1") {
				n++
			}
		}
		if n > 0 {
			t.Errorf("%s was told of bob's unposted update %d times", who, n)
		}
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.LastUpdate != "restoring the file server" || inc.LastUpdateBy != "UBOB" {
		t.Errorf("the latest update is %q by %s", inc.LastUpdate, inc.LastUpdateBy)
	}
}

// roles and postmortem now take a number: given a private incident's by
// someone outside it, from elsewhere or from another incident's channel,
// the answer is as for no incident; the hint outside incident channels
// is a command that runs as shown.
func TestAttack19NumberedRolesAndPostmortemKeepPrivateIncidentsHidden(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Quiet matter sev2 --private", "UMAL")
	h.slack.AddUser("UMAL", "mallory")
	general, _ := h.slack.ChannelByName("general")
	s.command("UMAL", general.ID, "declare Mallory's own sev3")
	mals := h.declared(t, "UMAL", "INC-2").ID
	for _, c := range []struct{ ch, text string }{
		{general.ID, "roles 1"}, {general.ID, "postmortem 1"}, {general.ID, "roles INC-1"},
		{mals, "roles 1"}, {mals, "postmortem INC-1"}, {general.ID, "status 1"},
	} {
		got := s.command("UMAL", c.ch, c.text)
		if !strings.Contains(got, "no incident INC-1 that you can see") || strings.Contains(got, "Quiet matter") || strings.Contains(got, s.ch) {
			t.Errorf("/incident %s by an outsider answered %q", c.text, got)
		}
	}
	for _, sub := range []string{"status", "roles", "postmortem"} {
		got := s.command("UMAL", general.ID, sub)
		if !strings.Contains(got, "`/incident "+sub+" 42`") || strings.Contains(got, "42 …") {
			t.Errorf("/incident %s outside an incident channel answered %q", sub, got)
		}
	}
	if got := s.command("UMAL", general.ID, "roles 2 <!channel>"); len(render.Live(got)) > 0 || !strings.Contains(got, "takes nothing but an incident's number") {
		t.Errorf("/incident roles 2 <!channel> answered %q", got)
	}
}

// A close form submitted after the incident was closed by command, and
// then replayed: refused on the field, the incident closed once.
func TestAttack19CloseFormAfterTheIncidentClosed(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Beacon sev2", "UBOB")
	form := openClose(t, h, s, "UALICE")
	s.command("UALICE", s.ch, "close contained at the proxy")
	s.eventually("the close", func() bool { inc, _ := h.store.Get(s.ctx, 1); return inc.Status != incident.Open })
	closed := countMessages(mustChannel(t, h, s.ch), "Closed")
	if closed == 0 {
		t.Fatal("the channel was not told of the close")
	}
	d, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputText: "again"})
	if err != nil {
		t.Fatal(err)
	}
	if e := fieldError(t, d); !strings.Contains(e, "closed") {
		t.Errorf("a close form submitted after the close answered %q (%s)", e, d.Body)
	}
	if _, err := h.slack.Replay(s.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := countMessages(mustChannel(t, h, s.ch), "Closed"); n != closed {
		t.Errorf("the channel was told of a close %d more times", n-closed)
	}
}

func mustChannel(t *testing.T, h *harness, id string) fakeslack.Channel {
	t.Helper()
	ch, ok := h.slack.Channel(id)
	if !ok {
		t.Fatalf("no channel %s", id)
	}
	return ch
}
