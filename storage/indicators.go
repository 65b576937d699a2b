package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// AddIndicator records an indicator on an incident, or a new sighting of
// one it has (deduplicated by type and normal form), with its timeline
// event, in one transaction; within a request, once. It returns the
// indicator as stored.
func (s *Store) AddIndicator(ctx context.Context, n int64, ind incident.Indicator) (incident.Indicator, error) {
	stored, err := s.changeIndicator(ctx, n, ind.Type, ind.Value, func(cur *incident.Indicator, exists bool) (incident.TimelineEvent, error) {
		if !exists {
			*cur = ind
			cur.Sightings = 0
		}
		cur.Sightings++
		cur.LastSeen = ind.LastSeen
		if cur.Note == "" {
			cur.Note = ind.Note
		}
		if ind.Marking != "" {
			cur.Marking = ind.Marking
		}
		return incident.IndicatorAdded(ind.LastSeen, ind.AddedBy, ind.Type, ind.Value), nil
	})
	if err != nil {
		return stored, fmt.Errorf("add an indicator to %s: %w", incident.FormatRef(n), err)
	}
	if err := s.rdb.SAdd(ctx, indicatorSeenKey(string(ind.Type), ind.Value), n).Err(); err != nil {
		return stored, fmt.Errorf("index an indicator of %s: %w", incident.FormatRef(n), err)
	}
	return stored, nil
}

// ErrNoIndicator is returned for an indicator the incident does not have.
var ErrNoIndicator = errors.New("no such indicator on the incident")

// MarkIndicator sets an indicator's state, with its timeline entry, in one
// transaction; within a request, once.
func (s *Store) MarkIndicator(ctx context.Context, n int64, t incident.IndicatorType, value, state, by string, at time.Time) (incident.Indicator, error) {
	stored, err := s.changeIndicator(ctx, n, t, value, func(cur *incident.Indicator, exists bool) (incident.TimelineEvent, error) {
		if !exists {
			return incident.TimelineEvent{}, ErrNoIndicator
		}
		cur.State = state
		return incident.IndicatorMarked(at, by, t, value, state), nil
	})
	if err != nil {
		return stored, fmt.Errorf("mark an indicator of %s: %w", incident.FormatRef(n), err)
	}
	return stored, nil
}

// changeIndicator changes one indicator of an incident (exists says whether
// it has it) and records the event fn returns, in one transaction with the
// request's effect: a request done again changes nothing and gets the
// indicator as stored.
func (s *Store) changeIndicator(ctx context.Context, n int64, t incident.IndicatorType, value string,
	fn func(cur *incident.Indicator, exists bool) (incident.TimelineEvent, error)) (incident.Indicator, error) {
	key, field, incKey := indicatorsKey(n), string(t)+" "+value, incidentKey(n)
	effect := incident.NextEffect(ctx)
	var stored incident.Indicator
	txn := func(tx *redis.Tx) error {
		stored = incident.Indicator{}
		incDoc, err := tx.Get(ctx, incKey).Bytes()
		if errors.Is(err, redis.Nil) {
			return incident.ErrNotFound
		}
		if err != nil {
			return err
		}
		raw, err := tx.HGet(ctx, key, field).Bytes()
		exists := err == nil
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(raw, &stored); err != nil {
				return err
			}
			if done, err := applied(ctx, tx, n, effect); err != nil || done {
				return err // this request changed it before
			}
		}
		ev, err := fn(&stored, exists)
		if err != nil {
			return err
		}
		doc, err := json.Marshal(stored)
		if err != nil {
			return err
		}
		if !exists {
			// The card counts indicators: the count lives in the incident's
			// record, changed in the same transaction.
			inc, err := decode(incDoc)
			if err != nil {
				return err
			}
			inc.IndicatorCount++
			if incDoc, err = json.Marshal(inc); err != nil {
				return err
			}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if !exists {
				p.Set(ctx, incKey, incDoc, 0)
			}
			p.HSet(ctx, key, field, doc)
			appendEvents(ctx, p, n, []incident.TimelineEvent{ev})
			recordEffect(ctx, p, n, effect)
			return nil
		})
		if err != nil {
			return err
		}
		return s.confirm(ctx, tx)
	}
	return stored, s.watchedKeys(ctx, txn, incKey, key)
}

// IndicatorSeenIn are the incidents an indicator was added to.
func (s *Store) IndicatorSeenIn(ctx context.Context, t incident.IndicatorType, value string) ([]int64, error) {
	ns, err := s.rdb.SMembers(ctx, indicatorSeenKey(string(t), value)).Result()
	if err != nil {
		return nil, fmt.Errorf("incidents with an indicator: %w", err)
	}
	out := make([]int64, 0, len(ns))
	for _, v := range ns {
		var n int64
		if _, err := fmt.Sscan(v, &n); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Indicators are an incident's indicators, first seen first.
func (s *Store) Indicators(ctx context.Context, n int64) ([]incident.Indicator, error) {
	all, err := s.rdb.HGetAll(ctx, indicatorsKey(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("indicators of %s: %w", incident.FormatRef(n), err)
	}
	out := make([]incident.Indicator, 0, len(all))
	for _, doc := range all {
		var ind incident.Indicator
		if err := json.Unmarshal([]byte(doc), &ind); err != nil {
			return nil, fmt.Errorf("indicators of %s: %w", incident.FormatRef(n), err)
		}
		out = append(out, ind)
	}
	slices.SortFunc(out, func(a, b incident.Indicator) int {
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), cmp.Compare(a.Value, b.Value))
	})
	return out, nil
}
