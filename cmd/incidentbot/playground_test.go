package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/storage/redistest"

	"github.com/incidentbot/incidentbot/work/clocktest"
)

// startPlayground runs `incidentbot playground` on a free port and returns its address.
func startPlayground(t *testing.T, args ...string) string {
	t.Helper()
	run := launchPlayground(t, nil, args...)
	t.Cleanup(func() {
		if code := run.stop(); code != 0 {
			t.Errorf("playground exited %d", code)
		}
		if t.Failed() {
			t.Logf("playground log:\n%s", run.logs.String())
		}
	})
	return run.addr
}

// playgroundRun is a playground running in the test.
type playgroundRun struct {
	addr string
	logs *syncBuffer
	stop func() int // ends the run, as Ctrl-C does, and returns its exit code
}

// launchPlayground starts a playground with env (HTTP_ADDR is a free port)
// once it says where it is.
func launchPlayground(t *testing.T, env map[string]string, args ...string) *playgroundRun {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	out, logs := &syncBuffer{}, &syncBuffer{}
	exit := make(chan int, 1)
	all := map[string]string{"HTTP_ADDR": addr}
	for k, v := range env {
		all[k] = v
	}
	go func() {
		exit <- runWithClocks(ctx, append([]string{"playground"}, args...), func(k string) string { return all[k] }, out, logs, clocks{now: time.Now, outbound: clocktest.Instant{}})
	}()
	run := &playgroundRun{addr: addr, logs: logs, stop: sync.OnceValue(func() int { cancel(); return <-exit })}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "open http://"+addr); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the playground did not say where it is:\n%s\n%s", out.String(), logs.String())
		}
	}
	return run
}

// TestPlaygroundStopsQuicklyWithThePageOpen: Ctrl-C with a page open
// (its event stream held) ends the run well within two seconds; the
// stream used to hold the server's shutdown for its whole deadline.
func TestPlaygroundStopsQuicklyWithThePageOpen(t *testing.T) {
	run := launchPlayground(t, nil)
	defer run.stop()
	resp, err := http.Get("http://" + run.addr + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if hello, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || hello != "data: hello\n" {
		t.Fatalf("the event stream began with %q, %v", hello, err)
	}
	start := time.Now()
	stopped := make(chan int, 1)
	go func() { stopped <- run.stop() }()
	select {
	case code := <-stopped:
		if took := time.Since(start); code != 0 || took > 2*time.Second {
			t.Errorf("the run exited %d after %v, want 0 within 2s", code, took)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the run is still going 10s after Ctrl-C:\n%s", run.logs.String())
	}
}

// browser starts headless Chromium, as the machine's package installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs Debian's chromium")
		}
		t.Skip("chromium is not installed (apt-get install chromium); CI runs this test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// css is a CSS selector for chromedp.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// waitText waits until the element's text holds want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			if s, err := chromedp.Text(css(sel))(ctx, t); err == nil && strings.Contains(s, want) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %q in %s: %w", want, sel, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(css(sel), name))
	if err != nil {
		t.Fatalf("%s of %s: %v", name, sel, err)
	}
	return r.Value
}

// cardButton finds the pinned card's button whose label begins with label
// and says where its middle is on the screen; it fails unless the button
// is in sight and nothing covers it, as a person would need to click it.
func cardButton(label string) chromedp.Action[[]float64] {
	return chromedp.Evaluate[[]float64](`(() => {
		const label = ` + strconvQuote(label) + `;
		const b = [...document.querySelectorAll("#pinned .b-actions button")].find((b) => b.textContent.trim().startsWith(label));
		if (!b) throw new Error("no card button " + label);
		const r = b.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
		if (r.width === 0 || r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) throw new Error(label + " is out of sight at " + JSON.stringify(r) + " in " + innerWidth + "x" + innerHeight);
		if (!b.contains(document.elementFromPoint(x, y))) throw new Error(label + " is covered by " + document.elementFromPoint(x, y)?.outerHTML.slice(0, 80));
		return [x, y];
	})()`)
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// clickCardButton clicks the card's button by its label where it is on the
// screen, without scrolling to it first.
func clickCardButton(label string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		at, err := cardButton(label)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.MouseClickXY(at[0], at[1])(ctx, t)
	}
}

