package bot_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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

const testSecret = "limits-test-secret"

// serveHTTP runs the bot's HTTP server (HTTP mode) with limits, against a
// real store and the fake Slack, which sends its requests there.
func serveHTTP(t *testing.T, limits bot.Limits) (*fakeslack.Server, string, *bot.Metrics) {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	store := storage.New(redistest.Start(t).Client(t))
	metrics := bot.NewMetrics("test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), metrics)
	gate := bot.NewGate(commands.New(config.Defaults(), store, bot.NewChat(api, metrics, clocktest.Instant{}, log), log, fs.BotUserID, time.Now, nil),
		func(redo map[string]work.Redo) *work.Dispatcher {
			return work.NewDispatcher(store, redo, metrics, log, time.Now)
		}, log)
	srv := bot.NewServer(bot.ServerConfig{SigningSecret: testSecret, Store: store, API: api, Gate: gate, Metrics: metrics, Log: log, Limits: limits})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = gate.Dispatcher().Drain(ctx)
	})
	fs.UseRequestURLs("http://"+ln.Addr().String(), testSecret)
	return fs, ln.Addr().String(), metrics
}

// answered runs /incident help as a signed request and reports whether
// the person was answered.
func answered(t *testing.T, fs *fakeslack.Server, channel string) bool {
	t.Helper()
	before := len(fs.Ephemerals("UALICE"))
	d, err := fs.Command(context.Background(), "UALICE", channel, "help")
	if err != nil || d.Status != http.StatusOK {
		t.Logf("help: %d %v", d.Status, err)
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e := fs.Ephemerals("UALICE"); len(e) > before && strings.Contains(e[len(e)-1].Visible(), "/incident") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// Connections that send their headers and then a body byte at a time are
// dropped once the read timeout has passed, and while they are open the
// bot still answers what Slack signs.
func TestSlowBodiesAreDroppedAndDoNotStarveSlack(t *testing.T) {
	const slow = 300
	fs, addr, _ := serveHTTP(t, bot.Limits{Read: time.Second})
	general := fs.CreateChannel("general", false, "UALICE")

	var dropped atomic.Int64
	var wg sync.WaitGroup
	for range slow {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "POST /slack/commands HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n")
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The server ends it: an answer (408) or a close, either way the read ends.
			go func() {
				for {
					if _, err := conn.Write([]byte("a")); err != nil {
						return
					}
					time.Sleep(200 * time.Millisecond)
				}
			}()
			_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := bufio.NewReader(conn).ReadByte(); err == nil || !isTimeout(err) {
				dropped.Add(1)
			}
		}()
	}
	if !answered(t, fs, general) {
		t.Fatalf("a signed command was not answered while %d slow requests were open", slow)
	}
	wg.Wait()
	if got := dropped.Load(); got != slow {
		t.Errorf("%d of %d slow requests were dropped by the server", got, slow)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// A body over the limit is refused before it is read; while the bodies
// being read at once are over the budget, the rest are told to retry
// (503 and Retry-After, as Slack does); none of it stops a signed request.
func TestLargeBodiesAreRefusedWithinTheBudget(t *testing.T) {
	fs, addr, metrics := serveHTTP(t, bot.Limits{MaxBody: 64 << 10, BodyBudget: 256 << 10})
	general := fs.CreateChannel("general", false, "UALICE")
	url := "http://" + addr + "/slack/commands"

	resp, err := http.Post(url, "application/x-www-form-urlencoded", bytes.NewReader(make([]byte, 65<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %d, want 413", resp.StatusCode)
	}

	// Bodies that stay open, each 60 KB in: five of them are over the budget.
	codes := make(chan int, 8)
	var open []net.Conn
	for range 8 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, conn)
		fmt.Fprintf(conn, "POST /slack/commands HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", 63<<10)
		_, _ = conn.Write(bytes.Repeat([]byte("a"), 60<<10))
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				codes <- 0
				return
			}
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				codes <- -1
				return
			}
			codes <- resp.StatusCode
		}()
	}
	busy := 0
	deadline := time.After(10 * time.Second)
	for busy < 4 {
		select {
		case c := <-codes:
			if c != http.StatusServiceUnavailable {
				t.Fatalf("a body over the budget was answered %d, want 503 with Retry-After", c)
			}
			busy++
		case <-deadline:
			t.Fatalf("%d bodies over the budget were told to retry, want at least 4", busy)
		}
	}
	for _, c := range open {
		c.Close()
	}
	if !answered(t, fs, general) {
		t.Fatal("a signed command was not answered after the large bodies")
	}
	if got := rejected(t, metrics, "busy"); got < 4 {
		t.Errorf("requests rejected as busy: %v", got)
	}
}

func rejected(t *testing.T, m *bot.Metrics, reason string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "incidentbot_requests_rejected_total" {
			continue
		}
		for _, c := range f.GetMetric() {
			for _, l := range c.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return c.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// A body sent fast and then stalled (which holds the shared budget for
// everyone) is dropped after the short time a body gets, long before the
// whole request's read timeout, and signed requests go on being answered.
func TestStalledBodiesAreDroppedSoon(t *testing.T) {
	fs, addr, _ := serveHTTP(t, bot.Limits{Read: time.Minute, Body: 500 * time.Millisecond})
	general := fs.CreateChannel("general", false, "UALICE")
	var conns []net.Conn
	for range 20 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "POST /slack/commands HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", 100<<10)
		_, _ = conn.Write(bytes.Repeat([]byte("a"), 60<<10)) // and then nothing
		conns = append(conns, conn)
	}
	for i, conn := range conns {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := bufio.NewReader(conn).ReadByte(); err != nil && isTimeout(err) {
			t.Fatalf("stalled body %d was still open after 10 s", i+1)
		}
	}
	if !answered(t, fs, general) {
		t.Fatal("a signed command was not answered after the stalled bodies")
	}
}

// Connections beyond the cap are closed as they arrive; a slot is free
// again once a connection closes.
func TestConnectionsAreCapped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := bot.LimitListener(ln, bot.Limits{MaxConns: 3})
	defer limited.Close()
	go func() {
		for {
			c, err := limited.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	closedByServer := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		return err != nil && !isTimeout(err)
	}
	var conns []net.Conn
	for range 5 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
		time.Sleep(20 * time.Millisecond) // accepted in order
	}
	for i, c := range conns {
		if got, want := closedByServer(c), i >= 3; got != want {
			t.Errorf("connection %d closed by the server: %v, want %v", i+1, got, want)
		}
	}
	conns[0].Close()
	time.Sleep(50 * time.Millisecond)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if closedByServer(c) {
		t.Error("a connection was refused after a slot was freed")
	}
}
