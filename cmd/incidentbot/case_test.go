package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/exports/stixcheck"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

const (
	collected = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tampered  = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

// caseGolden compares a file the bot shared with its golden copy.
func caseGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "case", name)
	if *update {
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from its golden file:\n%s", name, got)
	}
}

// viewOf waits for the form a person was shown.
func (s *script) viewOf(user, callbackID string) fakeslack.View {
	s.t.Helper()
	var v fakeslack.View
	s.await("the form "+callbackID, func() bool {
		for _, x := range s.h.slack.Views(user) {
			if x.CallbackID == callbackID {
				v = x
				return true
			}
		}
		return false
	})
	return v
}

// lastEphemeral waits for a new answer shown to a person only, after before of them.
func (s *script) lastEphemeral(user string, before int) string {
	s.t.Helper()
	var got string
	s.await("an answer to "+user, func() bool {
		seen := s.h.slack.Ephemerals(user)
		if len(seen) > before {
			got = seen[len(seen)-1].Visible()
			return true
		}
		return false
	})
	return got
}

func fileNamed(fs *fakeslack.Server, name string) (fakeslack.File, bool) {
	for _, f := range fs.Files() {
		if f.Name == name && f.Channel != "" {
			return f, true
		}
	}
	return fakeslack.File{}, false
}

