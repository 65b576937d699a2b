package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
	"go.yaml.in/yaml/v3"
)

// What the team sees as the incident runs: what the declarer knows at the
// open, each change in the channel, the severity told to stakeholders, a
// pinned message acknowledged, and the card's Close button, confirmed in
// its form, with the close told to everyone.
func TestTheTeamSeesWhatHappens(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")

	// The declare form's "What do we know?" is in the channel at the open.
	if _, err := h.slack.Command(s.ctx, "UALICE", general, ""); err != nil {
		t.Fatal(err)
	}
	form := s.viewOf("UALICE", commands.ModalDeclare)
	if _, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{
		commands.InputTitle: "Mail exfiltration", commands.InputSeverity: "sev2",
		commands.InputDescription: "Forwarding rules to <!channel> an outside address on 3 mailboxes",
	}); err != nil {
		t.Fatal(err)
	}
	s.eventually("the incident", func() bool { inc, err := h.store.Get(s.ctx, 1); return err == nil && inc.CardTS != "" })
	inc, _ := h.store.Get(s.ctx, 1)
	s.ch = inc.ChannelID
	s.await("what we know, in the channel", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		return countMessages(ch, "What we know") == 1
	})
	if got := channelText(h.slack, s.ch, "What we know"); !strings.Contains(got, "Forwarding rules to") || strings.Contains(got, "<!channel>") {
		t.Errorf("what we know shows %q", got)
	}
	// Declaring set the severity and the commander: that item is ticked.
	s.eventually("the identification checklist", func() bool {
		inc, err := h.store.Get(s.ctx, 1)
		return err == nil && inc.ChecklistTS[incident.Identification] != ""
	})
	if got := s.checklistMessage(incident.Identification).Visible(); !strings.Contains(got, "✓ Set the severity and assign a commander by <@UALICE>") {
		t.Errorf("the identification checklist after the declare:\n%s", got)
	}

	// Changes are told to the channel, not only to whoever made them.
	if got := s.command("UALICE", s.ch, "severity sev1"); !strings.Contains(got, "<@UALICE> Severity: sev2 → sev1") {
		t.Errorf("severity told %q", got)
	}
	stake, _ := h.slack.Channel(h.stakeholder)
	if said := channelText(h.slack, h.stakeholder, "severity `sev2` → `sev1`"); !strings.Contains(said, "INC-1: Mail exfiltration") || countMessages(stake, "severity `sev2` → `sev1`") != 1 {
		t.Errorf("the stakeholders were told %q", said)
	}
	if got := s.command("UALICE", s.ch, "assign comms <@UBOB|bob>"); !strings.Contains(got, "Communications Lead: <@UBOB>") {
		t.Errorf("assign told %q", got)
	}

	// A pinned message is acknowledged with the bot's reaction.
	pinned := h.slack.PostAs("UCAROL", s.ch, "The rules were created from 203.0.113.9")
	if _, _, err := h.slack.React(s.ctx, "UBOB", s.ch, pinned, "pushpin"); err != nil {
		t.Fatal(err)
	}
	s.await("the bot's reaction on the pinned message", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		for _, m := range ch.Messages {
			if m.TS == pinned {
				return len(m.Reactions) == 1 && m.Reactions[0] == commands.OnTheTimeline
			}
		}
		return false
	})
	if got := s.command("UBOB", s.ch, "timeline"); !strings.Contains(got, "<@UBOB> pinned <@UCAROL>: The rules were created from 203.0.113.9") {
		t.Errorf("the timeline shows the pin as %q", got)
	}

	// Close: a responder's click is refused at once; the commander's opens
	// a form that says what closing does, and its submission closes.
	bob := s.answer("UBOB", func() error {
		_, err := h.slack.Click(s.ctx, "UBOB", s.ch, s.cardMessage().TS, commands.ActionClose)
		return err
	})
	if !strings.Contains(bob, "Only the incident commander (<@UALICE>) or an admin can close the incident") {
		t.Errorf("bob's Close answered %q", bob)
	}
	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, s.cardMessage().TS, commands.ActionClose); err != nil {
		t.Fatal(err)
	}
	closing := s.viewOf("UALICE", commands.ModalClose)
	if body := string(closing.JSON); !strings.Contains(body, "Close INC-1") || !strings.Contains(body, "Stakeholder updates stop and the retro begins") {
		t.Errorf("the close form: %s", body)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Open {
		t.Fatalf("opening the form closed it: %s", inc.Status)
	}
	told := len(s.toldIn(s.ch))
	if _, err := h.slack.Submit(s.ctx, "UALICE", closing.ID, map[string]string{commands.InputText: "Rules removed, <!here> passwords reset"}); err != nil {
		t.Fatal(err)
	}
	s.await("the close, told to the channel", func() bool { return len(s.toldIn(s.ch)) > told })
	if got := s.toldIn(s.ch)[told].Visible(); !strings.Contains(got, "<@UALICE> Closed: Rules removed, &lt;!here&gt; passwords reset") || !strings.Contains(got, "The retro is open until") {
		t.Errorf("the close told %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Resolved {
		t.Errorf("after the form: %s", inc.Status)
	}
	s.card("", "Add lessons learned")
	if strings.Contains(string(s.cardMessage().Blocks), commands.ActionClose) {
		t.Errorf("a closed incident's card still offers Close")
	}
	// Every method called is one whose scope the manifests are checked for.
	for _, c := range h.slack.Calls("") {
		if _, ok := scopeFor[c.Method]; !ok {
			t.Errorf("the bot called %s: add it and its scope to scopeFor", c.Method)
		}
	}
}

// The retro's rough edges: a lesson's kind is said, not guessed; a due
// date in the past is refused, one that passes shows overdue; after the
// postmortem, a note says it can no longer reach it; the postmortem
// command answers with its figures and the link, not the document.
func TestRetroAnswersReadRight(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	h := startBotWith(t, false, clock.Now, quietSeverities+"retro: {archive_channel: false}\n") // so that a late pin can be tried
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Token leak sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "close Token revoked")

	if got := s.command("UBOB", s.ch, "lesson sideways the logs were late"); !strings.Contains(got, "Say first what kind of lesson it is: `well` (went well), `wrong` (went wrong) or `improve` (to improve), not `sideways`") {
		t.Errorf("lesson sideways answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.Lessons) != 0 {
		t.Errorf("a lesson of no kind was stored: %+v", inc.Lessons)
	}
	s.command("UBOB", s.ch, "lesson wrong the logs were late")

	// The lessons form: a date in the past is refused on its field.
	if _, err := h.slack.Click(s.ctx, "UBOB", s.ch, s.cardMessage().TS, commands.ActionAddLesson); err != nil {
		t.Fatal(err)
	}
	form := s.viewOf("UBOB", commands.ModalLesson)
	d, err := h.slack.Submit(s.ctx, "UBOB", form.ID, map[string]string{commands.InputWentWell: "EDR caught the second login", commands.InputImprove: "alert on token use",
		commands.InputAction(1): "Rotate the CI tokens", commands.InputOwner(1): "UBOB", commands.InputDue(1): "2026-11-20"})
	if err != nil || !strings.Contains(string(d.Body), "That date has passed: pick today or later.") {
		t.Fatalf("a past due date answered %s, %v", d.Body, err)
	}
	if _, err := h.slack.Submit(s.ctx, "UBOB", form.ID, map[string]string{commands.InputWentWell: "EDR caught the second login", commands.InputImprove: "alert on token use",
		commands.InputAction(1): "Rotate the CI tokens", commands.InputOwner(1): "UBOB", commands.InputDue(1): "2026-11-28"}); err != nil {
		t.Fatal(err)
	}
	s.await("the lessons in the channel", func() bool { ch, _ := h.slack.Channel(s.ch); return countMessages(ch, "1 follow-up action") == 1 })
	clock.Advance(72 * time.Hour) // the due date passes
	if got := s.command("UBOB", general, "actions"); !strings.Contains(got, "*overdue* (due 2026-11-28)") || !strings.Contains(got, "Open follow-up actions (1)") {
		t.Errorf("actions after the due date: %q", got)
	}

	got := s.command("UALICE", s.ch, "postmortem")
	if !strings.Contains(got, "Postmortem of INC-1") || !strings.Contains(got, "open the document") || !strings.Contains(got, "3 lessons") || !strings.Contains(got, "1 follow-up action") {
		t.Errorf("postmortem answered %q", got)
	}
	if strings.Contains(got, "## Timeline") || strings.Contains(got, "```") {
		t.Errorf("postmortem pasted the document: %q", got)
	}
	stake, _ := h.slack.Channel(h.stakeholder)
	if last := stake.Messages[len(stake.Messages)-1].Visible(); !strings.Contains(last, "3 lessons · 1 follow-up action ·") {
		t.Errorf("the stakeholders' summary counts %q", last)
	}
	if got := s.command("UBOB", s.ch, "note one more thing"); !strings.Contains(got, "The postmortem of INC-1 is published, so a note would no longer reach it") {
		t.Errorf("a note after the postmortem answered %q", got)
	}
	// A pin, the same: refused to its maker, nothing on the timeline, no reaction.
	events := s.timelineLen()
	said := h.slack.PostAs("UBOB", s.ch, "late finding")
	got = s.answer("UBOB", func() error { _, _, err := h.slack.React(s.ctx, "UBOB", s.ch, said, "pushpin"); return err })
	if !strings.Contains(got, "The postmortem of INC-1 is published, so a pinned message would no longer reach it") {
		t.Errorf("a pin after the postmortem answered %q", got)
	}
	if s.timelineLen() != events {
		t.Error("a pin after the postmortem went on the timeline")
	}
}

// channelText is the text of the channel's first message containing marker.
func channelText(fs *fakeslack.Server, channel, marker string) string {
	ch, _ := fs.Channel(channel)
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), marker) {
			return m.Visible()
		}
	}
	return ""
}

