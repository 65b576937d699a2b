package bot

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are incidentbot's Prometheus metrics, on a registry of their own.
type Metrics struct {
	reg          *prometheus.Registry
	commands     *prometheus.CounterVec
	commandTime  *prometheus.HistogramVec
	slackCalls   *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	requestsDeny *prometheus.CounterVec

	slackPermanent *prometheus.CounterVec
	slackGaveUp    *prometheus.CounterVec
	updatesSent    prometheus.Counter
	nudgesSent     prometheus.Counter
	updatesLate    prometheus.Counter
	updateDelay    prometheus.Histogram
	digestsSent    prometheus.Counter
	scheduleErrors prometheus.Counter
	redisErrors    *prometheus.CounterVec
	reports        *prometheus.CounterVec
	alertsRejected *prometheus.CounterVec
	reportAck      prometheus.Histogram
	reportDeclare  prometheus.Histogram
}

// NewMetrics registers the metrics; version goes into incidentbot_build_info.
func NewMetrics(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_commands_total", Help: "Slash commands handled, by subcommand and outcome.",
		}, []string{"subcommand", "outcome"}),
		commandTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "incidentbot_command_duration_seconds", Help: "Time to handle a slash command: its work after the acknowledgement, or before it when answered in it.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"subcommand"}),
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_slack_calls_total", Help: "Slack Web API calls, by method and outcome (ok or Slack's error code).",
		}, []string{"method", "outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_slack_rate_limited_total", Help: "HTTP 429 answers from Slack, by method.",
		}, []string{"method"}),
		requestsDeny: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_requests_rejected_total", Help: "Requests from Slack rejected (signature, too_large, busy) or not run again (repeated), by reason.",
		}, []string{"reason"}),
		slackPermanent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_slack_permanent_errors_total", Help: "Slack calls that failed for good (not retried), by method and error.",
		}, []string{"method", "error"}),
		slackGaveUp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_slack_gave_up_total", Help: "Slack calls abandoned after all retries, by method.",
		}, []string{"method"}),
		updatesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_scheduled_updates_sent_total", Help: "Scheduled stakeholder updates sent.",
		}),
		nudgesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_nudges_sent_total", Help: "Reminders to post an update before a scheduled one.",
		}),
		updatesLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_scheduled_updates_late_total", Help: "Scheduled updates sent more than 10 s after they were due.",
		}),
		updateDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "incidentbot_scheduled_update_delay_seconds", Help: "How long after it was due a scheduled update was sent.",
			Buckets: []float64{.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600},
		}),
		digestsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_digests_sent_total", Help: "Digests of open incidents sent.",
		}),
		scheduleErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "incidentbot_schedule_errors_total", Help: "Scheduled work that failed and was put back for a retry.",
		}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_redis_errors_total", Help: "Redis commands that failed, by command.",
		}, []string{"command"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_reports_total", Help: "Reports by source (person, message, alert) and outcome (received, deduplicated, declared, merged, dismissed).",
		}, []string{"source", "outcome"}),
		alertsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "incidentbot_alerts_rejected_total", Help: "Requests to POST /alerts refused, by reason (signature, stale, replay, too_large, bad_request, busy).",
		}, []string{"reason"}),
		reportAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "incidentbot_report_acknowledge_seconds", Help: "From a report to its first acknowledgement (or outcome).",
			Buckets: []float64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 86400},
		}),
		reportDeclare: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "incidentbot_report_declare_seconds", Help: "From a report to the incident declared from it.",
			Buckets: []float64{60, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400},
		}),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "incidentbot_build_info", Help: "Build information; always 1.",
	}, []string{"version", "goversion"})
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
	}
	build.WithLabelValues(version, goVersion).Set(1)
	m.reg.MustRegister(m.commands, m.commandTime, m.slackCalls, m.rateLimited, m.requestsDeny, build,
		m.slackPermanent, m.slackGaveUp, m.updatesSent, m.nudgesSent, m.updatesLate, m.updateDelay, m.digestsSent, m.scheduleErrors, m.redisErrors, m.reports, m.alertsRejected, m.reportAck, m.reportDeclare,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry lets other packages register their metrics beside these.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// RequestDone counts a request handled, by name (the subcommand, action or form) and outcome.
func (m *Metrics) RequestDone(name, outcome string, took time.Duration) {
	m.commands.WithLabelValues(name, outcome).Inc()
	m.commandTime.WithLabelValues(name).Observe(took.Seconds())
}

// RequestRepeated counts a request seen before and not run again.
func (m *Metrics) RequestRepeated() { m.requestsDeny.WithLabelValues("repeated").Inc() }

// UpdateSent counts a scheduled update, late by how long after it was due.
func (m *Metrics) UpdateSent(late time.Duration) {
	m.updatesSent.Inc()
	m.updateDelay.Observe(max(late, 0).Seconds())
	if late > 10*time.Second {
		m.updatesLate.Inc()
	}
}

// NudgeSent counts a reminder to post an update.
func (m *Metrics) NudgeSent() { m.nudgesSent.Inc() }

// DigestSent counts a digest.
func (m *Metrics) DigestSent() { m.digestsSent.Inc() }

// ReportCounted counts a report by source and outcome.
func (m *Metrics) ReportCounted(source, outcome string) {
	m.reports.WithLabelValues(source, outcome).Inc()
}

// AlertRejected counts a refused request to POST /alerts.
func (m *Metrics) AlertRejected(reason string) { m.alertsRejected.WithLabelValues(reason).Inc() }

// ReportAcknowledged observes how long a report waited for someone to take it.
func (m *Metrics) ReportAcknowledged(after time.Duration) { m.reportAck.Observe(after.Seconds()) }

// ReportDeclared observes how long from a report to its incident.
func (m *Metrics) ReportDeclared(after time.Duration) { m.reportDeclare.Observe(after.Seconds()) }

// ScheduleFailed counts scheduled work put back for a retry.
func (m *Metrics) ScheduleFailed() { m.scheduleErrors.Inc() }

// instrument counts every Slack call by method and outcome. Slack reports
// most errors in the body of a 200, so the body is peeked at (it is small)
// and put back for slack-go to read.
func (m *Metrics) instrument(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		method := "response_url"
		if i := strings.LastIndex(r.URL.Path, "/api/"); i >= 0 {
			method = r.URL.Path[i+len("/api/"):]
		}
		resp, err := next.RoundTrip(r)
		if err != nil {
			m.slackCalls.WithLabelValues(method, "transport_error").Inc()
			return nil, err
		}
		outcome := "ok"
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			outcome = "rate_limited"
			m.rateLimited.WithLabelValues(method).Inc()
		case resp.StatusCode >= 300:
			outcome = "http_" + strconv.Itoa(resp.StatusCode)
		case method != "response_url":
			body, readErr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			var status struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			if readErr == nil && json.Unmarshal(body, &status) == nil && !status.OK && status.Error != "" {
				outcome = status.Error
			}
		}
		m.slackCalls.WithLabelValues(method, outcome).Inc()
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
