package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

const alertsSecret = "test-alerts-signing-secret"

// triageBot is a bot with a private triage channel (UBOB and UCAROL are the
// security team) and the alert intake on.
type triageBot struct {
	*harness
	triage string
}

func startTriageBot(t *testing.T, socketMode bool, cl clocks, extraYAML string) *triageBot {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	h := &harness{slack: fs, redis: redistest.Start(t), env: map[string]string{"ALERTS_SIGNING_SECRET": alertsSecret}}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	triage := fs.CreateChannel("security-triage", true, fs.BotUserID, "UBOB", "UCAROL")
	fs.AddUser("UERIN", "erin")
	fs.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE", "UERIN")
	if cl.outbound == nil {
		cl.outbound = clocktest.Instant{}
	}
	h.launch(t, socketMode, true, cl, quietSeverities+"triage_channel: "+triage+"\n"+extraYAML)
	return &triageBot{harness: h, triage: triage}
}

func (b *triageBot) general() string {
	ch, _ := b.slack.ChannelByName("general")
	return ch.ID
}

// card waits for the triage card of a report to show marker and returns it.
func (b *triageBot) card(t *testing.T, ref, marker string) fakeslack.Message {
	t.Helper()
	var card fakeslack.Message
	b.slack.Await(t, ref+"'s triage card to show "+marker, func() bool {
		ch, _ := b.slack.Channel(b.triage)
		for _, m := range ch.Messages {
			if v := m.Visible(); strings.Contains(v, ref+":") && strings.Contains(v, marker) {
				card = m
				return true
			}
		}
		return false
	})
	return card
}

// cards counts the triage cards (messages with an actions block or a
// report header) in the triage channel.
func (b *triageBot) cards() int {
	ch, _ := b.slack.Channel(b.triage)
	n := 0
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), "RPT-") && !strings.Contains(m.Visible(), "has waited") {
			n++
		}
	}
	return n
}

// dm waits for a direct message to user containing marker.
func (b *triageBot) dm(t *testing.T, user, marker string) string {
	t.Helper()
	var got string
	b.slack.Await(t, "a direct message to "+user+" saying "+marker, func() bool {
		for _, m := range b.slack.DirectMessages(user) {
			if strings.Contains(m.Visible(), marker) {
				got = m.Visible()
				return true
			}
		}
		return false
	})
	return got
}

// view waits for a modal with callbackID open for user.
func (b *triageBot) view(t *testing.T, user, callbackID string) fakeslack.View {
	t.Helper()
	var got fakeslack.View
	b.slack.Await(t, "the "+callbackID+" form for "+user, func() bool {
		for _, v := range b.slack.Views(user) {
			if v.CallbackID == callbackID {
				got = v
				return true
			}
		}
		return false
	})
	return got
}

func buttons(m fakeslack.Message) []string {
	var blocks []map[string]any
	_ = json.Unmarshal(m.Blocks, &blocks)
	var ids []string
	for _, b := range blocks {
		els, _ := b["elements"].([]any)
		for _, e := range els {
			if em, _ := e.(map[string]any); em != nil && em["type"] == "button" {
				ids = append(ids, fmt.Sprint(em["action_id"]))
			}
		}
	}
	return ids
}

var allTriageButtons = []string{commands.ActionReportAck, commands.ActionReportDeclare, commands.ActionReportMerge, commands.ActionReportDismiss}

