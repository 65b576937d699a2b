package work_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// replica is one bot instance: its own handler, Slack client and scheduler,
// sharing Redis and the fake Slack with the others.
type replica struct {
	h       *commands.Handler
	sched   *work.Scheduler
	metrics *bot.Metrics
}

type cluster struct {
	slack       *fakeslack.Server
	store       *storage.Store
	clock       *clocktest.Manual
	stakeholder string
	general     string
	triage      string
	replicas    []replica
}

func newCluster(t *testing.T, n int, tune func(*config.File)) *cluster {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	c := &cluster{slack: fs, store: storage.New(redistest.Start(t).Client(t)), clock: clocktest.NewManual(t0)}
	c.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID)
	c.general = fs.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
	c.triage = fs.CreateChannel("security-triage", true, fs.BotUserID, "UBOB")
	cfg := config.Defaults()
	cfg.StakeholderChannel = c.stakeholder
	cfg.TriageChannel = c.triage
	cfg.Severities[0].UpdateEvery = 2 * time.Second
	cfg.Severities[1].UpdateEvery = 4 * time.Second
	cfg.NudgeBefore = 0
	cfg.DigestCron = "0 9 * * 1-5"
	if tune != nil {
		tune(&cfg)
	}
	log := quietLog()
	for range n {
		m := bot.NewMetrics("test")
		api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m)
		h := commands.New(cfg, c.store, bot.NewChat(api, m, clocktest.Instant{}, log), log, fs.BotUserID, c.clock.Now, nil)
		s := work.NewScheduler(c.store, h, work.SchedulerConfig{Now: c.clock.Now, Lease: 30 * time.Second, DigestCron: cfg.DigestCron}, m, log)
		c.replicas = append(c.replicas, replica{h: h, sched: s, metrics: m})
	}
	return c
}

