package work_test

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// A stakeholder batch whose post takes long (a 429's Retry-After) is not
// taken and posted by another run meanwhile, even with the lock of earlier
// versions gone: the stakeholder channel gets the batch once.
func TestStakeholderBatchPostedOnceWhenItsPostOutlivesTheLock(t *testing.T) {
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	store := storage.New(rdb)
	clock := clocktest.NewManual(t0)
	stake := fs.CreateChannel("security-incidents", false, fs.BotUserID)
	general := fs.CreateChannel("general", false, "UALICE")
	cfg := config.Defaults()
	cfg.StakeholderChannel = stake
	cfg.Severities[0].UpdateEvery = 2 * time.Second
	cfg.NudgeBefore = 0
	log := quietLog()

	// Replica A waits out Retry-After on a clock the test moves; B never waits.
	slowClock := clocktest.NewManual(t0)
	mk := func(outbound work.Clock) (*commands.Handler, *work.Scheduler) {
		m := bot.NewMetrics("test")
		api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m)
		h := commands.New(cfg, store, bot.NewChat(api, m, outbound, log), log, fs.BotUserID, clock.Now, nil)
		return h, work.NewScheduler(store, h, work.SchedulerConfig{Now: clock.Now, Lease: 30 * time.Second}, m, log)
	}
	_, sa := mk(slowClock)
	hb, sb := mk(clocktest.Instant{})

	cmd := fs.NewCommand("UALICE", general, "declare Worm sev1")
	hb.Handle(context.Background(), commands.Request{UserID: "UALICE", ChannelID: general, Text: "declare Worm sev1", ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
	clock.Advance(2 * time.Second)
	sb.Tick(context.Background()) // the incident channel's update; the stakeholder copy is queued

	posts := func() int { return len(fs.Calls("chat.postMessage")) }
	before := posts()
	fs.Fail("chat.postMessage", fakeslack.Failure{Status: 429, RetryAfter: 90})
	done := make(chan struct{})
	go func() { defer close(done); sa.Stakeholders(context.Background()) }()
	fs.Await(t, "replica A's post, answered 429", func() bool { return posts() > before })

	// A minute passes with A still waiting: its lock lapses (shortened here).
	if err := rdb.PExpire(context.Background(), "ib:lock:stakeholders", time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	sb.Stakeholders(context.Background())
	slowClock.Advance(90 * time.Second)
	<-done

	ch, _ := fs.Channel(stake)
	n := 0
	for _, m := range ch.Messages {
		if strings.HasPrefix(m.Text, "Scheduled update on INC-1 ") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the stakeholder channel got INC-1's scheduled update %d times, want once", n)
	}
}

// A scheduled update queued for the stakeholders of an incident closed
// before the stakeholder job posts it does not go out after the final
// "resolved" broadcast.
func TestNoScheduledUpdateToStakeholdersAfterClose(t *testing.T) {
	c := newCluster(t, 1, nil)
	inc := c.declare(t, "Worm sev1")
	c.clock.Advance(2 * time.Second)
	c.replicas[0].sched.Tick(context.Background()) // queued, not yet posted
	c.command(t, "UALICE", inc.ChannelID, "close Contained and cleaned")
	c.replicas[0].sched.Stakeholders(context.Background())
	ch, _ := c.slack.Channel(c.stakeholder)
	resolved := false
	for _, m := range ch.Messages {
		v := m.Visible()
		if strings.Contains(v, "resolved") || strings.Contains(v, "Resolved") {
			resolved = true
		}
		if resolved && c.scheduled(c.stakeholder, inc.Ref()) > 0 && strings.HasPrefix(m.Text, "Scheduled update on "+inc.Ref()) {
			t.Errorf("after the resolved broadcast the stakeholders got: %.300q", v)
		}
	}
	if !resolved {
		t.Fatalf("no resolved broadcast: %+v", ch.Messages)
	}
}

// A batch's ID names the note of its post ("posted:stakeholders:<id>", kept
// a day): a new batch never takes the ID of an earlier one, whatever Redis
// lost or an operator restored, so it is not skipped as already posted.
func TestReusedBatchIDIsStillPosted(t *testing.T) {
	c, rdb := newClusterWithRedis(t)
	inc := c.declare(t, "Worm sev1")
	c.clock.Advance(2 * time.Second)
	c.tick()
	if c.scheduled(c.stakeholder, inc.Ref()) != 1 {
		t.Fatal("first update not posted")
	}
	if err := rdb.Del(context.Background(), "ib:{stakeholders}:seq").Err(); err != nil {
		t.Fatal(err)
	}
	c.clock.Advance(2 * time.Second)
	c.tick()
	if got := c.scheduled(c.stakeholder, inc.Ref()); got != 2 {
		t.Errorf("after the batch counter went back, the stakeholders got %d scheduled updates, want 2 (the second was skipped as posted)", got)
	}
}

// newClusterWithRedis is newCluster with one replica, also returning its Redis client.
func newClusterWithRedis(t *testing.T) (*cluster, redis.UniversalClient) {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	rdb := redistest.Start(t).Client(t)
	c := &cluster{slack: fs, store: storage.New(rdb), clock: clocktest.NewManual(t0)}
	c.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID)
	c.general = fs.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
	cfg := config.Defaults()
	cfg.StakeholderChannel = c.stakeholder
	cfg.Severities[0].UpdateEvery = 2 * time.Second
	cfg.NudgeBefore = 0
	log := quietLog()
	m := bot.NewMetrics("test")
	api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m)
	h := commands.New(cfg, c.store, bot.NewChat(api, m, clocktest.Instant{}, log), log, fs.BotUserID, c.clock.Now, nil)
	s := work.NewScheduler(c.store, h, work.SchedulerConfig{Now: c.clock.Now, Lease: 30 * time.Second}, m, log)
	c.replicas = append(c.replicas, replica{h: h, sched: s, metrics: m})
	return c, rdb
}

