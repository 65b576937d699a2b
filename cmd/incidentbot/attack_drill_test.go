package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work/clocktest"
	"github.com/redis/go-redis/v9"
)

// msgs returns the visible texts of the bot's messages in a channel containing marker.
func msgsWith(h *harness, channel, marker string) []string {
	c, _ := h.slack.Channel(channel)
	var out []string
	for _, m := range c.Messages {
		if strings.Contains(m.Visible(), marker) {
			out = append(out, m.Visible())
		}
	}
	return out
}

// A forged merge form naming a drill is refused: a real report never goes into a drill.
func TestAttackDrillForgedMergeIntoDrill(t *testing.T) {
	t.Parallel()
	b := startTriageBotWith(t, "UFRANK")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UBOB", general, "drill phishing")
	s.command("UALICE", general, "declare Real phish sev3")
	b.declared(t, "UALICE", "INC-2")
	s.command("UERIN", general, "report my password was phished for real")
	card := b.card(t, "RPT-1", "Waiting since")
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportMerge, commands.ModalMerge)
	if strings.Contains(string(f.JSON), `"value":"1"`) {
		t.Errorf("the merge form offers the drill")
	}
	d, _ := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputIncident: "1"})
	t.Logf("forged merge into drill INC-1: %s", d.Body)
	time.Sleep(time.Second)
	if r := b.report(t, 1); r.State != incident.ReportOpen {
		t.Errorf("a real report was merged into drill INC-1 by a forged form: state %s, incident %d; reporter DM: %q", r.State, r.Incident, dmOf(b.slack, "UERIN"))
	}
}

// /incident list marks a drill for its participants and admins.
func TestAttackDrillListedUnmarked(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"admins: [UERIN]\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE", "UERIN")
	s.command("UALICE", general, "drill ransomware <@UBOB|bob>")
	for _, u := range []string{"UBOB", "UERIN"} {
		shown := s.command(u, general, "list")
		if strings.Contains(shown, "INC-1") && !strings.Contains(shown, "DRILL") && !strings.Contains(shown, "drill") {
			t.Errorf("/incident list for %s shows the drill unmarked: %q", u, shown)
		}
	}
	if shown := s.command("UDAVE", general, "list"); strings.Contains(shown, "INC-1") {
		t.Errorf("list leaks to UDAVE: %q", shown)
	}
	shown := s.command("UDAVE", general, "status INC-1")
	t.Logf("status INC-1 for a non-participant: %q", shown)
	if st, _ := h.slack.Channel(h.stakeholder); len(st.Messages) != 0 {
		t.Errorf("stakeholders heard: %q", st.Messages[0].Visible())
	}
}