// TestSecurityCaseRecords runs one incident's case records from Slack:
// indicators by command, form and shortcut, one of them also on a private
// incident; evidence handed on twice and re-hashed once with a mismatch,
// and a custody chain edited in Redis found broken; containment actions
// undone, kept, reminded of and left open at the close; the exports and
// the postmortem (golden files); and all of it still there after a restart.
func TestSecurityCaseRecords(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	// As startBotWith, with a custody key: every custody entry is sealed.
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	h := &harness{slack: fs, redis: redistest.Start(t), env: map[string]string{"CUSTODY_SIGNING_KEY": "case-test-custody-key-0123456789"}}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	h.launch(t, false, true, clocks{now: clock.Now, outbound: clocktest.Instant{}}, quietSeverities+"retro: {deadline: 48h}\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")

	// Dave's private insider case already holds a domain.
	s.command("UDAVE", general, "declare Insider case sev2 --private")
	private := h.declared(t, "UDAVE", "INC-1").ID
	s.command("UDAVE", private, "ioc add evil.example")

	s.command("UALICE", general, "declare Phishing wave sev1")
	s.ch = h.declared(t, "UALICE", "INC-2").ID
	clock.Advance(5 * time.Minute)

	// Indicators by command, defanged, with a marking and a note.
	if got := s.command("UALICE", s.ch, "ioc add hxxps://login-example[.]com/vpn --tlp amber --note credential phishing landing page"); !strings.Contains(got, "Added the URL `hxxps[://]login-example[.]com/vpn` to INC-2") {
		t.Errorf("ioc add answered %q", got)
	}
	s.command("UALICE", s.ch, "ioc add 203.0.113.7")
	if got := s.command("UALICE", s.ch, "ioc add 203.0.113.8 --tlp purple"); !strings.Contains(got, "no TLP marking `purple`") {
		t.Errorf("a bad marking answered %q", got)
	}
	// By the form: two at once, one of them on dave's private incident.
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "ioc add"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UALICE", commands.ModalIOC)
	before := len(h.slack.Ephemerals("UALICE"))
	if d, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{
		commands.InputIndicators: "Sender domain evil[.]example; attachment md5 D41D8CD98F00B204E9800998ECF8427E", commands.InputMarking: "TLP:GREEN",
	}); err != nil || len(d.Body) > 0 {
		t.Fatalf("the form answered %s, %v", d.Body, err)
	}
	got := s.lastEphemeral("UALICE", before)
	if !strings.Contains(got, "Added 2 indicators to INC-2") || strings.Contains(got, "INC-1") {
		t.Errorf("the form answered %q; want both added and INC-1 not named", got)
	}
	s.await("dave told privately", func() bool {
		return strings.Contains(dmOf(h.slack, "UDAVE"), "`evil[.]example` of INC-1 was also added to INC-2")
	})
	// By the shortcut, on a message in the channel: carol keeps one of two.
	said := h.slack.PostAs("UBOB", s.ch, "Beacons to 198.51.100.23 from hxxp://c2[.]example[.]net/gate.php <!channel>")
	if _, err := h.slack.Shortcut(s.ctx, "UCAROL", s.ch, said, commands.ShortcutIOC); err != nil {
		t.Fatal(err)
	}
	v = s.viewOf("UCAROL", commands.ModalIOC+"_picked")
	var form struct{ Blocks []any }
	_ = json.Unmarshal(v.JSON, &form)
	blocks, _ := json.Marshal(form.Blocks) // what the person sees; the metadata holds the values
	if shown := string(blocks); !strings.Contains(shown, "198[.]51[.]100[.]23") || !strings.Contains(shown, "hxxp[://]c2[.]example[.]net/gate[.]php") || strings.Contains(shown, "http://c2") {
		t.Errorf("the pick form offers: %s", shown)
	}
	// Carol is in the channel: she is answered there, to her only.
	if got := s.answer("UCAROL", func() error {
		_, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{commands.InputIndicators: "0"})
		return err
	}); !strings.Contains(got, "Added the IPv4 address `198[.]51[.]100[.]23` to INC-2") {
		t.Errorf("the pick form answered %q", got)
	}
	s.command("UALICE", s.ch, "ioc mark 203.0.113.7 malicious")

	// Evidence: by command and by form, handed on twice, re-hashed once.
	clock.Advance(10 * time.Minute)
	if got := s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3 --note seized at the desk"); !strings.Contains(got, "Logged *EV-1* `laptop-image`") {
		t.Errorf("evidence add answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "evidence add mail-export sha256:1234 share"); !strings.Contains(got, "is not a SHA-256 hash") {
		t.Errorf("a short hash answered %q", got)
	}
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "evidence add"); err != nil {
		t.Fatal(err)
	}
	v = s.viewOf("UALICE", commands.ModalEvidence)
	// Wait for the form's answer, so that it is not taken for the next command's.
	if got := s.answer("UALICE", func() error {
		_, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{
			commands.InputName: "mail-export", commands.InputHash: "sha256:" + strings.ToUpper(tampered), commands.InputLocation: "case share /inc-2",
		})
		return err
	}); !strings.Contains(got, "EV-2") {
		t.Errorf("the evidence form answered %q", got)
	}
	clock.Advance(time.Hour)
	s.command("UALICE", s.ch, "evidence transfer EV-1 <@UBOB> --note courier to the lab")
	clock.Advance(time.Hour)
	s.command("UBOB", s.ch, "evidence transfer 1 <@UCAROL>")
	if got := s.command("UCAROL", s.ch, "evidence transfer EV-1 <@UCAROL>"); !strings.Contains(got, "already holds EV-1") {
		t.Errorf("a transfer to the holder answered %q", got)
	}
	clock.Advance(30 * time.Minute)
	if got := s.command("UCAROL", s.ch, "evidence verify EV-1 sha256:"+tampered); !strings.Contains(got, "does not match") {
		t.Errorf("a mismatching re-hash answered %q", got)
	}
	s.await("the loud mismatch", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		for _, m := range ch.Messages {
			if strings.Contains(m.Visible(), "HASH MISMATCH on *EV-1*") {
				return true
			}
		}
		return false
	})
	s.await("the card flags it", func() bool { return strings.Contains(s.cardMessage().Visible(), "Evidence hash mismatch:* EV-1") })
	log1 := s.command("UCAROL", s.ch, "evidence log EV-1")
	for _, want := range []string{"Custody of EV-1 laptop-image", "handed from <@UALICE> to <@UBOB> (courier to the lab)", "handed from <@UBOB> to <@UCAROL>", "*MISMATCH*", "The log is intact", "It records a hash mismatch on receipt"} {
		if !strings.Contains(log1, want) {
			t.Errorf("the custody log lacks %q:\n%s", want, log1)
		}
	}
	// Someone with access to Redis rewrites EV-2's place of storage.
	rdb := h.redis.Client(t)
	doc, err := rdb.HGet(s.ctx, "ib:inc:{2}:evidence", "2").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// The place in the item and in its collection entry alike, so that only the entry's hash tells.
	edited := bytes.Replace(doc, []byte(`"where":"case share /inc-2"`), []byte(`"where":"attacker share"`), 1)
	edited = bytes.Replace(edited, []byte(`"location":"case share /inc-2"`), []byte(`"location":"attacker share"`), 1)
	if bytes.Equal(edited, doc) {
		t.Fatal("EV-2's custody entry was not where the test looked")
	}
	if err := rdb.HSet(s.ctx, "ib:inc:{2}:evidence", "2", edited).Err(); err != nil {
		t.Fatal(err)
	}
	if log2 := s.command("UALICE", s.ch, "evidence log EV-2"); !strings.Contains(log2, "The chain does NOT verify: entry #1: its content does not match its hash") {
		t.Errorf("the edited chain was not reported broken:\n%s", log2)
	}
	if list := s.command("UALICE", s.ch, "evidence"); !strings.Contains(list, "*EV-2* mail-export") || !strings.Contains(list, "custody chain broken") || !strings.Contains(list, "hash mismatch") {
		t.Errorf("the evidence list:\n%s", list)
	}

	// Containment: one undone, one kept after its reminder, one left open.
	// A second replica runs the schedule too: the reminder still comes once.
	h.replica(t, clocks{now: clock.Now, outbound: clocktest.Instant{}})
	s.command("UALICE", s.ch, "phase containment")
	clock.Advance(10 * time.Minute)
	s.command("UBOB", s.ch, "action isolate host-12 --note EDR network isolation")
	if got := s.command("UBOB", s.ch, "action block 203.0.113.7 --until 30m --note edge firewall"); !strings.Contains(got, "Recorded *A-2*: block `203[.]0[.]113[.]7`. I will remind you") {
		t.Errorf("action block answered %q", got)
	}
	s.command("UCAROL", s.ch, "action disable svc-backup")
	if got := s.command("UCAROL", s.ch, "action quarantine x"); !strings.Contains(got, "no containment action `quarantine`") {
		t.Errorf("a bad kind answered %q", got)
	}
	if got := s.command("UCAROL", s.ch, "action block 198.51.100.9 --until yesterday"); !strings.Contains(got, "not a time I can read") {
		t.Errorf("a bad --until answered %q", got)
	}
	clock.Advance(31 * time.Minute)
	s.await("the reminder of A-2", func() bool {
		return strings.Contains(dmOf(h.slack, "UBOB"), "Reminder: *A-2* on INC-2 (block `203[.]0[.]113[.]7`) is still open")
	})
	s.command("UALICE", s.ch, "action undo A-1")
	if got := s.command("UALICE", s.ch, "action keep A-2"); !strings.Contains(got, "Say why it stays") {
		t.Errorf("keep without a reason answered %q", got)
	}
	s.command("UALICE", s.ch, "action keep A-2 attacker infrastructure, blocked for good")
	if got := s.command("UBOB", s.ch, "action undo A-1"); !strings.Contains(got, "A-1 was already undone by <@UALICE>") {
		t.Errorf("undoing twice answered %q", got)
	}
	clock.Advance(time.Hour)
	if n := strings.Count(dmOf(h.slack, "UBOB"), "Reminder: *A-2*"); n != 1 {
		t.Errorf("bob was reminded of A-2 %d times, want once", n)
	}
	s.command("UALICE", s.ch, "phase eradication")
	s.command("UALICE", s.ch, "phase recovery")
	s.await("the recovery checklist", func() bool {
		return strings.Contains(s.checklistMessage(incident.Recovery).Visible(), "Undo or keep A-3: disable svc-backup")
	})
	if c := s.cardMessage().Visible(); !strings.Contains(c, "5 indicators · :lock_with_ink_pen: 2 items of evidence · :no_entry: 1 containment action open") {
		t.Errorf("the card's counts:\n%s", c)
	}

	// All of it survives a restart.
	listsBefore := []string{s.command("UALICE", s.ch, "iocs"), s.command("UALICE", s.ch, "action"), s.command("UALICE", s.ch, "evidence log EV-1")}
	h.halt()
	r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder, env: h.env}
	r.launch(t, false, true, clocks{now: clock.Now, outbound: clocktest.Instant{}}, quietSeverities+"retro: {deadline: 48h}\n")
	s.h = r
	for i, cmd := range []string{"iocs", "action", "evidence log EV-1"} {
		if after := s.command("UALICE", s.ch, cmd); after != listsBefore[i] {
			t.Errorf("/incident %s after a restart:\n%s\nbefore:\n%s", cmd, after, listsBefore[i])
		}
	}

	// Export, in the channel only.
	if got := s.command("UALICE", s.ch, "iocs export"); !strings.Contains(got, "Exported 5 indicators of INC-2") {
		t.Errorf("iocs export answered %q", got)
	}
	var csvFile, stixFile fakeslack.File
	s.await("the exports", func() bool {
		var ok1, ok2 bool
		csvFile, ok1 = fileNamed(h.slack, "inc-2-indicators.csv")
		stixFile, ok2 = fileNamed(h.slack, "inc-2-indicators.stix.json")
		return ok1 && ok2
	})
	if csvFile.Channel != s.ch || stixFile.Channel != s.ch {
		t.Errorf("the exports went to %s and %s, not the incident's channel", csvFile.Channel, stixFile.Channel)
	}
	caseGolden(t, "inc-2-indicators.csv", csvFile.Content)
	if problems := stixcheck.Check(stixFile.Content); len(problems) > 0 {
		t.Errorf("the STIX bundle is not valid:\n%s", strings.Join(problems, "\n"))
	}
	var bundle struct{ Objects []map[string]any }
	if err := json.Unmarshal(stixFile.Content, &bundle); err != nil || len(bundle.Objects) != 5 {
		t.Errorf("the bundle holds %d objects (%v), want 5", len(bundle.Objects), err)
	}

	// The close asks first, then makes the open action a follow-up.
	if got := s.command("UALICE", s.ch, "close Contained and restored"); !strings.Contains(got, "To close INC-2 with 1 open containment action, run `/incident close --confirm Contained and restored`") ||
		!strings.Contains(got, "Open: *A-3* disable `svc-backup`.") {
		t.Errorf("close with an open action answered %q", got)
	}
	if got := s.command("UALICE", s.ch, "close --confirm Contained and restored"); !strings.Contains(got, "Closed: Contained and restored") || !strings.Contains(got, "became follow-ups of the retro: A-3 as #1") {
		t.Errorf("the confirmed close answered %q", got)
	}
	clock.Advance(48 * time.Hour)
	s.eventually("the postmortem", func() bool { inc, _ := r.store.Get(s.ctx, 2); return inc.Status == incident.Closed })
	var pm, custody fakeslack.File
	s.await("the postmortem files", func() bool {
		var ok1, ok2 bool
		pm, ok1 = fileNamed(h.slack, "inc-2-postmortem.md")
		custody, ok2 = fileNamed(h.slack, "inc-2-custody.csv")
		return ok1 && ok2
	})
	caseGolden(t, "inc-2-postmortem.md", pm.Content)
	// Its link opens it, as Slack's would.
	if inc, err := r.store.Get(s.ctx, 2); err != nil {
		t.Fatal(err)
	} else if resp, err := http.Get(inc.PostmortemLink); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the postmortem's link %s: %v %v", inc.PostmortemLink, resp, err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(body, pm.Content) {
			t.Errorf("the postmortem's link opens something else: %.200s", body)
		}
	}
	caseGolden(t, "inc-2-custody.csv", custody.Content)
	for _, file := range []fakeslack.File{pm, csvFile} {
		if bytes.Contains(file.Content, []byte("<!channel>")) {
			t.Errorf("%s holds a live broadcast", file.Name)
		}
	}
	if bytes.Contains(pm.Content, []byte("https://login-example.com")) || bytes.Contains(pm.Content, []byte("](http")) {
		t.Error("the postmortem shows an indicator live")
	}
	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("live markup reached Slack: %q", live)
	}
}