// command runs a slash command on the first replica and returns the answer shown.
func (c *cluster) command(t *testing.T, user, channel, text string) string {
	t.Helper()
	cmd := c.slack.NewCommand(user, channel, text)
	before := len(c.slack.Ephemerals(user))
	ch, _ := c.slack.Channel(channel)
	posted := len(ch.Messages)
	res := c.replicas[0].h.Handle(context.Background(), commands.Request{UserID: user, ChannelID: channel, Text: text, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
	if shown := c.slack.Ephemerals(user); res.Outcome == work.OutcomeOK && len(shown) > before {
		return shown[len(shown)-1].Visible()
	}
	// A change is answered by what the channel is told of it.
	ch, _ = c.slack.Channel(channel)
	for _, m := range ch.Messages[min(posted, len(ch.Messages)):] {
		if res.Outcome == work.OutcomeOK && strings.Contains(string(m.Blocks), `"block_id":"`+render.ToldBlockID+`"`) {
			return m.Visible()
		}
	}
	t.Fatalf("/incident %s: %s, and no answer", text, res.Outcome)
	return ""
}

func (c *cluster) declare(t *testing.T, text string) *incident.Incident {
	t.Helper()
	c.command(t, "UALICE", c.general, "declare "+text)
	open, _ := c.store.ListOpen(context.Background())
	return open[len(open)-1]
}

// tick runs one scheduler tick on every replica at once, then the
// stakeholder posts on every replica at once.
func (c *cluster) tick() {
	var wg sync.WaitGroup
	for _, r := range c.replicas {
		wg.Go(func() { r.sched.Tick(context.Background()) })
	}
	wg.Wait()
	for _, r := range c.replicas {
		wg.Go(func() { r.sched.Stakeholders(context.Background()) })
	}
	wg.Wait()
}

// scheduled counts the scheduled updates about an incident in a channel,
// on their own or among several in one stakeholder message.
func (c *cluster) scheduled(channelID string, ref string) int {
	ch, _ := c.slack.Channel(channelID)
	n := 0
	for _, m := range ch.Messages {
		m.Text = strings.TrimPrefix(m.Text, "[DRILL] ") // a drill's says so
		if strings.HasPrefix(m.Text, "Scheduled update on "+ref+" ") {
			n++
		}
		if refs, ok := strings.CutPrefix(m.Text, "Scheduled updates on "); ok && slices.Contains(strings.Split(strings.TrimSuffix(refs, "."), ", "), ref) {
			n++
		}
	}
	return n
}

func (c *cluster) metrics(t *testing.T, r int) string {
	t.Helper()
	srv := httptest.NewServer(c.replicas[r].metrics.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestScheduledUpdatesFollowTheCadence(t *testing.T) {
	c := newCluster(t, 1, nil)
	inc := c.declare(t, "Ransomware on file server sev1")
	c.command(t, "UALICE", inc.ChannelID, "assign comms <@UCAROL>")
	step := func(d time.Duration, wantTotal int, why string) {
		t.Helper()
		c.clock.Advance(d)
		c.tick()
		if got := c.scheduled(c.stakeholder, "INC-1"); got != wantTotal {
			t.Fatalf("%s: %d scheduled updates to stakeholders, want %d", why, got, wantTotal)
		}
		if got := c.scheduled(inc.ChannelID, "INC-1"); got != wantTotal {
			t.Fatalf("%s: %d scheduled updates in the incident channel, want %d", why, got, wantTotal)
		}
	}
	step(time.Second, 0, "1s after declaring")
	step(time.Second, 1, "2s after declaring (sev1 every 2s)")
	step(0, 1, "the same second again")

	ch, _ := c.slack.Channel(c.stakeholder)
	got := ch.Messages[len(ch.Messages)-1].Visible()
	for _, want := range []string{"Scheduled update on INC-1: Ransomware on file server", "`sev1`", "Identification since <!date^",
		"Open since", "1/4 done", "Incident Commander <@UALICE>", "Communications Lead <@UCAROL>", "No update from the team yet", "<#" + inc.ChannelID + ">"} {
		if !strings.Contains(got, want) {
			t.Errorf("scheduled update lacks %q:\n%s", want, got)
		}
	}

	step(time.Second, 1, "t=3s")
	c.command(t, "UCAROL", inc.ChannelID, "update Backups verified") // t=3: the next is due at 5, not 4
	step(time.Second, 1, "t=4s, after a human update at 3s")
	step(time.Second, 2, "t=5s")
	ch, _ = c.slack.Channel(c.stakeholder)
	if got := ch.Messages[len(ch.Messages)-1].Visible(); !strings.Contains(got, "Backups verified") || !strings.Contains(got, "<@UCAROL>") {
		t.Errorf("the scheduled update lacks the latest human update:\n%s", got)
	}
	step(time.Second, 2, "t=6s")
	c.command(t, "UALICE", inc.ChannelID, "severity sev2") // t=6: every 4s from the last update at 5: due at 9
	step(time.Second, 2, "t=7s, on sev2")
	step(time.Second, 2, "t=8s, on sev2")
	step(time.Second, 3, "t=9s, on sev2")

	// Closing stops them.
	if _, err := c.store.Update(context.Background(), 1, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		i.Status = incident.Closed
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	step(4*time.Second, 3, "t=13s, closed")
	step(4*time.Second, 3, "t=17s, closed")
	if _, found, _ := c.store.Scheduled(context.Background(), 1); found {
		t.Error("a closed incident is still on the schedule")
	}
	if m := c.metrics(t, 0); !strings.Contains(m, "incidentbot_scheduled_updates_sent_total 3") {
		t.Errorf("metrics do not count 3 updates:\n%s", grep(m, "scheduled"))
	}
}

func TestPrivateAndDrillUpdates(t *testing.T) {
	c := newCluster(t, 1, nil)
	c.declare(t, "Insider exfiltration sev1 --private")
	drill := c.declare(t, "Tabletop ransomware sev1")
	if _, err := c.store.Update(context.Background(), drill.Number, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		i.Drill = true
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(2 * time.Second)
	c.tick()
	ch, _ := c.slack.Channel(c.stakeholder)
	var private, drills int
	for _, m := range ch.Messages {
		v := m.Visible()
		if strings.Contains(v, "INC-1") && strings.Contains(v, "· private incident ·") && !strings.Contains(v, "Insider") {
			private++
		}
		if strings.Contains(v, "INC-2") && !strings.Contains(v, "declared") {
			drills++
		}
	}
	if private != 1 || drills != 0 {
		t.Errorf("stakeholders got %d private-safe updates (want 1) and %d drill updates (want 0)", private, drills)
	}
	if c.scheduled(drill.ChannelID, "INC-2") != 1 {
		t.Error("the drill's own channel did not get its scheduled update")
	}
}

func TestThreeReplicasSendEachUpdateOnce(t *testing.T) {
	c := newCluster(t, 3, nil)
	var incs []*incident.Incident
	for _, title := range []string{"One sev1", "Two sev1", "Three sev1", "Four sev1", "Five sev1"} {
		incs = append(incs, c.declare(t, title))
	}
	for cycle := 1; cycle <= 20; cycle++ {
		c.clock.Advance(2 * time.Second)
		c.tick()
		for _, inc := range incs {
			if got := c.scheduled(c.stakeholder, inc.Ref()); got != cycle {
				t.Fatalf("cycle %d: %s has %d scheduled updates to stakeholders, want %d", cycle, inc.Ref(), got, cycle)
			}
			if got := c.scheduled(inc.ChannelID, inc.Ref()); got != cycle {
				t.Fatalf("cycle %d: %s has %d scheduled updates in its channel, want %d", cycle, inc.Ref(), got, cycle)
			}
		}
	}
}

func TestAReplicaDiesAfterClaiming(t *testing.T) {
	c := newCluster(t, 1, nil)
	inc := c.declare(t, "Credential stuffing sev1")
	c.clock.Advance(2 * time.Second)
	// A replica claims the due update and dies before sending it.
	claims, err := c.store.Claim(context.Background(), c.clock.Now(), 5*time.Second, 10)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim = %+v, %v", claims, err)
	}
	c.tick()
	if got := c.scheduled(c.stakeholder, inc.Ref()); got != 0 {
		t.Fatalf("the claimed update went out during the dead replica's lease (%d)", got)
	}
	c.clock.Advance(5 * time.Second)
	c.tick()
	c.tick()
	if got := c.scheduled(c.stakeholder, inc.Ref()); got != 1 {
		t.Fatalf("after the lease: %d updates, want exactly 1", got)
	}
	if m := c.metrics(t, 0); !strings.Contains(m, "incidentbot_scheduled_updates_late_total 0") {
		// due at 2s, sent at 7s: 5 s late, under the 10 s threshold
		t.Errorf("late count wrong:\n%s", grep(m, "late"))
	}
}

func TestCatchUpAfterDowntimeSendsOnce(t *testing.T) {
	c := newCluster(t, 1, nil)
	a := c.declare(t, "Alpha sev1")
	b := c.declare(t, "Beta sev1")
	c.clock.Advance(10 * time.Second) // the bot was down for five cadences
	c.tick()
	c.tick()
	for _, inc := range []*incident.Incident{a, b} {
		if got := c.scheduled(c.stakeholder, inc.Ref()); got != 1 {
			t.Errorf("%s: %d catch-up updates, want 1", inc.Ref(), got)
		}
	}
	c.clock.Advance(time.Second)
	c.tick()
	if got := c.scheduled(c.stakeholder, a.Ref()); got != 1 {
		t.Errorf("the schedule did not move on from the catch-up: %d", got)
	}
	c.clock.Advance(time.Second)
	c.tick()
	if got := c.scheduled(c.stakeholder, a.Ref()); got != 2 {
		t.Errorf("two seconds after the catch-up: %d updates, want 2", got)
	}
	if m := c.metrics(t, 0); !strings.Contains(m, "incidentbot_scheduled_updates_late_total 0") {
		t.Errorf("8 s late is not late: %s", grep(m, "late"))
	}
}

func TestNudgeOncePerCycle(t *testing.T) {
	c := newCluster(t, 1, func(f *config.File) {
		f.Severities[0].UpdateEvery = time.Minute
		f.NudgeBefore = 10 * time.Second
	})
	inc := c.declare(t, "Phishing sev1")
	c.command(t, "UALICE", inc.ChannelID, "assign comms <@UCAROL>")
	nudges := func() []fakeslack.Message {
		ch, _ := c.slack.Channel(inc.ChannelID)
		var out []fakeslack.Message
		for _, m := range ch.Messages {
			if strings.Contains(m.Text, "is due soon") {
				out = append(out, m)
			}
		}
		return out
	}
	c.clock.Advance(49 * time.Second)
	c.tick()
	if len(nudges()) != 0 {
		t.Fatal("nudged too early")
	}
	c.clock.Advance(time.Second)
	c.tick()
	c.clock.Advance(5 * time.Second)
	c.tick()
	got := nudges()
	if len(got) != 1 || !strings.Contains(got[0].Visible(), "<@UCAROL> a stakeholder update for *INC-1* is due") || !strings.Contains(got[0].Visible(), "Post update") {
		t.Fatalf("nudges: %+v", got)
	}
	// The nudge's button opens the update form.
	errs, run := c.replicas[0].h.Interact(context.Background(), commands.Interaction{Kind: commands.InteractionAction,
		UserID: "UCAROL", ChannelID: inc.ChannelID, TriggerID: c.slack.NewCommand("UCAROL", inc.ChannelID, "").TriggerID,
		ActionID: commands.ActionPostUpdate, Value: "1"})
	if len(errs) > 0 || run == nil {
		t.Fatalf("the nudge's button: %v", errs)
	}
	if res := run(context.Background()); res.Outcome != work.OutcomeOK || len(c.slack.Views("UCAROL")) != 1 {
		t.Errorf("the nudge's button did not open the update form: %+v", res)
	}
	c.clock.Advance(5 * time.Second) // t=60: the update is due
	c.tick()
	if c.scheduled(c.stakeholder, "INC-1") != 1 || len(nudges()) != 1 {
		t.Fatalf("at 60s: %d updates, %d nudges", c.scheduled(c.stakeholder, "INC-1"), len(nudges()))
	}
	// A human update before the next nudge time means no nudge this cycle.
	c.clock.Advance(45 * time.Second) // t=105
	c.command(t, "UCAROL", inc.ChannelID, "update Mail filter deployed")
	c.clock.Advance(10 * time.Second) // t=115: the old cycle's nudge time has passed, the new one is 155
	c.tick()
	if len(nudges()) != 1 {
		t.Errorf("nudged although carol just posted: %d", len(nudges()))
	}
	c.clock.Advance(40 * time.Second) // t=155
	c.tick()
	if len(nudges()) != 2 {
		t.Errorf("no nudge in the next cycle: %d", len(nudges()))
	}
	if m := c.metrics(t, 0); !strings.Contains(m, "incidentbot_nudges_sent_total 2") {
		t.Errorf("nudges not counted: %s", grep(m, "nudges"))
	}
}

func TestDigestOnceWithThreeReplicas(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.declare(t, "Ransomware sev1")
	c.declare(t, "Insider sev2 --private")
	digests := func() []string {
		ch, _ := c.slack.Channel(c.stakeholder)
		var out []string
		for _, m := range ch.Messages {
			if strings.HasPrefix(m.Text, "Digest:") {
				out = append(out, m.Visible())
			}
		}
		return out
	}
	run := func() {
		var wg sync.WaitGroup
		for _, r := range c.replicas {
			wg.Go(func() { r.sched.RunDigest(context.Background()) })
		}
		wg.Wait()
	}
	run()
	got := digests()
	if len(got) != 1 {
		t.Fatalf("%d digests from three replicas, want 1", len(got))
	}
	for _, want := range []string{"Open incidents: 2", "*INC-1* `sev1` Ransomware · Identification", "commander <@UALICE>", "*INC-2* `sev2` :lock: private incident"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("digest lacks %q:\n%s", want, got[0])
		}
	}
	if strings.Contains(got[0], "Insider") {
		t.Error("the digest shows a private incident's title")
	}
	c.clock.Advance(24 * time.Hour)
	run()
	if len(digests()) != 2 {
		t.Errorf("the next day's digest: %d in all, want 2", len(digests()))
	}
}

func TestPermanentErrorsAreNotRetriedForever(t *testing.T) {
	c := newCluster(t, 1, nil)
	inc := c.declare(t, "Worm sev1")
	c.slack.Archive(c.stakeholder)
	c.clock.Advance(2 * time.Second)
	c.tick()
	c.tick()
	if c.scheduled(inc.ChannelID, inc.Ref()) != 1 {
		t.Error("the incident channel did not get its update")
	}
	refused := 0
	for _, call := range c.slack.Calls("chat.postMessage") {
		if call.Error == "is_archived" {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("the archived stakeholder channel was tried %d times, want once", refused)
	}
	if m := c.metrics(t, 0); !strings.Contains(m, `incidentbot_slack_permanent_errors_total{error="is_archived",method="chat.postMessage"} 1`) {
		t.Errorf("the permanent error is not counted:\n%s", grep(m, "permanent"))
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func grep(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (c *cluster) dms(user string) []string {
	var out []string
	for _, ch := range c.slack.Channels() {
		if ch.DM == user {
			for _, m := range ch.Messages {
				out = append(out, m.Visible())
			}
		}
	}
	return out
}

func countContaining(list []string, s string) int {
	n := 0
	for _, x := range list {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

func TestRetroRemindersOnceWithTwoReplicas(t *testing.T) {
	c := newCluster(t, 2, func(f *config.File) { f.Severities[0].UpdateEvery = 0 })
	inc := c.declare(t, "Phishing sev1") // alice declares; bob and carol are not invited
	c.command(t, "UALICE", inc.ChannelID, "assign comms <@UCAROL>")
	c.command(t, "UBOB", inc.ChannelID, "note I looked at the mail logs")
	c.command(t, "UALICE", inc.ChannelID, "close")
	c.command(t, "UCAROL", inc.ChannelID, "lesson well The mail filter caught the second wave")
	for _, u := range []string{"UALICE", "UBOB", "UCAROL"} {
		if countContaining(c.dms(u), "You took part in *INC-1") != 1 {
			t.Errorf("%s did not get the retro prompt: %v", u, c.dms(u))
		}
	}
	c.clock.Advance(23 * time.Hour)
	c.tick()
	if n := countContaining(c.dms("UBOB"), "A reminder"); n != 0 {
		t.Fatal("reminded before halfway")
	}
	c.clock.Advance(time.Hour)
	c.tick()
	c.tick()
	c.clock.Advance(time.Hour)
	c.tick()
	for user, want := range map[string]int{"UALICE": 1, "UBOB": 1, "UCAROL": 0} {
		if n := countContaining(c.dms(user), "A reminder: the retro of *INC-1*"); n != want {
			t.Errorf("%s got %d reminders, want %d", user, n, want)
		}
	}
}

func TestDeadlinePassedWhileDownPublishesOnce(t *testing.T) {
	c := newCluster(t, 2, func(f *config.File) { f.Severities[0].UpdateEvery = 0 })
	inc := c.declare(t, "Credential stuffing sev1")
	c.command(t, "UALICE", inc.ChannelID, "close Blocked the botnet ranges")
	c.command(t, "UBOB", inc.ChannelID, "lesson improve Rate-limit the login endpoint")
	c.clock.Advance(72 * time.Hour) // the bot was down past the deadline
	c.tick()
	c.tick()
	c.clock.Advance(time.Minute)
	c.tick()
	var md []fakeslack.File
	for _, f := range c.slack.Files() {
		if strings.HasSuffix(f.Name, "-postmortem.md") {
			md = append(md, f)
		}
	}
	if len(md) != 1 {
		t.Fatalf("%d postmortems published, want 1", len(md))
	}
	if !strings.Contains(string(md[0].Content), "Rate-limit the login endpoint — @bob") {
		t.Errorf("postmortem lacks bob's lesson:\n%s", md[0].Content)
	}
	got, _ := c.store.Get(context.Background(), 1)
	if got.Status != incident.Closed {
		t.Errorf("status %s", got.Status)
	}
	ch, _ := c.slack.Channel(inc.ChannelID)
	if !ch.Archived {
		t.Error("not archived")
	}
}

func TestPrivateRetroKeepsStakeholdersInTheDark(t *testing.T) {
	c := newCluster(t, 1, func(f *config.File) { f.Severities[0].UpdateEvery = 0 })
	inc := c.declare(t, "Insider exfiltration sev1 --private")
	c.command(t, "UALICE", inc.ChannelID, "close HR engaged; access revoked")
	c.command(t, "UALICE", inc.ChannelID, "lesson wrong Offboarding left the VPN token active")
	c.command(t, "UALICE", inc.ChannelID, "postmortem")
	ch, _ := c.slack.Channel(c.stakeholder)
	if len(ch.Messages) < 3 {
		t.Fatalf("stakeholders got %d messages, want the declaration, the resolution and the postmortem", len(ch.Messages))
	}
	for _, m := range ch.Messages {
		v := m.Visible()
		for _, secret := range []string{"Insider", "exfiltration", "HR engaged", "Offboarding", "VPN"} {
			if strings.Contains(v, secret) {
				t.Errorf("a stakeholder message leaks %q: %q", secret, v)
			}
		}
		if !strings.Contains(v, "INC-1") {
			t.Errorf("a stakeholder message lacks the reference: %q", v)
		}
	}
}

// TestDigestCountsWaitingReports: the digest says how many reports wait
// for triage, and nothing of what they say.
func TestDigestCountsWaitingReports(t *testing.T) {
	c := newCluster(t, 1, nil)
	c.command(t, "UALICE", c.general, "report Odd login from abroad on my account")
	c.command(t, "UCAROL", c.general, "report A USB stick in the lobby")
	c.replicas[0].sched.RunDigest(context.Background())
	ch, _ := c.slack.Channel(c.stakeholder)
	var digest string
	for _, m := range ch.Messages {
		if strings.HasPrefix(m.Text, "Digest:") {
			digest = m.Visible()
		}
	}
	if !strings.Contains(digest, "2 reports wait for triage") {
		t.Errorf("the digest does not count the waiting reports:\n%s", digest)
	}
	if strings.Contains(digest, "Odd login") || strings.Contains(digest, "USB") {
		t.Errorf("the digest shows what a report says:\n%s", digest)
	}
}

// TestAnEmptyDigestIsSkipped: with nothing open and nothing waiting, no
// "Open incidents: 0" every morning, unless digest_when_empty asks for it;
// one incident is "1 open incident".
func TestAnEmptyDigestIsSkipped(t *testing.T) {
	for _, tt := range []struct {
		name      string
		whenEmpty bool
		want      int
	}{{"skipped", false, 0}, {"asked for", true, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, 1, func(cfg *config.File) { cfg.DigestWhenEmpty = tt.whenEmpty })
			c.replicas[0].sched.RunDigest(context.Background())
			ch, _ := c.slack.Channel(c.stakeholder)
			if got := countPrefix(ch.Messages, "Digest:"); got != tt.want {
				t.Errorf("%d digests with nothing open, want %d", got, tt.want)
			}
			c.declare(t, "Ransomware sev1")
			c.clock.Advance(24 * time.Hour) // the next day's digest
			c.replicas[0].sched.RunDigest(context.Background())
			ch, _ = c.slack.Channel(c.stakeholder)
			if got := countPrefix(ch.Messages, "Digest: 1 open incident"); got != 1 || countPrefix(ch.Messages, "Digest: 1 open incidents") != 0 {
				t.Errorf("%d digests of one open incident, want 1 with its plural right", got)
			}
		})
	}
}

// TestASkippedDigestLeavesItsMinuteFree: a digest skipped for having
// nothing to tell does not hold its minute, so when an incident opens in
// that minute the next run (a spec finer than a minute) sends it, once
// across replicas.
func TestASkippedDigestLeavesItsMinuteFree(t *testing.T) {
	c := newCluster(t, 2, nil)
	c.replicas[0].sched.RunDigest(context.Background())
	c.declare(t, "Ransomware sev1")
	c.replicas[1].sched.RunDigest(context.Background())
	c.replicas[0].sched.RunDigest(context.Background())
	ch, _ := c.slack.Channel(c.stakeholder)
	if got := countPrefix(ch.Messages, "Digest: 1 open incident"); got != 1 {
		t.Errorf("%d digests in the minute an incident opened after an empty run, want 1", got)
	}
}

func countPrefix(ms []fakeslack.Message, prefix string) int {
	n := 0
	for _, m := range ms {
		if strings.HasPrefix(m.Text, prefix) {
			n++
		}
	}
	return n
}