// A drill's follow-up action (added through the retro form) is listed by
// /incident actions only to the drill's participants.
func TestAttackDrillActions(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	s.command("UALICE", general, "drill ransomware")
	inc, _ := h.store.Get(s.ctx, 1)
	s.ch = inc.ChannelID
	s.command("UALICE", inc.ChannelID, "drill end")
	s.await("score card", func() bool { return len(msgsWith(h, inc.ChannelID, "Score card")) == 1 })
	// The retro prompt's button opens the form.
	var ts string
	c, _ := h.slack.Channel(inc.ChannelID)
	for _, m := range c.Messages {
		if strings.Contains(string(m.Blocks), commands.ActionAddLesson) {
			ts = m.TS
		}
	}
	if ts == "" {
		t.Fatal("the closed drill has no Add lessons learned button")
	}
	before := len(h.slack.Views("UALICE"))
	if _, err := h.slack.Click(s.ctx, "UALICE", inc.ChannelID, ts, commands.ActionAddLesson); err != nil {
		t.Fatal(err)
	}
	s.await("retro form", func() bool { return len(h.slack.Views("UALICE")) > before })
	v := h.slack.Views("UALICE")[before]
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{commands.InputAction(1): "Restore BK-01 from offline backups"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	shown := s.command("UDAVE", general, "actions")
	if strings.Contains(shown, "Restore BK-01") && !strings.Contains(shown, "DRILL") {
		t.Errorf("/incident actions for a non-participant lists the drill's action unmarked: %q", shown)
	}
}

const hostileDrill = `drills:
  - key: hostile
    title: "<!channel> Evil <@UDAVE> <https://evil.example|click> \u202eroloc <#C123>"
    severity: sev1
    briefing: "<!here> briefing <@UDAVE> <https://evil.example|login> *bold* \u202e"
    targets: {containment: 1m}
    injects:
      - {at: 0s, text: "<!channel> inject <@UDAVE> <https://evil.example|here> <!subteam^S123> \u2066x", to: tech}
      - {at: 0s, text: "INJECTLONG%s"}
`

func TestAttackDrillHostileScenario(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	yaml := fmt.Sprintf(hostileDrill, strings.Repeat("x", 1980))
	h := startBotWith(t, false, clock.Now, quietSeverities+yaml)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	shown := s.command("UALICE", general, "drill hostile <@UBOB|bob>")
	t.Logf("start: %q", shown)
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.command("UALICE", inc.ChannelID, "assign tech <@UBOB|bob>")
	clock.Advance(time.Second)
	s.eventually("2 injects", func() bool { return s.countEvents(1, incident.EventInject, "") >= 2 })
	s.command("UALICE", inc.ChannelID, "drill end")
	s.await("score card", func() bool { return len(msgsWith(h, inc.ChannelID, "Score card")) == 1 })
	s.command("UALICE", general, "drill history")
	s.command("UALICE", general, "drill history hostile")
	s.command("UALICE", general, "drill history <!channel>")
	s.command("UALICE", general, "drill <!channel>")
	s.command("UALICE", general, "drill hostile <!here> <@UDAVE>")
	if _, err := h.slack.Command(s.ctx, "UALICE", general, "drill"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("live markup reached Slack:\n%s", strings.Join(live, "\n"))
	}
	for _, c := range h.slack.Calls("chat.postMessage") {
		if c.Error != "" {
			t.Errorf("chat.postMessage failed with %s: %.300s", c.Error, c.Params.Get("blocks"))
		}
	}
	if n := len(msgsWith(h, inc.ChannelID, "INJECTLONG")); n != 1 {
		t.Errorf("long inject posted %d times", n)
	}
}

// 40 injects all due at the start: each posted once within Block Kit limits;
// the score card counts them.
func TestAttackDrillFortyInjects(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("drills:\n  - key: forty\n    title: \"" + strings.Repeat("T", 500) + "\"\n    briefing: \"" + strings.Repeat("B", 2000) + "\"\n    targets: {containment: 1m, eradication: 2m, recovery: 3m}\n    injects:\n")
	for i := range 40 {
		fmt.Fprintf(&b, "      - {at: 0s, text: \"inject-%02d %s\"}\n", i, strings.Repeat("y", 1900))
	}
	h := startBotWith(t, false, time.Now, quietSeverities+b.String())
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "drill forty")
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(70 * time.Second)
	for time.Now().Before(deadline) && s.countEvents(1, incident.EventInject, "") < 40 {
		time.Sleep(200 * time.Millisecond)
	}
	if n := s.countEvents(1, incident.EventInject, ""); n != 40 {
		t.Errorf("%d injects on the timeline", n)
	}
	for i := range 40 {
		if n := len(msgsWith(h, inc.ChannelID, fmt.Sprintf("inject-%02d", i))); n != 1 {
			t.Errorf("inject %d posted %d times", i, n)
		}
	}
	s.command("UALICE", inc.ChannelID, "drill end")
	s.await("score card", func() bool { return len(msgsWith(h, inc.ChannelID, "Score card")) == 1 })
	for _, c := range h.slack.Calls("") {
		if c.Error != "" && c.Error != "already_in_channel" {
			t.Errorf("%s failed with %s", c.Method, c.Error)
		}
	}
	t.Logf("score card: %q", msgsWith(h, inc.ChannelID, "Score card")[0])
}

