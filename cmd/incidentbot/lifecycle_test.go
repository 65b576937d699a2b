package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestScriptedIncident runs a whole incident through each transport with an
// injected clock: the card after every step must match its golden file
// (the same files for both transports), and the timeline must hold every
// step once, in order, with its actor.
func TestScriptedIncident(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			clock := clocktest.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
			h := startBotWithClock(t, transport == "socket", clock.Now)
			s := &script{t: t, h: h, ctx: context.Background()}
			general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")

			s.command("UALICE", general, "declare Ransomware on file server sev1")
			ch := h.declared(t, "UALICE", "INC-1")
			s.ch = ch.ID
			s.card("01-declared", "Identification since")

			s.command("UALICE", s.ch, "assign comms <@UCAROL|carol>")
			s.card("02-comms", "Communications Lead: <@UCAROL>")
			s.command("UALICE", s.ch, "assign tech <@UBOB|bob>")
			s.card("03-tech", "Technical Lead: <@UBOB>")

			clock.Advance(10 * time.Minute)
			card := s.cardMessage()
			if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, card.TS, commands.ActionNextPhase); err != nil {
				t.Fatal(err)
			}
			s.card("04-containment", "Containment since")

			checklist := s.checklistMessage(incident.Containment)
			if _, err := h.slack.Check(s.ctx, "UBOB", s.ch, checklist.TS, "checklist:0", "0"); err != nil {
				t.Fatal(err)
			}
			s.card("05-tick-one", "1/4 done")
			if _, err := h.slack.Check(s.ctx, "UBOB", s.ch, checklist.TS, "checklist:0", "0", "2"); err != nil {
				t.Fatal(err)
			}
			s.card("06-tick-two", "2/4 done")
			if got := s.checklistMessage(incident.Containment).Visible(); !strings.Contains(got, "(2/4 done)") {
				t.Errorf("the checklist message does not show the ticks:\n%s", got)
			}

			// Bad input changes nothing.
			before := s.timelineLen()
			if shown := s.command("UALICE", s.ch, "phase triage"); !strings.Contains(shown, "no phase `triage`") {
				t.Errorf("bad phase answered %q", shown)
			}
			if shown := s.command("UCAROL", s.ch, "severity sev2"); !strings.Contains(shown, "Only the incident commander (<@UALICE>)") {
				t.Errorf("a non-commander's severity change answered %q", shown)
			}
			if s.timelineLen() != before {
				t.Error("refused commands were recorded on the timeline")
			}
			s.card("06-tick-two", "2/4 done")

			clock.Advance(20 * time.Minute)
			s.command("UALICE", s.ch, "phase next")
			s.card("07-eradication", "Eradication since")
			clock.Advance(30 * time.Minute)
			s.command("UALICE", s.ch, "phase next")
			s.card("08-recovery", "Recovery since")

			s.command("UALICE", s.ch, "severity sev2")
			s.card("09-sev2", "`sev2`")
			clock.Advance(2 * time.Minute)
			s.command("UCAROL", s.ch, "update Backups verified; restoring the file server")
			s.card("10-update", "Backups verified")
			s.command("UBOB", s.ch, "note Attacker IP 203.0.113.7 blocked at the edge")

			said := h.slack.PostAs("UDAVE", s.ch, "EDR shows the dropper hash on 3 hosts")
			eventID, d, err := h.slack.React(s.ctx, "UDAVE", s.ch, said, "pushpin")
			if err != nil || (transport == "http" && d.Status != 200) {
				t.Fatalf("reaction: %+v %v", d, err)
			}
			s.eventually("the pinned message on the timeline", func() bool { return s.timelineLen() == 15 })
			if _, err := h.slack.Redeliver(s.ctx, eventID); err != nil {
				t.Fatal(err)
			}
			// The retry is handled like the first delivery; a marker note shows when it is done.
			s.command("UBOB", s.ch, "note end of script")

			tl, err := h.store.Timeline(s.ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := []struct {
				kind  incident.EventKind
				actor string
				text  string
			}{
				{incident.EventDeclared, "UALICE", "Declared"},
				{incident.EventChecklist, "UALICE", "Set the severity and assign a commander"}, // declaring did it
				{incident.EventChannel, "", "inc-1-ransomware-on-file-server"},
				{incident.EventInvite, "", "<@UALICE>, <@UBOB>, <@UCAROL>"},
				{incident.EventRole, "UALICE", "Communications Lead: <@UCAROL>"},
				{incident.EventRole, "UALICE", "Technical Lead: <@UBOB>"},
				{incident.EventPhase, "UALICE", "Identification → Containment"},
				{incident.EventChecklist, "UBOB", "Isolate affected systems"},
				{incident.EventChecklist, "UBOB", "Disable compromised user accounts"},
				{incident.EventPhase, "UALICE", "Containment → Eradication"},
				{incident.EventPhase, "UALICE", "Eradication → Recovery"},
				{incident.EventSeverity, "UALICE", "sev1 → sev2"},
				{incident.EventUpdate, "UCAROL", "Backups verified"},
				{incident.EventNote, "UBOB", "203.0.113.7"},
				{incident.EventPinned, "UDAVE", "pinned their message: EDR shows the dropper hash"}, // dave pinned his own message
				{incident.EventNote, "UBOB", "end of script"},
			}
			if len(tl) != len(want) {
				for _, ev := range tl {
					t.Logf("%s %s %s", ev.Kind, ev.Actor, ev.Text)
				}
				t.Fatalf("timeline has %d events, want %d", len(tl), len(want))
			}
			roles := map[string]string{"commander": "Incident Commander", "comms": "Communications Lead", "tech": "Technical Lead"}
			words := incident.Words{User: func(id string) string { return "<@" + id + ">" }, Text: func(s string) string { return s },
				Role: func(k string) string { return roles[k] }}
			for i, w := range want {
				if got := tl[i].Describe(words); tl[i].Kind != w.kind || tl[i].Actor != w.actor || !strings.Contains(got, w.text) || tl[i].V != 1 {
					t.Errorf("timeline[%d] = %s by %q: %q; want a typed %s by %q containing %q", i, tl[i].Kind, tl[i].Actor, got, w.kind, w.actor, w.text)
				}
			}
			if tl[14].Link == "" {
				t.Error("the pinned message has no permalink")
			}
			durations := incident.PhaseDurations(tl[0].At, tl, clock.Now())
			for phase, d := range map[incident.Phase]time.Duration{
				incident.Identification: 10 * time.Minute, incident.Containment: 20 * time.Minute,
				incident.Eradication: 30 * time.Minute, incident.Recovery: 2 * time.Minute,
			} {
				if durations[phase] != d {
					t.Errorf("time in %s = %s, want %s", phase, durations[phase], d)
				}
			}

			final, _ := h.slack.Channel(s.ch)
			if final.Topic != "INC-1 · sev2 · Recovery · IC <@UALICE> · Ransomware on file server" {
				t.Errorf("topic = %q", final.Topic)
			}
			if len(final.Pinned()) != 1 || !final.Pinned()[0].Edited {
				t.Error("the card was not edited in place")
			}
			briefing := dmOf(h.slack, "UCAROL")
			if !strings.Contains(briefing, "You are now the *Communications Lead* of *INC-1*") {
				t.Errorf("carol's briefing: %q", briefing)
			}
			stake, _ := h.slack.Channel(h.stakeholder)
			last := stake.Messages[len(stake.Messages)-1].Visible()
			if !strings.Contains(last, "Update on INC-1") || !strings.Contains(last, "Backups verified") {
				t.Errorf("stakeholders did not get the update: %q", last)
			}
			shown := s.command("UDAVE", s.ch, "timeline")
			for _, w := range []string{"Timeline of INC-1", "Identification → Containment", "EDR shows the dropper hash", "Events 1–16 of 16"} {
				if !strings.Contains(shown, w) {
					t.Errorf("/incident timeline lacks %q:\n%s", w, shown)
				}
			}
		})
	}
}

