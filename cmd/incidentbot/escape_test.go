package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// What an insider puts in every text field to make the bot mass-ping or
// phish for them: broadcasts as Slack delivers them when typed, Slack's own
// escape of the same characters typed literally, user groups, disguised
// links, display-reordering controls, and markup of every kind.
var hostile = []string{
	"<!channel>", "<!here>", "<!everyone>", "<!here|@here>", "<!subteam^S0123|@secops>",
	"<https://evil.example/login|Reset your password>", "<http://evil.example>", "<mailto:x@evil.example|IT desk>",
	"&lt;!here&gt;", "&lt;!channel&gt;", "&lt;https://evil.example|x&gt;", "&amp;lt;!everyone&amp;gt;",
	"\u202egnp.exe", "\u2066admin\u2069", "<@UBOB|bob>", "<#C0000001|general>",
	"*bold*", "_it_", "`code`", "```block```", "> quote", "&", "<", ">", "<!date^1^{date}|x>",
}

// hostileText is a random mix of hostile fragments and words, as Slack
// would deliver it (already in Slack's escaped form).
func hostileText(r *rand.Rand, words int) string {
	var parts []string
	for range words {
		if r.IntN(3) == 0 {
			parts = append(parts, fmt.Sprintf("word%d", r.IntN(100)))
		} else {
			parts = append(parts, hostile[r.IntN(len(hostile))])
		}
	}
	return strings.Join(parts, " ")
}