// Two injects that fall due together (a restart, or a phase jump): the team
// answers both, one after the other, and the score card counts both.
func TestAttackDrillSimultaneousInjectsScore(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	h := startBotWith(t, false, clock.Now, quietSeverities+tabletop)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "drill tabletop")
	inc, _ := h.store.Get(s.ctx, 1)
	clock.Advance(21 * time.Minute) // both at-injects due (as after an outage)
	s.eventually("two injects", func() bool { return s.countEvents(1, incident.EventInject, "") >= 2 })
	clock.Advance(time.Minute)
	s.command("UALICE", inc.ChannelID, "note hash blocked; journalist referred to comms")
	clock.Advance(time.Minute)
	s.command("UALICE", inc.ChannelID, "update both handled")
	clock.Advance(time.Minute)
	s.command("UALICE", inc.ChannelID, "drill end")
	var card string
	s.await("score card", func() bool {
		c := msgsWith(h, inc.ChannelID, "Score card")
		if len(c) == 1 {
			card = c[0]
		}
		return card != ""
	})
	if !strings.Contains(card, "2 of 2") {
		t.Errorf("two injects posted together and both answered: score card says %q", grepAround(card, "Injects answered"))
	}
}

func grepAround(s, marker string) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return s
	}
	return s[i:min(len(s), i+60)]
}

// Jumping straight to recovery: the containment inject is posted (the team
// went past containment), and the score card counts containment as reached then.
func TestAttackDrillPhaseJump(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	h := startBotWith(t, false, clock.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "drill ransomware")
	inc, _ := h.store.Get(s.ctx, 1)
	clock.Advance(10 * time.Minute)
	shown := s.command("UALICE", inc.ChannelID, "phase recovery")
	t.Logf("phase recovery: %q", shown)
	s.eventually("injects", func() bool { return s.countEvents(1, incident.EventInject, "") >= 3 })
	// back and forth: no repeat
	clock.Advance(time.Minute)
	t.Logf("back: %q", s.command("UALICE", inc.ChannelID, "phase containment because testing"))
	clock.Advance(time.Minute)
	s.command("UALICE", inc.ChannelID, "phase recovery")
	time.Sleep(2 * time.Second)
	if n := len(msgsWith(h, inc.ChannelID, "second C2 domain")); n != 1 {
		t.Errorf("containment inject posted %d times", n)
	}
	if n := len(msgsWith(h, inc.ChannelID, "72-hour")); n != 1 {
		t.Errorf("recovery inject posted %d times", n)
	}
	s.command("UALICE", inc.ChannelID, "drill end")
	var card string
	s.await("score card", func() bool {
		c := msgsWith(h, inc.ChannelID, "Score card")
		if len(c) == 1 {
			card = c[0]
		}
		return card != ""
	})
	t.Logf("card: %s", card)
	if strings.Contains(card, "Containment: not reached") {
		t.Errorf("the containment inject was posted as reached, the score card says containment not reached:\n%s", card)
	}
}

