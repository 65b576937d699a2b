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

// ErrReportNotFound is returned for a report that does not exist.
var ErrReportNotFound = errors.New("report not found")

// createReportScript stores a new report (ARGV[1], its JSON without a
// number) under the next number, reported at ARGV[2] (ms), once per
// request (KEYS[3], remembered a day): a request done again gets the
// number it got first. It returns the number.
var createReportScript = redis.NewScript(`
local made = redis.call('GET', KEYS[3])
if made then return tonumber(made) end
local n = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[3] .. n, 'doc', ARGV[1], 'count', 1, 'last', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], n)
redis.call('SET', KEYS[3], n, 'PX', 86400000)
return n`)

// intakeScript takes an alert: when its dedup key (KEYS[1]) names a report
// still waiting for an outcome, the alert is counted on it (last seen
// ARGV[2], ms) and the key's window (ARGV[4], ms) starts again; otherwise
// it is stored as a new report (ARGV[1]) and the key names it. It returns
// {number, 1 when counted on an earlier report, count}.
var intakeScript = redis.NewScript(`
local known = KEYS[1] ~= KEYS[2] and redis.call('GET', KEYS[1])
if known and redis.call('ZSCORE', KEYS[3], known) then
  local count = redis.call('HINCRBY', ARGV[3] .. known, 'count', 1)
  redis.call('HSET', ARGV[3] .. known, 'last', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {tonumber(known), 1, count}
end
local n = redis.call('INCR', KEYS[2])
redis.call('HSET', ARGV[3] .. n, 'doc', ARGV[1], 'count', 1, 'last', ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[2], n)
if KEYS[1] ~= KEYS[2] then redis.call('SET', KEYS[1], n, 'PX', ARGV[4]) end
return {n, 0, 1}`)

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
	args := []any{doc, r.ReportedAt.UnixMilli(), reportKeyPrefix}
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
func (s *Store) IntakeAlert(ctx context.Context, r *incident.Report, window time.Duration) (n int64, deduplicated bool, count int64, err error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return 0, false, 0, fmt.Errorf("take alert: %w", err)
	}
	dedup := reportCounterKey // no dedup key: the script makes a report and remembers nothing
	if r.DedupKey != "" {
		dedup = reportDedupKey(r.DedupKey)
	}
	keys := []string{dedup, reportCounterKey, reportWaitingKey}
	args := []any{doc, r.ReportedAt.UnixMilli(), reportKeyPrefix, max(window.Milliseconds(), 1)}
	res, err := s.runConfirmed(ctx, intakeScript, keys, args...).Int64Slice()
	if err != nil {
		return 0, false, 0, fmt.Errorf("take alert: %w", err)
	}
	if len(res) != 3 {
		return 0, false, 0, fmt.Errorf("take alert: unexpected answer %v", res)
	}
	return res[0], res[1] == 1, res[2], nil
}

// Report reads a report.
func (s *Store) Report(ctx context.Context, n int64) (*incident.Report, error) {
	h, err := s.rdb.HGetAll(ctx, reportKey(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", incident.FormatReportRef(n), err)
	}
	return decodeReport(n, h)
}

func decodeReport(n int64, h map[string]string) (*incident.Report, error) {
	doc, ok := h["doc"]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", incident.FormatReportRef(n), ErrReportNotFound)
	}
	var r incident.Report
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", incident.FormatReportRef(n), err)
	}
	r.Number = n
	r.Count, _ = strconv.ParseInt(h["count"], 10, 64)
	r.Count = max(r.Count, 1)
	if ms, err := strconv.ParseInt(h["last"], 10, 64); err == nil {
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
		h, err := tx.HGetAll(ctx, key).Result()
		if err != nil {
			return err
		}
		r, err := decodeReport(n, h)
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
		doc, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, key, "doc", doc)
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
	for range maxUpdateAttempts {
		err := s.rdb.Watch(ctx, txn, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", incident.FormatReportRef(n), err)
		}
		return updated, nil
	}
	return nil, fmt.Errorf("update %s: %w", incident.FormatReportRef(n), ErrConflict)
}

// WaitingReports are the reports without an outcome, longest waiting first.
func (s *Store) WaitingReports(ctx context.Context) ([]*incident.Report, error) {
	ns, err := s.rdb.ZRange(ctx, reportWaitingKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list waiting reports: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ns))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range ns {
			num, _ := strconv.ParseInt(n, 10, 64)
			cmds[i] = p.HGetAll(ctx, reportKey(num))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list waiting reports: %w", err)
	}
	out := make([]*incident.Report, 0, len(ns))
	for i, n := range ns {
		num, _ := strconv.ParseInt(n, 10, 64)
		r, err := decodeReport(num, cmds[i].Val())
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
		res, wait = script.EvalSha(ctx, p, keys, args...), p.Do(ctx, "WAIT", s.minReplicas, waitReplicas.Milliseconds())
		return nil
	})
	if res.Err() != nil && redis.HasErrorPrefix(res.Err(), "NOSCRIPT") {
		_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			res, wait = script.Eval(ctx, p, keys, args...), p.Do(ctx, "WAIT", s.minReplicas, waitReplicas.Milliseconds())
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
