package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// Outbound is the one path every Slack call takes. Calls about one channel
// go out in the order they were made, chat.postMessage at most once a second
// per channel (Slack's limit); a 429 waits its Retry-After and tries again;
// 5xx and connection failures try again after a capped, jittered backoff;
// not_in_channel is answered by joining the channel once; anything else is
// permanent: counted and returned, not retried.
type Outbound struct {
	clock   work.Clock
	metrics *Metrics
	log     *slog.Logger
	join    func(ctx context.Context, channelID string) error

	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration
	postGap     time.Duration

	mu    sync.Mutex
	lanes map[string]*lane
	pacer Pacer // nil: posts are spaced by this replica alone
}

// Pacer spaces the posts to a channel across replicas.
type Pacer interface {
	// Reserve takes the next moment to post to a channel, gap after the
	// last one any replica took, and returns how long to wait for it.
	Reserve(ctx context.Context, channelID string, gap time.Duration) (time.Duration, error)
}

// ShareWith makes posts keep Slack's one a second per channel across every
// replica that shares p, not only within this one.
func (o *Outbound) ShareWith(p Pacer) { o.pacer = p }

// postGap spaces chat.postMessage calls to one channel: Slack allows one a
// second, measured where the requests arrive, so a little margin absorbs
// the network's jitter.
const postGap = time.Second + 50*time.Millisecond

// NewOutbound returns the outbound path; join is how to join a public channel.
func NewOutbound(clock work.Clock, m *Metrics, log *slog.Logger, join func(ctx context.Context, channelID string) error) *Outbound {
	return &Outbound{clock: clock, metrics: m, log: log, join: join, maxAttempts: 8,
		backoffBase: 500 * time.Millisecond, backoffMax: 30 * time.Second, postGap: postGap,
		lanes: map[string]*lane{}}
}

// lane serialises the calls about one channel in arrival order.
type lane struct {
	mu       sync.Mutex
	busy     bool
	waiters  []chan struct{}
	nextPost time.Time // earliest time the next chat.postMessage may go
}

func (l *lane) acquire(ctx context.Context) error {
	l.mu.Lock()
	if !l.busy {
		l.busy = true
		l.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	l.waiters = append(l.waiters, turn)
	l.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.waiters {
			if w == turn {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				return ctx.Err()
			}
		}
		// Our turn came as we gave up: pass it on.
		l.releaseLocked()
		return ctx.Err()
	}
}

func (l *lane) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.releaseLocked()
}

func (l *lane) releaseLocked() {
	if len(l.waiters) == 0 {
		l.busy = false
		return
	}
	next := l.waiters[0]
	l.waiters = l.waiters[1:]
	close(next)
}

func (o *Outbound) lane(channelID string) *lane {
	o.mu.Lock()
	defer o.mu.Unlock()
	l, ok := o.lanes[channelID]
	if !ok {
		l = &lane{}
		o.lanes[channelID] = l
	}
	return l
}

// Do makes one Slack call about a channel ("" for calls about none) through the path.
func (o *Outbound) Do(ctx context.Context, channelID, method string, call func() error) error {
	if channelID != "" {
		l := o.lane(channelID)
		if err := l.acquire(ctx); err != nil {
			return err
		}
		defer l.release()
		return o.attempt(ctx, l, channelID, method, call)
	}
	return o.attempt(ctx, nil, channelID, method, call)
}

func (o *Outbound) attempt(ctx context.Context, l *lane, channelID, method string, call func() error) error {
	joined := false
	for attempt := 1; ; attempt++ {
		if l != nil && method == "chat.postMessage" && o.pacer != nil {
			wait, err := o.pacer.Reserve(ctx, channelID, o.postGap)
			if err != nil {
				// The store is what is down; this replica's own spacing still holds.
				o.log.Warn("could not pace a post with the other replicas", "channel", channelID, "err", err)
			}
			if wait > 0 {
				if err := o.sleep(ctx, wait); err != nil {
					return err
				}
			}
		}
		if l != nil && method == "chat.postMessage" {
			now := o.clock.Now()
			if wait := l.nextPost.Sub(now); wait > 0 {
				if err := o.sleep(ctx, wait); err != nil {
					return err
				}
				now = l.nextPost
			}
			l.nextPost = now.Add(o.postGap)
		}
		err := call()
		if err == nil {
			return nil
		}
		var wait time.Duration
		var rl *slack.RateLimitedError
		switch {
		case errors.As(err, &rl):
			wait = max(rl.RetryAfter, time.Second)
		case transient(err):
			wait = o.backoff(attempt)
		case isSlackError(err, "not_in_channel") && !joined && o.join != nil && channelID != "":
			joined = true
			if jerr := o.join(ctx, channelID); jerr != nil {
				o.permanent(method, err)
				return err
			}
			continue
		default:
			o.permanent(method, err)
			return err
		}
		if attempt >= o.maxAttempts || ctx.Err() != nil {
			o.metrics.slackGaveUp.WithLabelValues(method).Inc()
			o.log.Error("slack call still failing; giving up", "method", method, "channel", channelID, "attempts", attempt, "err", err)
			return fmt.Errorf("%w: %w", incident.ErrSlackDown, err)
		}
		o.log.Warn("slack call failed; retrying", "method", method, "channel", channelID, "attempt", attempt, "in", wait, "err", err)
		if err := o.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (o *Outbound) permanent(method string, err error) {
	code := err.Error()
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		code = se.Err
	}
	if len(code) > 40 {
		code = "other"
	}
	o.metrics.slackPermanent.WithLabelValues(method, code).Inc()
}

// backoff is capped exponential with full jitter.
func (o *Outbound) backoff(attempt int) time.Duration {
	d := o.backoffBase << min(attempt-1, 16)
	if d > o.backoffMax || d <= 0 {
		d = o.backoffMax
	}
	return d/2 + rand.N(d/2+1)
}

func (o *Outbound) sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-o.clock.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// transient errors are worth another try: Slack's 5xx and network failures.
func transient(err error) bool {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue)
}
