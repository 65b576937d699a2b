package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Home tabs: who opened theirs lately (their tab is kept up to date),
// and whose tab waits to be published again, by when it first changed.
const homeDirtyKey = keyPrefix + "home:dirty" // ZSET user -> first change (ms)

func homeSeenKey(user string) string { return keyPrefix + "home:seen:" + user }

// SawHome notes that a person opened their Home tab; it is kept up to date for within.
func (s *Store) SawHome(ctx context.Context, user string, within time.Duration) error {
	if err := s.rdb.Set(ctx, homeSeenKey(user), 1, within).Err(); err != nil {
		return fmt.Errorf("note the Home tab of %s: %w", user, err)
	}
	return nil
}

// HomeChanged marks the Home tabs of those of users who opened theirs
// lately as to publish again; a tab already marked keeps its first time,
// so that a burst of changes publishes it once.
func (s *Store) HomeChanged(ctx context.Context, users []string, at time.Time) error {
	if len(users) == 0 {
		return nil
	}
	seen := make([]*redis.IntCmd, len(users))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, u := range users {
			seen[i] = p.Exists(ctx, homeSeenKey(u))
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read who keeps a Home tab: %w", err)
	}
	var zs []redis.Z
	for i, u := range users {
		if seen[i].Val() > 0 {
			zs = append(zs, redis.Z{Score: float64(at.UnixMilli()), Member: u})
		}
	}
	if len(zs) == 0 {
		return nil
	}
	if err := s.rdb.ZAddNX(ctx, homeDirtyKey, zs...).Err(); err != nil {
		return fmt.Errorf("mark Home tabs to publish: %w", err)
	}
	return nil
}

// TakeChangedHomes takes up to limit people whose tab changed before
// before: each is taken by one caller only, whatever the replicas.
func (s *Store) TakeChangedHomes(ctx context.Context, before time.Time, limit int) ([]string, error) {
	users, err := s.rdb.ZRangeByScore(ctx, homeDirtyKey, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(before.UnixMilli(), 10), Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("list Home tabs to publish: %w", err)
	}
	var mine []string
	for _, u := range users {
		if n, err := s.rdb.ZRem(ctx, homeDirtyKey, u).Result(); err == nil && n == 1 {
			mine = append(mine, u)
		}
	}
	return mine, nil
}

const homeTriagersKey = keyPrefix + "home:triagers" // SET: people whose Home tab lists the waiting reports

// NoteHomeTriager notes whether a person's Home tab lists the waiting
// reports, so that a change of a report publishes it again.
func (s *Store) NoteHomeTriager(ctx context.Context, user string, triager bool) error {
	var err error
	if triager {
		err = s.rdb.SAdd(ctx, homeTriagersKey, user).Err()
	} else {
		err = s.rdb.SRem(ctx, homeTriagersKey, user).Err()
	}
	if err != nil {
		return fmt.Errorf("note the Home tab of %s: %w", user, err)
	}
	return nil
}

// HomeTriagers are the people whose Home tab lists the waiting reports.
func (s *Store) HomeTriagers(ctx context.Context) ([]string, error) {
	users, err := s.rdb.SMembers(ctx, homeTriagersKey).Result()
	if err != nil {
		return nil, fmt.Errorf("list the Home tabs with reports: %w", err)
	}
	return users, nil
}