// TestPlaygroundInABrowser drives the page in headless Chromium at a
// laptop's 1280x720; each step's screenshot goes to the test's artifact
// directory
// (go test ./cmd/incidentbot -run TestPlayground -artifacts -outputdir /tmp/shots keeps them).
func TestPlaygroundInABrowser(t *testing.T) {
	addr := startPlayground(t)
	ctx := browser(t)
	shots := t.ArtifactDir()
	shoot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shoot(name + "-failed")
			t.Fatalf("step %s: %v (screenshots in %s)", name, err, shots)
		}
		shoot(name)
	}
	step("01-general",
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate("http://"+addr+"/"),
		chromedp.WaitVisible(css(`a.channel.active[data-name="general"]`)))
	step("02-declared",
		chromedp.SendKeys(css("#composer"), "/incident declare Phishing campaign sev2"),
		chromedp.Click(css(`#composer-form button[type=submit]`)),
		chromedp.WaitVisible(css(`a.channel[data-name="inc-1-phishing-campaign"]`)))
	step("03-incident-channel",
		chromedp.Click(css(`a.channel[data-name="inc-1-phishing-campaign"]`)),
		waitText("#pinned", "INC-1: Phishing campaign (sev2, Identification)"),
		chromedp.WaitVisible(css(`#messages .pin-stub`)))
	// Collapsed, the pinned area is a line and the card's buttons, all in
	// sight, on a laptop and on a larger screen; the card is shown once.
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".b-header").length`)); err != nil || n != 1 {
		t.Errorf("the card is shown %d times (%v), want once", n, err)
	}
	if h, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("#pinned.collapsed").getBoundingClientRect().height`)); err != nil || h > 150 {
		t.Errorf("the collapsed pinned area is %vpx high (%v)", h, err)
	}
	for _, size := range [][2]int64{{1400, 900}, {1280, 720}} {
		for _, label := range []string{"Next phase: Containment", "Assign role"} {
			err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1]))
			if err == nil {
				_, err = chromedp.Run(ctx, cardButton(label))
			}
			if err != nil {
				shoot(fmt.Sprintf("03-hidden-%dx%d", size[0], size[1]))
				t.Errorf("at %dx%d: %v", size[0], size[1], err)
			}
		}
	}
	// A server event (bob writes in the channel) updates the page in place:
	// the card's button the user is about to press is still the same node.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(window.kept = document.querySelector('#pinned button[data-action="card_next_phase"]')) !== null`)); err != nil {
		t.Fatal(err)
	}
	channelID := attr(t, ctx, `a.channel[data-name="inc-1-phishing-campaign"]`, "data-id")
	resp, err := http.Post("http://"+addr+"/api/send", "application/json",
		strings.NewReader(`{"user":"UBOB","channel":"`+channelID+`","text":"bob was here"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	step("03b-bob-wrote", waitText("#messages", "bob was here"))
	if kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.kept.isConnected`)); err != nil || !kept {
		t.Errorf("the card's button was replaced when another message arrived (%v)", err)
	}
	before := attr(t, ctx, "#pinned .message", "data-ts")
	step("04-next-phase",
		clickCardButton("Next phase: Containment"),
		waitText("#pinned .summary", "(sev2, Containment)"))
	if after := attr(t, ctx, "#pinned .message", "data-ts"); before == "" || after != before {
		t.Errorf("the card was not changed in place: %q then %q", before, after)
	}
	step("05-assign-form",
		clickCardButton("Assign role"),
		chromedp.WaitVisible(css(`#modal-form select[name="role"]`)),
		chromedp.SetValue(css(`#modal-form select[name="role"]`), "comms"),
		chromedp.SetValue(css(`#modal-form select[name="user"]`), "UCAROL"))
	// Open, the pinned area shows the whole card.
	step("06-carol-is-comms",
		chromedp.Click(css(`#modal-form button[type=submit]`)),
		chromedp.WaitNotVisible(css(`#modal`)),
		chromedp.Click(css(`#pins-toggle`)),
		waitText("#pinned", "Communications Lead: @carol"))
	if card := textOf(t, ctx, "#pinned"); !strings.Contains(card, "Containment since") || strings.Contains(card, "Identification since") {
		t.Errorf("the open card does not show containment:\n%s", card)
	}
	step("07-collapsed-again",
		chromedp.Click(css(`#pins-toggle`)),
		chromedp.WaitVisible(css(`#pinned.collapsed`)),
		chromedp.WaitNotVisible(css(`#pinned .b-fields`)))

	// A shared file's link is served by the playground: the indicators
	// exported as CSV open as text.
	step("08-exported",
		chromedp.SendKeys(css("#composer"), "/incident ioc add evil-payroll[.]com --note sender domain"),
		chromedp.Click(css(`#composer-form button[type=submit]`)),
		waitText("#messages", "Added the domain"),
		chromedp.SendKeys(css("#composer"), "/incident iocs export"),
		chromedp.Click(css(`#composer-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#messages .file a[href$="-indicators.csv"]`)))
	link := attr(t, ctx, `#messages .file a[href$="-indicators.csv"]`, "href")
	resp, err = http.Get("http://" + addr + link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "evil-payroll") ||
		resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the CSV's link %s: %s %v\n%s", link, resp.Status, resp.Header, body)
	}

	// A message's permalink opens the page at the message.
	ts := attr(t, ctx, `#messages .message:not(.pin-stub)[data-ts]`, "data-ts")
	step("09-permalink",
		chromedp.Navigate("http://"+addr+"/archives/"+channelID+"/p"+strings.ReplaceAll(ts, ".", "")),
		chromedp.WaitVisible(css(`a.channel.active[data-name="inc-1-phishing-campaign"]`)),
		chromedp.WaitVisible(css(`#messages .message.highlight[data-ts="`+ts+`"]`)))

	// The card's Close… button, at 1280×720 with the pinned area
	// collapsed: its form says what closing does and confirms it; the
	// channel is told, and the card offers the retro instead.
	step("10-close-form",
		chromedp.EmulateViewport(1280, 720),
		chromedp.WaitVisible(css(`#pinned.collapsed`)),
		clickCardButton("Close…"),
		waitText("#modal", "Stakeholder updates stop and the retro begins"),
		chromedp.SendKeys(css(`#modal-form textarea[name="text"]`), "Lookalike domain blocked, two passwords reset"))
	step("11-closed",
		chromedp.Click(css(`#modal-form button[type=submit]`)),
		chromedp.WaitNotVisible(css(`#modal`)),
		waitText("#messages", "Closed: Lookalike domain blocked, two passwords reset"),
		waitText("#messages", "The retro is open until"))
	if _, err := chromedp.Run(ctx, cardButton("Add lessons learned")); err != nil {
		t.Errorf("the closed card: %v", err)
	}
	entries, err := os.ReadDir(shots)
	if err != nil || len(entries) < 12 {
		t.Errorf("%d screenshots written, want 12: %v", len(entries), err)
	}
}