type script struct {
	t   *testing.T
	h   *harness
	ctx context.Context
	ch  string
}

func (s *script) await(what string, cond func() bool) {
	s.t.Helper()
	s.h.slack.Await(s.t, what, cond)
}

// eventually polls cond, for state the fake Slack does not see change (Redis).
func (s *script) eventually(what string, cond func() bool) {
	s.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	s.t.Fatalf("waited 10s for %s", what)
}

// command runs a slash command and returns the answer the user was shown.
func (s *script) command(user, channel, text string) string {
	s.t.Helper()
	return s.answerIn(user, channel, text, func() error {
		d, err := s.h.slack.Command(s.ctx, user, channel, text)
		if err != nil {
			return fmt.Errorf("/incident %s: %w", text, err)
		}
		if d.Elapsed > slackAckLimit {
			s.t.Errorf("/incident %s acknowledged after %s", text, d.Elapsed)
		}
		return nil
	})
}

func (s *script) cardMessage() fakeslack.Message {
	s.t.Helper()
	ch, _ := s.h.slack.Channel(s.ch)
	pinned := ch.Pinned()
	if len(pinned) != 1 {
		s.t.Fatalf("%d pinned messages, want the card", len(pinned))
	}
	return pinned[0]
}

func (s *script) checklistMessage(p incident.Phase) fakeslack.Message {
	s.t.Helper()
	inc, err := s.h.store.ByChannel(s.ctx, s.ch)
	if err != nil {
		s.t.Fatal(err)
	}
	ch, _ := s.h.slack.Channel(s.ch)
	for _, m := range ch.Messages {
		if m.TS == inc.ChecklistTS[p] {
			return m
		}
	}
	s.t.Fatalf("no %s checklist message", p)
	return fakeslack.Message{}
}

