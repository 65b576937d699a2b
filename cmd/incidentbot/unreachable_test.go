package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
)

// TestSlackUnreachableAtStart runs the binary in HTTP mode with
// SLACK_API_URL on a closed port: it listens at once, alive (/healthz 200)
// but not ready (/readyz 503 naming SLACK_API_URL and the address), takes
// none of Slack's requests, and a SIGTERM while it waits for Slack ends it
// promptly with status 0.
func TestSlackUnreachableAtStart(t *testing.T) {
	bin := buildBinary(t)
	srv := redistest.Start(t)
	store := storage.New(srv.Client(t))
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiURL := "http://" + closed.Addr().String() + "/api/"
	closed.Close() // nothing listens there: every auth.test is refused
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"SLACK_BOT_TOKEN=xoxb-unreachable", "SLACK_SIGNING_SECRET=" + signingSecret, "SLACK_API_URL=" + apiURL,
		"REDIS_URL=" + srv.URL(), "HTTP_ADDR=" + addr, "LOG_LEVEL=debug"}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	}()
	do := func(req *http.Request) (int, string) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		return do(req)
	}

	for {
		code, body := get("/healthz")
		if code == http.StatusOK {
			break
		}
		if time.Since(started) > time.Second {
			t.Fatalf("/healthz not answering 200 within a second of start: %d %s", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "SLACK_API_URL") || !strings.Contains(body, apiURL) {
		t.Errorf("/readyz with Slack unreachable = %d %q, want 503 naming SLACK_API_URL %s", code, body, apiURL)
	}
	if d := time.Since(started); d > time.Second {
		t.Errorf("/healthz and /readyz answered %v after start, want within a second", d)
	}

	// Slack's requests before the bot is connected: an event is refused
	// with 503 so that Slack delivers it again; a slash command, which
	// Slack does not send again, is acknowledged with words for the person.
	event := []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added","user":"UALICE","reaction":"eyes","item":{"type":"message","channel":"C1","ts":"1.0"}}}`)
	req, err := fakeslack.SignedRequest(context.Background(), "http://"+addr+"/slack/events", signingSecret, "application/json", event, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, body := do(req); code != http.StatusServiceUnavailable {
		t.Errorf("an event before the bot is connected = %d %q, want 503", code, body)
	}
	command := fakeslack.SlashCommand{UserID: "UALICE", ChannelID: "C1", Command: "/incident", Text: "declare Ransomware sev1", TriggerID: "T1"}
	req, err = fakeslack.SignedRequest(context.Background(), "http://"+addr+"/slack/commands", signingSecret,
		"application/x-www-form-urlencoded", command.Form(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, body := do(req); code != http.StatusOK || !strings.Contains(body, "not connected to Slack") {
		t.Errorf("a command before the bot is connected = %d %q, want an ephemeral saying it is not connected", code, body)
	}
	if n, err := store.NextNumber(context.Background()); err != nil || n != 1 {
		t.Errorf("the incident counter moved: next %d, %v", n, err)
	}

	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), `"SLACK_API_URL":"`+apiURL+`"`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the log does not name SLACK_API_URL and the URL it tries")
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exitsCleanly(t, exited, 5*time.Second)
	if !strings.Contains(logs.String(), "stopped before connecting to Slack") {
		t.Error("the log does not say it stopped before connecting to Slack")
	}
}
