package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// ErrReportNotFound is returned for a report that does not exist; it is
// an incident.ErrNotFound, which callers outside storage branch on.
var ErrReportNotFound = fmt.Errorf("report: %w", incident.ErrNotFound)

// createReportScript stores a new report (ARGV[1], its JSON without a
// number) under the next number, reported at ARGV[2] (ms), once per
// request (KEYS[3], remembered a day): a request done again gets the
// number it got first. ARGV[3] and ARGV[4] are the prefixes of a report's
// key and of its count's. It returns the number.
var createReportScript = redis.NewScript(`
local made = redis.call('GET', KEYS[3])
if made then return tonumber(made) end
local n = redis.call('INCR', KEYS[1])
redis.call('SET', ARGV[3] .. n, ARGV[1])
redis.call('HSET', ARGV[4] .. n, 'count', 1, 'last', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], n)
redis.call('SET', KEYS[3], n, 'PX', 86400000)
return n`)

// intakeScript takes an alert, once per request (KEYS[4], a day: a replay
// answers {number, dedup, count, 1} and changes nothing). When its dedup
// key (KEYS[1]) names a report still waiting for an outcome, the alert is
// counted on it (last seen ARGV[2], ms) and the key's window (ARGV[4], ms)
// starts again; otherwise it is stored as a new report (ARGV[1]) and the
// key names it. It returns {number, 1 when counted on an earlier report,
// count, 0}.
var intakeScript = redis.NewScript(`
local seen = redis.call('GET', KEYS[4])
if seen then
  local n, dedup, count = string.match(seen, '^(%d+) (%d) (%d+)$')
  return {tonumber(n), tonumber(dedup), tonumber(count), 1}
end
local n, dedup, count
local known = KEYS[1] ~= KEYS[2] and redis.call('GET', KEYS[1])
if known and redis.call('ZSCORE', KEYS[3], known) then
  n, dedup = tonumber(known), 1
  count = redis.call('HINCRBY', ARGV[5] .. known, 'count', 1)
  redis.call('HSET', ARGV[5] .. known, 'last', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
else
  n, dedup, count = redis.call('INCR', KEYS[2]), 0, 1
  redis.call('SET', ARGV[3] .. n, ARGV[1])
  redis.call('HSET', ARGV[5] .. n, 'count', 1, 'last', ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[2], n)
  if KEYS[1] ~= KEYS[2] then redis.call('SET', KEYS[1], n, 'PX', ARGV[4]) end
end
redis.call('SET', KEYS[4], n .. ' ' .. dedup .. ' ' .. count, 'PX', 86400000)
return {n, dedup, count, 0}`)

// CreateReport stores a new report and returns its number. Within a
// request it is made once: a request done again gets the same number.
func (s *Store) CreateReport(ctx context.Context, r *incident.Report) (int64, error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("create report: %w", err)
	}
	req := incident.RequestID(ctx)
	if req == "" {
		req = randomToken()
	}
	keys := []string{reportCounterKey, reportWaitingKey, reportRequestKey(req)}
	args := []any{doc, r.ReportedAt.UnixMilli(), reportKeyPrefix, reportHitsPrefix}
	n, err := s.runConfirmed(ctx, createReportScript, keys, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("create report: %w", err)
	}
	return n, nil
}

// IntakeAlert stores an alert as a report, or, when an alert with the same
// dedup key came within window and its report still waits for an outcome,
// counts it on that report. It returns the report's number, whether it was
// counted on an earlier one, and how many alerts the report now holds.
// Within a request it is taken once: the request taken again fails with
// incident.ErrReplayed, in the same step, so a request the store did not take may
// be sent again.
func (s *Store) IntakeAlert(ctx context.Context, r *incident.Report, window time.Duration) (n int64, deduplicated bool, count int64, err error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return 0, false, 0, fmt.Errorf("take alert: %w", err)
	}
	dedup := reportCounterKey // no dedup key: the script makes a report and remembers nothing
	if r.DedupKey != "" {
		dedup = reportDedupKey(r.DedupKey)
	}
	req := incident.RequestID(ctx)
	if req == "" {
		req = randomToken()
	}
	keys := []string{dedup, reportCounterKey, reportWaitingKey, reportRequestKey(req)}
	args := []any{doc, r.ReportedAt.UnixMilli(), reportKeyPrefix, max(window.Milliseconds(), 1), reportHitsPrefix}
	res, err := s.runConfirmed(ctx, intakeScript, keys, args...).Int64Slice()
	if errors.Is(err, incident.ErrNotDurable) {
		// Stored but not confirmed: the sender is told to send it again,
		// which must then not be taken for a replay.
		if derr := s.rdb.Del(context.WithoutCancel(ctx), reportRequestKey(req)).Err(); derr != nil {
			err = errors.Join(err, derr)
		}
	}
	if err != nil {
		return 0, false, 0, fmt.Errorf("take alert: %w", err)
	}
	if len(res) != 4 {
		return 0, false, 0, fmt.Errorf("take alert: unexpected answer %v", res)
	}
	if res[3] == 1 {
		return res[0], res[1] == 1, res[2], fmt.Errorf("take alert: %w", incident.ErrReplayed)
	}
	return res[0], res[1] == 1, res[2], nil
}