func (s *script) timelineLen() int {
	tl, err := s.h.store.Timeline(s.ctx, 1)
	if err != nil {
		s.t.Fatal(err)
	}
	return len(tl)
}

// card waits until the card shows marker, then compares it with its golden file, if one is named.
func (s *script) card(golden, marker string) {
	s.t.Helper()
	s.await("the card to show "+marker, func() bool {
		ch, _ := s.h.slack.Channel(s.ch)
		p := ch.Pinned()
		return len(p) == 1 && strings.Contains(p[0].Visible(), marker)
	})
	if golden == "" {
		return
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, s.cardMessage().Blocks, "", "  "); err != nil {
		s.t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", "lifecycle", golden+".json")
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatalf("%v (go test ./cmd/incidentbot -run TestScriptedIncident -update writes it)", err)
	}
	if !bytes.Equal(want, pretty.Bytes()) {
		s.t.Errorf("card after %s differs from %s:\n%s", golden, path, pretty.String())
	}
}

func dmOf(fs *fakeslack.Server, user string) string {
	for _, ch := range fs.Channels() {
		if ch.DM == user && len(ch.Messages) > 0 {
			return ch.Messages[len(ch.Messages)-1].Visible()
		}
	}
	return ""
}

// TestModalsFromTheCard opens the card's modals and submits them, through each transport.
func TestModalsFromTheCard(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			h := startBot(t, transport == "socket")
			s := &script{t: t, h: h, ctx: context.Background()}
			general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
			s.command("UALICE", general, "declare Phishing wave sev2")
			s.ch = h.declared(t, "UALICE", "INC-1").ID

			openModal := func(user, action, callbackID string) fakeslack.View {
				t.Helper()
				if _, err := h.slack.Click(s.ctx, user, s.ch, s.cardMessage().TS, action); err != nil {
					t.Fatal(err)
				}
				var view fakeslack.View
				s.await("the "+callbackID+" modal for "+user, func() bool {
					for _, v := range h.slack.Views(user) {
						if v.CallbackID == callbackID {
							view = v
							return true
						}
					}
					return false
				})
				return view
			}

			// Post update: an empty text keeps the modal open with an error on the field.
			v := openModal("UCAROL", commands.ActionPostUpdate, commands.ModalUpdate)
			d, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{commands.InputText: "   "})
			if err != nil || !strings.Contains(string(d.Body), `"response_action":"errors"`) || !strings.Contains(string(d.Body), `"text":"Write something first."`) {
				t.Fatalf("empty update answered %s, %v", d.Body, err)
			}
			if len(h.slack.Views("UCAROL")) != 1 {
				t.Error("the modal closed despite the error")
			}
			if _, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{commands.InputText: "Blocked the sender domain"}); err != nil {
				t.Fatal(err)
			}
			s.card("", "Blocked the sender domain")

			// Assign role: a non-commander cannot hand over command; the error sits on the role
			// field, in plain text (Slack shows no mentions there).
			v = openModal("UBOB", commands.ActionAssignRole, commands.ModalAssign)
			d, err = h.slack.Submit(s.ctx, "UBOB", v.ID, map[string]string{commands.InputRole: "commander", commands.InputUser: "UBOB"})
			if err != nil || !strings.Contains(string(d.Body), `"role":"Only the incident commander (@UALICE) or an admin`) {
				t.Fatalf("commander handover by bob answered %s, %v", d.Body, err)
			}
			if _, err := h.slack.Submit(s.ctx, "UBOB", v.ID, map[string]string{commands.InputRole: "scribe", commands.InputUser: "UCAROL"}); err != nil {
				t.Fatal(err)
			}
			s.card("", "Scribe: <@UCAROL>")

			// Add note.
			v = openModal("UBOB", commands.ActionAddNote, commands.ModalNote)
			if _, err := h.slack.Submit(s.ctx, "UBOB", v.ID, map[string]string{commands.InputText: "Mail filter rule deployed"}); err != nil {
				t.Fatal(err)
			}
			s.eventually("the note on the timeline", func() bool {
				tl, _ := h.store.Timeline(s.ctx, 1)
				last := tl[len(tl)-1]
				return last.Kind == incident.EventNote && last.Actor == "UBOB" && last.Text == "Mail filter rule deployed"
			})
			inc, _ := h.store.Get(s.ctx, 1)
			if inc.LastUpdate != "Blocked the sender domain" || inc.LastUpdateBy != "UCAROL" || inc.Roles["scribe"] != "UCAROL" {
				t.Errorf("stored %+v", inc)
			}
		})
	}
}

