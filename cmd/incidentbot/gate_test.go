package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// answer runs act and returns the next message only user sees.
func (s *script) answer(user string, act func() error) string {
	s.t.Helper()
	return s.answerIn(user, "", "", act)
}

// answerIn is answer for a request made in channel, where a change is
// answered by what the channel is told of it (render.Told) rather than to
// the person alone: the first of the two is the answer.
func (s *script) answerIn(user, channel, text string, act func() error) string {
	s.t.Helper()
	before := len(s.h.slack.Ephemerals(user))
	told := s.toldIn(channel)
	start := time.Now().Add(-time.Second)
	if err := act(); err != nil {
		s.t.Fatal(err)
	}
	var got string
	byChannel := false
	s.await("an answer to "+user, func() bool {
		e := s.h.slack.Ephemerals(user)
		if len(e) > before {
			got = e[before].Visible()
			return true
		}
		for _, m := range s.toldIn(channel)[len(told):] {
			if icon := toldIcon(text); strings.Contains(m.Visible(), icon) {
				got, byChannel = m.Visible(), true
				return true
			}
		}
		return false
	})
	if byChannel {
		// The channel is told of a change before what the change brings (a
		// checklist, the retro's prompt): the request is done once it has
		// left the journal.
		s.eventually("the request to finish", func() bool { return s.journalSince(start) == 0 })
	}
	return got
}

// journalSince is how many requests acknowledged since start are not
// finished yet; 0 when the store cannot say.
func (s *script) journalSince(start time.Time) int {
	ctx, cancel := context.WithTimeout(s.ctx, time.Second) // a frozen Redis is some tests' point
	defer cancel()
	all, err := s.h.store.Stale(ctx, time.Now().Add(time.Hour))
	older, err2 := s.h.store.Stale(ctx, start)
	if err != nil || err2 != nil {
		return 0
	}
	return len(all) - len(older)
}

// toldIcon is how the channel's message of what a command changed starts
// (render.Told draws the timeline's icons), so that an answer is not taken
// from a change a click made a moment before.
func toldIcon(command string) string {
	verb, _, _ := strings.Cut(strings.TrimSpace(command), " ")
	switch verb {
	case "phase":
		return ":arrow_forward:"
	case "severity":
		return ":thermometer:"
	case "assign", "unassign":
		return ":bust_in_silhouette:"
	case "close":
		return ":checkered_flag:"
	case "update":
		return ":mega:"
	case "tlp":
		return ":traffic_light: <@"
	}
	return ""
}

// toldIn is what a channel was told of changes made in it.
func (s *script) toldIn(channel string) []fakeslack.Message {
	if channel == "" {
		return nil
	}
	ch, _ := s.h.slack.Channel(channel)
	var out []fakeslack.Message
	for _, m := range ch.Messages {
		if strings.Contains(string(m.Blocks), `"block_id":"`+render.ToldBlockID+`"`) {
			out = append(out, m)
		}
	}
	return out
}

func (s *script) countEvents(n int64, kind incident.EventKind, text string) int {
	s.t.Helper()
	tl, err := s.h.store.Timeline(s.ctx, n)
	if err != nil {
		s.t.Fatal(err)
	}
	c := 0
	for _, ev := range tl {
		if ev.Kind == kind && strings.Contains(ev.Text, text) {
			c++
		}
	}
	return c
}

const repeatedAnswer = "received before and has been handled; it was not run again"