// drill end: outside a drill, by a non-commander, twice, concurrently with close.
func TestAttackDrillEndRaces(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
	if got := s.command("UALICE", general, "drill end"); !strings.Contains(got, "drill's channel") {
		t.Errorf("drill end in general: %q", got)
	}
	s.command("UALICE", general, "declare Real one sev2")
	real, _ := h.store.Get(s.ctx, 1)
	if got := s.command("UALICE", real.ChannelID, "drill end"); !strings.Contains(got, "drill's channel") {
		t.Errorf("drill end in a real incident: %q", got)
	}
	for round := range 5 {
		s.command("UALICE", general, "drill phishing")
		n := int64(round + 2)
		inc, err := h.store.Get(s.ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.command("UCAROL", inc.ChannelID, "drill end"); !strings.Contains(got, "Only") {
			t.Errorf("drill end by a non-commander: %q", got)
		}
		var wg sync.WaitGroup
		for _, text := range []string{"drill end", "close", "drill end"} {
			wg.Go(func() { _, _ = h.slack.Command(s.ctx, "UALICE", inc.ChannelID, text) })
		}
		wg.Wait()
		time.Sleep(1500 * time.Millisecond)
		if got := len(msgsWith(h, inc.ChannelID, "Score card")); got != 1 {
			t.Errorf("round %d: %d score cards", round, got)
		}
		if got := s.countEvents(n, incident.EventPhase, ""); got < 1 {
			t.Errorf("no phase events")
		}
	}
	scores, _ := h.store.DrillScores(s.ctx)
	if len(scores) != 5 {
		t.Errorf("%d scores kept; want 5", len(scores))
	}
	if got := s.command("UALICE", general, "drill history"); !strings.Contains(got, "Drills (5)") {
		t.Errorf("history: %q", got)
	}
}

// The drill form, forged: a channel ID, the bot, a huge list, a forged scenario.
func TestAttackDrillFormForged(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	open := func() string {
		before := len(h.slack.Views("UALICE"))
		if _, err := h.slack.Command(s.ctx, "UALICE", general, "drill"); err != nil {
			t.Fatal(err)
		}
		s.await("form", func() bool { return len(h.slack.Views("UALICE")) > before })
		return h.slack.Views("UALICE")[before].ID
	}
	for _, vals := range []map[string]string{
		{"scenario": "nosuch", "people": "UDAVE"},
		{"scenario": "ransomware", "people": general},
		{"scenario": "ransomware", "people": "<!channel>"},
	} {
		d, _ := h.slack.Submit(s.ctx, "UALICE", open(), vals)
		if !strings.Contains(string(d.Body), "errors") {
			t.Errorf("forged %v accepted: %s", vals, d.Body)
		}
	}
	d, _ := h.slack.Submit(s.ctx, "UALICE", open(), map[string]string{"scenario": "ransomware", "people": h.slack.BotUserID + ",UDAVE"})
	t.Logf("with the bot: %s", d.Body)
	var many []string
	for i := range 500 {
		many = append(many, fmt.Sprintf("U%08d", i))
	}
	d, _ = h.slack.Submit(s.ctx, "UALICE", open(), map[string]string{"scenario": "ransomware", "people": strings.Join(many, ",")})
	t.Logf("500 people: %s", d.Body)
	time.Sleep(3 * time.Second)
	for _, n := range []int64{1, 2} {
		inc, err := h.store.Get(s.ctx, n)
		if err != nil {
			t.Logf("INC-%d: %v", n, err)
			continue
		}
		t.Logf("INC-%d drill=%v members=%d", n, inc.Drill, len(inc.Members))
		if len(inc.Members) > 100 {
			t.Errorf("a forged drill form invited %d members", len(inc.Members))
		}
	}
	t.Logf("DMs to UALICE: %q", dmOf(h.slack, "UALICE"))
}

// A restart with the scenario changed, then with it removed: a running
// drill keeps the scenario it began with (its injects and targets), and a
// removed scenario keeps its history.
func TestAttackDrillScenarioRemovedOnRestart(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	cl := clocks{now: clock.Now, outbound: clocktest.Instant{}}
	h := startBotWith(t, false, clock.Now, quietSeverities+tabletop)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "drill tabletop")
	s.command("UALICE", general, "drill tabletop")
	inc, _ := h.store.Get(s.ctx, 1)
	inc2, _ := h.store.Get(s.ctx, 2)
	clock.Advance(6 * time.Minute)
	s.eventually("first inject", func() bool { return s.countEvents(1, incident.EventInject, "") >= 1 })
	h.halt()
	// The scenario now has a single inject on containment.
	shrunk := "drills:\n  - key: tabletop\n    title: Tabletop\n    injects:\n      - {on: containment, text: shrunk inject}\n"
	r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
	r.launch(t, false, true, cl, quietSeverities+shrunk)
	clock.Advance(20 * time.Minute)
	s.command("UALICE", inc.ChannelID, "phase next")
	time.Sleep(2 * time.Second)
	if len(msgsWith(h, inc.ChannelID, "shrunk inject")) != 0 || len(msgsWith(h, inc.ChannelID, "second C2 domain")) != 1 {
		x, _ := h.store.Get(s.ctx, 1)
		t.Errorf("a running drill did not keep its scenario's injects: sent %v", x.InjectsSent)
	}
	r.halt()
	r2 := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
	r2.launch(t, false, true, cl, quietSeverities) // tabletop gone
	h = r2
	clock.Advance(20 * time.Minute)
	s.command("UALICE", inc2.ChannelID, "phase next")
	time.Sleep(2 * time.Second)
	for _, c := range []string{inc.ChannelID, inc2.ChannelID} {
		s.command("UALICE", c, "drill end")
	}
	s.await("score cards", func() bool {
		return len(msgsWith(h, inc.ChannelID, "Score card")) == 1 && len(msgsWith(h, inc2.ChannelID, "Score card")) == 1
	})
	if strings.Contains(h.logs.String(), "panic") {
		t.Errorf("a panic in the log")
	}
	if got := s.command("UALICE", general, "drill history tabletop"); !strings.Contains(got, "*INC-2* `tabletop`") || !strings.Contains(got, "*INC-1* `tabletop`") {
		t.Errorf("the history of a removed scenario: %q", got)
	}
	if card := msgsWith(h, inc2.ChannelID, "Score card"); len(card) != 1 || !strings.Contains(card[0], "(target 30m)") {
		t.Errorf("the second drill's card lost its targets: %q", card)
	}
}

