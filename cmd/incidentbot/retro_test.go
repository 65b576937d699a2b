package main

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
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

// TestRetroToPostmortem closes a scripted incident, collects three lessons
// from two people (by the form, by command, and a form with two follow-up
// actions) and lets the retro deadline pass on the injected clock: the
// uploaded Markdown matches its golden file, the chart is a real PNG, the
// stakeholders get the summary, and the channel is archived only after the
// upload completed, although Slack failed the completion once with a 503.
func TestRetroToPostmortem(t *testing.T) {
	clock := clocktest.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	// No scheduled updates: the real-time runner must not add to the timeline the golden file holds.
	h := startBotWith(t, true, clock.Now, quietSeverities+"retro: {deadline: 48h, archive_channel: true}\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")

	s.command("UALICE", general, "declare Ransomware on file server sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "assign comms <@UCAROL>")
	clock.Advance(20 * time.Minute)
	s.command("UALICE", s.ch, "phase containment")
	clock.Advance(25 * time.Minute)
	s.command("UCAROL", s.ch, "update Affected hosts isolated")
	s.command("UALICE", s.ch, "severity sev2")
	clock.Advance(15 * time.Minute)
	s.command("UALICE", s.ch, "phase eradication")
	clock.Advance(40 * time.Minute)
	s.command("UALICE", s.ch, "phase recovery")
	clock.Advance(60 * time.Minute)

	if shown := s.command("UBOB", s.ch, "close"); !strings.Contains(shown, "Only the incident commander (<@UALICE>)") {
		t.Errorf("bob closed it: %s", shown)
	}
	shown := s.command("UALICE", s.ch, "close Restored from backups; entry was a phished VPN account")
	if !strings.Contains(shown, "Closed: Restored from backups; entry was a phished VPN account\nOpen for 2h 40m") {
		t.Errorf("close answered %q", shown)
	}
	stake, _ := h.slack.Channel(h.stakeholder)
	if last := stake.Messages[len(stake.Messages)-1].Visible(); !strings.Contains(last, "INC-1 resolved: Ransomware on file server") {
		t.Errorf("no final broadcast: %q", last)
	}
	if !strings.Contains(dmOf(h.slack, "UBOB"), "You took part in *INC-1") {
		t.Errorf("bob got no retro prompt: %q", dmOf(h.slack, "UBOB"))
	}
	if shown := s.command("UALICE", s.ch, "phase next"); !strings.Contains(shown, "is closed") {
		t.Errorf("phase after close: %q", shown)
	}
	s.card("", "retro until")

	// Alice, by the form.
	openLessons := func(user string) fakeslack.View {
		t.Helper()
		if _, err := h.slack.Click(s.ctx, user, s.ch, s.cardMessage().TS, commands.ActionAddLesson); err != nil {
			t.Fatal(err)
		}
		var v fakeslack.View
		s.await("the lessons form", func() bool {
			for _, x := range h.slack.Views(user) {
				if x.CallbackID == commands.ModalLesson {
					v = x
					return true
				}
			}
			return false
		})
		return v
	}
	clock.Advance(time.Hour)
	v := openLessons("UALICE")
	d, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{commands.InputOwner(1): "UBOB"})
	if err != nil || !strings.Contains(string(d.Body), commands.InputAction(1)) {
		t.Fatalf("an owner without an action answered %s, %v", d.Body, err)
	}
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{
		commands.InputWentWell: "Backups were clean and restores were tested", commands.InputImprove: "Lock VPN accounts faster",
	}); err != nil {
		t.Fatal(err)
	}
	s.eventually("alice's lessons", func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		return len(inc.Lessons) == 1
	})
	// Bob, by command, then by the form with two follow-up actions.
	s.command("UBOB", s.ch, "lesson wrong The EDR alert sat unread for two hours")
	v = openLessons("UBOB")
	if _, err := h.slack.Submit(s.ctx, "UBOB", v.ID, map[string]string{
		commands.InputAction(1): "Enforce MFA on the VPN", commands.InputOwner(1): "UBOB", commands.InputDue(1): "2026-12-15",
		commands.InputAction(2): "Page on EDR ransomware alerts",
	}); err != nil {
		t.Fatal(err)
	}
	s.eventually("three contributions", func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		return len(inc.Lessons) == 2 && len(inc.FollowUps) == 2
	})

	// The deadline passes; the runner publishes. Slack fails the completion once.
	h.slack.Fail("files.completeUploadExternal", fakeslack.Failure{Status: http.StatusServiceUnavailable})
	clock.Advance(48 * time.Hour)
	s.eventually("the postmortem", func() bool {
		inc, _ := h.store.Get(s.ctx, 1)
		return inc.Status == incident.Closed
	})
	// Archiving is the last step of publishing: once it is done, so is the rest.
	s.await("the channel archived", func() bool { ch, _ := h.slack.Channel(s.ch); return ch.Archived })
	files := h.slack.Files()
	if len(files) != 3 || files[0].Name != "inc-1-postmortem.md" || files[1].Name != "inc-1-phases.png" || files[2].Name != "inc-1-audit.csv" || files[0].Channel != s.ch {
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = f.Name
		}
		t.Fatalf("files: %q", names)
	}
	golden := filepath.Join("testdata", "retro", "inc-1-postmortem.md")
	if *update {
		_ = os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, files[0].Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, files[0].Content) {
		t.Errorf("the postmortem differs from %s:\n%s", golden, files[0].Content)
	}
	img, err := png.Decode(bytes.NewReader(files[1].Content))
	if err != nil || img.Bounds().Dx() < 600 || len(files[1].Content) < 10_000 {
		t.Errorf("the chart: %v, %d bytes", err, len(files[1].Content))
	}

	// Order: the completion failed, was retried, and succeeded before the archive.
	var completed, archived int = -1, -1
	calls := h.slack.Calls("")
	for i, c := range calls {
		switch {
		case c.Method == "files.completeUploadExternal" && c.Error == "" && completed < 0 && i > 0:
			completed = i
		case c.Method == "conversations.archive":
			archived = i
		}
	}
	retried := 0
	for _, c := range calls {
		if c.Method == "files.completeUploadExternal" {
			retried++
		}
	}
	if retried != 4 || completed < 0 || archived < completed {
		t.Errorf("completion calls %d (want 4: a 503, then the three files), completed at %d, archived at %d", retried, completed, archived)
	}
	ch, _ := h.slack.Channel(s.ch)
	if !ch.Archived {
		t.Error("the channel is not archived")
	}
	stake, _ = h.slack.Channel(h.stakeholder)
	if last := stake.Messages[len(stake.Messages)-1].Visible(); !strings.Contains(last, "Postmortem of INC-1: Ransomware on file server") || !strings.Contains(last, "read it") {
		t.Errorf("no stakeholder summary: %q", last)
	}
	// It is kept for /incident postmortem, and the follow-ups stay queryable.
	if shown := s.command("UCAROL", general, "postmortem INC-1"); !strings.Contains(shown, "Postmortem of INC-1") || !strings.Contains(shown, "open the document") ||
		!strings.Contains(shown, "resolved in 2h 40m · contained in 1h · 3 lessons · 2 follow-up actions") || strings.Contains(shown, "Enforce MFA on the VPN") {
		t.Errorf("postmortem shown again: %q", shown)
	}
	shown = s.command("UCAROL", general, "actions")
	if !strings.Contains(shown, "Open follow-up actions (2)") || !strings.Contains(shown, "*INC-1 #1* Enforce MFA on the VPN") {
		t.Errorf("actions: %q", shown)
	}
	// Only bob, the owner, may mark #1 done; anyone may mark the ownerless #2.
	list := func(user string) fakeslack.Message {
		t.Helper()
		s.command(user, general, "actions")
		seen := h.slack.Ephemerals(user)
		return seen[len(seen)-1]
	}
	click := func(user string, msg fakeslack.Message, value string) string {
		t.Helper()
		before := len(h.slack.Ephemerals(user))
		if _, err := h.slack.Click(s.ctx, user, general, msg.TS, commands.ActionFollowUpDone, value); err != nil {
			t.Fatal(err)
		}
		var answer string
		s.await("the answer to Mark done", func() bool {
			seen := h.slack.Ephemerals(user)
			if len(seen) > before {
				answer = seen[len(seen)-1].Visible()
				return true
			}
			return false
		})
		return answer
	}
	carols := list("UCAROL")
	if got := click("UCAROL", carols, "1:1"); !strings.Contains(got, "Only its owner (<@UBOB>)") {
		t.Errorf("carol marking bob's action: %q", got)
	}
	if got := click("UCAROL", carols, "1:2"); !strings.Contains(got, "INC-1 #2 marked done") {
		t.Errorf("carol marking the ownerless action: %q", got)
	}
	if got := click("UBOB", list("UBOB"), "1:1"); !strings.Contains(got, "INC-1 #1 marked done") {
		t.Errorf("bob marking his action: %q", got)
	}
	if shown := s.command("UCAROL", general, "actions"); !strings.Contains(shown, "No open follow-up actions") {
		t.Errorf("actions after both are done: %q", shown)
	}
}
