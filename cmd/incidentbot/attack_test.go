package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work"
)

// hugePage would make page*40 wrap to 24 and (page-1)*40 to -16 if it
// reached storage.TimelinePage unchecked.
const hugePage = "461168601842738791"

// Socket Mode: `/incident timeline page <huge>`, which any workspace member
// may send, is refused, and the bot keeps answering.
func TestTimelineHugePageDoesNotKillTheBot(t *testing.T) {
	bin := buildBinary(t)
	fs := fakeslack.New()
	defer fs.Close()
	srv := redistest.Start(t)
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"SLACK_BOT_TOKEN=" + fs.BotToken, "SLACK_APP_TOKEN=" + fs.AppToken, "SLACK_API_URL=" + fs.APIURL(),
		"REDIS_URL=" + srv.URL(), "HTTP_ADDR=" + addr}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	fs.Await(t, "the socket mode connection", fs.SocketConnected)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	general := fs.CreateChannel("general", false, "UALICE", "UBOB")
	if _, err := fs.Command(ctx, "UALICE", general, "declare Worm outbreak sev2"); err != nil {
		t.Fatal(err)
	}
	fs.Await(t, "the declare confirmation", func() bool { return len(fs.Ephemerals("UALICE")) == 1 })

	_, err := fs.Command(ctx, "UBOB", general, "timeline INC-1 page "+hugePage)
	select {
	case err := <-exited:
		out := logs.String()
		if i := strings.Index(out, "panic:"); i >= 0 {
			out = out[i:min(len(out), i+600)]
		}
		t.Fatalf("the bot exited (%v) on `/incident timeline INC-1 page %s`:\n%s", err, hugePage, out)
	case <-time.After(2 * time.Second):
	}
	if err != nil {
		t.Errorf("the command was not acknowledged: %v", err)
	}
}

