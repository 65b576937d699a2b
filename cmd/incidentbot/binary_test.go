package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
)

// TestRealBinary builds incidentbot and runs it as a process: /metrics moves
// after a declare, and a SIGTERM in the middle of a burst of commands loses
// none that were acknowledged and exits 0.
func TestRealBinary(t *testing.T) {
	bin := buildBinary(t)
	fs := fakeslack.New()
	defer fs.Close()
	srv := redistest.Start(t)
	store := storage.New(srv.Client(t))
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"SLACK_BOT_TOKEN=" + fs.BotToken, "SLACK_APP_TOKEN=" + fs.AppToken, "SLACK_API_URL=" + fs.APIURL(),
		"REDIS_URL=" + srv.URL(), "HTTP_ADDR=" + addr, "LOG_LEVEL=debug"}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	}()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	fs.Await(t, "the socket mode connection", fs.SocketConnected)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, _ := get("/readyz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 10s")
		}
	}

	ctx := context.Background()
	general := fs.CreateChannel("general", false, "UALICE")
	if _, err := fs.SendEnvelope(ctx, "slash_commands", fs.NewCommand("UALICE", general, "declare Ransomware on file server sev1")); err != nil {
		t.Fatal(err)
	}
	fs.Await(t, "the declare confirmation", func() bool { return len(fs.Ephemerals("UALICE")) == 1 })
	inc, err := store.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The answer reaches the user just before the request's metrics are counted: poll.
	wantMetrics := []string{
		`incidentbot_commands_total{outcome="ok",subcommand="declare"} 1`,
		`incidentbot_slack_calls_total{method="conversations.create",outcome="ok"} 1`,
		`incidentbot_open_incidents{phase="identification",severity="sev1"} 1`,
		`incidentbot_build_info{goversion=`,
		`incidentbot_command_duration_seconds_count{subcommand="declare"} 1`,
	}
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, metrics = get("/metrics")
		missing := 0
		for _, want := range wantMetrics {
			if !strings.Contains(metrics, want) {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range wantMetrics {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A burst of notes, one every 10 ms; SIGTERM once ten are acknowledged.
	const burst = 60
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	var once sync.Once
	for i := range burst {
		time.Sleep(10 * time.Millisecond)
		wg.Go(func() {
			text := fmt.Sprintf("burst note %d", i)
			sendCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			if _, err := fs.SendEnvelope(sendCtx, "slash_commands", fs.NewCommand("UALICE", inc.ChannelID, "note "+text)); err != nil {
				return // not acknowledged: Slack would tell the user it failed
			}
			mu.Lock()
			acked[text] = true
			n := len(acked)
			mu.Unlock()
			if n == 10 {
				once.Do(func() { _ = cmd.Process.Signal(syscall.SIGTERM) })
			}
		})
	}
	wg.Wait()
	var tl []incident.TimelineEvent
	exitsCleanly(t, exited, 30*time.Second)
	tl, err = store.Timeline(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	noted := map[string]bool{}
	for _, ev := range tl {
		if ev.Kind == incident.EventNote {
			noted[ev.Text] = true
		}
	}
	if len(acked) < 10 {
		t.Fatalf("only %d notes acknowledged", len(acked))
	}
	for text := range acked {
		if !noted[text] {
			t.Errorf("acknowledged %q was lost", text)
		}
	}
	t.Logf("%d of %d notes acknowledged before the shutdown, all on the timeline", len(acked), burst)
	for _, secret := range []string{fs.BotToken, fs.AppToken} {
		if bytes.Contains([]byte(logs.String()), []byte(secret)) {
			t.Error("a token appears in the log")
		}
	}
	if !strings.Contains(logs.String(), `"msg":"incidentbot stopped"`) {
		t.Error("no orderly stop in the log")
	}
	_ = os.Remove(bin)
}

// The production binary links no test packages (the playground's Slack
// stand-in included), and only bot/ imports slack-go.
func TestBinaryLinksNoTestPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "testing" || strings.HasPrefix(dep, "testing/") || dep == "net/http/httptest" {
			t.Errorf("the binary links %s", dep)
		}
	}
	out, err = exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/incidentbot/incidentbot/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if strings.Contains(imports, "github.com/slack-go/slack") && !strings.HasPrefix(pkg, "github.com/incidentbot/incidentbot/bot") {
			t.Errorf("%s imports slack-go; only bot/ may", pkg)
		}
	}
}

// buildBinary builds the incidentbot binary for a test to run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "incidentbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exitsCleanly waits for the process, signalled to stop, to exit with 0.
func exitsCleanly(t *testing.T, exited <-chan error, within time.Duration) {
	t.Helper()
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Errorf("exit code %d after SIGTERM, want 0", exit.ExitCode())
		} else if err != nil {
			t.Error(err)
		}
	case <-time.After(within):
		t.Fatalf("did not exit within %s of SIGTERM", within)
	}
}
