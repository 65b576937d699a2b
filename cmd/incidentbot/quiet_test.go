package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// TestQuietIncidentWithSuspects runs a quiet incident (an attacker may be
// watching) with two suspected accounts: mallory, never in it, and carol,
// a responder invited at the declaration. Nothing the bot sends outside
// the incident's channel names its title, nor does any push notification
// text, topic or channel name; the suspects are put out, never invited,
// messaged or listed, and their attempts are refused as if it did not
// exist and reported to the commander; lifting it is on the timeline.
func TestQuietIncidentWithSuspects(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	h.slack.AddUser("UMAL", "mallory")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UMAL", "UDAVE")
	const title = "Payroll admin account taken over"
	secret := func(text string) bool { return strings.Contains(strings.ToLower(text), "payroll") }

	shown := s.command("UALICE", general, "declare "+title+" sev1 --quiet")
	if !strings.Contains(shown, "Declared *INC-1*") || secret(shown) {
		t.Fatalf("the quiet declaration answered %q", shown)
	}
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || !inc.Quiet || !inc.Private || inc.Codename == "" {
		t.Fatalf("INC-1 = %+v, %v", inc, err)
	}
	s.ch = inc.ChannelID
	ch, _ := h.slack.Channel(s.ch)
	if ch.Name != "inc-1-"+inc.Codename || !ch.Private {
		t.Errorf("the channel is %q (private %v); want inc-1-%s, private", ch.Name, ch.Private, inc.Codename)
	}
	s.card("", title) // the card inside the channel shows it

	if got := s.command("UBOB", s.ch, "suspect <@UMAL|mallory>"); !strings.Contains(got, "Only the incident commander (<@UALICE>) or an admin can name suspected accounts") {
		t.Errorf("a responder named a suspect: %q", got)
	}
	got := s.command("UALICE", s.ch, "suspect <@UMAL|mallory> <@UCAROL|carol>")
	if !strings.Contains(got, "Suspected in INC-1: <@UMAL>, <@UCAROL>") {
		t.Errorf("naming the suspects answered %q", got)
	}
	named := len(h.slack.Calls(""))
	s.await("carol out of the channel", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		return !slices.Contains(ch.Members, "UCAROL")
	})
	if inc, _ := h.store.Get(s.ctx, 1); inc.IsMember("UCAROL") || !slices.Equal(inc.Suspects, []string{"UMAL", "UCAROL"}) {
		t.Errorf("after naming: members %v, suspects %v", inc.Members, inc.Suspects)
	}
	if got := s.command("UALICE", s.ch, "assign tech <@UMAL|mallory>"); !strings.Contains(got, "<@UMAL> is a suspected account of INC-1") {
		t.Errorf("a suspect was given a role: %q", got)
	}

	// The suspects try: answered as for a number that does not exist, and
	// the commander is told of each attempt.
	for _, try := range []struct{ user, channel, text string }{
		{"UMAL", general, "status 1"},
		{"UCAROL", general, "note INC-1 are you looking at me"},
		{"UCAROL", s.ch, "timeline"},
	} {
		if got := s.command(try.user, try.channel, try.text); !strings.Contains(got, "There is no incident INC-1 that you can see") {
			t.Errorf("%s's /incident %s answered %q", try.user, try.text, got)
		}
	}
	if got := s.command("UMAL", general, "list"); strings.Contains(got, "INC-1") {
		t.Errorf("the list shows the incident to a suspect: %q", got)
	}
	// Reported once a suspect in a while (carol tried twice), each attempt on the audit log.
	reports := func() []string {
		var out []string
		for _, m := range h.slack.DirectMessages("UALICE") {
			if strings.Contains(m.Visible(), "Suspected account") {
				out = append(out, m.Visible())
			}
		}
		return out
	}
	s.await("the reports to the commander", func() bool { return len(reports()) >= 2 })
	time.Sleep(300 * time.Millisecond)
	// carol's first attempt to be written is reported: the note (run after
	// its acknowledgement) or the timeline (answered in it).
	if got := reports(); len(got) != 2 || !strings.Contains(got[0], "<@UMAL> tried `read status`") || !strings.Contains(got[1], "<@UCAROL> tried `") {
		t.Errorf("the commander was told %q; want one report for each suspect", got)
	}
	if !auditWithin(h, s, 1, "UMAL", "read status") || !auditWithin(h, s, 1, "UCAROL", "command note") || !auditWithin(h, s, 1, "UCAROL", "read timeline") {
		t.Errorf("the attempts are not on the audit log:\n%s", auditDump(h, s, 1))
	}
	if got := s.command("UBOB", general, "status 1"); !strings.Contains(got, "INC-1 is run quietly: use `/incident status` in its channel") {
		t.Errorf("a member asking outside the channel was answered %q", got)
	}

	s.command("UALICE", s.ch, "update Attacker session revoked; admin password reset")
	s.command("UALICE", s.ch, "close Contained")
	s.await("the retro prompt to bob", func() bool {
		for _, m := range h.slack.DirectMessages("UBOB") {
			if strings.Contains(m.Visible(), "You took part in") {
				return true
			}
		}
		return false
	})

	// Nothing outside the channel names it; inside, no notification text does.
	if st, _ := h.slack.Channel(h.stakeholder); len(st.Messages) != 0 {
		t.Errorf("the stakeholder channel heard of a quiet incident: %q", st.Messages[0].Visible())
	}
	for _, c := range h.slack.Channels() {
		for _, m := range c.Messages {
			if c.ID != s.ch && (secret(m.Visible()) || secret(m.Text)) {
				t.Errorf("a message in %s (%s) names the title: %q", c.Name, c.ID, m.Visible())
			}
			if c.ID == s.ch && secret(m.Text) {
				t.Errorf("a message's notification text names the title: %q", m.Text)
			}
		}
	}
	for _, call := range h.slack.Calls("") {
		for key, vals := range call.Params {
			for _, v := range vals {
				if secret(v) && (call.Params.Get("channel") != s.ch || key == "text" || key == "topic" || key == "name") {
					t.Errorf("%s names the title in %s: %q", call.Method, key, v)
				}
			}
		}
	}
	// After they were named: never invited, never messaged.
	for _, call := range h.slack.Calls("")[named:] {
		users := call.Params.Get("users") + "," + call.Params.Get("channel") + "," + call.Params.Get("user")
		if call.Method != "conversations.kick" && call.Method != "users.info" && (strings.Contains(users, "UMAL") || strings.Contains(users, "UCAROL")) {
			t.Errorf("a suspect was reached after being named: %s %v", call.Method, call.Params)
		}
	}

	if got := s.command("UBOB", s.ch, "quiet off"); !strings.Contains(got, "Only the incident commander (<@UALICE>) or an admin can lift the quiet mode") {
		t.Errorf("a responder lifted the quiet mode: %q", got)
	}
	if got := s.command("UALICE", s.ch, "quiet off"); !strings.Contains(got, "INC-1 is no longer run quietly") {
		t.Errorf("lifting it answered %q", got)
	}
	if n := s.countEvents(1, incident.EventQuiet, ""); n != 1 {
		t.Errorf("%d quiet events on the timeline; want 1", n)
	}
	s.await("the topic to name it", func() bool { ch, _ := h.slack.Channel(s.ch); return secret(ch.Topic) })
}