// A replayed signed request, a Slack retry and a double click each have
// their effect once; the person who repeated is told so.
func TestRequestsRunOnce(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			h := startBot(t, transport == "socket")
			s := &script{t: t, h: h, ctx: context.Background()}
			general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")

			s.command("UALICE", general, "declare Replayed declare sev2")
			s.ch = h.declared(t, "UALICE", "INC-1").ID
			if got := s.answer("UALICE", func() error { _, err := h.slack.Replay(s.ctx); return err }); !strings.Contains(got, repeatedAnswer) {
				t.Errorf("a replayed declare answered %q", got)
			}
			if n, _ := h.store.NextNumber(s.ctx); n != 2 {
				t.Errorf("a replayed declare took another incident number (next is %d)", n)
			}
			incChannels := 0
			for _, ch := range h.slack.Channels() {
				if strings.HasPrefix(ch.Name, "inc-") {
					incChannels++
				}
			}
			if incChannels != 1 {
				t.Errorf("%d incident channels after a replayed declare", incChannels)
			}

			s.command("UALICE", s.ch, "note replayed note")
			s.answer("UALICE", func() error { _, err := h.slack.Replay(s.ctx); return err })
			if c := s.countEvents(1, incident.EventNote, "replayed note"); c != 1 {
				t.Errorf("a replayed note is on the timeline %d times", c)
			}

			// A double click: the second click comes from the card as it was
			// shown before the first one moved the phase on.
			card := s.cardMessage()
			stale, err := h.slack.CopyMessage(s.ch, card.TS, s.ch, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.slack.Click(s.ctx, "UBOB", s.ch, card.TS, commands.ActionNextPhase); err != nil {
				t.Fatal(err)
			}
			s.card("", "Containment since")
			got := s.answer("UBOB", func() error {
				_, err := h.slack.Click(s.ctx, "UBOB", s.ch, stale, commands.ActionNextPhase)
				return err
			})
			if !strings.Contains(got, "already moved on from Identification") {
				t.Errorf("the second click of a double click answered %q", got)
			}
			if got := s.answer("UBOB", func() error { _, err := h.slack.Replay(s.ctx); return err }); !strings.Contains(got, repeatedAnswer) {
				t.Errorf("a replayed click answered %q", got)
			}
			if inc, _ := h.store.Get(s.ctx, 1); inc.Phase != incident.Containment || s.countEvents(1, incident.EventPhase, "") != 1 {
				t.Errorf("after a double click the incident is in %s with %d phase events", inc.Phase, s.countEvents(1, incident.EventPhase, ""))
			}

			// A form submitted twice (Slack retrying it, or a replay) adds one note.
			if _, err := h.slack.Click(s.ctx, "UBOB", s.ch, card.TS, commands.ActionAddNote); err != nil {
				t.Fatal(err)
			}
			s.await("the note form", func() bool { return len(h.slack.Views("UBOB")) == 1 })
			view := h.slack.Views("UBOB")[0]
			if _, err := h.slack.Submit(s.ctx, "UBOB", view.ID, map[string]string{commands.InputText: "note from the form"}); err != nil {
				t.Fatal(err)
			}
			s.eventually("the note from the form", func() bool { return s.countEvents(1, incident.EventNote, "note from the form") == 1 })
			if _, err := h.slack.Replay(s.ctx); err != nil {
				t.Fatal(err)
			}
			// The replay is journaled before it is acknowledged; once the
			// journal is empty, anything it set off has run.
			s.eventually("the journal to empty", func() bool { left, _ := h.store.Stale(s.ctx, time.Now().Add(time.Hour)); return len(left) == 0 })
			if c := s.countEvents(1, incident.EventNote, "note from the form"); c != 1 {
				t.Errorf("a form submitted twice added %d notes", c)
			}
		})
	}
}

var incRef = regexp.MustCompile(`INC-[0-9]+`)

