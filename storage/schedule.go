package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The schedule (dueKey, claimsKey): one entry per open incident in a sorted
// set scored by the time its next scheduled work (an update or a nudge) is
// due, in unix milliseconds.

// Claim is a scheduled item taken by one runner until its lease runs out.
type Claim struct {
	Number int64
	Due    time.Time // when it was due, for lateness
	token  string
}

// claimScript takes up to ARGV[3] items due by ARGV[1] (ms). A claimed item
// stays in the set with its score pushed to the end of the lease (ARGV[2]
// ms), so it is due again, for any runner, if its claimer dies; the claim
// token lets only the current claimer acknowledge it.
// Returns a flat list: number, due, token, number, due, token, …
var claimScript = redis.NewScript(`
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
local lease_end = tonumber(ARGV[1]) + tonumber(ARGV[2])
for i = 1, #items, 2 do
  local member, due = items[i], items[i + 1]
  local prev = redis.call('HGET', KEYS[2], member)
  if prev then
    -- a claim whose lease ran out: keep the original due time for lateness
    due = string.match(prev, ' (%S+)$') or due
  end
  local token = ARGV[4] .. ':' .. member
  redis.call('ZADD', KEYS[1], lease_end, member)
  redis.call('HSET', KEYS[2], member, token .. ' ' .. due)
  table.insert(out, member)
  table.insert(out, due)
  table.insert(out, token)
end
return out
`)

// ackScript finishes a claim if it is still ours: ARGV[2] is the next due
// time (ms), or "" to drop the item. A lost claim (the lease ran out and
// another runner took it) changes nothing.
var ackScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if not cur or string.sub(cur, 1, #ARGV[3]) ~= ARGV[3] then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
if ARGV[2] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
return 1
`)

// Schedule sets when an incident's next scheduled work is due. An item
// being worked on keeps its claim; the claimer's acknowledgement comes after.
func (s *Store) Schedule(ctx context.Context, n int64, due time.Time) error {
	if err := s.rdb.ZAdd(ctx, dueKey, redis.Z{Score: float64(due.UnixMilli()), Member: n}).Err(); err != nil {
		return fmt.Errorf("schedule %d: %w", n, err)
	}
	return nil
}

// ScheduleMissing adds the incidents that are not on the schedule yet, at
// the given times; items already there keep theirs (they may be claimed).
func (s *Store) ScheduleMissing(ctx context.Context, dues map[int64]time.Time) error {
	const batch = 5000
	zs := make([]redis.Z, 0, min(len(dues), batch))
	flush := func() error {
		if len(zs) == 0 {
			return nil
		}
		err := s.rdb.ZAddNX(ctx, dueKey, zs...).Err()
		zs = zs[:0]
		return err
	}
	for n, due := range dues {
		zs = append(zs, redis.Z{Score: float64(due.UnixMilli()), Member: n})
		if len(zs) == batch {
			if err := flush(); err != nil {
				return fmt.Errorf("schedule: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	return nil
}

// Unschedule removes an incident from the schedule.
func (s *Store) Unschedule(ctx context.Context, n int64) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, dueKey, n)
		p.HDel(ctx, claimsKey, strconv.FormatInt(n, 10))
		return nil
	})
	if err != nil {
		return fmt.Errorf("unschedule %d: %w", n, err)
	}
	return nil
}

// Scheduled returns when an incident's next scheduled work is due.
func (s *Store) Scheduled(ctx context.Context, n int64) (time.Time, bool, error) {
	score, err := s.rdb.ZScore(ctx, dueKey, strconv.FormatInt(n, 10)).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("schedule of %d: %w", n, err)
	}
	return time.UnixMilli(int64(score)), true, nil
}

// Claim takes up to limit items due by now, each for lease.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Claim, error) {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	res, err := claimScript.Run(ctx, s.rdb, []string{dueKey, claimsKey},
		now.UnixMilli(), lease.Milliseconds(), limit, hex.EncodeToString(nonce)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim scheduled work: %w", err)
	}
	claims := make([]Claim, 0, len(res)/3)
	for i := 0; i+2 < len(res); i += 3 {
		n, _ := strconv.ParseInt(res[i], 10, 64)
		due, _ := strconv.ParseFloat(res[i+1], 64)
		claims = append(claims, Claim{Number: n, Due: time.UnixMilli(int64(due)), token: res[i+2]})
	}
	return claims, nil
}

// Ack finishes a claim: the item is due next at next, or dropped when next
// is zero. It reports false when the claim had been lost to another runner.
func (s *Store) Ack(ctx context.Context, c Claim, next time.Time) (bool, error) {
	nextArg := ""
	if !next.IsZero() {
		nextArg = strconv.FormatInt(next.UnixMilli(), 10)
	}
	ok, err := ackScript.Run(ctx, s.rdb, []string{dueKey, claimsKey},
		strconv.FormatInt(c.Number, 10), nextArg, c.token+" ").Int()
	if err != nil {
		return false, fmt.Errorf("acknowledge %d: %w", c.Number, err)
	}
	return ok == 1, nil
}

// Once reports whether this caller is the first to ask for name within ttl:
// with several replicas, one of them does a job (the digest) for a given time.
func (s *Store) Once(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	first, err := s.rdb.SetNX(ctx, onceKey(strings.ReplaceAll(name, " ", "_")), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	if first {
		s.wrote(ctx, name)
	}
	return first, nil
}

// Release forgets that Once was called for name: a job that turned out to
// have nothing to do gives its turn back, so a later run may do it.
func (s *Store) Release(ctx context.Context, name string) error {
	if err := s.rdb.Del(ctx, onceKey(strings.ReplaceAll(name, " ", "_"))).Err(); err != nil {
		return fmt.Errorf("release %s: %w", name, err)
	}
	return nil
}

// Taken reports whether Once was called for name (and has not lapsed).
func (s *Store) Taken(ctx context.Context, name string) (bool, error) {
	n, err := s.rdb.Exists(ctx, onceKey(strings.ReplaceAll(name, " ", "_"))).Result()
	if err != nil {
		return false, fmt.Errorf("once %s: %w", name, err)
	}
	return n > 0, nil
}

// paceScript reserves the next moment a channel may be posted to, gap
// after the last reservation by any replica, on Redis's clock, and returns
// how long the caller must wait for it (ms).
var paceScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextAt = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, nextAt)
local gap = tonumber(ARGV[1])
redis.call('SET', KEYS[1], at + gap, 'PX', at + gap - now + 1000)
return at - now`)

// Reserve takes the next moment to post to a channel, gap after the one
// any replica took last, and returns how long to wait for it: Slack's one
// message a second per channel holds however many replicas post.
func (s *Store) Reserve(ctx context.Context, channelID string, gap time.Duration) (time.Duration, error) {
	ms, err := paceScript.Run(ctx, s.rdb, []string{paceKey(channelID)}, gap.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("pace %s: %w", channelID, err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lock takes a lock shared by all replicas, waiting for it while another
// holds it; it lapses after ttl should its holder die. unlock releases it
// if it is still ours.
func (s *Store) Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error) {
	key := lockKey(name)
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	token := hex.EncodeToString(nonce)
	for {
		ok, err := s.rdb.SetNX(ctx, key, token, ttl).Result()
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if ok {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
				defer cancel()
				_ = unlockScript.Run(ctx, s.rdb, []string{key}, token).Err()
			}, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