func TestAttackDrillConfig(t *testing.T) {
	dup := "drills:\n  - key: vpn\n    title: First\n  - key: vpn\n    title: Second\n"
	f, err := config.ParseFile([]byte(dup))
	if err == nil {
		sc, _ := f.Scenario("vpn")
		t.Errorf("duplicate drills keys accepted; vpn is %q", sc.Title)
	}
	f, err = config.ParseFile([]byte("drills:\n  - key: Ransomware\n    title: Mine\n  - key: ransomware\n    title: Again\n"))
	t.Logf("two overrides of ransomware: err=%v", err)
	id := "drills:\n  - key: vpn\n    title: V\n    targets: {identification: 5m}\n"
	if _, err = config.ParseFile([]byte(id)); err == nil {
		t.Errorf("a target for identification (reached at the start, never scored) accepted")
	}
	var many strings.Builder
	many.WriteString("drills:\n")
	for i := range 120 {
		fmt.Fprintf(&many, "  - {key: s%d, title: S%d}\n", i, i)
	}
	if f, err = config.ParseFile([]byte(many.String())); err == nil {
		t.Errorf("%d scenarios accepted; the drill form's select takes at most 100 options", len(f.Drills))
	}
	for _, bad := range []string{
		"drills:\n  - key: vpn\n    title: V\n    severity: sev9\n",
		"drills:\n  - key: vpn\n    title: V\n    injects:\n      - {at: 5m, on: containment, text: x}\n",
		"drills:\n  - key: vpn\n    title: V\n    injects:\n      - {on: triage, text: x}\n",
		"drills:\n  - key: vpn\n    title: V\n    injects:\n      - {at: -5m, text: x}\n",
		"drills:\n  - key: vpn\n    title: V\n    injects:\n      - {at: 5m, text: x, to: nobody}\n",
		"drills:\n  - key: end\n    title: V\n",
		"drills:\n  - key: vpn\n    title: V\n    targets: {containment: 0s}\n",
		"drills:\n  - key: vpn\n    title: V\n    bogus: 1\n",
		"drills:\n  - key: vpn\n    title: \"  \"\n",
	} {
		_, err := config.ParseFile([]byte(bad))
		t.Logf("%q -> %v", bad, err)
		if err == nil || !strings.Contains(err.Error(), "drills[0]") && !strings.Contains(err.Error(), "bogus") {
			t.Errorf("%q accepted or key not named: %v", bad, err)
		}
	}
}