// Someone who is not a member of a private incident presses each button of
// its card and submits each of its forms, from a copy kept from when they
// had access or crafted to name it: nothing changes, and they are told
// exactly what they would be told of an incident that does not exist. The
// commander's identical click works.
func TestOutsiderCannotActOnAPrivateIncident(t *testing.T) {
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	s.command("UALICE", general, "declare Insider exfiltration sev2 --private")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	const outsider = "UDAVE"
	if inc, _ := h.store.Get(s.ctx, 1); !inc.Private || inc.IsMember(outsider) {
		t.Fatalf("the test needs a private incident %s is not in", outsider)
	}
	toMissing := strings.NewReplacer(`"value":"1`, `"value":"99`, `checklist:1:`, `checklist:99:`, `"private_metadata":"1"`, `"private_metadata":"99"`)

	before, _ := h.store.Get(s.ctx, 1)
	beforeEvents := s.timelineLen()
	unchanged := func(what string) {
		t.Helper()
		inc, _ := h.store.Get(s.ctx, 1)
		if inc.Phase != before.Phase || inc.LastUpdate != before.LastUpdate || len(inc.Roles) != len(before.Roles) || s.timelineLen() != beforeEvents {
			t.Errorf("%s by an outsider changed the incident: %+v", what, inc)
		}
		if len(h.slack.Views(outsider)) > 0 {
			t.Errorf("%s by an outsider opened a form for them", what)
		}
	}
	sameAsMissing := func(what, private, missing string) {
		t.Helper()
		if !strings.Contains(private, "There is no incident INC-1 that you can see") || strings.Contains(private, "Insider") {
			t.Errorf("%s: the outsider was told %q", what, private)
		}
		if incRef.ReplaceAllString(private, "INC-n") != incRef.ReplaceAllString(missing, "INC-n") {
			t.Errorf("%s: a private incident answers %q, a missing one %q", what, private, missing)
		}
	}

	// The card's buttons and the checklist, copied into a channel the outsider is in.
	card := s.cardMessage()
	privateCard, _ := h.slack.CopyMessage(s.ch, card.TS, general, nil)
	missingCard, _ := h.slack.CopyMessage(s.ch, card.TS, general, toMissing)
	for _, action := range []string{commands.ActionNextPhase, commands.ActionAssignRole, commands.ActionPostUpdate, commands.ActionAddNote} {
		private := s.answer(outsider, func() error { _, err := h.slack.Click(s.ctx, outsider, general, privateCard, action); return err })
		missing := s.answer(outsider, func() error { _, err := h.slack.Click(s.ctx, outsider, general, missingCard, action); return err })
		sameAsMissing(action, private, missing)
		unchanged(action)
	}
	list := s.checklistMessage(incident.Identification)
	privateList, _ := h.slack.CopyMessage(s.ch, list.TS, general, nil)
	missingList, _ := h.slack.CopyMessage(s.ch, list.TS, general, toMissing)
	private := s.answer(outsider, func() error {
		_, err := h.slack.Check(s.ctx, outsider, general, privateList, "checklist:0", "0")
		return err
	})
	missing := s.answer(outsider, func() error {
		_, err := h.slack.Check(s.ctx, outsider, general, missingList, "checklist:0", "0")
		return err
	})
	sameAsMissing("ticking the checklist", private, missing)
	unchanged("ticking the checklist")

	// The forms, opened by the commander and copied to the outsider.
	forms := []struct {
		button string
		values map[string]string
	}{
		{commands.ActionPostUpdate, map[string]string{commands.InputText: "owned"}},
		{commands.ActionAddNote, map[string]string{commands.InputText: "owned"}},
		{commands.ActionAssignRole, map[string]string{commands.InputRole: "commander", commands.InputUser: outsider}},
	}
	submitCopy := func(what, viewID string, values map[string]string) {
		t.Helper()
		var bodies [2]string
		for i, r := range []*strings.Replacer{nil, toMissing} {
			c, err := h.slack.CopyView(viewID, outsider, r)
			if err != nil {
				t.Fatal(err)
			}
			d, err := h.slack.Submit(s.ctx, outsider, c, values)
			if err != nil {
				t.Fatal(err)
			}
			bodies[i] = string(d.Body)
			_ = h.slack.CloseView(c)
		}
		sameAsMissing(what, bodies[0], bodies[1])
		unchanged(what)
	}
	for _, f := range forms {
		if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, card.TS, f.button); err != nil {
			t.Fatal(err)
		}
		var view fakeslack.View
		s.await("the commander's form", func() bool {
			vs := h.slack.Views("UALICE")
			if len(vs) > 0 {
				view = vs[len(vs)-1]
			}
			return len(vs) > 0
		})
		submitCopy("the form of "+f.button, view.ID, f.values)
		_ = h.slack.CloseView(view.ID)
	}

	// The control: the commander's own click works.
	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, card.TS, commands.ActionNextPhase); err != nil {
		t.Fatal(err)
	}
	s.card("", "Containment since")

	// The retro's lessons form, once the incident is closed.
	if got := s.command("UALICE", s.ch, "close Contained"); !strings.Contains(got, "Closed: Contained") {
		t.Fatalf("close answered %q", got)
	}
	before, _ = h.store.Get(s.ctx, 1)
	beforeEvents = s.timelineLen()
	card = s.cardMessage()
	if _, err := h.slack.Click(s.ctx, "UALICE", s.ch, card.TS, commands.ActionAddLesson); err != nil {
		t.Fatal(err)
	}
	var lessons fakeslack.View
	s.await("the lessons form", func() bool {
		for _, v := range h.slack.Views("UALICE") {
			if v.CallbackID == commands.ModalLesson {
				lessons = v
				return true
			}
		}
		return false
	})
	submitCopy("the lessons form", lessons.ID, map[string]string{commands.InputWentWell: "owned"})
	privateCard, _ = h.slack.CopyMessage(s.ch, card.TS, general, nil)
	missingCard, _ = h.slack.CopyMessage(s.ch, card.TS, general, toMissing)
	private = s.answer(outsider, func() error {
		_, err := h.slack.Click(s.ctx, outsider, general, privateCard, commands.ActionAddLesson)
		return err
	})
	missing = s.answer(outsider, func() error {
		_, err := h.slack.Click(s.ctx, outsider, general, missingCard, commands.ActionAddLesson)
		return err
	})
	sameAsMissing(commands.ActionAddLesson, private, missing)
	unchanged(commands.ActionAddLesson)
}

