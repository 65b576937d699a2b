package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// The inbox (inboxKey) journals every request from Slack that the bot
// acknowledged, until its work is done, so that a replica that dies in
// between does not lose it: another replica finds the entry stale and does
// the work.

// InboxEntry is one acknowledged request.
type InboxEntry struct {
	At      time.Time       `json:"at"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
}

// seenFor is how long a request's identity is remembered: longer than the
// five minutes a signed request is accepted and than Slack's retries of an
// event, so a replay or a retry finds it.
const seenFor = time.Hour

// acceptScript marks a request's identity as taken and journals it, both
// or neither, in one round trip. Past ARGV[4] (ms on Redis's clock, 0 for
// none) it takes nothing: a script that reaches a stalled Redis and runs
// once it wakes must not take a request the person was told was not done.
var acceptScript = redis.NewScript(`
local deadline = tonumber(ARGV[4])
if deadline > 0 then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline then return -1 end
end
if redis.call('SET', KEYS[1], 1, 'NX', 'PX', ARGV[1]) then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0`)

// Accept records a request's identity and journals it. first is false when
// a request with this identity was accepted before: a replay, a retry or a
// double submission, which must not run again. On an error nothing was
// recorded: the request must not be run, and may be sent again.
func (s *Store) Accept(ctx context.Context, id string, e InboxEntry) (first bool, err error) {
	b, err := json.Marshal(e)
	if err != nil {
		return false, fmt.Errorf("accept %s: %w", id, err)
	}
	// The caller's deadline, on Redis's clock: e.At is dated by it.
	deadline := int64(0)
	if dl, ok := ctx.Deadline(); ok {
		deadline = e.At.Add(time.Until(dl)).UnixMilli()
	}
	keys, args := []string{seenKey(id), inboxKey}, []any{seenFor.Milliseconds(), id, b, deadline}
	if s.minReplicas == 0 {
		taken, err := acceptScript.Run(ctx, s.rdb, keys, args...).Int()
		if err == nil && taken < 0 {
			err = errTooLate
		}
		if err != nil {
			return false, fmt.Errorf("accept %s: %w", id, err)
		}
		return taken == 1, nil
	}
	taken, err := s.thenConfirm(ctx, func(p redis.Pipeliner) *redis.Cmd { return acceptScript.Eval(ctx, p, keys, args...) })
	if errors.Is(err, incident.ErrNotDurable) && taken == 1 {
		// Not taken after all: the person is told so, and the entry must
		// not be done later by another replica.
		_ = s.rdb.HDel(context.WithoutCancel(ctx), inboxKey, id).Err()
		_ = s.rdb.Del(context.WithoutCancel(ctx), seenKey(id)).Err()
	}
	if err == nil && taken < 0 {
		err = errTooLate
	}
	if err != nil {
		return false, fmt.Errorf("accept %s: %w", id, err)
	}
	return taken == 1, nil
}

// errTooLate is returned when Redis ran the accept after its deadline.
var errTooLate = errors.New("the store answered after the deadline; the request was not taken")

// Journal records an acknowledged request under its ID.
func (s *Store) Journal(ctx context.Context, id string, e InboxEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal %s: %w", id, err)
	}
	if err := s.rdb.HSet(ctx, inboxKey, id, b).Err(); err != nil {
		return fmt.Errorf("journal %s: %w", id, err)
	}
	return nil
}

// Seen marks a request's identity as seen, without journaling it: for a
// request that changes nothing and is answered at once, so there is
// nothing to redo. first is false for a request seen before.
func (s *Store) Seen(ctx context.Context, id string) (first bool, err error) {
	first, err = s.rdb.SetNX(ctx, seenKey(id), 1, seenFor).Result()
	if err != nil {
		return false, fmt.Errorf("mark %s seen: %w", id, err)
	}
	return first, nil
}

// Done removes requests whose work is finished, in one command.
func (s *Store) Done(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, inboxKey, ids...).Err(); err != nil {
		return fmt.Errorf("finish %d requests: %w", len(ids), err)
	}
	return nil
}

// Stale returns the requests journaled before cutoff: their replica died, or is stuck.
func (s *Store) Stale(ctx context.Context, cutoff time.Time) (map[string]InboxEntry, error) {
	all, err := s.rdb.HGetAll(ctx, inboxKey).Result()
	if err != nil {
		return nil, fmt.Errorf("read the inbox: %w", err)
	}
	out := map[string]InboxEntry{}
	for id, raw := range all {
		var e InboxEntry
		if json.Unmarshal([]byte(raw), &e) == nil && e.At.Before(cutoff) {
			out[id] = e
		}
	}
	return out, nil
}

// Take claims a stale request for redoing; only one caller gets true.
func (s *Store) Take(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.HDel(ctx, inboxKey, id).Result()
	if err != nil {
		return false, fmt.Errorf("take %s: %w", id, err)
	}
	return n == 1, nil
}