// TestReportThreeWays reports by command, by form and by the message
// shortcut: each is one triage card with the four buttons and a receipt by
// direct message with its number.
func TestReportThreeWays(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()

	shown := s.command("UALICE", general, "report A login page asked for my password twice <!channel>")
	if !strings.Contains(shown, "Reported as *RPT-1*") {
		t.Errorf("the reporter was answered %q", shown)
	}
	card := b.card(t, "RPT-1", "A login page asked for my password twice")
	if got := buttons(card); strings.Join(got, ",") != strings.Join(allTriageButtons, ",") {
		t.Errorf("RPT-1's card has buttons %v; want %v", got, allTriageButtons)
	}
	if !strings.Contains(card.Visible(), "<@UALICE>") || !strings.Contains(card.Visible(), "Waiting since") {
		t.Errorf("RPT-1's card does not show the reporter and its wait:\n%s", card.Visible())
	}
	if got := b.dm(t, "UALICE", "RPT-1"); !strings.Contains(got, "Thank you for reporting") {
		t.Errorf("receipt: %q", got)
	}

	// The form: /incident report alone.
	if _, err := b.slack.Command(s.ctx, "UERIN", general, "report"); err != nil {
		t.Fatal(err)
	}
	form := b.view(t, "UERIN", commands.ModalReport)
	d, err := b.slack.Submit(s.ctx, "UERIN", form.ID, map[string]string{commands.InputWhat: ""})
	if err != nil || !bytes.Contains(d.Body, []byte("Say what you saw")) {
		t.Errorf("an empty report was answered %s, %v; want the field error", d.Body, err)
	}
	if _, err := b.slack.Submit(s.ctx, "UERIN", form.ID, map[string]string{
		commands.InputWhat: "USB stick left in the lobby", commands.InputWhen: "this morning", commands.InputSystems: "front desk PC",
		commands.InputUrgency: "sev2", commands.InputAnonymous: "anonymous",
	}); err != nil {
		t.Fatal(err)
	}
	card = b.card(t, "RPT-2", "USB stick left in the lobby")
	for _, want := range []string{"this morning", "front desk PC", "sev2", "anonymous"} {
		if !strings.Contains(card.Visible(), want) {
			t.Errorf("RPT-2's card lacks %q:\n%s", want, card.Visible())
		}
	}
	if got := buttons(card); len(got) != 4 {
		t.Errorf("RPT-2's card has buttons %v", got)
	}
	if got := b.dm(t, "UERIN", "RPT-2"); !strings.Contains(got, "Only the security team knows it came from you") {
		t.Errorf("anonymous receipt: %q", got)
	}

	// The message shortcut carries the message, its author and a link.
	said := b.slack.PostAs("UDAVE", general, "Click here to keep your mailbox: http://evil.example/login <!here>")
	if _, err := b.slack.Shortcut(s.ctx, "UALICE", general, said, commands.ShortcutReport); err != nil {
		t.Fatal(err)
	}
	form = b.view(t, "UALICE", commands.ModalReport)
	if _, err := b.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputWhat: "Phishing in #general"}); err != nil {
		t.Fatal(err)
	}
	card = b.card(t, "RPT-3", "Phishing in #general")
	for _, want := range []string{"Flagged message", "<@UDAVE>", "evil.example/login", "the message"} {
		if !strings.Contains(card.Visible(), want) {
			t.Errorf("RPT-3's card lacks %q:\n%s", want, card.Visible())
		}
	}
	b.dm(t, "UALICE", "RPT-3")
	if n := b.cards(); n != 3 {
		t.Errorf("%d triage cards; want 3", n)
	}
	if live := b.slack.Live(); len(live) > 0 {
		t.Errorf("live markup reached Slack: %q", live)
	}
}

