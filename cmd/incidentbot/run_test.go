package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

const signingSecret = "test-signing-secret"

// slackAckLimit is how long Slack waits for an acknowledgement before it
// shows the user a timeout. The bot acknowledges before doing any work, so
// the full limit is the assertion: it holds on a loaded machine, and a bot
// that did its work first would still miss it on a slow declare.
const slackAckLimit = 3 * time.Second

// harness is a running incidentbot wired to the fake Slack and a real Redis.
type harness struct {
	slack       *fakeslack.Server
	redis       *redistest.Server
	store       *storage.Store
	addr        string
	stakeholder string
	logs        *syncBuffer
	stop        context.CancelFunc
	exit        chan int
	env         map[string]string // more environment; REDIS_CLUSTER_ADDRS replaces REDIS_URL
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startBot(t *testing.T, socketMode bool) *harness {
	t.Helper()
	return startBotWithClock(t, socketMode, time.Now)
}

// startBotWithClock starts the bot recording time from now; its outbound
// path does not wait (see TestOutbound… for the waits themselves). The
// scheduler's cron ticks on the wall clock, so the severities here send no
// scheduled updates: a tick landing mid-script would make it nondeterministic.
func startBotWithClock(t *testing.T, socketMode bool, now func() time.Time) *harness {
	t.Helper()
	return startBotWith(t, socketMode, now, quietSeverities)
}

const quietSeverities = `severities:
  - {name: sev1, description: "Critical: active breach, data loss or outage", update_every: 0}
  - {name: sev2, description: "Major: contained threat, degraded service", update_every: 0}
  - {name: sev3, description: "Minor: limited impact", update_every: 0}
  - {name: sev4, description: "Low: suspicious activity under review", update_every: 0}
`

// startBotWith also appends extraYAML to the configuration file.
func startBotWith(t *testing.T, socketMode bool, now func() time.Time, extraYAML string) *harness {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	h := &harness{slack: fs, redis: redistest.Start(t)}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	h.launch(t, socketMode, true, clocks{now: now, outbound: clocktest.Instant{}}, extraYAML)
	return h
}

// declaredBot starts a bot (HTTP mode) on the clock now with extraYAML,
// and UALICE declares title ("Phishing sev2") in #general, whose members
// are UALICE and others: the script works in the incident's channel.
func declaredBot(t *testing.T, now func() time.Time, extraYAML, title string, others ...string) (*harness, *script) {
	t.Helper()
	h := startBotWith(t, false, now, extraYAML)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, append([]string{"UALICE"}, others...)...)
	s.command("UALICE", general, "declare "+title)
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	return h, s
}

// replica starts another instance of the bot on the same Slack and Redis,
// in HTTP mode, with Slack's deliveries still going to the first.
func (h *harness) replica(t *testing.T, cl clocks) *harness {
	t.Helper()
	r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder, env: h.env}
	r.launch(t, false, false, cl, quietSeverities)
	return r
}

