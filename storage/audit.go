package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// auditLookBack is how many of the newest entries a request done again is
// looked for in: its first run's entry is among them.
const auditLookBack = 20

// AppendAudit appends e to incident n's audit log, chained to the entry
// before it (sealed with key), in one transaction: two replicas never
// chain to the same entry. A request done again (its identity among the
// newest entries, asking for the same) is not appended twice.
func (s *Store) AppendAudit(ctx context.Context, n int64, e incident.AuditEntry, key []byte) error {
	k, hk := auditKey(n), auditHeadKey(n)
	for range maxUpdateAttempts {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			docs, err := tx.LRange(ctx, k, -auditLookBack, -1).Result()
			if err != nil {
				return err
			}
			var prev *incident.AuditEntry
			for i, doc := range docs {
				var seen incident.AuditEntry
				if err := json.Unmarshal([]byte(doc), &seen); err != nil {
					return fmt.Errorf("read the audit log: %w", err)
				}
				if e.Request != "" && seen.Request == e.Request && seen.What == e.What {
					return nil // done again: its entry is there
				}
				if i == len(docs)-1 {
					prev = &seen
				}
			}
			// The head, when there is one, is where the chain goes on: a
			// log cut short in Redis stays cut where it was.
			head, err := readHead(ctx, tx, hk)
			if err != nil {
				return err
			}
			switch {
			case head != nil:
				prev = &incident.AuditEntry{Seq: head.Seq, Hash: head.Hash}
			case prev != nil:
				// Entries but no record of where they end: it was deleted.
				// Chaining on as if nothing happened would hide the cut, so
				// the next entry links to nothing and the break stays.
				prev = &incident.AuditEntry{Seq: prev.Seq + 1, Hash: "where the log ended was deleted"}
			}
			next := incident.NextAudit(n, prev, e, key)
			doc, _ := json.Marshal(next) // plain fields: cannot fail
			headDoc, _ := json.Marshal(incident.HeadOf(next, key))
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.RPush(ctx, k, doc)
				p.Set(ctx, hk, headDoc, 0)
				return nil
			})
			return err
		}, k, hk)
		if errors.Is(err, redis.TxFailedErr) {
			continue // another replica appended first: chain to its entry
		}
		if err != nil {
			return fmt.Errorf("append to the audit log of %s: %w", incident.FormatRef(n), err)
		}
		return nil
	}
	return fmt.Errorf("append to the audit log of %s: too many concurrent writers", incident.FormatRef(n))
}

func readHead(ctx context.Context, c redis.Cmdable, key string) (*incident.AuditHead, error) {
	doc, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h incident.AuditHead
	if err := json.Unmarshal(doc, &h); err != nil {
		return &incident.AuditHead{}, nil // unreadable: reported as a head that does not match
	}
	return &h, nil
}

// Audit is incident n's audit log, oldest first, and where it was last
// written to end (nil: nowhere recorded).
func (s *Store) Audit(ctx context.Context, n int64) ([]incident.AuditEntry, *incident.AuditHead, error) {
	// Both at one instant (MULTI), so an entry appended meanwhile is not
	// taken for a break.
	var headCmd *redis.StringCmd
	var listCmd *redis.StringSliceCmd
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		headCmd, listCmd = p.Get(ctx, auditHeadKey(n)), p.LRange(ctx, auditKey(n), 0, -1)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("read the audit log of %s: %w", incident.FormatRef(n), err)
	}
	var head *incident.AuditHead
	if doc, err := headCmd.Bytes(); err == nil {
		head = &incident.AuditHead{}
		_ = json.Unmarshal(doc, head) // unreadable: a head that does not match
	}
	docs := listCmd.Val()
	out := make([]incident.AuditEntry, 0, len(docs))
	for _, doc := range docs {
		var e incident.AuditEntry
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			// An entry that is not even JSON any more: shown as a break.
			e = incident.AuditEntry{What: "(unreadable entry)"}
		}
		out = append(out, e)
	}
	return out, head, nil
}
