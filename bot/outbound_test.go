package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// Slack answers every third chat.postMessage with a 429 (Retry-After: 1) and
// some with a 503. Every message still arrives, in order per channel, and no
// channel gets two posts within a second. The outbound path and the fake's
// record of arrivals share a stepped clock (one actor per channel), so the
// gaps are read exactly, however loaded the machine is.
func TestOutboundThroughRateLimitsAndOutages(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	clock := clocktest.NewSteps(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 2)
	fs.SetClock(clock.Now)
	a := fs.CreateChannel("inc-a", false, fs.BotUserID)
	b := fs.CreateChannel("inc-b", false, fs.BotUserID)
	var queue []fakeslack.Failure
	for i := 1; i <= 30; i++ {
		switch {
		case i%3 == 0:
			queue = append(queue, fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1})
		case i%7 == 0:
			queue = append(queue, fakeslack.Failure{Status: http.StatusServiceUnavailable})
		default:
			queue = append(queue, fakeslack.Pass)
		}
	}
	fs.Fail("chat.postMessage", queue...)
	m := bot.NewMetrics("test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chat := bot.NewChat(bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m), m, clock, log)

	const perChannel = 4
	var wg sync.WaitGroup
	for _, ch := range []string{a, b} {
		wg.Go(func() {
			defer clock.Done()
			for i := 1; i <= perChannel; i++ {
				if _, err := chat.Post(context.Background(), ch, render.Message{Text: fmt.Sprintf("message %d", i)}); err != nil {
					t.Errorf("post %d to %s: %v", i, ch, err)
				}
			}
		})
	}
	wg.Wait()

	for _, id := range []string{a, b} {
		ch, _ := fs.Channel(id)
		var texts []string
		for _, msg := range ch.Messages {
			texts = append(texts, msg.Text)
		}
		if got := strings.Join(texts, ","); got != "message 1,message 2,message 3,message 4" {
			t.Errorf("%s holds %s", ch.Name, got)
		}
		var last time.Time
		for _, call := range fs.Calls("chat.postMessage") {
			if call.Params.Get("channel") != id {
				continue
			}
			if !last.IsZero() && call.At.Sub(last) < time.Second {
				t.Errorf("%s: two posts %s apart", ch.Name, call.At.Sub(last))
			}
			last = call.At
		}
	}
	if n := len(fs.Calls("chat.postMessage")); n <= 2*perChannel {
		t.Errorf("only %d calls: the failures were not exercised", n)
	}
}

func TestOutboundJoinsWhenNotInChannel(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	public := fs.CreateChannel("security", false, "UALICE") // the bot is not a member
	m := bot.NewMetrics("test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chat := bot.NewChat(bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m), m, work.RealClock{}, log)
	if _, err := chat.Post(context.Background(), public, render.Message{Text: "hello"}); err != nil {
		t.Fatalf("post after joining: %v", err)
	}
	if len(fs.Calls("conversations.join")) != 1 {
		t.Error("the bot did not join")
	}
	private := fs.CreateChannel("secret", true, "UALICE")
	if _, err := chat.Post(context.Background(), private, render.Message{Text: "hello"}); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("post to a private channel the bot is not in: %v", err)
	}
}

// An answer on a response URL that Slack refuses for a while (429 with
// Retry-After, then a 502) is sent again until it arrives, once.
func TestRespondThroughRateLimitsAndOutages(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	general := fs.CreateChannel("general", false, "UALICE")
	cmd := fs.NewCommand("UALICE", general, "help")
	fs.Fail("response_url", fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1}, fakeslack.Failure{Status: http.StatusBadGateway})
	m := bot.NewMetrics("test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chat := bot.NewChat(bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m), m, clocktest.Instant{}, log)
	msg := render.Message{Text: "the answer", Blocks: []render.Block{render.Section("the *answer*")}}
	if err := chat.Respond(context.Background(), cmd.ResponseURL, msg); err != nil {
		t.Fatal(err)
	}
	shown := fs.Ephemerals("UALICE")
	if len(shown) != 1 || shown[0].Visible() != "the *answer*" {
		t.Errorf("the user was shown %+v", shown)
	}
	if n := len(fs.Calls("response_url")); n != 3 {
		t.Errorf("%d posts to the response URL, want 3 (two refused)", n)
	}
}

// Two replicas posting to one channel at once still keep Slack's one
// message a second: the spacing is shared through Redis.
func TestPostsAreSpacedAcrossReplicas(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	ch := fs.CreateChannel("inc-shared", false, fs.BotUserID)
	store := storage.New(redistest.Start(t).Client(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	for r := range 2 {
		m := bot.NewMetrics("test")
		chat := bot.NewChat(bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), m), m, work.RealClock{}, log)
		chat.ShareWith(store)
		wg.Go(func() {
			for i := 1; i <= 2; i++ {
				if _, err := chat.Post(context.Background(), ch, render.Message{Text: fmt.Sprintf("replica %d, message %d", r, i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	calls := fs.Calls("chat.postMessage")
	if len(calls) != 4 {
		t.Fatalf("%d posts, want 4", len(calls))
	}
	// Each post takes a moment 1.05 s after the last; the margin is for a
	// loaded machine's scheduling, and unshared spacing would give a gap of
	// about nothing.
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].At.Sub(calls[i-1].At); gap < 500*time.Millisecond {
			t.Errorf("posts %d and %d arrived %s apart", i, i+1, gap)
		}
	}
}