// TestPlaygroundShowsScriptsAsText: text from messages is user input; a
// title that holds markup is shown, not run.
func TestPlaygroundShowsScriptsAsText(t *testing.T) {
	addr := startPlayground(t)
	ctx := browser(t)
	evil := `<img src=x onerror="window.pwned=1"> Evil <script>window.pwned=2</script> <b>bold</b>`
	err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+addr+"/"),
		chromedp.WaitVisible(css(`a.channel.active[data-name="general"]`)),
		chromedp.SendKeys(css("#composer"), "/incident declare "+evil+" sev4"),
		chromedp.Click(css(`#composer-form button[type=submit]`)),
		chromedp.WaitVisible(css(`a.channel[data-name^="inc-1-"]`)),
		chromedp.Click(css(`a.channel[data-name^="inc-1-"]`)),
		chromedp.Click(css(`#pins-toggle`)),
		chromedp.WaitVisible(css(`#pinned .b-header`)),
		chromedp.Sleep(300*time.Millisecond), // time for an injected handler to fire, were there one
	)
	if err != nil {
		t.Fatal(err)
	}
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned !== undefined || document.querySelector("#pinned img, #pinned script, #pinned .b-header b, .pin-stub img, .pin-stub script") !== null`))
	if err != nil {
		t.Fatal(err)
	}
	if pwned {
		t.Error("markup from a title was run or rendered as HTML")
	}
	card := textOf(t, ctx, "#pinned .b-header")
	if !strings.Contains(card, `<script>window.pwned=2</script>`) || !strings.Contains(card, `<img src=x onerror="window.pwned=1">`) {
		t.Errorf("the title is not shown as text: %q", card)
	}
}

// TestPlaygroundDemo is the scripted tour of `incidentbot playground --demo`.
func TestPlaygroundDemo(t *testing.T) {
	addr := startPlayground(t, "--demo")
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+addr+"/"),
		chromedp.WaitVisible(css(`a.channel[data-name="inc-1-phishing-campaign-against-finance"]`)),
		chromedp.Click(css(`a.channel[data-name="inc-1-phishing-campaign-against-finance"]`)),
		chromedp.Click(css(`#pins-toggle`)), // the whole card
		waitText("#pinned", "Eradication since"),
	)
	if err != nil {
		t.Fatal(err)
	}
	card := textOf(t, ctx, "#pinned")
	for _, want := range []string{"Communications Lead: @carol", "Technical Lead: @bob", "sessions are revoked", "sev2", "1 indicator · 🔏 1 item of evidence · ⛔ 1 containment action open"} {
		if !strings.Contains(card, want) {
			t.Errorf("the demo's card lacks %q:\n%s", want, card)
		}
	}
	// The demo's drill, to practise on.
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(css(`a.channel[data-name="inc-2-drill-phishing-sped-up"]`)),
		chromedp.Click(css(`a.channel[data-name="inc-2-drill-phishing-sped-up"]`)),
		waitText("#pinned", "[DRILL] INC-2: Phishing, sped up"),
		waitText("#messages", "Briefing"),
	)
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlaygroundTriageLoop tries reporting through the page's own API: the
// security team sees a private triage channel, anyone can use the "Report
// to security" shortcut on a message, and the report lands there as a card.
func TestPlaygroundTriageLoop(t *testing.T) {
	addr := startPlayground(t)
	api := func(path string, body any) map[string]any {
		t.Helper()
		var resp *http.Response
		var err error
		if body == nil {
			resp, err = http.Get("http://" + addr + path)
		} else {
			b, _ := json.Marshal(body)
			resp, err = http.Post("http://"+addr+path, "application/json", bytes.NewReader(b))
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	channelID := func(user, name string) string {
		for _, c := range api("/api/state?user="+user, nil)["channels"].([]any) {
			if cm := c.(map[string]any); cm["name"] == name {
				return cm["id"].(string)
			}
		}
		return ""
	}
	triage, general := channelID("UBOB", "security-triage"), channelID("UALICE", "general")
	if triage == "" || general == "" {
		t.Fatalf("Bob sees no triage channel (%q) or Alice no general (%q)", triage, general)
	}
	if channelID("UALICE", "security-triage") != "" {
		t.Error("Alice, not on the security team, sees the triage channel")
	}
	api("/api/send", map[string]any{"user": "UDAVE", "channel": general, "text": "Reset your password at http://evil.example"})
	msgs := api("/api/state?user=UALICE&channel="+general, nil)["messages"].([]any)
	ts := msgs[len(msgs)-1].(map[string]any)["ts"].(string)
	api("/api/shortcut", map[string]any{"user": "UALICE", "channel": general, "ts": ts})
	var viewID string
	for deadline := time.Now().Add(10 * time.Second); viewID == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, v := range api("/api/state?user=UALICE", nil)["views"].([]any) {
			if vm := v.(map[string]any); vm["callback_id"] == "report" {
				viewID = vm["id"].(string)
			}
		}
	}
	if viewID == "" {
		t.Fatal("the shortcut opened no report form")
	}
	api("/api/submit", map[string]any{"user": "UALICE", "view_id": viewID, "inputs": map[string]string{"what": "Looks like phishing"}})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		msgs := api("/api/state?user=UBOB&channel="+triage, nil)["messages"].([]any)
		if len(msgs) > 0 && strings.Contains(fmt.Sprint(msgs[0]), "RPT-1") && strings.Contains(fmt.Sprint(msgs[0]), "report_declare") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no triage card for Bob: %v", msgs)
		}
	}
}

