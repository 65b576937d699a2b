package bot_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
