package storage

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Options says which Redis to use; all empty means the embedded store.
type Options struct {
	URL            string
	SentinelAddrs  []string
	SentinelMaster string
	ClusterAddrs   []string
	Password       string
}

// withTimeouts bounds every call: a Redis that is frozen or unreachable
// makes a call fail within about a second (or the caller's deadline, which
// go-redis honours on the socket only when told to), so a request is
// answered within the 3 s Slack waits, never after.
func withTimeouts(o *redis.UniversalOptions) *redis.UniversalOptions {
	o.DialTimeout = time.Second
	o.ReadTimeout = time.Second
	o.WriteTimeout = time.Second
	o.PoolTimeout = time.Second
	o.ContextTimeoutEnabled = true
	o.MaxRetries = 1
	return o
}

// Open connects to the configured Redis or, when none is configured, starts
// an embedded Redis-compatible server in-process. The returned close func
// releases both.
func Open(ctx context.Context, opts Options, log *slog.Logger) (redis.UniversalClient, func() error, error) {
	var uo redis.UniversalOptions
	switch {
	case len(opts.ClusterAddrs) > 0:
		uo = redis.UniversalOptions{Addrs: opts.ClusterAddrs, Password: opts.Password, IsClusterMode: true}
	case len(opts.SentinelAddrs) > 0:
		uo = redis.UniversalOptions{Addrs: opts.SentinelAddrs, MasterName: opts.SentinelMaster, Password: opts.Password}
	case opts.URL != "":
		o, err := redis.ParseURL(opts.URL)
		if err != nil {
			return nil, nil, fmt.Errorf("parse REDIS_URL: %w", err)
		}
		uo = redis.UniversalOptions{
			Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, DB: o.DB,
			TLSConfig: o.TLSConfig, Protocol: o.Protocol, ClientName: o.ClientName,
		}
	default:
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, nil, fmt.Errorf("start embedded store: %w", err)
		}
		log.Warn("REDIS_URL is not set: using the embedded in-process store; ALL INCIDENT DATA IS LOST WHEN THE PROCESS EXITS", "addr", m.Addr())
		rdb := redis.NewUniversalClient(withTimeouts(&redis.UniversalOptions{Addrs: []string{m.Addr()}}))
		return rdb, func() error { err := rdb.Close(); m.Close(); return err }, nil
	}
	rdb := redis.NewUniversalClient(withTimeouts(&uo))
	if err := rdb.Ping(ctx).Err(); err != nil {
		// Not fatal: /readyz reports it and the client reconnects by itself.
		log.Warn("redis is not reachable yet", "err", err)
	}
	return rdb, rdb.Close, nil
}