// launch starts the bot with a configuration file holding extraYAML; with
// receive, Slack's deliveries go to it.
func (h *harness) launch(t *testing.T, socketMode, receive bool, cl clocks, extraYAML string) {
	t.Helper()
	fs := h.slack
	h.logs, h.exit = &syncBuffer{}, make(chan int, 1)
	h.addr = freeAddr(t)

	cfgPath := filepath.Join(t.TempDir(), "incidentbot.yaml")
	cfgYAML := fmt.Sprintf("stakeholder_channel: %s\nresponders: [UBOB, UCAROL]\n", h.stakeholder) + extraYAML
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SLACK_BOT_TOKEN": fs.BotToken, "SLACK_API_URL": fs.APIURL(), "SLACK_SIGNING_SECRET": signingSecret,
		"REDIS_URL": h.redis.URL(), "HTTP_ADDR": h.addr, "INCIDENT_CONFIG": cfgPath, "LOG_LEVEL": "debug",
	}
	for k, v := range h.env {
		env[k] = v
		if k == "REDIS_CLUSTER_ADDRS" {
			delete(env, "REDIS_URL")
		}
	}
	if socketMode {
		env["SLACK_APP_TOKEN"] = fs.AppToken
	} else if receive {
		fs.UseRequestURLs("http://"+h.addr, signingSecret)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() {
		h.exit <- runWithClocks(ctx, nil, func(k string) string { return env[k] }, io.Discard, h.logs, cl)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.exit:
		case <-time.After(30 * time.Second):
			t.Error("incidentbot did not stop within 30s")
		}
		for _, secret := range []string{fs.BotToken, fs.AppToken, signingSecret} {
			if strings.Contains(h.logs.String(), secret) {
				t.Errorf("the log holds a secret (%.8s…)", secret)
			}
		}
		if t.Failed() {
			t.Logf("incidentbot log (%s):\n%s", h.addr, h.logs.String())
		}
	})
	h.waitHealthy(t)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (h *harness) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-h.exit:
			t.Fatalf("incidentbot exited with %d:\n%s", code, h.logs.String())
		default:
		}
		if resp, err := http.Get("http://" + h.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("incidentbot not ready after 10s:\n%s", h.logs.String())
}

// postCommand sends a slash command as Slack does in HTTP mode, signed at `at`.
func (h *harness) postCommand(t *testing.T, cmd fakeslack.SlashCommand, secret string, at time.Time) (*http.Response, time.Duration) {
	t.Helper()
	req, err := fakeslack.SignedRequest(context.Background(), "http://"+h.addr+"/slack/commands", secret,
		"application/x-www-form-urlencoded", cmd.Form(), at)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode == http.StatusOK {
		// What Slack shows of the acknowledgement: an answer given at once.
		h.slack.ShowAck(cmd, fakeslack.Delivered{Status: resp.StatusCode, Body: body, Elapsed: took})
	}
	return resp, took
}

// declared waits for the declarer's confirmation and returns the incident channel.
func (h *harness) declared(t *testing.T, user, ref string) fakeslack.Channel {
	t.Helper()
	var confirmation string
	h.slack.Await(t, "the declare confirmation for "+user, func() bool {
		for _, m := range h.slack.Ephemerals(user) {
			if strings.Contains(m.Visible(), "Declared *"+ref+"*") {
				confirmation = m.Visible()
				return true
			}
		}
		return false
	})
	if strings.Contains(confirmation, "could not") {
		t.Errorf("declare reported problems: %s", confirmation)
	}
	n, _ := incident.ParseRef(ref)
	inc, err := h.store.Get(context.Background(), n)
	if err != nil {
		t.Fatalf("%s not in Redis: %v", ref, err)
	}
	ch, ok := h.slack.Channel(inc.ChannelID)
	if !ok {
		t.Fatalf("channel %s of %s does not exist in Slack", inc.ChannelID, ref)
	}
	return ch
}