// TestDeclareForm is `/incident` on its own: the declare form, through each transport.
func TestDeclareForm(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			h := startBot(t, transport == "socket")
			ctx := context.Background()
			general := h.slack.CreateChannel("general", false, "UALICE")
			if _, err := h.slack.Command(ctx, "UALICE", general, ""); err != nil {
				t.Fatal(err)
			}
			var view fakeslack.View
			h.slack.Await(t, "the declare form", func() bool {
				vs := h.slack.Views("UALICE")
				if len(vs) == 1 && vs[0].CallbackID == commands.ModalDeclare {
					view = vs[0]
					return true
				}
				return false
			})
			d, err := h.slack.Submit(ctx, "UALICE", view.ID, map[string]string{commands.InputTitle: " "})
			if err != nil || !strings.Contains(string(d.Body), `"title":"An incident needs a title."`) {
				t.Fatalf("empty title answered %s, %v", d.Body, err)
			}
			_, err = h.slack.Submit(ctx, "UALICE", view.ID, map[string]string{
				commands.InputTitle: "Suspicious OAuth grants", commands.InputSeverity: "sev2",
				commands.InputDescription: "Three users granted a lookalike app mail access", commands.InputPrivate: "private",
			})
			if err != nil {
				t.Fatal(err)
			}
			h.slack.Await(t, "the confirmation by direct message", func() bool {
				return strings.Contains(dmOf(h.slack, "UALICE"), "Declared *INC-1*")
			})
			inc, err := h.store.Get(ctx, 1)
			if err != nil || inc.Title != "Suspicious OAuth grants" || inc.Severity != "sev2" || !inc.Private {
				t.Fatalf("stored %+v, %v", inc, err)
			}
			ch, _ := h.slack.Channel(inc.ChannelID)
			if !ch.Private || ch.Name != "inc-1-suspicious-oauth-grants" {
				t.Errorf("channel %q private=%v", ch.Name, ch.Private)
			}
			tl, _ := h.store.Timeline(ctx, 1)
			if len(tl) < 2 || tl[1].Kind != incident.EventNote || tl[1].Text != "Three users granted a lookalike app mail access" {
				t.Errorf("the description is not on the timeline: %+v", tl)
			}
		})
	}
}
