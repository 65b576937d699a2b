package storage

import (
	"context"
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

// QueueStakeholderUpdate puts an incident's scheduled update, due at due, in
// the stakeholder channel's queue; an incident already waiting keeps its
// place, and its message shows the incident as it is when posted.
func (s *Store) QueueStakeholderUpdate(ctx context.Context, n int64, due time.Time) error {
	err := s.rdb.ZAddNX(ctx, stakeholderQueueKey, redis.Z{Score: float64(due.UnixMilli()), Member: n}).Err()
	if err != nil {
		return fmt.Errorf("queue the stakeholder update of %d: %w", n, err)
	}
	return nil
}

// takeBatchScript returns the batch being posted or, when there is none,
// moves up to ARGV[1] of the longest-waiting updates into a new one.
var takeBatchScript = redis.NewScript(`
local current = redis.call('GET', KEYS[2])
if current then return current end
local ns = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #ns == 0 then return false end
redis.call('ZREM', KEYS[1], unpack(ns))
local batch = redis.call('INCR', KEYS[3]) .. ' ' .. table.concat(ns, ' ')
redis.call('SET', KEYS[2], batch)
return batch`)

// TakeStakeholderBatch returns the batch of updates to post as one message:
// one left unfinished by a poster that died, or up to limit of the
// longest-waiting updates (incident numbers, longest waiting first); id 0
// when nothing waits. The id names the post, so a batch handed out again is
// recognised. The caller posts it and calls FinishStakeholderBatch; until
// then it is handed out again.
func (s *Store) TakeStakeholderBatch(ctx context.Context, limit int) (id int64, numbers []int64, err error) {
	raw, err := takeBatchScript.Run(ctx, s.rdb, []string{stakeholderQueueKey, stakeholderBatchKey, stakeholderSeqKey}, limit).Text()
	if errors.Is(err, redis.Nil) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("take stakeholder updates: %w", err)
	}
	for i, f := range strings.Fields(raw) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, nil, fmt.Errorf("take stakeholder updates: batch %q: %w", raw, err)
		}
		if i == 0 {
			id = v
		} else {
			numbers = append(numbers, v)
		}
	}
	return id, numbers, nil
}

var finishBatchScript = redis.NewScript(`
local current = redis.call('GET', KEYS[1])
if current and string.match(current, '^%d+') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// FinishStakeholderBatch ends the batch id once it is posted.
func (s *Store) FinishStakeholderBatch(ctx context.Context, id int64) error {
	if err := finishBatchScript.Run(ctx, s.rdb, []string{stakeholderBatchKey}, strconv.FormatInt(id, 10)).Err(); err != nil {
		return fmt.Errorf("finish stakeholder batch %d: %w", id, err)
	}
	return nil
}