// For random titles, notes, updates, pins, summaries, lessons and
// follow-ups full of broadcasts, user groups, foreign links and bidi
// controls, no message, modal, topic or answer the bot sends holds any of
// them live: not in blocks, not in the notification text, not in the
// stakeholder channel.
func TestNoUserTextComesAlive(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		for seed := uint64(1); seed <= 2; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", transport, seed), func(t *testing.T) {
				t.Parallel()
				r := rand.New(rand.NewPCG(seed, 42))
				// The configuration is written by admins, but what it says is shown as text too.
				h := startBotWith(t, transport == "socket", time.Now, quietSeverities+`roles:
  - {key: commander, name: "Incident Commander <!channel>"}
  - {key: comms, name: "Comms <https://evil.example|lead> <!here>"}
  - {key: scribe, name: "Scribe \u202eetalp"}
`)
				s := &script{t: t, h: h, ctx: context.Background()}
				// A person whose display name is itself an attack takes part.
				h.slack.AddUser("UEVE", "<!channel> <https://evil.example|IT desk> \u202egnp.exe")
				general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UEVE")
				send := func(user, channel, text string) {
					t.Helper()
					// Sent as Slack delivers it, without the fake's escaping of typed text.
					cmd := h.slack.NewCommand(user, channel, "")
					cmd.Text = text
					before, told, start := len(h.slack.Ephemerals(user)), len(s.toldIn(channel)), time.Now().Add(-time.Second)
					if transport == "socket" {
						ack, err := h.slack.SendEnvelope(s.ctx, "slash_commands", cmd)
						if err != nil {
							t.Fatal(err)
						}
						h.slack.ShowAck(cmd, fakeslack.Delivered{Body: ack.Payload, Elapsed: ack.Elapsed})
					} else {
						h.postCommand(t, cmd, signingSecret, time.Now())
					}
					s.await("the answer to "+text, func() bool { return len(h.slack.Ephemerals(user)) > before || len(s.toldIn(channel)) > told })
					s.eventually("the request to finish", func() bool { return s.journalSince(start) == 0 })
				}

				send("UALICE", general, "declare "+hostileText(r, 8)+" sev2")
				s.eventually("the incident", func() bool { inc, err := h.store.Get(s.ctx, 1); return err == nil && inc.CardTS != "" })
				inc, _ := h.store.Get(s.ctx, 1)
				s.ch = inc.ChannelID
				send("UALICE", s.ch, "note "+hostileText(r, 10))
				send("UALICE", s.ch, "update "+hostileText(r, 10))
				send("UALICE", s.ch, "assign comms <@UCAROL|carol>")
				send("UALICE", s.ch, "assign scribe <@UEVE|eve>")
				send("UEVE", s.ch, "note "+hostileText(r, 4))
				send("UALICE", s.ch, "assign comms <@UCAROL|carol>") // already: the refusal names the role
				send("UALICE", s.ch, "roles")
				pinned := h.slack.PostAs("UBOB", s.ch, hostileText(r, 8))
				if _, _, err := h.slack.React(s.ctx, "UBOB", s.ch, pinned, "pushpin"); err != nil {
					t.Fatal(err)
				}
				s.eventually("the pin on the timeline", func() bool { return s.countEvents(1, incident.EventPinned, "") == 1 })

				// The card's forms, with hostile text typed into them.
				card := s.cardMessage()
				if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, card.TS, commands.ActionPostUpdate); err != nil {
					t.Fatal(err)
				}
				s.await("the update form", func() bool { return len(h.slack.Views("UALICE")) == 1 })
				formText := fakeslack.EscapeTyped(hostileText(r, 6)) // a form's text arrives as typed, unescaped
				formText = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(formText)
				if _, err := h.slack.Submit(s.ctx, "UALICE", h.slack.Views("UALICE")[0].ID, map[string]string{commands.InputText: formText}); err != nil {
					t.Fatal(err)
				}
				s.eventually("the update from the form", func() bool { return s.countEvents(1, incident.EventUpdate, "") == 2 })

				send("UBOB", s.ch, "status")
				send("UBOB", general, "list")
				send("UBOB", s.ch, "timeline")
				send("UALICE", s.ch, "close "+hostileText(r, 8))
				send("UBOB", s.ch, "lesson wrong "+hostileText(r, 8))
				send("UEVE", s.ch, "lesson well "+hostileText(r, 3))
				card = s.cardMessage()
				if _, err := h.slack.Click(s.ctx, "UBOB", s.ch, card.TS, commands.ActionAddLesson); err != nil {
					t.Fatal(err)
				}
				s.await("the lessons form", func() bool { return len(h.slack.Views("UBOB")) == 1 })
				if _, err := h.slack.Submit(s.ctx, "UBOB", h.slack.Views("UBOB")[0].ID, map[string]string{
					commands.InputImprove: hostileText(r, 5), commands.InputAction(1): hostileText(r, 4), commands.InputOwner(1): "UBOB",
				}); err != nil {
					t.Fatal(err)
				}
				s.eventually("the follow-up", func() bool { inc, _ := h.store.Get(s.ctx, 1); return len(inc.FollowUps) == 1 })
				send("UBOB", general, "actions")
				send("UALICE", s.ch, "postmortem")

				if live := h.slack.Live(); len(live) > 0 {
					for i, l := range live[:min(len(live), 5)] {
						live[i] = l[:min(len(l), 300)]
					}
					t.Errorf("%d live tokens reached Slack, among them:\n%s", len(live), strings.Join(live[:min(len(live), 5)], "\n"))
				}
				// The postmortem document is escaped for Markdown: nothing of Slack's
				// markup and no display-reordering controls survive in it either.
				for _, f := range h.slack.Files() {
					if strings.HasSuffix(f.Name, ".md") {
						if live := render.Live(string(f.Content)); len(live) > 0 {
							t.Errorf("the postmortem file holds %q", live)
						}
					}
				}
				// Escaping happened where the text was put in, not by the
				// outbound path's last line of defence.
				if strings.Contains(h.logs.String(), "neutralized live markup") {
					t.Error("the outbound guard had to neutralize live markup: some user text was not escaped")
				}
				stake, _ := h.slack.Channel(h.stakeholder)
				if len(stake.Messages) < 3 {
					t.Errorf("the stakeholder channel got %d messages; the test meant to check the announcement, the update and the resolution", len(stake.Messages))
				}
			})
		}
	}
}