// failingUpdates is the store with its next Update failing, as a Redis blip would.
type failingUpdates struct {
	*storage.Store
	fail atomic.Int32
}

func (f *failingUpdates) Update(ctx context.Context, n int64, fn func(*incident.Incident) ([]incident.TimelineEvent, error)) (*incident.Incident, error) {
	if f.fail.Add(-1) >= 0 {
		return nil, errors.New("i/o timeout")
	}
	return f.Store.Update(ctx, n, fn)
}

// A run that posted and queued but could not record the update (a Redis
// blip on the Update) is retried once its lease ends: the incident channel's
// post is skipped (noted), and the stakeholder copy, queued by occasion, is
// not queued again.
func TestRetriedRunQueuesTheStakeholderCopyOnce(t *testing.T) {
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	store := storage.New(redistest.Start(t).Client(t))
	flaky := &failingUpdates{Store: store}
	clock := clocktest.NewManual(t0)
	stake := fs.CreateChannel("security-incidents", false, fs.BotUserID)
	general := fs.CreateChannel("general", false, "UALICE")
	cfg := config.Defaults()
	cfg.StakeholderChannel = stake
	cfg.Severities[0].UpdateEvery = 2 * time.Second
	cfg.NudgeBefore = 0
	log := quietLog()
	m := bot.NewMetrics("test")
	api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m)
	h := commands.New(cfg, flaky, bot.NewChat(api, m, clocktest.Instant{}, log), log, fs.BotUserID, clock.Now, nil)
	s := work.NewScheduler(store, h, work.SchedulerConfig{Now: clock.Now, Lease: 30 * time.Second}, m, log)
	cmd := fs.NewCommand("UALICE", general, "declare Worm sev1")
	h.Handle(context.Background(), commands.Request{UserID: "UALICE", ChannelID: general, Text: "declare Worm sev1", ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
	inc, _ := store.Get(context.Background(), 1)

	clock.Advance(2 * time.Second)
	flaky.fail.Store(1)
	s.Tick(context.Background()) // posts, queues, cannot record: not acknowledged
	s.Stakeholders(context.Background())
	clock.Advance(31 * time.Second) // the lease ends; the run is done again
	s.Tick(context.Background())
	s.Stakeholders(context.Background())

	count := func(ch string) int {
		c, _ := fs.Channel(ch)
		n := 0
		for _, m := range c.Messages {
			if strings.HasPrefix(m.Text, "Scheduled update on INC-1 ") {
				n++
			}
		}
		return n
	}
	t.Logf("incident channel: %d scheduled updates; stakeholders: %d", count(inc.ChannelID), count(stake))
	if count(stake) != count(inc.ChannelID) {
		t.Errorf("the incident channel got %d scheduled updates, the stakeholders %d", count(inc.ChannelID), count(stake))
	}
}