// scopeFor is the bot scope each Web API method needs (any one of them,
// for a method that works on public and private channels alike); "" for
// none. A method the bot starts calling must be added here, with its scope
// in both manifests.
var scopeFor = map[string][]string{
	"auth.test": {""}, "chat.getPermalink": {""}, "views.open": {""}, "views.publish": {""}, "response_url": {""},
	"chat.postMessage": {"chat:write"}, "chat.postEphemeral": {"chat:write"}, "chat.update": {"chat:write"},
	"conversations.create": {"channels:manage", "groups:write"}, "conversations.invite": {"channels:manage", "groups:write"},
	"conversations.setTopic": {"channels:manage", "groups:write"}, "conversations.kick": {"channels:manage", "groups:write"},
	"conversations.archive": {"channels:manage", "groups:write"}, "conversations.join": {"channels:join"},
	"conversations.history": {"channels:history", "groups:history"}, "conversations.members": {"channels:read", "groups:read"},
	"pins.add": {"pins:write"}, "reactions.add": {"reactions:write"}, "users.info": {"users:read"},
	"files.getUploadURLExternal": {"files:write"}, "files.completeUploadExternal": {"files:write"}, "files.info": {"files:read"},
}

// Both manifests grant every scope the bot's Web API calls need: a bot
// installed from them is never refused with missing_scope.
func TestManifestsGrantWhatTheBotCalls(t *testing.T) {
	for _, name := range []string{"slack-app-manifest.yaml", "slack-app-manifest-http.yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			OAuth struct {
				Scopes struct{ Bot []string }
			} `yaml:"oauth_config"`
		}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for method, scopes := range scopeFor {
			if !slices.ContainsFunc(scopes, func(s string) bool { return s == "" || slices.Contains(m.OAuth.Scopes.Bot, s) }) {
				t.Errorf("%s lacks %s, which %s needs", name, strings.Join(scopes, " or "), method)
			}
		}
	}
}