// A replica dies right after a drill's start or end writes; another does it again.
func TestAttackDrillCrashRedo(t *testing.T) {
	for _, at := range []string{"start", "end", "end:scorecard"} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			fs := fakeslackNew(t)
			h := &harness{slack: fs, redis: redistestStart(t)}
			h.store = storageNew(h.redis.Client(t))
			h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
			crash := &crasher{crashed: make(chan string, 1)}
			h.launch(t, false, true, clocks{now: time.Now, outbound: clocktest.Instant{}, afterWrite: crash.afterWrite}, quietSeverities)
			s := &script{t: t, h: h, ctx: context.Background()}
			general := fs.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
			cmd := "drill phishing"
			if at != "start" {
				s.command("UALICE", general, "drill phishing")
				inc, _ := h.store.Get(s.ctx, 1)
				general = inc.ChannelID
				cmd = "drill end"
			}
			crash.at.Store("")
			if at == "end:scorecard" {
				crash.at.Store(":scorecard")
			}
			crash.armed.Store(true)
			if _, err := fs.Command(s.ctx, "UALICE", general, cmd); err != nil {
				t.Fatal(err)
			}
			select {
			case e := <-crash.crashed:
				t.Logf("crashed after %s", e)
			case <-time.After(10 * time.Second):
				t.Fatal("no crash")
			}
			redo(t, h, s)
			time.Sleep(time.Second)
			inc, err := h.store.Get(s.ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.store.Get(s.ctx, 2); err == nil {
				t.Errorf("two drills from one request")
			}
			if n := len(msgsWith(h, inc.ChannelID, "*Briefing*")); n != 1 {
				t.Errorf("%d briefings", n)
			}
			if at != "start" {
				if n := len(msgsWith(h, inc.ChannelID, "Score card")); n != 1 {
					t.Errorf("%d score cards after the redo (status %s)", n, inc.Status)
				}
				scores, _ := h.store.DrillScores(s.ctx)
				if len(scores) != 1 {
					t.Errorf("%d scores kept", len(scores))
				}
				if n := len(msgsWith(h, inc.ChannelID, "lessons")); n < 1 {
					t.Errorf("no retro prompt")
				}
			}
			if st, _ := fs.Channel(h.stakeholder); len(st.Messages) != 0 {
				t.Errorf("stakeholders heard: %q", st.Messages[0].Visible())
			}
		})
	}
}

func fakeslackNew(t *testing.T) *fakeslack.Server {
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	return fs
}
func redistestStart(t *testing.T) *redistest.Server     { return redistest.Start(t) }
func storageNew(c redis.UniversalClient) *storage.Store { return storage.New(c) }

func TestAttackDrillHistorySixty(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UDAVE")
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 60 {
		sc := incident.DrillScore{Incident: int64(i + 1), Scenario: []string{"phishing", "ransomware"}[i%2], Started: base.Add(time.Duration(i) * time.Hour),
			Ended: base.Add(time.Duration(i)*time.Hour + 40*time.Minute), Reached: map[incident.Phase]time.Duration{incident.Containment: 12 * time.Minute}, Injects: 3, Answered: 2}
		if err := h.store.SaveDrillScore(s.ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"drill history", "drill history phishing", "drill history PHISHING", "drill history nosuch", "drill history phishing extra"} {
		got := s.command("UDAVE", general, q)
		t.Logf("%s -> %.200q", q, got)
	}
	for _, c := range h.slack.Calls("") {
		if c.Error != "" {
			t.Errorf("%s failed: %s", c.Method, c.Error)
		}
	}
	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("live: %q", live)
	}
}