// checkDeclared asserts what everyone sees after a declare of the ransomware incident.
func (h *harness) checkDeclared(t *testing.T, ch fakeslack.Channel) {
	t.Helper()
	if ch.Name != "inc-1-ransomware-on-file-server" || ch.Private {
		t.Errorf("channel = %q private=%v", ch.Name, ch.Private)
	}
	for _, u := range []string{"UALICE", "UBOB", "UCAROL"} {
		if !slices.Contains(ch.Members, u) {
			t.Errorf("%s is not in %s (members %v)", u, ch.Name, ch.Members)
		}
	}
	pinned := ch.Pinned()
	if len(pinned) != 1 {
		t.Fatalf("pinned messages = %d, want the card", len(pinned))
	}
	card := pinned[0].Visible()
	for _, want := range []string{"INC-1: Ransomware on file server", "sev1", "Identification", "Incident Commander: <@UALICE>"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
	if !strings.HasPrefix(ch.Topic, "INC-1 · sev1") {
		t.Errorf("topic = %q", ch.Topic)
	}
	stake, _ := h.slack.Channel(h.stakeholder)
	if len(stake.Messages) != 1 || !strings.Contains(stake.Messages[0].Visible(), "INC-1 declared: Ransomware on file server") ||
		!strings.Contains(stake.Messages[0].Visible(), "<#"+ch.ID+">") {
		t.Errorf("stakeholder channel = %+v", stake.Messages)
	}
	inc, err := h.store.Get(context.Background(), 1)
	if err != nil || inc.Title != "Ransomware on file server" || inc.Severity != "sev1" || inc.ChannelID != ch.ID ||
		inc.CardTS != pinned[0].TS || inc.Roles["commander"] != "UALICE" || inc.Status != incident.Open {
		t.Errorf("Redis holds %+v, %v", inc, err)
	}
}

func TestDeclareOverHTTP(t *testing.T) {
	h := startBot(t, false)
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	cmd := h.slack.NewCommand("UALICE", general, "declare Ransomware on file server sev1")
	resp, took := h.postCommand(t, cmd, signingSecret, time.Now())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if took > slackAckLimit {
		t.Errorf("acknowledged after %s; Slack gives up at 3s", took)
	}
	h.checkDeclared(t, h.declared(t, "UALICE", "INC-1"))
}

func TestDeclareOverSocketMode(t *testing.T) {
	h := startBot(t, true)
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ack, err := h.slack.SendEnvelope(ctx, "slash_commands", h.slack.NewCommand("UALICE", general, "declare Ransomware on file server sev1"))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Elapsed > slackAckLimit {
		t.Errorf("acknowledged after %s; Slack gives up at 3s", ack.Elapsed)
	}
	h.checkDeclared(t, h.declared(t, "UALICE", "INC-1"))
	// Socket Mode serves no Slack request URLs.
	resp, _ := h.postCommand(t, h.slack.NewCommand("UALICE", general, "list"), signingSecret, time.Now())
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /slack/commands in Socket Mode = %d", resp.StatusCode)
	}
}

func TestUnverifiedRequestsAreRejected(t *testing.T) {
	h := startBot(t, false)
	general := h.slack.CreateChannel("general", false, "UALICE")
	cmd := h.slack.NewCommand("UALICE", general, "declare Should never happen sev1")
	before := len(h.slack.Calls(""))

	unsigned, _ := http.NewRequest(http.MethodPost, "http://"+h.addr+"/slack/commands", bytes.NewReader(cmd.Form()))
	unsigned.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned: %d, want 401", resp.StatusCode)
	}
	if resp, _ := h.postCommand(t, cmd, "wrong-secret", time.Now()); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrongly signed: %d, want 401", resp.StatusCode)
	}
	if resp, _ := h.postCommand(t, cmd, signingSecret, time.Now().Add(-6*time.Minute)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("6 minutes old: %d, want 401", resp.StatusCode)
	}
	for _, path := range []string{"/slack/events", "/slack/interactions"} {
		req, _ := fakeslack.SignedRequest(context.Background(), "http://"+h.addr+path, "wrong-secret", "application/json", []byte(`{}`), time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s wrongly signed: %d", path, resp.StatusCode)
		}
	}
	// A rejected request has no work in flight, so a good request sent after
	// them is answered after anything they could have set off: once it is,
	// the only calls since are its own.
	if resp, _ := h.postCommand(t, h.slack.NewCommand("UALICE", general, "help"), signingSecret, time.Now()); resp.StatusCode != http.StatusOK {
		t.Fatalf("the control request: %d", resp.StatusCode)
	}
	// The control is answered in its acknowledgement, so the rejected
	// requests have had every chance to set something off: nothing did.
	if shown := h.slack.Ephemerals("UALICE"); len(shown) == 0 || !strings.Contains(shown[len(shown)-1].Visible(), "/incident declare") {
		t.Fatalf("the control request was not answered with the help: %v", shown)
	}
	for _, c := range h.slack.Calls("")[before:] {
		if c.Method != "response_url" {
			t.Errorf("Slack was called after rejected requests: %s %v", c.Method, c.Params)
		}
	}
	if open, _ := h.store.ListOpen(context.Background()); len(open) != 0 {
		t.Errorf("incidents were created: %+v", open)
	}
	if n, _ := h.store.NextNumber(context.Background()); n != 1 {
		t.Errorf("the incident counter moved to %d", n-1)
	}
}