// The close form names the open containment actions that will become
// follow-ups. One recorded after it opened is not among them: the
// submission is refused, naming it, and nothing changes; the form opened
// again names it, and closes.
func TestTheCloseFormRefusesActionsItDidNotName(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Beacon sev2", "UBOB")
	s.command("UBOB", s.ch, "action block evil.example --note at the proxy")
	open := func() fakeslack.View {
		before := len(h.slack.Views("UALICE"))
		if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, s.cardMessage().TS, commands.ActionClose); err != nil {
			t.Fatal(err)
		}
		s.await("the close form", func() bool { return len(h.slack.Views("UALICE")) > before })
		vs := h.slack.Views("UALICE")
		return vs[len(vs)-1]
	}
	form := open()
	if body := string(form.JSON); !strings.Contains(body, "1 open containment action will become a follow-up") {
		t.Errorf("the close form does not name the open action: %s", body)
	}
	s.command("UBOB", s.ch, "action isolate host-12")
	d, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputText: "Done"})
	if err != nil {
		t.Fatal(err)
	}
	if body := string(d.Body); !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, "A-2 (isolate host-12)") || strings.Contains(body, "A-1") {
		t.Errorf("a close that would turn an action nobody saw into a follow-up answered %s", body)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Open {
		t.Fatalf("the refused form closed the incident: %s", inc.Status)
	}
	form = open()
	if body := string(form.JSON); !strings.Contains(body, "2 open containment actions will become follow-ups") {
		t.Errorf("the close form opened again: %s", body)
	}
	if _, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputText: "Done"}); err != nil {
		t.Fatal(err)
	}
	s.eventually("the close", func() bool { inc, _ := s.h.store.Get(s.ctx, 1); return inc.Status == incident.Resolved })
}
