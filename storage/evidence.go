package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// requestField is the field of the evidence hash that remembers which
// item a request added, so that the request done again finds it.
func requestField(effect string) string { return "r:" + effectMember(effect) }

// AddEvidence adds the item of evidence fn makes, numbered next, with its
// timeline event, in one transaction; within a request, once. It returns
// the item as stored.
func (s *Store) AddEvidence(ctx context.Context, n int64, fn func(id int) (incident.Evidence, incident.TimelineEvent, error)) (incident.Evidence, error) {
	effect := incident.NextEffect(ctx)
	remember := func(field string) (string, string) { return requestField(effect), field }
	if effect == "" {
		remember = nil // outside a request: nothing to find again
	}
	e, err := changeRecord(ctx, s, n, recordChange[incident.Evidence]{
		key: evidenceKey(n), effect: &effect,
		field: func(tx *redis.Tx, inc *incident.Incident, redo bool) (string, error) {
			if redo {
				return tx.HGet(ctx, evidenceKey(n), requestField(effect)).Result()
			}
			return strconv.Itoa(inc.EvidenceCount + 1), nil
		},
		change: func(cur *incident.Evidence, exists bool, inc *incident.Incident) (incident.TimelineEvent, error) {
			if inc.EvidenceCount >= incident.MaxEvidence {
				return incident.TimelineEvent{}, incident.Fail(incident.Conflict, "%s has %d items of evidence, the most it keeps.", inc.Ref(), incident.MaxEvidence)
			}
			e, ev, err := fn(inc.EvidenceCount + 1)
			*cur = e
			inc.NoteEvidence(e, true)
			return ev, err
		},
		remember: remember,
	})
	if err != nil {
		return e, fmt.Errorf("add evidence to %s: %w", incident.FormatRef(n), err)
	}
	return e, nil
}

// ChangeEvidence records a custody step of an item of evidence (fn sees
// the incident as it is, for its rules), with its timeline event, in one
// transaction; within a request, once. A mismatch is noted on the
// incident's record, for the card. It returns the item as stored and the
// entry this request recorded, also when the request is done again after
// others have recorded steps since.
func (s *Store) ChangeEvidence(ctx context.Context, n int64, id int, fn func(e *incident.Evidence, inc *incident.Incident) (incident.TimelineEvent, error)) (incident.Evidence, incident.CustodyEntry, error) {
	field := strconv.Itoa(id)
	effect := incident.NextEffect(ctx)
	seq := 0 // the step this request recorded
	c := recordChange[incident.Evidence]{
		key: evidenceKey(n), effect: &effect,
		field: func(tx *redis.Tx, _ *incident.Incident, redo bool) (string, error) {
			if redo {
				v, err := tx.HGet(ctx, evidenceKey(n), requestField(effect)).Result()
				if err != nil {
					return "", err
				}
				item, step, _ := strings.Cut(v, ":")
				seq, _ = strconv.Atoi(step)
				return item, nil
			}
			return field, nil
		},
		change: func(cur *incident.Evidence, exists bool, inc *incident.Incident) (incident.TimelineEvent, error) {
			if !exists {
				return incident.TimelineEvent{}, incident.Fail(incident.NotFound, "%s has no evidence EV-%d; %s lists it.", inc.Ref(), id, incident.Literal("/incident evidence"))
			}
			ev, err := fn(cur, inc)
			inc.NoteEvidence(*cur, false)
			seq = len(cur.Custody)
			return ev, err
		},
	}
	if effect != "" {
		c.remember = func(field string) (string, string) { return requestField(effect), field + ":" + strconv.Itoa(seq) }
	}
	e, err := changeRecord(ctx, s, n, c)
	if err != nil {
		return e, incident.CustodyEntry{}, fmt.Errorf("change EV-%d of %s: %w", id, incident.FormatRef(n), err)
	}
	var entry incident.CustodyEntry
	if seq > 0 && seq <= len(e.Custody) {
		entry = e.Custody[seq-1]
	}
	return e, entry, nil
}

// Evidence are an incident's items of evidence, in number order.
func (s *Store) Evidence(ctx context.Context, n int64) ([]incident.Evidence, error) {
	all, err := s.rdb.HGetAll(ctx, evidenceKey(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("evidence of %s: %w", incident.FormatRef(n), err)
	}
	out := make([]incident.Evidence, 0, len(all))
	for field, doc := range all {
		if strings.HasPrefix(field, "r:") {
			continue
		}
		var e incident.Evidence
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return nil, fmt.Errorf("evidence of %s: %w", incident.FormatRef(n), err)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b incident.Evidence) int { return a.ID - b.ID })
	return out, nil
}