func TestURLVerification(t *testing.T) {
	h := startBot(t, false)
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	req, _ := fakeslack.SignedRequest(context.Background(), "http://"+h.addr+"/slack/events", signingSecret, "application/json", body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification = %d %q", resp.StatusCode, got)
	}
}

func TestDeclareEdgeCases(t *testing.T) {
	h := startBot(t, false)
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")

	t.Run("name taken on the first try", func(t *testing.T) {
		h.slack.Fail("conversations.create", fakeslack.Failure{Error: "name_taken"})
		h.postCommand(t, h.slack.NewCommand("UALICE", general, "declare Phishing wave"), signingSecret, time.Now())
		ch := h.declared(t, "UALICE", "INC-1")
		if ch.Name != "inc-1-phishing-wave-2" {
			t.Errorf("channel after name_taken = %q", ch.Name)
		}
		if got := len(h.slack.Calls("conversations.create")); got != 2 {
			t.Errorf("conversations.create called %d times, want 2", got)
		}
	})
	t.Run("private", func(t *testing.T) {
		h.postCommand(t, h.slack.NewCommand("UBOB", general, "declare Insider exfiltration sev2 --private"), signingSecret, time.Now())
		ch := h.declared(t, "UBOB", "INC-2")
		if !ch.Private || ch.Name != "inc-2-insider-exfiltration" {
			t.Errorf("channel = %q private=%v", ch.Name, ch.Private)
		}
		stake, _ := h.slack.Channel(h.stakeholder)
		last := stake.Messages[len(stake.Messages)-1].Visible()
		if strings.Contains(last, "exfiltration") || strings.Contains(last, ch.ID) || !strings.Contains(last, "INC-2") {
			t.Errorf("private announcement leaks or lacks the reference: %q", last)
		}
	})
	t.Run("200-character title", func(t *testing.T) {
		title := strings.Repeat("Credential stuffing against VPN ", 7)[:200]
		h.postCommand(t, h.slack.NewCommand("UALICE", general, "declare "+title), signingSecret, time.Now())
		ch := h.declared(t, "UALICE", "INC-3")
		if len(ch.Name) > 80 || !strings.HasPrefix(ch.Name, "inc-3-credential-stuffing-against-vpn") || strings.HasSuffix(ch.Name, "-") {
			t.Errorf("channel name %q (%d chars)", ch.Name, len(ch.Name))
		}
		inc, _ := h.store.Get(context.Background(), 3)
		if inc.Title != strings.TrimSpace(title) {
			t.Errorf("stored title %q", inc.Title)
		}
	})
}

func TestShutdownExitsCleanly(t *testing.T) {
	h := startBot(t, true)
	h.stop()
	select {
	case code := <-h.exit:
		if code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, h.logs.String())
		}
		h.exit <- code // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
}

func TestRunWithoutSlackSaysWhatIsMissing(t *testing.T) {
	var stderr bytes.Buffer
	code := run(context.Background(), nil, func(string) string { return "" }, io.Discard, &stderr)
	if code == 0 {
		t.Fatal("exit code 0 without any Slack configuration")
	}
	for _, want := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "incidentbot playground"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message does not name %s:\n%s", want, stderr.String())
		}
	}
}

func TestCheckConfigAndVersion(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}
	if code := run(context.Background(), []string{"check-config"}, func(k string) string { return env[k] }, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "Socket Mode") {
		t.Errorf("check-config = %d %q", code, out.String())
	}
	out.Reset()
	env["LOG_FORMAT"] = "xml"
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"check-config"}, func(k string) string { return env[k] }, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "LOG_FORMAT") {
		t.Errorf("check-config with a bad value = %d %q", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"--version"}, nil, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "incidentbot ") {
		t.Errorf("--version = %d %q", code, out.String())
	}
}
