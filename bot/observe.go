package bot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// OpenCounter counts the open incidents, for the gauge of open incidents.
type OpenCounter interface {
	OpenCounts(ctx context.Context) (map[[2]string]int, error) // by [severity, phase]
}

// openIncidents is a collector that reports the open incidents by severity
// and phase at each scrape, from counts the store keeps as incidents
// change, so every replica reports the same and a scrape stays cheap.
type openIncidents struct {
	store OpenCounter
	desc  *prometheus.Desc
	log   *slog.Logger
}

// RegisterOpenIncidents adds incidentbot_open_incidents{severity,phase} to the metrics.
func (m *Metrics) RegisterOpenIncidents(store OpenCounter, log *slog.Logger) {
	m.reg.MustRegister(&openIncidents{store: store, log: log, desc: prometheus.NewDesc(
		"incidentbot_open_incidents", "Open incidents, by severity and phase.", []string{"severity", "phase"}, nil)})
}

func (o *openIncidents) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *openIncidents) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := o.store.OpenCounts(ctx)
	if err != nil {
		// Left out of this scrape: the other metrics (the Redis errors among
		// them) still answer, and the cause, which names addresses, stays in
		// the log.
		o.log.Warn("could not count the open incidents for /metrics", "err", err)
		return
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

// RedisHook counts Redis errors (a missing key is not one) in the metrics.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m: m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			h.m.redisErrors.WithLabelValues("dial").Inc()
		}
		return conn, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(cmd.Name(), err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.count("pipeline", err)
		return err
	}
}

func (h redisHook) count(name string, err error) {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, redis.TxFailedErr) {
		return
	}
	h.m.redisErrors.WithLabelValues(name).Inc()
}