// TestDeclareFromTheTriageCard acknowledges a report, declares it from its
// card (two people at once: one incident) and follows it to the postmortem,
// whose figures count from the report.
func TestDeclareFromTheTriageCard(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	b := startTriageBot(t, false, clocks{now: clock.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()

	s.command("UALICE", general, "report Ransom note on the file server share")
	card := b.card(t, "RPT-1", "Waiting since")

	clock.Advance(4 * time.Minute)
	if _, err := b.slack.Click(s.ctx, "UBOB", b.triage, card.TS, commands.ActionReportAck); err != nil {
		t.Fatal(err)
	}
	card = b.card(t, "RPT-1", "Acknowledged by <@UBOB> after 4m")
	if got := buttons(card); strings.Join(got, ",") != strings.Join(allTriageButtons[1:], ",") {
		t.Errorf("an acknowledged card has buttons %v; want %v", got, allTriageButtons[1:])
	}

	clock.Advance(8 * time.Minute)
	for _, user := range []string{"UBOB", "UCAROL"} {
		if _, err := b.slack.Click(s.ctx, user, b.triage, card.TS, commands.ActionReportDeclare); err != nil {
			t.Fatal(err)
		}
	}
	bobForm, carolForm := b.view(t, "UBOB", commands.ModalDeclare), b.view(t, "UCAROL", commands.ModalDeclare)
	if !strings.Contains(string(bobForm.JSON), "Ransom note on the file server share") {
		t.Errorf("the declare form is not filled in from the report:\n%s", bobForm.JSON)
	}
	var wg sync.WaitGroup
	for user, form := range map[string]fakeslack.View{"UBOB": bobForm, "UCAROL": carolForm} {
		wg.Go(func() {
			if _, err := b.slack.Submit(s.ctx, user, form.ID, map[string]string{commands.InputSeverity: "sev1"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	card = b.card(t, "RPT-1", "Declared as *INC-1*")
	if !strings.Contains(card.Visible(), "after 12m") || len(buttons(card)) != 0 {
		t.Errorf("the declared card:\n%s\nbuttons %v", card.Visible(), buttons(card))
	}
	// One of the two declared it; the other is told who was first.
	s.eventually("the second declarer told", func() bool {
		for _, u := range []string{"UBOB", "UCAROL"} {
			for _, m := range b.slack.DirectMessages(u) {
				if v := m.Visible(); strings.Contains(v, "RPT-1") && (strings.Contains(v, "already declared") || strings.Contains(v, "being declared")) {
					return true
				}
			}
		}
		return false
	})
	if _, err := b.store.Get(s.ctx, 2); err == nil {
		t.Fatal("two people declaring one report made two incidents")
	}
	inc, err := b.store.Get(s.ctx, 1)
	if err != nil || inc.Report == nil || inc.Report.Number != 1 {
		t.Fatalf("INC-1 = %+v, %v; want it linked to RPT-1", inc, err)
	}
	if got := b.dm(t, "UALICE", "INC-1"); !strings.Contains(got, "declared it an incident") || !strings.Contains(got, "<#"+inc.ChannelID+">") {
		t.Errorf("the reporter was told %q", got)
	}
	tl, err := b.store.Timeline(s.ctx, 1)
	if err != nil || len(tl) < 2 || tl[0].Kind != incident.EventReported || tl[0].Actor != "UALICE" || tl[1].Kind != incident.EventDeclared {
		t.Fatalf("INC-1's timeline does not start with the report: %+v %v", tl, err)
	}
	s.ch = inc.ChannelID
	s.card("", "Declared from report RPT-1: acknowledged after 4m, declared after 12m")
	metrics := scrape(t, b.addr)
	for _, want := range []string{
		`incidentbot_reports_total{outcome="received",source="person"} 1`,
		`incidentbot_reports_total{outcome="declared",source="person"} 1`,
		`incidentbot_report_acknowledge_seconds_bucket{le="300"} 1`, // 4 minutes
		`incidentbot_report_acknowledge_seconds_count 1`,
		`incidentbot_report_declare_seconds_bucket{le="600"} 0`,
		`incidentbot_report_declare_seconds_bucket{le="900"} 1`, // 12 minutes
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// To the postmortem: its figures count from the report.
	clock.Advance(30 * time.Minute)
	s.command(inc.Commander(), inc.ChannelID, "close Restored from backups")
	s.command(inc.Commander(), inc.ChannelID, "postmortem")
	var md string
	s.eventually("the postmortem", func() bool { md, _ = b.store.Postmortem(s.ctx, 1); return md != "" })
	for _, want := range []string{"| Time to acknowledge | 4m |", "| Time to declare | 12m |", "RPT-1"} {
		if !strings.Contains(md, want) {
			t.Errorf("the postmortem lacks %q:\n%s", want, md)
		}
	}
}

// TestMergeAndDismiss merges one report into an open incident and dismisses
// another, which needs a reason; each reporter is told; a click from
// outside the triage channel does nothing.
func TestMergeAndDismiss(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UBOB", general, "declare Phishing wave sev2")
	ch := b.declared(t, "UBOB", "INC-1")

	s.command("UALICE", general, "report Fake invoice email from a supplier")
	s.command("UERIN", general, "report My screen flickered")
	first := b.card(t, "RPT-1", "Waiting since")
	second := b.card(t, "RPT-2", "Waiting since")

	// The card copied where an outsider can click it: refused, nothing changes.
	copied, err := b.slack.CopyMessage(b.triage, first.TS, general, nil)
	if err != nil {
		t.Fatal(err)
	}
	if shown := s.answer("UDAVE", func() error {
		_, err := b.slack.Click(s.ctx, "UDAVE", general, copied, commands.ActionReportDismiss)
		return err
	}); !strings.Contains(shown, "Triage is for the security team") {
		t.Errorf("an outsider's click was answered %q", shown)
	}
	if len(b.slack.Views("UDAVE")) != 0 {
		t.Error("an outsider's click opened the dismiss form")
	}
	// A stale copy of the second card, to click after it is dismissed.
	stale, err := b.slack.CopyMessage(b.triage, second.TS, b.triage, nil)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := b.slack.Click(s.ctx, "UCAROL", b.triage, first.TS, commands.ActionReportMerge); err != nil {
		t.Fatal(err)
	}
	form := b.view(t, "UCAROL", commands.ModalMerge)
	if !strings.Contains(string(form.JSON), "INC-1 Phishing wave") {
		t.Errorf("the merge form does not offer INC-1:\n%s", form.JSON)
	}
	if _, err := b.slack.Submit(s.ctx, "UCAROL", form.ID, map[string]string{commands.InputIncident: "1"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "Merged into *INC-1* by <@UCAROL>")
	if got := b.dm(t, "UALICE", "INC-1"); !strings.Contains(got, "was added to it") {
		t.Errorf("the merged report's reporter was told %q", got)
	}
	s.eventually("RPT-1 on INC-1's timeline", func() bool { return s.countEvents(1, incident.EventReported, "Fake invoice") == 1 })
	s.await("the incident channel told of the merge", func() bool {
		c, _ := b.slack.Channel(ch.ID)
		for _, m := range c.Messages {
			if strings.Contains(m.Visible(), "merged report *RPT-1*") {
				return true
			}
		}
		return false
	})

	if _, err := b.slack.Click(s.ctx, "UBOB", b.triage, second.TS, commands.ActionReportDismiss); err != nil {
		t.Fatal(err)
	}
	form = b.view(t, "UBOB", commands.ModalDismiss)
	d, err := b.slack.Submit(s.ctx, "UBOB", form.ID, map[string]string{commands.InputComment: "monitor cable"})
	if err != nil || !bytes.Contains(d.Body, []byte("Choose why it is dismissed")) {
		t.Errorf("a dismissal without a reason was answered %s, %v", d.Body, err)
	}
	if _, err := b.slack.Submit(s.ctx, "UBOB", form.ID, map[string]string{commands.InputReason: "not_security", commands.InputComment: "monitor cable"}); err != nil {
		t.Fatal(err)
	}
	card := b.card(t, "RPT-2", "Dismissed by <@UBOB>")
	if !strings.Contains(card.Visible(), "Not a security matter") || !strings.Contains(card.Visible(), "monitor cable") {
		t.Errorf("the dismissed card:\n%s", card.Visible())
	}
	told := b.dm(t, "UERIN", "closed it")
	if !strings.Contains(told, "not a security matter") || strings.Contains(told, "monitor cable") {
		t.Errorf("the dismissed report's reporter was told %q (the reason, not the team's note)", told)
	}

	// Too late: a report with an outcome refuses another step, naming who was first.
	if shown := s.answer("UCAROL", func() error {
		_, err := b.slack.Click(s.ctx, "UCAROL", b.triage, stale, commands.ActionReportAck)
		return err
	}); !strings.Contains(shown, "RPT-2 was already dismissed by <@UBOB>") {
		t.Errorf("a click on a stale card was answered %q", shown)
	}
	if shown := s.command("UCAROL", b.triage, "reports"); !strings.Contains(shown, "No reports are waiting") {
		t.Errorf("/incident reports = %q", shown)
	}
	if shown := s.command("UDAVE", general, "reports"); !strings.Contains(shown, "Triage is for the security team") {
		t.Errorf("/incident reports outside triage = %q", shown)
	}
}

// postAlert sends an alert signed at `at` with secret.
func postAlert(t *testing.T, addr, secret string, at time.Time, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/alerts", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(bot.AlertTimestampHeader, fmt.Sprint(at.Unix()))
	req.Header.Set(bot.AlertSignatureHeader, bot.SignAlert(secret, at, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var got map[string]any
	_ = json.Unmarshal(raw, &got)
	return resp.StatusCode, got
}

// TestAlertIntake takes alerts over POST /alerts in both modes: a good one
// makes a card; bad, stale, replayed, oversized and malformed ones are
// refused and make nothing; fifty with one dedup key are one card.
func TestAlertIntake(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			b := startTriageBot(t, transport == "socket", clocks{now: time.Now}, "")
			ctx := context.Background()
			good := []byte(`{"title":"Impossible travel for svc-backup <!channel>","source":"SIEM","severity":"high","observed_at":"2026-12-02T09:40:00Z","dedup_key":"siem-17","fields":{"user":"svc-backup","countries":["NL","BR"]}}`)
			status, got := postAlert(t, b.addr, alertsSecret, time.Now(), good)
			if status != http.StatusOK || got["report"] != "RPT-1" || got["deduplicated"] != false {
				t.Fatalf("a good alert: %d %v", status, got)
			}
			card := b.card(t, "RPT-1", "Impossible travel for svc-backup")
			for _, want := range []string{"Alert from", "SIEM", "sev2", "svc-backup", `["NL","BR"]`} {
				if !strings.Contains(card.Visible(), want) {
					t.Errorf("the alert's card lacks %q:\n%s", want, card.Visible())
				}
			}
			if got := buttons(card); len(got) != 4 {
				t.Errorf("the alert's card has buttons %v", got)
			}

			refused := []struct {
				name   string
				secret string
				at     time.Time
				body   []byte
				status int
				reason string
			}{
				{"bad signature", "wrong-secret", time.Now(), []byte(`{"title":"x"}`), 401, "signature"},
				{"stale", alertsSecret, time.Now().Add(-6 * time.Minute), []byte(`{"title":"x"}`), 401, "5 minutes"},
				{"oversized", alertsSecret, time.Now(), bytes.Repeat([]byte("x"), 70<<10), 413, "64 KB"},
				{"bad JSON", alertsSecret, time.Now(), []byte(`{"title":`), 400, "JSON"},
				{"no title", alertsSecret, time.Now(), []byte(`{"source":"EDR"}`), 400, "title is required"},
				{"bad time", alertsSecret, time.Now(), []byte(`{"title":"x","observed_at":"yesterday"}`), 400, "RFC 3339"},
			}
			for _, r := range refused {
				status, got := postAlert(t, b.addr, r.secret, r.at, r.body)
				if status != r.status || !strings.Contains(fmt.Sprint(got["error"]), r.reason) {
					t.Errorf("%s: %d %v; want %d saying %q", r.name, status, got, r.status, r.reason)
				}
			}
			metrics := scrape(t, b.addr)
			for reason, want := range map[string]int{"signature": 1, "stale": 1, "too_large": 1, "bad_request": 3} {
				if line := fmt.Sprintf(`incidentbot_alerts_rejected_total{reason="%s"} %d`, reason, want); !strings.Contains(metrics, line) {
					t.Errorf("/metrics lacks %s", line)
				}
			}
			// A replay: the same signed request again.
			at := time.Now()
			body := []byte(`{"title":"Beacon to known C2","dedup_key":"edr-c2"}`)
			if status, _ := postAlert(t, b.addr, alertsSecret, at, body); status != http.StatusOK {
				t.Fatalf("first send: %d", status)
			}
			if status, got := postAlert(t, b.addr, alertsSecret, at, body); status != http.StatusUnauthorized || !strings.Contains(fmt.Sprint(got["error"]), "replay") {
				t.Errorf("a replay: %d %v; want 401", status, got)
			}
			waiting, err := b.store.WaitingReports(ctx)
			if err != nil || len(waiting) != 2 {
				t.Fatalf("%d reports stored (%v); want the good alert and the first C2 alert only", len(waiting), err)
			}

			// Fifty alerts with one dedup key: one card, showing fifty.
			var wg sync.WaitGroup
			for i := range 49 {
				wg.Go(func() {
					body := fmt.Appendf(nil, `{"title":"Beacon to known C2","dedup_key":"edr-c2","fields":{"host":"ws-%03d"}}`, i)
					if status, got := postAlert(t, b.addr, alertsSecret, time.Now(), body); status != http.StatusOK || got["report"] != "RPT-2" || got["deduplicated"] != true {
						t.Errorf("alert %d: %d %v", i, status, got)
					}
				})
			}
			wg.Wait()
			b.card(t, "RPT-2", "Fired *50 times*")
			if n := b.cards(); n != 2 {
				t.Errorf("%d triage cards; want 2", n)
			}
			if live := b.slack.Live(); len(live) > 0 {
				t.Errorf("live markup reached Slack: %q", live)
			}
		})
	}
}

// TestWaitingReportPingsOnCallOnce leaves a report unacknowledged past
// triage.ack_within with two replicas sweeping: on-call is pinged once.
func TestWaitingReportPingsOnCallOnce(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	cl := clocks{now: clock.Now, triageEvery: 200 * time.Millisecond}
	b := startTriageBot(t, false, cl, "triage: {oncall: UCAROL, ack_within: {sev1: 5m, default: 15m}}\n")
	other := &harness{slack: b.slack, redis: b.redis, store: b.store, stakeholder: b.stakeholder,
		env: map[string]string{"ALERTS_SIGNING_SECRET": alertsSecret}}
	other.launch(t, false, false, clocks{now: clock.Now, outbound: clocktest.Instant{}, triageEvery: 200 * time.Millisecond},
		quietSeverities+"triage_channel: "+b.triage+"\ntriage: {oncall: UCAROL, ack_within: {sev1: 5m, default: 15m}}\n")
	s := &script{t: t, h: b.harness, ctx: context.Background()}

	s.command("UALICE", b.general(), "report Someone tailgated into the server room")
	b.card(t, "RPT-1", "Waiting since")
	clock.Advance(14 * time.Minute)
	time.Sleep(time.Second) // several sweeps by both replicas: not yet due
	pings := func() int {
		ch, _ := b.slack.Channel(b.triage)
		n := 0
		for _, m := range ch.Messages {
			if strings.Contains(m.Visible(), "has waited") {
				n++
			}
		}
		return n
	}
	if n := pings(); n != 0 {
		t.Fatalf("%d pings before ack_within", n)
	}
	clock.Advance(2 * time.Minute)
	s.await("the ping", func() bool { return pings() > 0 })
	time.Sleep(time.Second) // more sweeps by both replicas
	if n := pings(); n != 1 {
		t.Errorf("%d pings; want one", n)
	}
	ch, _ := b.slack.Channel(b.triage)
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), "has waited") && !strings.Contains(m.Visible(), "<@UCAROL> :alarm_clock: *RPT-1* has waited 16m") {
			t.Errorf("the ping reads %q", m.Visible())
		}
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
