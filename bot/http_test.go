package bot_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

func TestReadinessFollowsRedisAndSlack(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	srv := redistest.StartEmbedded(t)
	store := storage.New(srv.Client(t))
	metrics := bot.NewMetrics("test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), metrics)
	ready := bot.NewReadiness(store, api, log)
	h := httptest.NewServer(bot.NewHandler(bot.ServerConfig{Store: store, API: api, Metrics: metrics, Log: log, Ready: ready,
		Gate: bot.NewGate(commands.New(config.Defaults(), store, bot.NewChat(api, metrics, clocktest.Instant{}, log), log, fs.BotUserID, time.Now, nil),
			func(redo map[string]work.Redo) *work.Dispatcher {
				return work.NewDispatcher(store, redo, metrics, log, time.Now)
			}, log)}))
	defer h.Close()

	get := func(path string) (int, string) {
		resp, err := http.Get(h.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	fs.Fail("auth.test", fakeslack.Failure{Error: "invalid_auth"})
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "slack") {
		t.Errorf("readyz with Slack refusing the token = %d %q", code, body)
	}
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Errorf("readyz did not recover with Slack: %d", code)
	}
	ready.Drain()
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("readyz while draining = %d %q", code, body)
	}
	h.Config.Handler = bot.NewHandler(bot.ServerConfig{Store: store, API: api, Metrics: metrics, Log: log,
		Gate: bot.NewGate(commands.New(config.Defaults(), store, bot.NewChat(api, metrics, clocktest.Instant{}, log), log, fs.BotUserID, time.Now, nil),
			func(redo map[string]work.Redo) *work.Dispatcher {
				return work.NewDispatcher(store, redo, metrics, log, time.Now)
			}, log)})
	srv.Close()
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "store") {
		t.Errorf("readyz with Redis down = %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("healthz = %d", code)
	}
	code, body := get("/metrics")
	if code != http.StatusOK || !strings.Contains(body, `incidentbot_slack_calls_total{method="auth.test",outcome="invalid_auth"} 1`) ||
		!strings.Contains(body, `incidentbot_build_info{`) {
		t.Errorf("metrics = %d\n%s", code, body)
	}
	// Socket Mode (no signing secret): the Slack request URLs are not served.
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/slack/commands", strings.NewReader("text=help"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("/slack/commands accepted without a signing secret configured")
	}
}

// Before the bot is connected to Slack, /readyz says where it is trying
// (SLACK_API_URL without credentials), without asking Slack; the requests
// that need the gate are answered "not yet"; once the gate is set and the
// bot marked connected, both work, the first probe not asking Slack again.
func TestReadyAndRequestsBeforeTheGate(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	store := storage.New(redistest.StartEmbedded(t).Client(t))
	metrics := bot.NewMetrics("test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), metrics)
	ready := bot.NewReadiness(store, api, log)
	ready.Connecting("https://user:hunter2@proxy.internal:8443/slack/api/?key=hunter2")
	gates := new(bot.GateSlot)
	const secret, alertsSecret = "test-secret", "alerts-secret"
	h := httptest.NewServer(bot.NewHandler(bot.ServerConfig{SigningSecret: secret, AlertsSecret: alertsSecret,
		Store: store, API: api, Metrics: metrics, Log: log, Ready: ready, Gates: gates}))
	defer h.Close()
	do := func(req *http.Request) (int, string) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, h.URL+path, nil)
		return do(req)
	}
	signed := func(path, contentType string, body []byte) *http.Request {
		req, err := fakeslack.SignedRequest(context.Background(), h.URL+path, secret, contentType, body, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	alert := func() *http.Request {
		body := []byte(`{"title":"EDR: beacon from host-17","dedup_key":"edr-17"}`)
		req, _ := http.NewRequest(http.MethodPost, h.URL+"/alerts", bytes.NewReader(body))
		now := time.Now()
		req.Header.Set(bot.AlertTimestampHeader, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(bot.AlertSignatureHeader, bot.SignAlert(alertsSecret, now, body))
		return req
	}
	command := fakeslack.SlashCommand{UserID: "UALICE", ChannelID: "C1", Command: "/incident", Text: "help", TriggerID: "T1"}

	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "SLACK_API_URL https://proxy.internal:8443/slack/api/") ||
		strings.Contains(body, "hunter2") {
		t.Errorf("readyz before connecting = %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("healthz before connecting = %d", code)
	}
	if code, body := do(signed("/slack/commands", "application/x-www-form-urlencoded", command.Form())); code != http.StatusOK ||
		!strings.Contains(body, "not connected to Slack") {
		t.Errorf("a command before the gate = %d %q", code, body)
	}
	event := []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_home_opened","user":"UALICE","tab":"home"}}`)
	if code, body := do(signed("/slack/events", "application/json", event)); code != http.StatusServiceUnavailable {
		t.Errorf("an event before the gate = %d %q", code, body)
	}
	if code, body := do(signed("/slack/interactions", "application/x-www-form-urlencoded", []byte("payload=%7B%7D"))); code != http.StatusServiceUnavailable {
		t.Errorf("an interaction before the gate = %d %q", code, body)
	}
	req := signed("/slack/events", "application/json", event)
	req.Header.Set("X-Slack-Signature", "v0=00")
	if code, _ := do(req); code != http.StatusUnauthorized {
		t.Errorf("an unsigned event before the gate = %d, want 401", code)
	}
	resp, err := http.DefaultClient.Do(alert())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("an alert before the gate = %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	gate := bot.NewGate(commands.New(config.Defaults(), store, bot.NewChat(api, metrics, clocktest.Instant{}, log), log, fs.BotUserID, time.Now, nil),
		func(redo map[string]work.Redo) *work.Dispatcher {
			return work.NewDispatcher(store, redo, metrics, log, time.Now)
		}, log)
	defer func() { _ = gate.Dispatcher().Drain(context.Background()) }()
	gates.Set(gate)
	ready.Connected()
	fs.Fail("auth.test", fakeslack.Failure{Error: "invalid_auth"}) // not asked: it was just answered
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("readyz once connected = %d %q", code, body)
	}
	if code, body := do(signed("/slack/commands", "application/x-www-form-urlencoded", command.Form())); code != http.StatusOK ||
		strings.Contains(body, "not connected") {
		t.Errorf("a command once connected = %d %q", code, body)
	}
}
