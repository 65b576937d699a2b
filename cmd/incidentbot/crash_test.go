package main

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// crasher ends the request that is working when its armed write lands:
// the write is in Redis, the answer is not sent, the journal keeps the
// request, as when the replica dies right there.
type crasher struct {
	armed   atomic.Bool
	at      atomic.Value // string: crash after the write whose name holds it; "" after the first
	crashed chan string
}

func (c *crasher) afterWrite(_ context.Context, effect string) {
	if at, _ := c.at.Load().(string); !strings.Contains(effect, at) {
		return
	}
	if c.armed.CompareAndSwap(true, false) {
		c.crashed <- effect
		runtime.Goexit()
	}
}

// halt stops a bot and waits for it.
func (h *harness) halt() {
	h.stop()
	code := <-h.exit
	h.exit <- code // for the cleanup
}

// For each subcommand, button and form that changes an incident: the
// request crashes right after its write and before its answer; another
// replica finds it in the journal and does it again. Exactly one effect
// and the one answer remain. The original signed request replayed after
// that has no effect either.
func TestCrashBetweenWriteAndAnswer(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) { crashBetweenWriteAndAnswer(t, transport == "socket") })
	}
}

func crashBetweenWriteAndAnswer(t *testing.T, socketMode bool) {
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	h := &harness{slack: fs, redis: redistest.Start(t)}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	crash := &crasher{crashed: make(chan string, 1)}
	h.launch(t, socketMode, true, clocks{now: time.Now, outbound: clocktest.Instant{}, afterWrite: crash.afterWrite}, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := fs.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")

	// Slack's view of what the user saw: answers in channels and direct messages.
	seen := func(user string) int {
		n := len(fs.Ephemerals(user))
		for _, ch := range fs.Channels() {
			if ch.DM == user {
				n += len(ch.Messages)
			}
		}
		return n
	}
	events := func(kind incident.EventKind) func() int {
		return func() int { return s.countEvents(1, kind, "") }
	}
	stakeholderPosts := func() int { ch, _ := fs.Channel(h.stakeholder); return len(ch.Messages) }
	incidentPosts := func() int { // the bot's own, not the answers only one person sees
		ch, _ := fs.Channel(s.ch)
		n := 0
		for _, m := range ch.Messages {
			if m.VisibleTo == "" {
				n++
			}
		}
		return n
	}
	toldPosts := func() int { return len(s.toldIn(s.ch)) } // a change, told to the channel
	card := func() string { return s.cardMessage().TS }
	openForm := func(user, button string) string {
		if _, err := fs.Click(s.ctx, user, s.ch, card(), button); err != nil {
			t.Fatal(err)
		}
		var id string
		s.await("the form of "+button, func() bool {
			vs := fs.Views(user)
			if len(vs) > 0 {
				id = vs[len(vs)-1].ID
			}
			return id != ""
		})
		return id
	}
	command := func(user, channel, text string) func() error {
		return func() error { _, err := fs.Command(s.ctx, user, channel, text); return err }
	}

	cases := []struct {
		name    string
		user    string
		prepare func() // before the crashing request: open its form
		crashAt string // the write to crash after: "" the first
		do      func() error
		effects []func() int // each must grow by exactly one
		answers int          // what the user is shown: once
	}{
		{name: "declare", user: "UALICE", do: command("UALICE", general, "declare Crash course sev2"),
			effects: []func() int{events(incident.EventDeclared), stakeholderPosts}, answers: 1},
		{name: "note", user: "UALICE", do: func() error { return command("UALICE", s.ch, "note written once")() },
			effects: []func() int{events(incident.EventNote)}, answers: 1},
		{name: "update", user: "UALICE", do: func() error { return command("UALICE", s.ch, "update told once")() },
			effects: []func() int{events(incident.EventUpdate), stakeholderPosts, toldPosts}}, // the update in the channel is the answer
		// After its posts, before the answer: the redo posts nothing again.
		{name: "update, crash after its posts", user: "UALICE", crashAt: "update:stakeholders", do: func() error { return command("UALICE", s.ch, "update posted once")() },
			effects: []func() int{events(incident.EventUpdate), stakeholderPosts, incidentPosts}},
		{name: "assign", user: "UALICE", do: func() error { return command("UALICE", s.ch, "assign comms <@UCAROL|carol>")() },
			effects: []func() int{events(incident.EventRole), toldPosts}},
		{name: "unassign", user: "UALICE", do: func() error { return command("UALICE", s.ch, "unassign comms")() },
			effects: []func() int{events(incident.EventRole), toldPosts}},
		{name: "severity", user: "UALICE", do: func() error { return command("UALICE", s.ch, "severity sev1")() },
			effects: []func() int{events(incident.EventSeverity), toldPosts, stakeholderPosts}},
		{name: "phase", user: "UALICE", do: func() error { return command("UALICE", s.ch, "phase containment")() },
			effects: []func() int{events(incident.EventPhase), toldPosts}},
		{name: "next-phase button", user: "UBOB", do: func() error {
			_, err := fs.Click(s.ctx, "UBOB", s.ch, card(), commands.ActionNextPhase)
			return err
		}, effects: []func() int{events(incident.EventPhase), toldPosts}},
		{name: "checklist", user: "UBOB", do: func() error {
			inc, _ := h.store.Get(s.ctx, 1)
			_, err := fs.Check(s.ctx, "UBOB", s.ch, inc.ChecklistTS[inc.Phase], "checklist:0", "0")
			return err
		}, effects: []func() int{events(incident.EventChecklist)}},
	}
	var formID string
	cases = append(cases, []struct {
		name    string
		user    string
		prepare func()
		crashAt string
		do      func() error
		effects []func() int
		answers int
	}{
		{name: "update form", user: "UBOB", prepare: func() { formID = openForm("UBOB", commands.ActionPostUpdate) },
			do: func() error {
				_, err := fs.Submit(s.ctx, "UBOB", formID, map[string]string{commands.InputText: "from the form"})
				return err
			}, effects: []func() int{events(incident.EventUpdate), stakeholderPosts, toldPosts}},
		{name: "note form", user: "UBOB", prepare: func() { formID = openForm("UBOB", commands.ActionAddNote) },
			do: func() error {
				_, err := fs.Submit(s.ctx, "UBOB", formID, map[string]string{commands.InputText: "from the form"})
				return err
			}, effects: []func() int{events(incident.EventNote)}},
		{name: "assign form", user: "UBOB", prepare: func() { formID = openForm("UBOB", commands.ActionAssignRole) },
			do: func() error {
				_, err := fs.Submit(s.ctx, "UBOB", formID, map[string]string{commands.InputRole: "tech", commands.InputUser: "UBOB"})
				return err
			}, effects: []func() int{events(incident.EventRole), toldPosts}, answers: 1}, // the role briefing
		{name: "update form, crash after its posts", user: "UBOB", crashAt: "update:stakeholders", prepare: func() { formID = openForm("UBOB", commands.ActionPostUpdate) },
			do: func() error {
				_, err := fs.Submit(s.ctx, "UBOB", formID, map[string]string{commands.InputText: "from the form, once"})
				return err
			}, effects: []func() int{events(incident.EventUpdate), stakeholderPosts, incidentPosts}},
		{name: "close", user: "UALICE", crashAt: ":resolved", do: func() error { return command("UALICE", s.ch, "close Contained and cleaned")() },
			effects: []func() int{events(incident.EventClosed), stakeholderPosts, toldPosts}, answers: 1}, // the retro prompt
		{name: "lesson", user: "UBOB", do: func() error { return command("UBOB", s.ch, "lesson well the EDR caught it")() },
			effects: []func() int{events(incident.EventLesson)}, answers: 1},
		{name: "lessons form", user: "UBOB", prepare: func() { formID = openForm("UBOB", commands.ActionAddLesson) },
			do: func() error {
				_, err := fs.Submit(s.ctx, "UBOB", formID, map[string]string{commands.InputImprove: "alerting", commands.InputAction(1): "Tune the EDR", commands.InputOwner(1): "UBOB"})
				return err
			}, effects: []func() int{events(incident.EventFollowUp)}},
		{name: "follow-up done", user: "UBOB", prepare: func() { s.command("UBOB", general, "actions") },
			do: func() error {
				e := fs.Ephemerals("UBOB")
				_, err := fs.Click(s.ctx, "UBOB", general, e[len(e)-1].TS, commands.ActionFollowUpDone)
				return err
			}, effects: []func() int{events(incident.EventFollowUp)}, answers: 1},
		{name: "postmortem", user: "UALICE", do: func() error { return command("UALICE", s.ch, "postmortem")() },
			effects: []func() int{events(incident.EventPublished), stakeholderPosts, func() int { return len(fs.Files()) / 2 }}, answers: 1},
	}...)

	for i, c := range cases {
		if c.prepare != nil {
			c.prepare()
		}
		before := make([]int, len(c.effects))
		for j, e := range c.effects {
			before[j] = e()
		}
		answered := seen(c.user)
		crash.at.Store(c.crashAt)
		crash.armed.Store(true)
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		select {
		case <-crash.crashed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no write to crash after", c.name)
		}
		// Finished requests leave the journal a moment after they finish;
		// the replica below, ten minutes ahead, would take them for abandoned.
		s.eventually(c.name+": only the crashed request left in the journal", func() bool {
			left, _ := h.store.Stale(s.ctx, time.Now().Add(time.Hour))
			return len(left) == 1
		})
		// Another replica starts and, ten minutes on by its clock, finds the request abandoned.
		later := func() time.Time { return time.Now().Add(10 * time.Minute) }
		b := h.replica(t, clocks{now: time.Now, outbound: clocktest.Instant{}, journal: later})
		// The redo is done when the replica says so and the journal is empty
		// (a replica takes an entry off the journal and puts it back as its own).
		s.eventually(c.name+": the redo", func() bool {
			left, _ := h.store.Stale(s.ctx, time.Now().Add(time.Hour))
			return len(left) == 0 && strings.Contains(b.logs.String(), `"msg":"request handled"`)
		})
		b.halt()
		if i == 0 {
			inc, err := h.store.Get(s.ctx, 1)
			if err != nil || inc.ChannelID == "" {
				t.Fatalf("the redone declare left %+v, %v", inc, err)
			}
			s.ch = inc.ChannelID
		}
		// Replayed by an attacker, the original request runs no more.
		if _, err := fs.Replay(s.ctx); err != nil {
			t.Fatal(err)
		}
		s.eventually(c.name+": the replay's journal entry to clear", func() bool {
			left, _ := h.store.Stale(s.ctx, time.Now().Add(time.Hour))
			return len(left) == 0
		})
		for j, e := range c.effects {
			if got := e() - before[j]; got != 1 {
				t.Errorf("%s: effect %d happened %d times, want once", c.name, j+1, got)
			}
		}
		want := c.answers
		if c.user == "UALICE" || c.user == "UBOB" {
			// a replayed command or click is told it ran before; a replayed form has nobody to tell
			if !strings.Contains(c.name, "form") {
				want++
			}
		}
		s.eventually(c.name+": its answers", func() bool { return seen(c.user)-answered >= want })
		if got := seen(c.user) - answered; got != want {
			t.Errorf("%s: %d answers shown, want %d", c.name, got, want)
		}
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Status != incident.Closed || len(fs.Files()) != 3 { // the postmortem, its chart and the audit log
		t.Errorf("after the postmortem: %s, %d files", inc.Status, len(fs.Files()))
	}
}

// A request its replica acknowledged and died before running at all is,
// when another replica does it, checked like any request: an update
// acknowledged before the close and done after it is refused, and the
// stakeholders hear nothing.
func TestRedoOfARequestThatNeverRanIsChecked(t *testing.T) {
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE")
	s.command("UALICE", general, "declare Late update sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	cmd := h.slack.NewCommand("UALICE", s.ch, "update attackers are still inside")
	payload, _ := json.Marshal(commands.Request{UserID: "UALICE", ChannelID: s.ch, Text: cmd.Text, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
	if _, err := h.store.Accept(s.ctx, "cmd:"+cmd.TriggerID, storage.InboxEntry{At: time.Now().Add(-10 * time.Minute), Kind: "command", Payload: payload}); err != nil {
		t.Fatal(err)
	}
	s.command("UALICE", s.ch, "close Contained")
	before, _ := h.slack.Channel(h.stakeholder)
	got := s.answer("UALICE", func() error {
		h.replica(t, clocks{now: time.Now, outbound: clocktest.Instant{}})
		return nil
	})
	if !strings.Contains(got, "INC-1 is closed") {
		t.Errorf("the late update answered %q", got)
	}
	if after, _ := h.slack.Channel(h.stakeholder); len(after.Messages) != len(before.Messages) || s.countEvents(1, incident.EventUpdate, "") != 0 {
		t.Errorf("the late update reached the stakeholders or the timeline")
	}
}

// A form acknowledged and done late, after the incident closed, is refused
// like the command; its modal is long gone, so the person is told by
// direct message, and nothing is posted.
func TestRedoOfAFormThatNoLongerPassesTellsThePerson(t *testing.T) {
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE")
	s.command("UALICE", general, "declare Late form sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	in := commands.Interaction{Kind: commands.InteractionSubmission, UserID: "UALICE", TriggerID: "TRLATE", ViewID: "VLATE", ViewHash: "hLATE",
		CallbackID: commands.ModalUpdate, PrivateMetadata: "1", Values: map[string]string{commands.InputText: "attackers are still inside"}}
	payload, _ := json.Marshal(in)
	if _, err := h.store.Accept(s.ctx, "view:VLATE:hLATE", storage.InboxEntry{At: time.Now().Add(-10 * time.Minute), Kind: "interaction", Payload: payload}); err != nil {
		t.Fatal(err)
	}
	s.command("UALICE", s.ch, "close Contained")
	before, _ := h.slack.Channel(h.stakeholder)
	h.replica(t, clocks{now: time.Now, outbound: clocktest.Instant{}})
	s.eventually("the late form's refusal", func() bool { return strings.Contains(dmOf(h.slack, "UALICE"), "was not done") })
	if got := dmOf(h.slack, "UALICE"); !strings.Contains(got, "INC-1 is closed") || !strings.Contains(got, "Nothing was changed") {
		t.Errorf("the late form's author was told %q", got)
	}
	if after, _ := h.slack.Channel(h.stakeholder); len(after.Messages) != len(before.Messages) || s.countEvents(1, incident.EventUpdate, "") != 0 {
		t.Errorf("the late form's update reached the stakeholders or the timeline")
	}
}