// Report reads a report.
func (s *Store) Report(ctx context.Context, n int64) (*incident.Report, error) {
	var doc *redis.StringCmd
	var hits *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		doc, hits = p.Get(ctx, reportKey(n)), p.HGetAll(ctx, reportHitsKey(n))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("get %s: %w", incident.FormatReportRef(n), err)
	}
	return decodeReport(n, doc, hits.Val())
}

func decodeReport(n int64, doc *redis.StringCmd, hits map[string]string) (*incident.Report, error) {
	raw, err := doc.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("get %s: %w", incident.FormatReportRef(n), ErrReportNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", incident.FormatReportRef(n), err)
	}
	var r incident.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", incident.FormatReportRef(n), err)
	}
	r.Number = n
	r.Count, _ = strconv.ParseInt(hits["count"], 10, 64)
	r.Count = max(r.Count, 1)
	if ms, err := strconv.ParseInt(hits["last"], 10, 64); err == nil {
		r.LastAt = time.UnixMilli(ms).UTC()
	}
	return &r, nil
}

// UpdateReport changes a report atomically: fn sees the current state and
// changes it, and runs again if another writer changed it meanwhile (so it
// must have no side effects); an error from fn changes nothing. Within a
// request each change is made once (named as incident.NextEffect names
// it): done again, fn does not run and the report is returned as it is.
func (s *Store) UpdateReport(ctx context.Context, n int64, fn func(*incident.Report) error) (*incident.Report, error) {
	key := reportKey(n)
	effect := incident.NextEffect(ctx)
	var updated *incident.Report
	txn := func(tx *redis.Tx) error {
		doc, hits := tx.Get(ctx, key), tx.HGetAll(ctx, reportHitsKey(n))
		if hits.Err() != nil {
			return hits.Err()
		}
		r, err := decodeReport(n, doc, hits.Val())
		if err != nil {
			return err
		}
		updated = r
		if r.Did(effect) {
			return nil
		}
		if err := fn(r); err != nil {
			return err
		}
		r.Remember(effect)
		newDoc, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, newDoc, 0)
			if !r.Waiting() {
				p.ZRem(ctx, reportWaitingKey, n)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return s.confirm(ctx, tx)
	}
	if err := s.watched(ctx, key, txn); err != nil {
		return nil, fmt.Errorf("update %s: %w", incident.FormatReportRef(n), err)
	}
	return updated, nil
}

// WaitingReports are the reports without an outcome, longest waiting first.
func (s *Store) WaitingReports(ctx context.Context) ([]*incident.Report, error) {
	ns, err := s.rdb.ZRange(ctx, reportWaitingKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list waiting reports: %w", err)
	}
	docs := make([]*redis.StringCmd, len(ns))
	hits := make([]*redis.MapStringStringCmd, len(ns))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range ns {
			num, _ := strconv.ParseInt(n, 10, 64)
			docs[i], hits[i] = p.Get(ctx, reportKey(num)), p.HGetAll(ctx, reportHitsKey(num))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("list waiting reports: %w", err)
	}
	out := make([]*incident.Report, 0, len(ns))
	for i, n := range ns {
		num, _ := strconv.ParseInt(n, 10, 64)
		r, err := decodeReport(num, docs[i], hits[i].Val())
		if errors.Is(err, ErrReportNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// runConfirmed runs a script and, when writes must reach replicas, the
// wait for them on the same connection in the same round trip.
func (s *Store) runConfirmed(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	if s.minReplicas == 0 {
		return script.Run(ctx, s.rdb, keys, args...)
	}
	var res, wait *redis.Cmd
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		res, wait = script.EvalSha(ctx, p, keys, args...), p.Do(ctx, "WAIT", s.minReplicas, s.replicaWait.Milliseconds())
		return nil
	})
	if res.Err() != nil && redis.HasErrorPrefix(res.Err(), "NOSCRIPT") {
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			res, wait = script.Eval(ctx, p, keys, args...), p.Do(ctx, "WAIT", s.minReplicas, s.replicaWait.Milliseconds())
			return nil
		})
	}
	if res.Err() != nil {
		return res
	}
	if got, err := wait.Int(); err != nil || got < s.minReplicas {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(fmt.Errorf("%w: %d of %d replicas", incident.ErrNotDurable, got, s.minReplicas))
		return cmd
	}
	return res
}