// TestManifestsDeclareTheShortcut checks that both Slack app manifests
// declare the message shortcut under the callback ID the bot handles.
func TestManifestsDeclareTheShortcuts(t *testing.T) {
	for _, name := range []string{"slack-app-manifest.yaml", "slack-app-manifest-http.yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Features struct {
				Shortcuts []struct {
					Name, Type string
					CallbackID string `yaml:"callback_id"`
				}
			}
		}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for callback, title := range map[string]string{commands.ShortcutReport: "Report to security", commands.ShortcutIOC: "Add indicators"} {
			found := false
			for _, s := range m.Features.Shortcuts {
				found = found || (s.Type == "message" && s.CallbackID == callback && s.Name == title)
			}
			if !found {
				t.Errorf("%s does not declare the message shortcut %q: %+v", name, callback, m.Features.Shortcuts)
			}
		}
	}
}

// TestPlaygroundRunsOnOneRedisKeepApart: a second run on the same Redis
// gets channels of its own, not the first run's channel IDs, so its new
// incident is not taken for the first run's.
func TestPlaygroundRunsOnOneRedisKeepApart(t *testing.T) {
	redis := redistest.Start(t)
	declare := func(title, name string, args ...string) (channel string) {
		t.Helper()
		run := launchPlayground(t, map[string]string{"REDIS_URL": redis.URL()}, args...)
		defer run.stop()
		base := "http://" + run.addr
		general := stateChannel(t, base, "UALICE", "general")
		b, _ := json.Marshal(map[string]string{"user": "UALICE", "channel": general, "text": "/incident declare " + title + " sev3"})
		resp, err := http.Post(base+"/api/send", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for deadline := time.Now().Add(10 * time.Second); channel == ""; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no channel for %q:\n%s", title, run.logs.String())
			}
			channel = stateChannel(t, base, "UALICE", name)
		}
		return channel
	}
	first := declare("First", "inc-1-first")
	// A second run on the same store is refused, saying why and what to do.
	var out, logs syncBuffer
	code := runWithClocks(context.Background(), []string{"playground"}, func(k string) string {
		return map[string]string{"REDIS_URL": redis.URL(), "HTTP_ADDR": freeAddr(t)}[k]
	}, &out, &logs, clocks{now: time.Now, outbound: clocktest.Instant{}})
	if code != 1 || !strings.Contains(logs.String(), "REDIS_URL holds incidents (up to INC-1) of an earlier run") || !strings.Contains(logs.String(), "--reuse-store") {
		t.Errorf("a second run on the same store exited %d:\n%s", code, logs.String())
	}
	// Asked to, it runs, and its IDs are its own.
	if second := declare("Second", "inc-2-second", "--reuse-store"); first == second {
		t.Errorf("the second run's INC-2 has the first run's channel ID %s", first)
	}
}

// stateChannel is the ID of the channel a person sees by that name, or "".
func stateChannel(t *testing.T, base, user, name string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/state?user=" + user)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var state struct{ Channels []struct{ ID, Name string } }
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatal(err)
	}
	for _, c := range state.Channels {
		if c.Name == name {
			return c.ID
		}
	}
	return ""
}

// The page's address, as printed and as file and message links carry it:
// one listening on every interface is opened on loopback.
func TestPlaygroundPageURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"0.0.0.0:9000":   "http://127.0.0.1:9000",
		":8080":          "http://127.0.0.1:8080",
		"[::1]:8080":     "http://[::1]:8080",
	} {
		if got := pageURL(addr); got != want {
			t.Errorf("pageURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
