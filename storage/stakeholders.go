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

// Scheduled updates for the stakeholder channel wait in a queue and go out
// in batches, one message per batch: Slack takes one message a second in a
// channel, and the stakeholder channel hears of every incident, so with many
// incidents due at once separate posts would fall ever further behind.

// queueScript queues incident ARGV[1] (due ARGV[2], ms) once for its
// occasion (KEYS[2], remembered for a day): a scheduled run done again
// after it queued does not queue the same update twice.
var queueScript = redis.NewScript(`
if redis.call('SET', KEYS[2], 1, 'NX', 'PX', 86400000) then
  redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
end
return 1`)

// QueueStakeholderUpdate puts an incident's scheduled update, due at due, in
// the stakeholder channel's queue, once for its occasion; an incident
// already waiting keeps its place, and its message shows the incident as it
// is when posted.
func (s *Store) QueueStakeholderUpdate(ctx context.Context, n int64, due time.Time, occasion string) error {
	err := queueScript.Run(ctx, s.rdb, []string{stakeholderQueueKey, stakeholderQueuedKey(occasion)}, n, due.UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("queue the stakeholder update of %d: %w", n, err)
	}
	return nil
}

// takeBatchScript hands out the batch to post: the one being posted when
// its poster's lease (ARGV[3] ms) has run out or the poster is ARGV[2], or
// else a new one, named ARGV[1], of up to ARGV[4] of the longest-waiting
// updates. A batch is "id poster until n1 n2 …"; nil when nothing waits or
// another poster holds the batch.
var takeBatchScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilms = now + tonumber(ARGV[3])
local current = redis.call('GET', KEYS[2])
if current then
  local id, poster, held, rest = string.match(current, '^(%S+) (%S+) (%d+)(.*)$')
  if poster ~= ARGV[2] and tonumber(held) > now then return false end
  local batch = id .. ' ' .. ARGV[2] .. ' ' .. untilms .. rest
  redis.call('SET', KEYS[2], batch)
  return batch
end
local ns = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1)
if #ns == 0 then return false end
redis.call('ZREM', KEYS[1], unpack(ns))
local batch = ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. untilms .. ' ' .. table.concat(ns, ' ')
redis.call('SET', KEYS[2], batch)
return batch`)

// TakeStakeholderBatch returns the batch of updates to post as one message,
// held by poster for lease: one whose poster's lease ran out (it died, or
// is stuck), or up to limit of the longest-waiting updates (incident
// numbers, longest waiting first). id is "" when nothing waits or another
// poster holds the batch. The id names the batch for good, so a batch
// handed out again is recognised. The poster posts it and calls
// FinishStakeholderBatch.
func (s *Store) TakeStakeholderBatch(ctx context.Context, poster string, limit int, lease time.Duration) (id string, numbers []int64, err error) {
	raw, err := takeBatchScript.Run(ctx, s.rdb, []string{stakeholderQueueKey, stakeholderBatchKey},
		randomToken(), poster, lease.Milliseconds(), limit).Text()
	if errors.Is(err, redis.Nil) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("take stakeholder updates: %w", err)
	}
	fields := strings.Fields(raw)
	if len(fields) < 3 {
		return "", nil, fmt.Errorf("take stakeholder updates: batch %q", raw)
	}
	for _, f := range fields[3:] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("take stakeholder updates: batch %q: %w", raw, err)
		}
		numbers = append(numbers, v)
	}
	return fields[0], numbers, nil
}

var finishBatchScript = redis.NewScript(`
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^%S+') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// FinishStakeholderBatch ends the batch id once it is posted.
func (s *Store) FinishStakeholderBatch(ctx context.Context, id string) error {
	if err := finishBatchScript.Run(ctx, s.rdb, []string{stakeholderBatchKey}, id).Err(); err != nil {
		return fmt.Errorf("finish stakeholder batch %s: %w", id, err)
	}
	return nil
}

// randomToken names a batch or a poster: unique, whatever Redis has lost.
func randomToken() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