// HTTP mode: the same command is answered with why the page is refused,
// not with a dropped connection.
func TestTimelineHugePageIsAnsweredOverHTTP(t *testing.T) {
	h := startBot(t, false)
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s := &script{t: t, h: h, ctx: context.Background()}
	s.command("UALICE", general, "declare Worm outbreak sev2")
	h.declared(t, "UALICE", "INC-1")
	cmd := h.slack.NewCommand("UBOB", general, "timeline INC-1 page "+hugePage)
	req, err := fakeslack.SignedRequest(context.Background(), "http://"+h.addr+"/slack/commands", signingSecret,
		"application/x-www-form-urlencoded", cmd.Form(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the acknowledgement of `timeline page %s` never came: %v", hugePage, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "page") {
		t.Errorf("answered %d %s", resp.StatusCode, body)
	}
}

// What the stakeholder batch carries of hostile titles,
// a private incident and a drill, with two replicas and the real cron.
func TestStakeholderBatchHostileText(t *testing.T) {
	t.Parallel()
	yaml := `severities:
  - {name: sev1, description: "Critical", update_every: 2s}
  - {name: sev2, description: "Major", update_every: 0}
default_severity: sev2
nudge_before: 0s
roles:
  - {key: commander, name: "Incident Commander <!channel>"}
  - {key: comms, name: "Comms <https://evil.example|lead> <!here>"}
`
	h := rateLimitedHarness(t)
	fs := h.slack
	ctx := context.Background()
	start := time.Now()
	titles := []string{
		"<!channel> wire money now", "<!here> <https://evil.example/login|Reset your password>", "\u202egnp.exe admin",
		"line one\nline two\n\n*bold* > quote", `{"text":"<!channel>","blocks":[{"type":"section"}]}`,
		strings.Repeat("&<>", 1100), "<@UBOB|bob> <#C0000001|general> <!subteam^S1|@secops>",
		"SECRET private title", "DRILL title",
	}
	for _, title := range titles {
		n, _ := h.store.NextNumber(ctx)
		ch := fs.CreateChannel(fmt.Sprintf("inc-%d", n), false, fs.BotUserID, "UALICE")
		inc := &incident.Incident{Number: n, Title: title, Severity: "sev1", Phase: incident.Containment,
			Status: incident.Open, DeclaredBy: "UALICE", DeclaredAt: start, PhaseStartedAt: start, ChannelID: ch,
			Roles: map[string]string{incident.CommanderRole: "UALICE", "comms": "UBOB"}, Members: []string{"UALICE"},
			Private: strings.HasPrefix(title, "SECRET"), Drill: strings.HasPrefix(title, "DRILL"),
			LastUpdate: "<!channel> " + title}
		if err := h.store.Create(ctx, inc, incident.Declared(start, "UALICE", inc.Title, inc.Severity)); err != nil {
			t.Fatal(err)
		}
	}
	real := clocks{now: time.Now, outbound: work.RealClock{}}
	h.launch(t, false, true, real, yaml)
	r := &harness{slack: fs, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
	r.launch(t, false, false, real, yaml)
	fs.Await(t, "two stakeholder messages", func() bool { c, _ := fs.Channel(h.stakeholder); return len(c.Messages) >= 2 })
	time.Sleep(3 * time.Second)
	stake, _ := fs.Channel(h.stakeholder)
	for _, m := range stake.Messages {
		raw := m.Text
		for _, b := range m.Blocks {
			raw += fmt.Sprint(b)
		}
		if live := render.Live(raw); len(live) > 0 {
			t.Errorf("live markup reached the stakeholders: %q", live)
		}
		if strings.Contains(m.Visible(), "SECRET") || strings.Contains(m.Visible(), "DRILL") {
			t.Errorf("a private or drill incident's title reached the stakeholders: %.300q", m.Visible())
		}
	}
	for _, hh := range []*harness{h, r} {
		if strings.Contains(hh.logs.String(), "neutralized live markup") || strings.Contains(hh.logs.String(), "could not post scheduled updates") {
			t.Errorf("log: %s", hh.logs.String())
		}
	}
	t.Logf("%d stakeholder messages; the first: %.600s", len(stake.Messages), stake.Messages[0].Visible())
}

// A private incident asked about from outside, by number,
// from another channel, from a DM and from another incident's channel, with
// every subcommand answered in the acknowledgement, answers exactly as a
// missing incident; hostile unknown subcommands are answered safely.
func TestInlineAnswersToOutsiders(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			h := startBot(t, transport == "socket")
			s := &script{t: t, h: h, ctx: context.Background()}
			general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
			s.command("UALICE", general, "declare Insider exfiltration sev2 --private")
			h.declared(t, "UALICE", "INC-1")
			s.command("UDAVE", general, "declare Public one sev3")
			other := h.declared(t, "UDAVE", "INC-2")
			dm := h.slack.CreateChannel("dm-dave", true, "UDAVE")
			for _, where := range []string{general, dm, other.ID} {
				for _, q := range []string{"status %s", "roles %s", "timeline %s", "timeline %s page 2", "status %s extra", "roles %s page"} {
					private := s.command("UDAVE", where, fmt.Sprintf(q, "INC-1"))
					missing := s.command("UDAVE", where, fmt.Sprintf(q, "INC-99"))
					if incRef.ReplaceAllString(private, "INC-n") != incRef.ReplaceAllString(missing, "INC-n") || strings.Contains(private, "Insider") {
						t.Errorf("%s in %s: private %q, missing %q", fmt.Sprintf(q, "INC-1"), where, private, missing)
					}
				}
				for _, q := range []string{"list", "actions"} {
					if got := s.command("UDAVE", where, q); strings.Contains(got, "Insider") || strings.Contains(got, "INC-1") {
						t.Errorf("%s in %s shows the private incident: %q", q, where, got)
					}
				}
			}
			long := strings.Repeat("x", 3500)
			for _, text := range []string{"<!channel>", "<!here|@here>", "<https://evil.example|x>", "\u202eevil", "`<!channel>`",
				"```", `{"response_type":"in_channel","text":"<!channel>"}`, long, "<@UALICE>", "&lt;!channel&gt;"} {
				cmd := h.slack.NewCommand("UDAVE", general, "")
				cmd.Text = text
				before := len(h.slack.Ephemerals("UDAVE"))
				if transport == "socket" {
					ack, err := h.slack.SendEnvelope(s.ctx, "slash_commands", cmd)
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(string(ack.Payload), "in_channel") && !strings.Contains(string(ack.Payload), "incident") {
						t.Errorf("ack %s", ack.Payload)
					}
					h.slack.ShowAck(cmd, fakeslack.Delivered{Body: ack.Payload, Elapsed: ack.Elapsed})
				} else {
					h.postCommand(t, cmd, signingSecret, time.Now())
				}
				s.await("the answer to "+text[:min(len(text), 20)], func() bool { return len(h.slack.Ephemerals("UDAVE")) > before })
				got := h.slack.Ephemerals("UDAVE")[before]
				if len(got.Visible()) > 3500 {
					t.Errorf("answer to a %d-character subcommand is %d characters", len(text), len(got.Visible()))
				}
			}
			if live := h.slack.Live(); len(live) > 0 {
				t.Errorf("live: %q", live)
			}
			if strings.Contains(h.logs.String(), "neutralized live markup") {
				t.Error("the outbound guard had to neutralize something")
			}
		})
	}
}