// With Redis down, a person sees a message that names no address, with a
// reference that finds the cause in the log.
func TestStoreDownShowsASafeMessage(t *testing.T) {
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE")
	s.command("UALICE", general, "declare Before the outage sev3")
	ch := h.declared(t, "UALICE", "INC-1")
	h.redis.Stop()
	got := s.command("UALICE", ch.ID, "note during the outage")
	ref := regexp.MustCompile(`\(ref ([^)]+)\)`).FindStringSubmatch(got)
	if ref == nil || !strings.Contains(got, "cannot reach its store") {
		t.Fatalf("with Redis down the user saw %q", got)
	}
	for _, leak := range []string{h.redis.Addr, "dial", "refused", "tcp", "redis"} {
		if strings.Contains(got, leak) {
			t.Errorf("the message shows %q: %s", leak, got)
		}
	}
	resp, err := http.Get("http://" + h.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), h.redis.Addr) || strings.Contains(string(body), "refused") {
		t.Errorf("/readyz with Redis down: %d %q", resp.StatusCode, body)
	}
	s.eventually("the cause in the log under the reference", func() bool {
		for _, line := range strings.Split(h.logs.String(), "\n") {
			if strings.Contains(line, `"ref":"`+ref[1]+`"`) && strings.Contains(line, "refused") {
				return true
			}
		}
		return false
	})
}

// With Redis frozen (its process stopped, connections open, nothing
// answering) a command is acknowledged within Slack's 3 s with the safe
// answer and is not run; /readyz answers within its own deadline; once
// Redis runs again, so does the bot.
func TestRedisFrozenIsAnsweredInTime(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transport == "socket")
			s := &script{t: t, h: h, ctx: context.Background()}
			general := h.slack.CreateChannel("general", false, "UALICE")
			s.command("UALICE", general, "declare Before the freeze sev3")
			s.ch = h.declared(t, "UALICE", "INC-1").ID
			h.redis.Freeze(t)
			for _, text := range []string{"note during the freeze", "update still frozen"} {
				got := s.command("UALICE", s.ch, text) // fails the test if acknowledged after 3 s
				if !strings.Contains(got, "cannot reach its store") || !strings.Contains(got, "nothing was changed") || strings.Contains(got, "operation_timeout") {
					t.Errorf("/incident %s with Redis frozen: the user saw %q", text, got)
				}
			}
			client := http.Client{Timeout: slackAckLimit}
			resp, err := client.Get("http://" + h.addr + "/readyz")
			if err != nil {
				t.Fatalf("/readyz with Redis frozen: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("/readyz with Redis frozen: %d", resp.StatusCode)
			}
			h.redis.Thaw()
			if got := s.command("UALICE", s.ch, "note after the freeze"); !strings.Contains(got, "Noted") {
				t.Errorf("after the freeze the note was answered %q", got)
			}
			if n := s.countEvents(1, incident.EventNote, ""); n != 1 {
				t.Errorf("%d notes on the timeline, want only the one after the freeze", n)
			}
			if n := s.countEvents(1, incident.EventUpdate, ""); n != 0 {
				t.Errorf("the update sent during the freeze was posted")
			}
		})
	}
}