// The team does nothing at all after an inject and the drill is ended: the
// inject is not answered (the end is not an answer).
func TestAttackDrillEndCountsAsAnswer(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	h := startBotWith(t, false, clock.Now, quietSeverities+tabletop)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "drill tabletop")
	inc, _ := h.store.Get(s.ctx, 1)
	clock.Advance(6 * time.Minute)
	s.eventually("inject", func() bool { return s.countEvents(1, incident.EventInject, "") >= 1 })
	clock.Advance(time.Minute)
	s.command("UALICE", inc.ChannelID, "drill end")
	var card string
	s.await("score card", func() bool {
		c := msgsWith(h, inc.ChannelID, "Score card")
		if len(c) == 1 {
			card = c[0]
		}
		return card != ""
	})
	tl, _ := h.store.Timeline(s.ctx, 1)
	for _, ev := range tl {
		t.Logf("%s %s actor=%q phase=%q", ev.At.Format("15:04:05.000"), ev.Kind, ev.Actor, ev.Phase)
	}
	if !strings.Contains(card, "0 of 1") {
		t.Errorf("nobody answered the inject, the score card says %q", grepAround(card, "Injects answered"))
	}
	if strings.Contains(card, "Lessons learned: after") {
		t.Errorf("ending the drill counts as reaching Lessons learned: %q", grepAround(card, "Lessons learned: after"))
	}
}

// The same with the real clock, whose nanoseconds the timeline does not keep.
func TestAttackDrillEndCountsAsAnswerRealClock(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"drills:\n  - key: zero\n    title: Zero\n    injects:\n      - {at: 0s, text: first news}\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "drill zero")
	inc, _ := h.store.Get(s.ctx, 1)
	s.eventually("inject", func() bool { return s.countEvents(1, incident.EventInject, "") >= 1 })
	s.command("UALICE", inc.ChannelID, "drill end")
	var card string
	s.await("score card", func() bool {
		c := msgsWith(h, inc.ChannelID, "Score card")
		if len(c) == 1 {
			card = c[0]
		}
		return card != ""
	})
	tl, _ := h.store.Timeline(s.ctx, 1)
	after, _ := h.store.Get(s.ctx, 1)
	for _, ev := range tl {
		t.Logf("%s %s actor=%q phase=%q", ev.At.Format("15:04:05.000000000"), ev.Kind, ev.Actor, ev.Phase)
	}
	t.Logf("resolved at %s", after.ResolvedAt.Format("15:04:05.000000000"))
	if !strings.Contains(card, "0 of 1") {
		t.Errorf("nobody answered the inject, the score card says %q", grepAround(card, "Injects answered"))
	}
}

func TestAttackDrillCheckConfig(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/c.yaml"
	for _, body := range []string{
		"drills:\n  - key: vpn\n    title: V\n    injects:\n      - {on: triage, text: x}\n",
		"drills:\n  - key: vpn\n    title: V\n  - key: vpn\n    title: W\n",
		"drills:\n  - key: vpn\n    title: V\n    targets: {containment: 5m, containment: 6m}\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "INCIDENT_CONFIG": path}
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"check-config"}, func(k string) string { return env[k] }, &out, &errOut)
		t.Logf("%q -> %d %q", body, code, strings.TrimSpace(errOut.String()))
	}
}

// A follow-up's owner from outside the drill sees their action and may mark it done.
func TestAttackDrill2FollowUpOwner(t *testing.T) {
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UDAVE")
	s.command("UALICE", general, "drill ransomware")
	inc, _ := h.store.Get(s.ctx, 1)
	s.ch = inc.ChannelID
	s.command("UALICE", inc.ChannelID, "drill end")
	s.await("score card", func() bool { return len(msgsWith(h, inc.ChannelID, "Score card")) == 1 })
	var ts string
	c, _ := h.slack.Channel(inc.ChannelID)
	for _, m := range c.Messages {
		if strings.Contains(string(m.Blocks), commands.ActionAddLesson) {
			ts = m.TS
		}
	}
	before := len(h.slack.Views("UALICE"))
	if _, err := h.slack.Click(s.ctx, "UALICE", inc.ChannelID, ts, commands.ActionAddLesson); err != nil {
		t.Fatal(err)
	}
	s.await("retro form", func() bool { return len(h.slack.Views("UALICE")) > before })
	v := h.slack.Views("UALICE")[before]
	d, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{commands.InputAction(1): "Rotate keys", commands.InputOwner(1): "UDAVE"})
	t.Logf("submit: %v %s", err, d.Body)
	time.Sleep(time.Second)
	after, _ := h.store.Get(s.ctx, 1)
	t.Logf("followups %+v members %v", after.FollowUps, after.Members)
	shown := s.command("UDAVE", general, "actions")
	t.Logf("UDAVE actions: %q", shown)
	if !strings.Contains(shown, "Rotate keys") {
		t.Errorf("the owner UDAVE does not see their own follow-up of the drill")
	}
	for _, m := range h.slack.DirectMessages("UDAVE") {
		t.Logf("DM UDAVE: %q", m.Visible())
	}
}