// Redis frozen (SIGSTOP) while inline answers are asked
// for: each is acknowledged within 3 s with the safe message.
func TestInlineAnswersWithRedisFrozen(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			h := startBot(t, transport == "socket")
			s := &script{t: t, h: h, ctx: context.Background()}
			general := h.slack.CreateChannel("general", false, "UALICE")
			s.command("UALICE", general, "declare Before the freeze sev3")
			s.ch = h.declared(t, "UALICE", "INC-1").ID
			h.redis.Freeze(t)
			defer h.redis.Thaw()
			for _, text := range []string{"status", "timeline", "roles", "list", "help", "bogus"} {
				got := s.command("UALICE", s.ch, text)
				t.Logf("%s: %.160q", text, got)
				if strings.Contains(got, "redis") || strings.Contains(got, "i/o timeout") || strings.Contains(got, h.redis.Addr) {
					t.Errorf("%s with Redis frozen showed %q", text, got)
				}
			}
		})
	}
}

func TestInlineAnswersHostileConfigAndReplay(t *testing.T) {
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			h := startBotWith(t, transport == "socket", time.Now, `severities:
  - {name: sev1, description: "<!channel> <https://evil.example|click> \u202eetalp", update_every: 0}
  - {name: sev2, description: "<!here>", update_every: 0}
  - {name: sev3, description: "ok", update_every: 0}
roles:
  - {key: commander, name: "IC <!everyone> <https://evil.example|x>"}
`)
			s := &script{t: t, h: h, ctx: context.Background()}
			general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
			s.command("UALICE", general, "declare <!channel> `x` sev1")
			s.ch = h.declared(t, "UALICE", "INC-1").ID
			for _, q := range []string{"help", "status", "list", "roles", "timeline", "nonsense <!here>"} {
				s.command("UBOB", s.ch, q)
			}
			s.command("UBOB", s.ch, "status")
			got := s.answer("UBOB", func() error { _, err := h.slack.Replay(s.ctx); return err })
			if !strings.Contains(got, repeatedAnswer) {
				t.Errorf("a replayed status answered %q", got)
			}
			if live := h.slack.Live(); len(live) > 0 {
				t.Errorf("live: %q", live)
			}
			if strings.Contains(h.logs.String(), "neutralized live markup") {
				t.Error("the outbound guard had to neutralize something")
			}
		})
	}
}
