package storage

import (
	"bytes"
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
	stored, err := s.changeIndicator(ctx, n, ind.Type, ind.Value, func(cur *incident.Indicator, exists bool, inc *incident.Incident) (incident.TimelineEvent, error) {
		if !exists {
			*cur = ind
			cur.Sightings = 0
		}
		cur.Sightings++
		cur.LastSeen = ind.LastSeen
		ev := incident.IndicatorAdded(ind.LastSeen, ind.AddedBy, ind.Type, ind.Value)
		switch {
		case cur.Note == "":
			cur.Note = ind.Note
		case ind.Note != "" && ind.Note != cur.Note:
			ev.Reason = ind.Note // the indicator keeps its first note; the sighting's is on the timeline
		}
		cur.Marking = incident.Stricter(cur.Marking, ind.Marking) // a sighting may raise a marking, never lower it
		if floor := inc.Marking(); floor != "TLP:CLEAR" {
			cur.Marking = incident.Stricter(cur.Marking, floor) // never below the incident's
		}
		return ev, nil
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

// MarkIndicator sets an indicator's state and marking (each where not
// ""; see incident.Indicator.Mark for who may), with its timeline entry,
// in one transaction; within a request, once.
func (s *Store) MarkIndicator(ctx context.Context, n int64, t incident.IndicatorType, value, state, marking string, a incident.Actor, at time.Time) (incident.Indicator, error) {
	stored, err := s.changeIndicator(ctx, n, t, value, func(cur *incident.Indicator, exists bool, inc *incident.Incident) (incident.TimelineEvent, error) {
		if !exists {
			return incident.TimelineEvent{}, ErrNoIndicator
		}
		return cur.Mark(at, a, inc, state, marking)
	})
	if err != nil {
		return stored, fmt.Errorf("mark an indicator of %s: %w", incident.FormatRef(n), err)
	}
	return stored, nil
}

// changeIndicator changes one indicator of an incident (exists says whether
// it has it) and records the event fn returns; a new one is counted on the
// incident's record.
func (s *Store) changeIndicator(ctx context.Context, n int64, t incident.IndicatorType, value string,
	fn func(cur *incident.Indicator, exists bool, inc *incident.Incident) (incident.TimelineEvent, error)) (incident.Indicator, error) {
	field := string(t) + " " + value
	return changeRecord(ctx, s, n, recordChange[incident.Indicator]{
		key:   indicatorsKey(n),
		field: func(*redis.Tx, *incident.Incident, bool) (string, error) { return field, nil },
		change: func(cur *incident.Indicator, exists bool, inc *incident.Incident) (incident.TimelineEvent, error) {
			if !exists {
				if inc.IndicatorCount >= incident.MaxIndicators {
					return incident.TimelineEvent{}, incident.Fail(incident.Conflict, "%s has %d indicators, the most it keeps.", inc.Ref(), incident.MaxIndicators)
				}
				inc.IndicatorCount++ // the card counts them
			}
			return fn(cur, exists, inc)
		},
	})
}

// recordChange is a change of one record an incident keeps beside its own
// (an indicator, an item of evidence), in a hash of its slot.
type recordChange[T any] struct {
	key string
	// effect is the request's effect the change is, when the caller took
	// it already; nil: the next.
	effect *string
	// field names the record; redo says the request made its change
	// before, and field must name the record it changed.
	field func(tx *redis.Tx, inc *incident.Incident, redo bool) (string, error)
	// change changes the record (exists: the incident has it) and, where
	// the card shows something of it, the incident's own record.
	change func(cur *T, exists bool, inc *incident.Incident) (incident.TimelineEvent, error)
	// remember, when set, is one more field of the hash to write with the change.
	remember func(field string) (name, value string)
}

// changeRecord makes a recordChange in one transaction with the incident's
// record, the timeline event and the request's effect: a request done
// again changes nothing and gets the record as stored.
func changeRecord[T any](ctx context.Context, s *Store, n int64, c recordChange[T]) (T, error) {
	incKey := incidentKey(n)
	var effect string
	if c.effect != nil {
		effect = *c.effect
	} else {
		effect = incident.NextEffect(ctx)
	}
	var stored T
	done := false
	txn := func(tx *redis.Tx) error {
		var zero T
		stored = zero
		incDoc, err := tx.Get(ctx, incKey).Bytes()
		if errors.Is(err, redis.Nil) {
			return incident.ErrNotFound
		}
		if err != nil {
			return err
		}
		inc, err := decode(incDoc)
		if err != nil {
			return err
		}
		if done, err = applied(ctx, tx, n, effect); err != nil {
			return err
		}
		field, err := c.field(tx, inc, done)
		if err != nil {
			return err
		}
		raw, err := tx.HGet(ctx, c.key, field).Bytes()
		exists := err == nil
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(raw, &stored); err != nil {
				return err
			}
		}
		if done {
			return nil // this request changed it before
		}
		ev, err := c.change(&stored, exists, inc)
		if err != nil {
			return err
		}
		doc, err := marshal(stored)
		if err != nil {
			return err
		}
		newIncDoc, err := marshal(inc)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if !bytes.Equal(newIncDoc, incDoc) {
				p.Set(ctx, incKey, newIncDoc, 0)
			}
			p.HSet(ctx, c.key, field, doc)
			if c.remember != nil {
				name, value := c.remember(field)
				p.HSet(ctx, c.key, name, value)
			}
			appendEvents(ctx, p, n, []incident.TimelineEvent{ev})
			recordEffect(ctx, p, n, effect)
			return nil
		})
		if err != nil {
			return err
		}
		return s.confirm(ctx, tx)
	}
	if err := s.watchedKeys(ctx, txn, incKey, c.key); err != nil {
		return stored, err
	}
	if !done {
		s.wrote(ctx, effect)
	}
	return stored, nil
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
