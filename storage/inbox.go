package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
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

// Accept records a request's identity and journals it. first is false when
// a request with this identity was accepted before: a replay, a retry or a
// double submission, which must not run again. When the store cannot be
// reached, first is true with the error: the work runs and meets the same
// failure, which the user is told about.
func (s *Store) Accept(ctx context.Context, id string, e InboxEntry) (first bool, err error) {
	first, err = s.rdb.SetNX(ctx, seenKey(id), 1, seenFor).Result()
	if err != nil {
		return true, fmt.Errorf("accept %s: %w", id, err)
	}
	if !first {
		return false, nil
	}
	return true, s.Journal(ctx, id, e)
}

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

// Done removes a request whose work is finished.
func (s *Store) Done(ctx context.Context, id string) error {
	if err := s.rdb.HDel(ctx, inboxKey, id).Err(); err != nil {
		return fmt.Errorf("finish %s: %w", id, err)
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
