package work_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// gateChat holds an inject's post until released.
type gateChat struct {
	commands.Chat
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (g *gateChat) Post(ctx context.Context, ch string, m render.Message) (string, error) {
	if strings.Contains(m.Text, "EDR reports") || strings.Contains(m.Text, "identity provider") {
		g.once.Do(func() { close(g.reached); <-g.release })
	}
	return g.Chat.Post(ctx, ch, m)
}

func countWith(c *cluster, ch, marker string) int {
	m, _ := c.slack.Channel(ch)
	n := 0
	for _, x := range m.Messages {
		if strings.Contains(x.Visible(), marker) {
			n++
		}
	}
	return n
}

// An inject whose post is under way when the drill is ended: the end waits
// for it (they share the drill's lock), so the inject lands before the
// score card and no inject follows the end.
func TestAttackDrillInjectAfterEndDirect(t *testing.T) {
	c := newCluster(t, 1, nil)
	log := quietLog()
	m := bot.NewMetrics("test")
	g := &gateChat{Chat: bot.NewChat(bot.NewSlackClient(c.slack.BotToken, "", c.slack.APIURL(), m), m, clocktest.Instant{}, log), reached: make(chan struct{}), release: make(chan struct{})}
	cfgCopy := newClusterConfig(t, c)
	slow := commands.New(cfgCopy, c.store, g, log, c.slack.BotUserID, c.clock.Now, nil)
	c.command(t, "UALICE", c.general, "drill ransomware")
	inc, err := c.store.Get(context.Background(), 1)
	if err != nil || !inc.Drill {
		t.Fatalf("%+v %v", inc, err)
	}
	c.clock.Advance(5 * time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := slow.RunScheduled(context.Background(), 1); err != nil {
			t.Errorf("RunScheduled: %v", err)
		}
	}()
	<-g.reached
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		c.command(t, "UALICE", inc.ChannelID, "drill end")
	}()
	time.Sleep(200 * time.Millisecond) // the end now waits for the inject
	close(g.release)
	<-done
	<-ended
	ch, _ := c.slack.Channel(inc.ChannelID)
	card, inj := -1, -1
	for i, x := range ch.Messages {
		v := x.Visible()
		if strings.Contains(v, "Score card") {
			card = i
		}
		if strings.Contains(v, "EDR reports") {
			inj = i
		}
	}
	after, _ := c.store.Get(context.Background(), 1)
	tl, _ := c.store.Timeline(context.Background(), 1)
	last := tl[len(tl)-1]
	if inj < 0 || card < 0 || inj > card {
		t.Errorf("the inject and the score card are out of order, or missing (message %d, score card %d); status %s, injects sent %v, last event %s at %v (resolved %v)",
			inj, card, after.Status, after.InjectsSent, last.Kind, last.At, after.ResolvedAt)
	}
}

func newClusterConfig(t *testing.T, c *cluster) config.File {
	cfg := config.Defaults()
	cfg.StakeholderChannel = c.stakeholder
	cfg.TriageChannel = c.triage
	cfg.Severities[0].UpdateEvery = 2 * time.Second
	cfg.Severities[1].UpdateEvery = 4 * time.Second
	cfg.NudgeBefore = 0
	return cfg
}

// Drills with a cadence: scheduled updates and nudges stay in the drill
// channel and out of the metrics and the digest.
func TestAttackDrillCadenceAndDigest(t *testing.T) {
	c := newCluster(t, 2, nil)
	c.command(t, "UALICE", c.general, "drill ransomware") // sev1: every 2s
	drill, _ := c.store.Get(context.Background(), 1)
	for range 6 {
		c.clock.Advance(time.Second)
		c.tick()
	}
	c.command(t, "UALICE", drill.ChannelID, "update drill update")
	c.command(t, "UALICE", drill.ChannelID, "severity sev2")
	for range 6 {
		c.clock.Advance(time.Second)
		c.tick()
	}
	c.replicas[0].sched.RunDigest(context.Background())
	st, _ := c.slack.Channel(c.stakeholder)
	for _, x := range st.Messages {
		if strings.Contains(x.Visible(), "INC-1") || strings.Contains(x.Visible(), "ransomware") || strings.Contains(x.Visible(), "Ransomware") {
			t.Errorf("DEFECT: the stakeholder channel heard of the drill: %q", x.Visible())
		}
	}
	t.Logf("stakeholder messages: %d; drill channel scheduled updates: %d", len(st.Messages), c.scheduled(drill.ChannelID, "INC-1"))
	for r := range c.replicas {
		if got := grep(c.metrics(t, r), "incidentbot_scheduled_updates_sent_total"); !strings.HasSuffix(got, " 0") {
			t.Errorf("DEFECT: replica %d counts drill updates: %s", r, got)
		}
		if got := grep(c.metrics(t, r), "nudge"); got != "" && !strings.HasSuffix(got, " 0") {
			t.Errorf("DEFECT: replica %d counts drill nudges: %s", r, got)
		}
		if got := grep(c.metrics(t, r), "incidentbot_open_incidents"); strings.Contains(got, "} 1") {
			t.Errorf("DEFECT: open incidents gauge counts the drill: %s", got)
		}
	}
	c.command(t, "UALICE", drill.ChannelID, "drill end")
	if n := countWith(c, drill.ChannelID, "Score card"); n != 1 {
		t.Errorf("%d score cards", n)
	}
	var _ = work.SentDrill
	var _ = incident.EventInject
}