// A --private drill: its channel is private, and it is not listed to others.
func TestAttackDrill2Private(t *testing.T) {
	h := startBotWith(t, false, time.Now, quietSeverities+"admins: [UERIN]\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UDAVE", "UERIN")
	out := s.command("UALICE", general, "drill ransomware --private <@UBOB|bob>")
	t.Logf("start: %q", out)
	inc, _ := h.store.Get(s.ctx, 1)
	ch, _ := h.slack.Channel(inc.ChannelID)
	t.Logf("private=%v inc.Private=%v name=%s topic=%q", ch.Private, inc.Private, ch.Name, ch.Topic)
	if !ch.Private || !inc.Private {
		t.Errorf("--private drill: channel private %v, incident private %v", ch.Private, inc.Private)
	}
	if got := s.command("UDAVE", general, "list"); strings.Contains(got, "INC-1") {
		t.Errorf("an outsider's list shows the private drill: %q", got)
	}
	for _, u := range []string{"UERIN", "UBOB"} { // an admin, a participant
		if got := s.command(u, general, "list"); !strings.Contains(got, "INC-1") || !strings.Contains(got, "[DRILL]") {
			t.Errorf("%s's list lacks the private drill: %q", u, got)
		}
	}
	if got := s.command("UDAVE", general, "status 1"); !strings.Contains(got, "no incident INC-1 that you can see") {
		t.Errorf("an outsider's status of the private drill: %q", got)
	}
}

// Someone who joined the drill channel by Slack and took part gets the
// retro DM, and its button works for them.
func TestAttackDrill2RetroDMButton(t *testing.T) {
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UDAVE")
	s.command("UALICE", general, "drill ransomware")
	inc, _ := h.store.Get(s.ctx, 1)
	s.ch = inc.ChannelID
	t.Logf("note by UDAVE in channel: %q", s.command("UDAVE", inc.ChannelID, "note I am here too"))
	s.command("UALICE", inc.ChannelID, "drill end")
	s.await("score card", func() bool { return len(msgsWith(h, inc.ChannelID, "Score card")) == 1 })
	time.Sleep(time.Second)
	var dm, ts string
	for _, ch := range h.slack.Channels() {
		if ch.DM == "UDAVE" {
			dm = ch.ID
			for _, m := range ch.Messages {
				if strings.Contains(string(m.Blocks), commands.ActionAddLesson) {
					ts = m.TS
				}
			}
		}
	}
	if ts == "" {
		t.Fatal("UDAVE, who took part, got no retro prompt by direct message")
	}
	before := len(h.slack.Views("UDAVE"))
	d, err := h.slack.Click(s.ctx, "UDAVE", dm, ts, commands.ActionAddLesson)
	t.Logf("click: %v %s", err, d.Body)
	time.Sleep(time.Second)
	if len(h.slack.Views("UDAVE")) == before {
		t.Errorf("UDAVE was sent the drill's retro prompt by DM, but its button opens nothing; ephemerals: %v", h.slack.Ephemerals("UDAVE"))
		for _, m := range h.slack.DirectMessages("UDAVE") {
			t.Logf("DM UDAVE: %q", m.Visible())
		}
	}
}
