package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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

// --- helpers ---

func (b *triageBot) report(t *testing.T, n int64) *incident.Report {
	t.Helper()
	r, err := b.store.Report(context.Background(), n)
	if err != nil {
		t.Fatalf("RPT-%d: %v", n, err)
	}
	return r
}

func (b *triageBot) dmChannel(user string) string {
	for _, ch := range b.slack.Channels() {
		if ch.DM == user {
			return ch.ID
		}
	}
	return ""
}

// newView waits for a view with callbackID for user other than those in seen.
func (b *triageBot) newView(t *testing.T, user, callbackID string, before int) fakeslack.View {
	t.Helper()
	var got fakeslack.View
	b.slack.Await(t, "a new "+callbackID+" form for "+user, func() bool {
		vs := b.slack.Views(user)
		for _, v := range vs[min(before, len(vs)):] {
			if v.CallbackID == callbackID {
				got = v
				return true
			}
		}
		return false
	})
	return got
}

func (b *triageBot) openForm(t *testing.T, user, cardTS, action, callbackID string) fakeslack.View {
	t.Helper()
	before := len(b.slack.Views(user))
	if _, err := b.slack.Click(context.Background(), user, b.triage, cardTS, action); err != nil {
		t.Fatal(err)
	}
	return b.newView(t, user, callbackID, before)
}

func dmsContaining(fs *fakeslack.Server, user, marker string) int {
	n := 0
	for _, m := range fs.DirectMessages(user) {
		if strings.Contains(m.Visible(), marker) {
			n++
		}
	}
	return n
}

// --- 1. authorization of the triage buttons and forms ---

// Buttons clicked outside the triage channel, with genuine and forged
// values, are refused and change nothing.
func TestAttackTriageClicksOutside(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UDAVE", general, "report one")
	s.command("UALICE", general, "report two")
	card := b.card(t, "RPT-1", "Waiting since")
	b.card(t, "RPT-2", "Waiting since")
	b.dm(t, "UDAVE", "RPT-1")
	dm := b.dmChannel("UDAVE")

	forged := []string{"", "2", "0", "-1", "99999999999999999999", "1 ", "abc"}
	for _, where := range []string{general, dm} {
		for _, v := range forged {
			r := strings.NewReplacer(`"value":"1"`, `"value":"`+v+`"`)
			if v == "" {
				r = nil
			}
			copied, err := b.slack.CopyMessage(b.triage, card.TS, where, r)
			if err != nil {
				t.Fatal(err)
			}
			for _, action := range allTriageButtons {
				got := s.answer("UDAVE", func() error {
					_, err := b.slack.Click(s.ctx, "UDAVE", where, copied, action)
					return err
				})
				if !strings.Contains(got, "Triage is for the security team") {
					t.Errorf("%s in %s with value %q answered %q", action, where, v, got)
				}
			}
		}
	}
	if vs := b.slack.Views("UDAVE"); len(vs) > 0 {
		t.Errorf("an outsider got forms: %d", len(vs))
	}
	for _, n := range []int64{1, 2} {
		if r := b.report(t, n); r.State != incident.ReportOpen || r.Declaring != "" {
			t.Errorf("RPT-%d changed: %+v", n, r)
		}
	}
	// Forged values by a triager in the triage channel are answered, not crashing.
	for _, v := range []string{"0", "-1", "99999999999999999999", "77"} {
		copied, _ := b.slack.CopyMessage(b.triage, card.TS, b.triage, strings.NewReplacer(`"value":"1"`, `"value":"`+v+`"`))
		got := s.answer("UBOB", func() error {
			_, err := b.slack.Click(s.ctx, "UBOB", b.triage, copied, commands.ActionReportAck)
			return err
		})
		if !strings.Contains(got, "not one I made") && !strings.Contains(got, "There is no report") {
			t.Errorf("ack with value %q answered %q", v, got)
		}
	}
	if got := s.command("UDAVE", dm, "reports"); !strings.Contains(got, "Triage is for the security team") {
		t.Errorf("/incident reports in a DM by an outsider: %q", got)
	}
}

// The triage forms (dismiss, merge, declare-from-report), opened by a
// triager and then held by someone who may not triage (a form kept open
// after they left the security team; CopyView is the stand-in, as in
// TestOutsiderCannotActOnAPrivateIncident): like the incident forms, the
// triage forms check the person again when submitted, and refuse.
func TestAttackTriageFormsHeldByAnOutsider(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UBOB", general, "declare Phishing wave sev2")
	b.declared(t, "UBOB", "INC-1")
	s.command("UALICE", general, "report about UDAVE: he copied the customer DB")
	s.command("UALICE", general, "report second")
	s.command("UALICE", general, "report third")
	c1 := b.card(t, "RPT-1", "Waiting since")
	c2 := b.card(t, "RPT-2", "Waiting since")
	c3 := b.card(t, "RPT-3", "Waiting since")

	dismiss := b.openForm(t, "UBOB", c1.TS, commands.ActionReportDismiss, commands.ModalDismiss)
	merge := b.openForm(t, "UBOB", c2.TS, commands.ActionReportMerge, commands.ModalMerge)
	declare := b.openForm(t, "UBOB", c3.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	for _, f := range []struct {
		view   fakeslack.View
		values map[string]string
		n      int64
	}{
		{dismiss, map[string]string{commands.InputReason: "false_positive", commands.InputComment: "nothing to see"}, 1},
		{merge, map[string]string{commands.InputIncident: "1"}, 2},
		{declare, map[string]string{commands.InputSeverity: "sev4"}, 3},
	} {
		c, err := b.slack.CopyView(f.view.ID, "UDAVE", nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := b.slack.Submit(s.ctx, "UDAVE", c, f.values)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if r := b.report(t, f.n); !r.Waiting() || r.Declaring != "" {
			t.Errorf("the %s form submitted by UDAVE (not in triage, not admin) was taken (answer %s): RPT-%d is %s by %s (declaring %q)",
				f.view.CallbackID, d.Body, f.n, r.State, r.DoneBy, r.DeclaringBy)
		}
	}
}

// --- 2. hostile text everywhere ---

const hostileT = "<!channel> <!here> <!everyone> <!subteam^S123|@sec> <@UCAROL> <#C1234> *bold* _it_ ~s~ `c` <http://evil.example|bank> <mailto:x@evil.example> &amp; &lt; \u202eRTL\u202c \u2066iso\u2069 \n> quote\n"

func hostileOf(n int) string {
	s := strings.Repeat(hostileT, n/len([]rune(hostileT))+1)
	return string([]rune(s)[:n])
}

func TestAttackTriageHostileText(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()

	// 1: the command, as long as allowed.
	s.command("UALICE", general, "report "+hostileOf(incident.MaxTextChars-1))
	// too long: refused
	if got := s.command("UALICE", general, "report "+hostileOf(4000)); !strings.Contains(got, "") {
		t.Log(got)
	}
	// 2: the form, every field at its limit and beyond.
	if _, err := b.slack.Command(s.ctx, "UERIN", general, "report"); err != nil {
		t.Fatal(err)
	}
	form := b.view(t, "UERIN", commands.ModalReport)
	d, _ := b.slack.Submit(s.ctx, "UERIN", form.ID, map[string]string{commands.InputWhat: hostileOf(100), commands.InputWhen: hostileOf(3500), commands.InputSystems: hostileOf(3500)})
	if !strings.Contains(string(d.Body), "errors") {
		t.Errorf("an over-long form was taken: %s", d.Body)
	}
	if _, err := b.slack.Submit(s.ctx, "UERIN", form.ID, map[string]string{commands.InputWhat: hostileOf(incident.MaxTextChars), commands.InputWhen: hostileOf(300), commands.InputSystems: hostileOf(300), commands.InputUrgency: "sev1"}); err != nil {
		t.Fatal(err)
	}
	// 3: the shortcut on a long hostileT message.
	said := b.slack.PostAs("UDAVE", general, hostileOf(5000))
	amp := b.slack.PostAs("UDAVE", general, strings.Repeat("Tom &amp; Jerry &lt;3\n", 300))
	if _, err := b.slack.Shortcut(s.ctx, "UERIN", general, amp, commands.ShortcutReport); err != nil {
		t.Fatal(err)
	}
	if f := b.view(t, "UERIN", commands.ModalReport); len([]rune(f.PrivateMetadata)) > 3000 {
		t.Errorf("a flagged message of %d characters makes private_metadata of %d characters; Slack refuses views.open over 3000, so the shortcut fails", len(strings.Repeat("Tom & Jerry <3\n", 300)), len([]rune(f.PrivateMetadata)))
	}
	if _, err := b.slack.Shortcut(s.ctx, "UALICE", general, said, commands.ShortcutReport); err != nil {
		t.Fatal(err)
	}
	form = b.view(t, "UALICE", commands.ModalReport)
	t.Logf("metadata %d chars", len([]rune(form.PrivateMetadata)))
	if n := len([]rune(form.PrivateMetadata)); n > 3000 {
		t.Errorf("the report form's private_metadata is %d characters; Slack refuses views.open over 3000 (the shortcut fails)", n)
	}
	if _, err := b.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{commands.InputWhat: hostileOf(incident.MaxTextChars), commands.InputWhen: hostileOf(300), commands.InputSystems: hostileOf(300)}); err != nil {
		t.Fatal(err)
	}
	// 4: an alert with every field at its limit.
	fields := map[string]string{}
	for i := range 50 {
		fields[fmt.Sprintf("%02d", i)+hostileOf(98)] = hostileOf(1000)
	}
	alert, _ := json.Marshal(map[string]any{"title": hostileOf(500), "source": hostileOf(300), "severity": hostileOf(300),
		"dedup_key": strings.Repeat("<!channel>", 20), "fields": fields})
	if len(alert) > 64<<10 {
		alert, _ = json.Marshal(map[string]any{"title": hostileOf(500), "source": hostileOf(300), "severity": hostileOf(300),
			"dedup_key": strings.Repeat("<!channel>", 20), "fields": map[string]string{hostileOf(100): hostileOf(1000), "b" + hostileOf(99): hostileOf(1000)}})
	}
	at := time.Now()
	for range 2 { // twice, so the card shows the count and dedup key
		status, got := postAlert(t, b.addr, alertsSecret, at, alert)
		if status != http.StatusOK {
			t.Fatalf("the alert: %d %v", status, got)
		}
		at = at.Add(time.Second)
	}
	for _, ref := range []string{"RPT-1", "RPT-2", "RPT-3", "RPT-4"} {
		b.card(t, ref, "Waiting since")
	}
	b.card(t, "RPT-4", "Fired")
	b.dm(t, "UALICE", "RPT-3")
	b.dm(t, "UERIN", "RPT-2")
	if got := s.command("UBOB", b.triage, "reports"); !strings.Contains(got, "RPT-4") {
		t.Errorf("/incident reports: %q", got)
	}
	// Dismiss one with a long hostileT comment, merge one, declare one.
	card := b.card(t, "RPT-1", "Waiting since")
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportDismiss, commands.ModalDismiss)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputReason: "expected", commands.InputComment: hostileOf(300)}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "Dismissed by")
	b.dm(t, "UALICE", "closed it")
	s.command("UBOB", general, "declare "+strings.ReplaceAll(hostileOf(400), "\n", " ")+" sev2")
	b.declared(t, "UBOB", "INC-1")
	card = b.card(t, "RPT-3", "Waiting since")
	f = b.openForm(t, "UBOB", card.TS, commands.ActionReportMerge, commands.ModalMerge)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputIncident: "1"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-3", "Merged into")
	card = b.card(t, "RPT-4", "Waiting since")
	f = b.openForm(t, "UCAROL", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	if _, err := b.slack.Submit(s.ctx, "UCAROL", f.ID, map[string]string{commands.InputSeverity: "sev1"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-4", "Declared as")
	time.Sleep(time.Second)
	for _, c := range b.slack.Calls("") {
		if strings.Contains(c.Error, "invalid") {
			t.Errorf("Slack refused %s: %s", c.Method, c.Error)
		}
	}
	if live := b.slack.Live(); len(live) > 0 {
		for i, l := range live {
			if i < 10 {
				t.Errorf("live: %.300s", l)
			}
		}
		t.Errorf("%d live things", len(live))
	}
	if strings.Contains(b.logs.String(), `"level":"ERROR"`) {
		for _, line := range strings.Split(b.logs.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Errorf("error logged: %.400s", line)
			}
		}
	}
}

// --- 3. privacy ---

func TestAttackTriagePrivacy(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	// A private incident UCAROL is not in: declared by UERIN? responders (UBOB, UCAROL) are invited, so use an admin-free check with UBOB's.
	s.command("UALICE", general, "declare Secret insider case sev2 --private")
	priv := b.declared(t, "UALICE", "INC-1")
	s.command("UALICE", general, "report anon thing seen by the reporter")
	// the anonymous one via the form
	if _, err := b.slack.Command(s.ctx, "UERIN", general, "report"); err != nil {
		t.Fatal(err)
	}
	form := b.view(t, "UERIN", commands.ModalReport)
	if _, err := b.slack.Submit(s.ctx, "UERIN", form.ID, map[string]string{commands.InputWhat: "Anonymous: my manager exports payroll", commands.InputAnonymous: "anonymous"}); err != nil {
		t.Fatal(err)
	}
	c1 := b.card(t, "RPT-1", "Waiting since")
	c2 := b.card(t, "RPT-2", "Waiting since")
	inc, _ := b.store.Get(s.ctx, 1)
	t.Logf("INC-1 members %v", inc.Members)

	// Merge form for a triager: which incidents does it offer?
	for _, u := range []string{"UBOB", "UCAROL"} {
		f := b.openForm(t, u, c1.TS, commands.ActionReportMerge, commands.ModalMerge)
		offered := strings.Contains(string(f.JSON), "Secret insider")
		t.Logf("merge form for %s (member of INC-1: %v) offers the private incident: %v", u, inc.IsMember(u), offered)
		if offered && !inc.IsMember(u) {
			t.Errorf("the merge form offers %s a private incident they are not in", u)
		}
		_ = b.slack.CloseView(f.ID)
	}
	// Merge RPT-1 into the private incident (by a member): the reporter learns nothing of it.
	member := "UBOB"
	if !inc.IsMember(member) {
		member = "UALICE"
	}
	f := b.openForm(t, "UBOB", c1.TS, commands.ActionReportMerge, commands.ModalMerge)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputIncident: "1"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "Merged into")
	got := b.dm(t, "UALICE", "Thank you for reporting *RPT-1*")
	if strings.Contains(got, "INC-1") || strings.Contains(got, priv.ID) || strings.Contains(got, "Secret") {
		t.Errorf("the reporter of a report merged into a private incident was told %q", got)
	}
	// Declare the anonymous RPT-2 as private: the reporter and the incident.
	f = b.openForm(t, "UCAROL", c2.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	if _, err := b.slack.Submit(s.ctx, "UCAROL", f.ID, map[string]string{commands.InputSeverity: "sev2", commands.InputPrivate: "private"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-2", "Declared as")
	got = b.dm(t, "UERIN", "Thank you for reporting *RPT-2*")
	inc2, err := b.store.Get(s.ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "INC-2") || strings.Contains(got, inc2.ChannelID) {
		t.Errorf("the reporter of a report declared private was told %q", got)
	}
	time.Sleep(time.Second)
	ch, _ := b.slack.Channel(inc2.ChannelID)
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), "UERIN") || strings.Contains(m.Text, "UERIN") {
			t.Errorf("the anonymous reporter is named in the incident channel: %q", m.Visible())
		}
	}
	if slicesContains(ch.Members, "UERIN") {
		t.Errorf("the anonymous reporter was invited")
	}
	tl, _ := b.store.Timeline(s.ctx, 2)
	for _, ev := range tl {
		if ev.Actor == "UERIN" || strings.Contains(ev.Text, "UERIN") {
			t.Errorf("the anonymous reporter is on the timeline: %+v", ev)
		}
	}
	md := ""
	s.command(inc2.Commander(), inc2.ChannelID, "close done")
	s.command(inc2.Commander(), inc2.ChannelID, "postmortem")
	s.eventually("postmortem", func() bool { md, _ = b.store.Postmortem(s.ctx, 2); return md != "" })
	if strings.Contains(md, "UERIN") {
		t.Errorf("the anonymous reporter is in the postmortem")
	}
	// The stakeholder channel has no report content.
	sh, _ := b.slack.Channel(b.stakeholder)
	for _, m := range sh.Messages {
		if strings.Contains(m.Visible(), "payroll") || strings.Contains(m.Visible(), "anon thing") || strings.Contains(m.Visible(), "Secret insider") {
			t.Errorf("the stakeholder channel shows report contents: %q", m.Visible())
		}
	}
	// The triage card of the report merged into the private incident.
	c1m := b.card(t, "RPT-1", "Merged into")
	t.Logf("RPT-1 card after merge into private INC-1: %q", c1m.Visible())
	if live := b.slack.Live(); len(live) > 0 {
		t.Errorf("live: %q", live)
	}
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// --- 4. races ---

func TestAttackTriageRaces(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UBOB", general, "declare Phishing wave sev2")
	b.declared(t, "UBOB", "INC-1")
	for i := range 3 {
		s.command("UALICE", general, fmt.Sprintf("report race %d", i+1))
	}
	c1 := b.card(t, "RPT-1", "Waiting since")
	c2 := b.card(t, "RPT-2", "Waiting since")
	c3 := b.card(t, "RPT-3", "Waiting since")

	// Ack twice at once.
	var wg sync.WaitGroup
	for _, u := range []string{"UBOB", "UCAROL"} {
		wg.Go(func() { _, _ = b.slack.Click(s.ctx, u, b.triage, c3.TS, commands.ActionReportAck) })
	}
	wg.Wait()
	b.card(t, "RPT-3", "Acknowledged by")
	s.await("the second acker told", func() bool {
		for _, u := range []string{"UBOB", "UCAROL"} {
			for _, m := range b.slack.Ephemerals(u) {
				if strings.Contains(m.Visible(), "already acknowledged by") {
					return true
				}
			}
		}
		return false
	})

	// Declare (UBOB) + Dismiss (UCAROL) at once on RPT-1.
	decl := b.openForm(t, "UBOB", c1.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	dism := b.openForm(t, "UCAROL", c1.TS, commands.ActionReportDismiss, commands.ModalDismiss)
	wg.Go(func() {
		_, _ = b.slack.Submit(s.ctx, "UBOB", decl.ID, map[string]string{commands.InputSeverity: "sev3"})
	})
	wg.Go(func() {
		_, _ = b.slack.Submit(s.ctx, "UCAROL", dism.ID, map[string]string{commands.InputReason: "duplicate"})
	})
	wg.Wait()
	// Merge (UBOB) + Dismiss (UCAROL) at once on RPT-2.
	merge := b.openForm(t, "UBOB", c2.TS, commands.ActionReportMerge, commands.ModalMerge)
	dism2 := b.openForm(t, "UCAROL", c2.TS, commands.ActionReportDismiss, commands.ModalDismiss)
	wg.Go(func() { _, _ = b.slack.Submit(s.ctx, "UBOB", merge.ID, map[string]string{commands.InputIncident: "1"}) })
	wg.Go(func() {
		_, _ = b.slack.Submit(s.ctx, "UCAROL", dism2.ID, map[string]string{commands.InputReason: "duplicate"})
	})
	wg.Wait()
	time.Sleep(2 * time.Second)
	for _, n := range []int64{1, 2} {
		r := b.report(t, n)
		t.Logf("RPT-%d: %s by %s (incident %d, declaring %q)", n, r.State, r.DoneBy, r.Incident, r.DeclaringBy)
		if r.Waiting() {
			t.Errorf("RPT-%d still waiting after the race: %+v", n, r)
		}
		if c := dmsContaining(b.slack, "UALICE", fmt.Sprintf("*RPT-%d*", n)); c != 2 { // receipt + one outcome
			t.Errorf("RPT-%d: the reporter got %d messages (want the receipt and one outcome)", n, c)
		}
	}
	for _, u := range []string{"UBOB", "UCAROL"} {
		for _, m := range b.slack.DirectMessages(u) {
			t.Logf("DM %s: %.200s", u, m.Visible())
		}
	}
	if _, err := b.store.Get(s.ctx, 3); err == nil {
		t.Errorf("more incidents than one declare made")
	}
}

// --- 5. crashes between write and answer ---

func triageCrashBot(t *testing.T) (*triageBot, *crasher) {
	crash := &crasher{crashed: make(chan string, 1)}
	b := startTriageBot(t, false, clocks{now: time.Now, afterWrite: crash.afterWrite}, "")
	return b, crash
}

func (b *triageBot) redoOnReplica(t *testing.T, s *script) *harness {
	t.Helper()
	s.eventually("only the crashed request left in the journal", func() bool {
		left, _ := b.store.Stale(s.ctx, time.Now().Add(time.Hour))
		return len(left) == 1
	})
	later := func() time.Time { return time.Now().Add(10 * time.Minute) }
	other := &harness{slack: b.slack, redis: b.redis, store: b.store, stakeholder: b.stakeholder,
		env: map[string]string{"ALERTS_SIGNING_SECRET": alertsSecret}}
	other.launch(t, false, false, clocks{now: time.Now, outbound: clocktest.Instant{}, journal: later},
		quietSeverities+"triage_channel: "+b.triage+"\n")
	s.eventually("the redo", func() bool {
		left, _ := b.store.Stale(s.ctx, time.Now().Add(time.Hour))
		return len(left) == 0 && strings.Contains(other.logs.String(), `"msg":"request handled"`)
	})
	time.Sleep(time.Second)
	return other
}

func TestAttackTriageCrashMerge(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b, crash := triageCrashBot(t)
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UBOB", general, "declare Phishing wave sev2")
	ch := b.declared(t, "UBOB", "INC-1")
	s.command("UALICE", general, "report crash me")
	card := b.card(t, "RPT-1", "Waiting since")
	b.dm(t, "UALICE", "RPT-1")
	time.Sleep(500 * time.Millisecond)
	f := b.openForm(t, "UCAROL", card.TS, commands.ActionReportMerge, commands.ModalMerge)
	crash.at.Store("view:")
	crash.armed.Store(true)
	if _, err := b.slack.Submit(s.ctx, "UCAROL", f.ID, map[string]string{commands.InputIncident: "1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-crash.crashed:
		t.Logf("crashed after %s", e)
	case <-time.After(10 * time.Second):
		t.Fatal("no crash")
	}
	b.redoOnReplica(t, s)
	r := b.report(t, 1)
	t.Logf("RPT-1 after the redo: %s", r.State)
	c, _ := b.slack.Channel(b.triage)
	for _, m := range c.Messages {
		if strings.Contains(m.Visible(), "RPT-1:") && !strings.Contains(m.Visible(), "Merged into") {
			t.Errorf("the card of RPT-1 (merged) still reads:\n%s", m.Visible())
		}
	}
	if dmsContaining(b.slack, "UALICE", "was added to it") == 0 {
		t.Errorf("the reporter was never told RPT-1 was merged")
	}
	told := false
	c, _ = b.slack.Channel(ch.ID)
	for _, m := range c.Messages {
		told = told || strings.Contains(m.Visible(), "merged report *RPT-1*")
	}
	if !told {
		t.Errorf("the incident channel was never told of the merge")
	}
	for _, m := range b.slack.DirectMessages("UCAROL") {
		t.Logf("UCAROL was told: %.300s", m.Visible())
	}
}

func TestAttackTriageCrashDeclare(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	for _, at := range []string{"view:", ":announcement", "report-outcome"} {
		t.Run(strings.Trim(at, ":"), func(t *testing.T) {
			b, crash := triageCrashBot(t)
			s := &script{t: t, h: b.harness, ctx: context.Background()}
			general := b.general()
			s.command("UALICE", general, "report crash the declare")
			card := b.card(t, "RPT-1", "Waiting since")
			b.dm(t, "UALICE", "RPT-1")
			time.Sleep(500 * time.Millisecond)
			f := b.openForm(t, "UCAROL", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
			crash.at.Store(at)
			crash.armed.Store(true)
			if _, err := b.slack.Submit(s.ctx, "UCAROL", f.ID, map[string]string{commands.InputSeverity: "sev2"}); err != nil {
				t.Fatal(err)
			}
			select {
			case e := <-crash.crashed:
				t.Logf("crashed after %s", e)
			case <-time.After(10 * time.Second):
				t.Fatal("no crash")
			}
			r := b.report(t, 1)
			t.Logf("RPT-1 between crash and redo: %s declaring %q", r.State, r.DeclaringBy)
			b.redoOnReplica(t, s)
			r = b.report(t, 1)
			if r.State != incident.ReportDeclared || r.Declaring != "" && r.State != incident.ReportDeclared {
				t.Errorf("RPT-1 after the redo: %s declaring %q", r.State, r.DeclaringBy)
			}
			if _, err := b.store.Get(s.ctx, 2); err == nil {
				t.Errorf("two incidents")
			}
			b.card(t, "RPT-1", "Declared as")
			if dmsContaining(b.slack, "UALICE", "declared it an incident") != 1 {
				t.Errorf("the reporter told %d times", dmsContaining(b.slack, "UALICE", "declared it an incident"))
			}
			for _, m := range b.slack.DirectMessages("UCAROL") {
				t.Logf("UCAROL was told: %.300s", m.Visible())
				if strings.Contains(m.Visible(), "was not done") || strings.Contains(m.Visible(), "already declared") {
					t.Errorf("the declarer, whose declaration was done, is told: %.300s", m.Visible())
				}
			}
			if dmsContaining(b.slack, "UCAROL", "Declared *INC-1*") == 0 {
				t.Errorf("the declarer never got the declare confirmation")
			}
		})
	}
}

// A report stored by a replica that died before posting its card: the sweep posts it and the receipt.
func TestAttackTriageOrphanReportSwept(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	clock := clocktest.NewManual(time.Now())
	b := startTriageBot(t, false, clocks{now: clock.Now, triageEvery: 100 * time.Millisecond}, "")
	ctx := context.Background()
	n, err := b.store.CreateReport(ctx, &incident.Report{Source: incident.SourcePerson, Reporter: "UALICE", What: "orphan", ReportedAt: clock.Now(), State: incident.ReportOpen})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Second)
	b.card(t, incident.FormatReportRef(n), "Waiting since")
	b.dm(t, "UALICE", incident.FormatReportRef(n))
	time.Sleep(time.Second)
	if b.cards() != 1 {
		t.Errorf("%d cards", b.cards())
	}
}

// --- 6. alerts ---

func rawAlert(t *testing.T, addr string, ts, sig string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/alerts", strings.NewReader(string(body)))
	req.Header.Set(bot.AlertTimestampHeader, ts)
	req.Header.Set(bot.AlertSignatureHeader, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&got)
	return resp.StatusCode, fmt.Sprint(got)
}

func TestAttackAlertSignatures(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	body := []byte(`{"title":"x1"}`)
	now := time.Now()
	sig := bot.SignAlert(alertsSecret, now, body)
	cases := []struct {
		name, ts, sig string
		body          []byte
		want          int
	}{
		{"other body", fmt.Sprint(now.Unix()), sig, []byte(`{"title":"x2"}`), 401},
		{"non-numeric ts", "abc", sig, body, 401},
		{"empty ts", "", sig, body, 401},
		{"float ts", fmt.Sprint(now.Unix()) + ".0", sig, body, 401},
		{"no sig", fmt.Sprint(now.Unix()), "", body, 401},
		{"uppercase sig", fmt.Sprint(now.Unix()), strings.ToUpper(sig), body, 401},
		{"future 6m", fmt.Sprint(now.Add(6 * time.Minute).Unix()), bot.SignAlert(alertsSecret, now.Add(6*time.Minute), body), body, 401},
		{"huge ts", "9223372036854775807", "v0=00", body, 401},
		{"neg ts", "-9223372036854775808", "v0=00", body, 401},
		{"wrong secret", fmt.Sprint(now.Unix()), bot.SignAlert("", now, body), body, 401},
		{"good", fmt.Sprint(now.Unix()), sig, body, 200},
		{"replay", fmt.Sprint(now.Unix()), sig, body, 401},
		{"replay with +ts", "+" + fmt.Sprint(now.Unix()), sig, body, 401},
		{"replay with 0ts", "0" + fmt.Sprint(now.Unix()), sig, body, 401},
		{"future 4m", fmt.Sprint(now.Add(4 * time.Minute).Unix()), bot.SignAlert(alertsSecret, now.Add(4*time.Minute), []byte(`{"title":"x3"}`)), []byte(`{"title":"x3"}`), 200},
		{"trailing garbage", fmt.Sprint(now.Unix()), bot.SignAlert(alertsSecret, now, []byte(`{"title":"x4"} trailing`)), []byte(`{"title":"x4"} trailing`), 400},
	}
	for _, c := range cases {
		status, got := rawAlert(t, b.addr, c.ts, c.sig, c.body)
		if status != c.want {
			t.Errorf("%s: %d %s; want %d", c.name, status, got, c.want)
		}
	}
	// big numbers keep their digits
	big := []byte(`{"title":"precision","fields":{"event_id":12345678901234567890123}}`)
	if status, got := postAlert(t, b.addr, alertsSecret, time.Now(), big); status != 200 {
		t.Fatalf("%d %v", status, got)
	}
	card := b.card(t, "RPT-3", "precision")
	if !strings.Contains(card.Visible(), "12345678901234567890123") {
		t.Errorf("a numeric field lost its digits: %q", card.Visible())
	}
}

// An alert refused with 503 "send it again in a moment" and sent again as
// it was (a sender's retry) is taken: its identity is marked in the same
// step that stores it, so a request the store did not take is not a replay.
func TestAttackAlertRetryAfterFailure(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	ctx := context.Background()
	rdb := b.redis.Client(t)
	// A transient store failure: the report counter cannot be incremented.
	if err := rdb.Set(ctx, "ib:{reports}:counter", "not-a-number", 0).Err(); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	body := []byte(`{"title":"Ransomware beacon on db-1"}`)
	status, got := postAlert(t, b.addr, alertsSecret, at, body)
	t.Logf("first: %d %v", status, got)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("the first send, with the store failing, was answered %d; want 503", status)
	}
	_ = rdb.Del(ctx, "ib:{reports}:counter").Err() // the store recovers
	status, got = postAlert(t, b.addr, alertsSecret, at, body)
	if status != http.StatusOK {
		t.Errorf("the sender's retry of an alert refused with 503 is answered %d %v; the alert is lost", status, got)
	}
	waiting, _ := b.store.WaitingReports(ctx)
	t.Logf("%d waiting reports", len(waiting))
}

// Alerts with one key after the report is dismissed make a new report; 60 at once make one card.
func TestAttackAlertDedupAfterOutcome(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	reports := map[string]int{}
	for i := range 60 {
		wg.Go(func() {
			body := fmt.Appendf(nil, `{"title":"storm","dedup_key":"k1","fields":{"i":"%d"}}`, i)
			status, got := postAlert(t, b.addr, alertsSecret, time.Now(), body)
			if status != 200 {
				t.Errorf("%d %v", status, got)
			}
			mu.Lock()
			reports[fmt.Sprint(got["report"])]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(reports) != 1 {
		t.Errorf("60 alerts made reports %v", reports)
	}
	card := b.card(t, "RPT-1", "Fired *60 times*")
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportDismiss, commands.ModalDismiss)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputReason: "false_positive"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "Dismissed")
	status, got := postAlert(t, b.addr, alertsSecret, time.Now(), []byte(`{"title":"storm again","dedup_key":"k1"}`))
	if status != 200 || got["report"] != "RPT-2" || got["deduplicated"] != false {
		t.Errorf("an alert after the dismissal: %d %v", status, got)
	}
	b.card(t, "RPT-2", "storm again")
	if b.cards() != 2 {
		t.Errorf("%d cards", b.cards())
	}
}

// The report form with a "what" over MaxTextChars (Slack enforces
// max_length in its client; a submission past it reaches the check) gets
// the field error, in both modes, and the bot carries on.
func TestAttackTriageOverlongReportForm(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	for _, transport := range []string{"http", "socket"} {
		t.Run(transport, func(t *testing.T) {
			b := startTriageBot(t, transport == "socket", clocks{now: time.Now}, "")
			s := &script{t: t, h: b.harness, ctx: context.Background()}
			if _, err := b.slack.Command(s.ctx, "UERIN", b.general(), "report"); err != nil {
				t.Fatal(err)
			}
			form := b.view(t, "UERIN", commands.ModalReport)
			d, err := b.slack.Submit(s.ctx, "UERIN", form.ID, map[string]string{commands.InputWhat: strings.Repeat("x", 3000)})
			t.Logf("answer %d %s %v", d.Status, d.Body, err)
			if !strings.Contains(string(d.Body), "Keep it under") {
				t.Errorf("an over-long report form is answered %d %q (%v), not the field error", d.Status, d.Body, err)
			}
			if strings.Contains(b.logs.String(), "panic") {
				t.Errorf("it panicked")
			}
			s.command("UALICE", b.general(), "report still alive?")
			b.card(t, "RPT-1", "still alive")
		})
	}
}

// startTriageBotWith is startTriageBot with more members of the triage channel.
func startTriageBotWith(t *testing.T, extra ...string) *triageBot {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	h := &harness{slack: fs, redis: redistest.Start(t), env: map[string]string{"ALERTS_SIGNING_SECRET": alertsSecret}}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	for _, u := range extra {
		fs.AddUser(u, strings.ToLower(u[1:]))
	}
	triage := fs.CreateChannel("security-triage", true, append([]string{fs.BotUserID, "UBOB", "UCAROL"}, extra...)...)
	fs.AddUser("UERIN", "erin")
	fs.CreateChannel("general", false, append([]string{"UALICE", "UBOB", "UCAROL", "UDAVE", "UERIN"}, extra...)...)
	h.launch(t, false, true, clocks{now: time.Now, outbound: clocktest.Instant{}}, quietSeverities+"triage_channel: "+triage+"\n")
	return &triageBot{harness: h, triage: triage}
}

func TestAttackTriageMergeFormPrivate(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBotWith(t, "UFRANK")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UALICE", general, "declare Secret insider case sev2 --private")
	b.declared(t, "UALICE", "INC-1")
	s.command("UALICE", general, "declare Public phish sev3")
	b.declared(t, "UALICE", "INC-2")
	s.command("UERIN", general, "report something")
	card := b.card(t, "RPT-1", "Waiting since")
	f := b.openForm(t, "UFRANK", card.TS, commands.ActionReportMerge, commands.ModalMerge)
	if strings.Contains(string(f.JSON), "Secret insider") || strings.Contains(string(f.JSON), `"value":"1"`) {
		t.Errorf("the merge form offers UFRANK a private incident he is not in:\n%s", f.JSON)
	}
	// Forged: submit INC-1 anyway.
	d, _ := b.slack.Submit(s.ctx, "UFRANK", f.ID, map[string]string{commands.InputIncident: "1"})
	t.Logf("forged merge into private INC-1: %s", d.Body)
	if r := b.report(t, 1); r.State != incident.ReportOpen {
		t.Errorf("merged into a private incident by a non-member: %s", r.State)
	}
	if d, _ = b.slack.Submit(s.ctx, "UFRANK", f.ID, map[string]string{commands.InputIncident: "99999999999999999999"}); !strings.Contains(string(d.Body), "errors") {
		t.Errorf("huge incident number: %s", d.Body)
	}
}

// A signed triage click replayed: done once, the replayer told.
func TestAttackTriageReplayClick(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	s.command("UALICE", b.general(), "report replay me")
	card := b.card(t, "RPT-1", "Waiting since")
	if _, err := b.slack.Click(s.ctx, "UBOB", b.triage, card.TS, commands.ActionReportAck); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "Acknowledged by")
	got := s.answer("UBOB", func() error { _, err := b.slack.Replay(s.ctx); return err })
	if !strings.Contains(got, repeatedAnswer) {
		t.Errorf("replayed ack answered %q", got)
	}
	// a dismiss form submitted, then replayed
	f := b.openForm(t, "UCAROL", card.TS, commands.ActionReportDismiss, commands.ModalDismiss)
	if _, err := b.slack.Submit(s.ctx, "UCAROL", f.ID, map[string]string{commands.InputReason: "expected"}); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "Dismissed")
	_, _ = b.slack.Replay(s.ctx)
	time.Sleep(time.Second)
	if n := dmsContaining(b.slack, "UALICE", "closed it"); n != 1 {
		t.Errorf("reporter told %d times", n)
	}
}

// An alert storm on one dedup key while the security team triages its
// report: the triage step goes through (the count is kept apart from the
// report, so counting never holds up a change of it).
func TestAttackTriageAlertStormBlocksTriage(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	for _, viaHTTP := range []bool{false, true} {
		t.Run(fmt.Sprint("http=", viaHTTP), func(t *testing.T) { alertStorm(t, viaHTTP) })
	}
}

func alertStorm(t *testing.T, viaHTTP bool) {
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	if status, got := postAlert(t, b.addr, alertsSecret, time.Now(), []byte(`{"title":"noisy","dedup_key":"storm"}`)); status != 200 {
		t.Fatalf("%d %v", status, got)
	}
	card := b.card(t, "RPT-1", "Waiting since")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var sent sync.Map
	for g := range 16 {
		wg.Go(func() {
			i := 0
			for ctx.Err() == nil {
				if viaHTTP {
					body := fmt.Appendf(nil, `{"title":"noisy","dedup_key":"storm","fields":{"n":"%d-%d"}}`, g, i)
					req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+b.addr+"/alerts", strings.NewReader(string(body)))
					now := time.Now()
					req.Header.Set(bot.AlertTimestampHeader, fmt.Sprint(now.Unix()))
					req.Header.Set(bot.AlertSignatureHeader, bot.SignAlert(alertsSecret, now, body))
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				} else {
					r := &incident.Report{Source: incident.SourceAlert, What: "noisy", DedupKey: "storm", ReportedAt: time.Now(), State: incident.ReportOpen}
					if _, _, _, err := b.store.IntakeAlert(ctx, r, time.Hour); err != nil && ctx.Err() == nil {
						t.Logf("intake: %v", err)
					}
				}
				i++
			}
			sent.Store(g, i)
		})
	}
	time.Sleep(500 * time.Millisecond)
	before := len(b.slack.Ephemerals("UBOB"))
	if _, err := b.slack.Click(s.ctx, "UBOB", b.triage, card.TS, commands.ActionReportAck); err != nil {
		t.Fatal(err)
	}
	got := ""
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if e := b.slack.Ephemerals("UBOB"); len(e) > before {
			got = e[before].Visible()
			break
		}
		if b.report(t, 1).State == incident.ReportAcknowledged {
			break
		}
	}
	cancel()
	wg.Wait()
	total := 0
	sent.Range(func(_, v any) bool { total += v.(int); return true })
	t.Logf("%d alerts counted during the click; UBOB was answered %q", total, got)
	if r := b.report(t, 1); r.State != incident.ReportAcknowledged {
		t.Errorf("under an alert storm on its dedup key, Acknowledge failed (%q); RPT-1 is %s", got, r.State)
	}
}

// The declare from a report fails half way (Slack creates no channel): the
// incident it recorded keeps the report, which shows it as declared, so a
// second declare cannot make a second incident from it.
func TestAttackTriageDeclareFailsHalfWay(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	s.command("UALICE", b.general(), "report half way")
	card := b.card(t, "RPT-1", "Waiting since")
	b.slack.Fail("conversations.create", fakeslack.Failure{Error: "fatal_error"})
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputSeverity: "sev2"}); err != nil {
		t.Fatal(err)
	}
	b.dm(t, "UBOB", "did not create its channel")
	card = b.card(t, "RPT-1", "Declared as *INC-1*")
	if len(buttons(card)) != 0 {
		t.Errorf("the card of a report declared half way still has buttons %v", buttons(card))
	}
	if r := b.report(t, 1); r.State != incident.ReportDeclared || r.Incident != 1 {
		t.Errorf("RPT-1 = %s as INC-%d; want declared as INC-1", r.State, r.Incident)
	}
	if _, err := b.store.Get(s.ctx, 2); err == nil {
		t.Error("a second incident was made from the report")
	}
}

// A declare from a report under a burst of alerts on the report's dedup
// key: the declaration finishes (the count does not hold up the report),
// and the report is never left "being declared" with no way out.
func TestAttackTriageStuckBeingDeclared(t *testing.T) {
	t.Parallel() // its own Redis and Slack: runs beside the others
	var b *triageBot
	var armed atomic.Bool
	stormDone := make(chan struct{})
	hook := func(_ context.Context, effect string) {
		if !strings.Contains(effect, ":announcement") || !armed.CompareAndSwap(true, false) {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for ctx.Err() == nil {
					r := &incident.Report{Source: incident.SourceAlert, What: "noisy", DedupKey: "storm", ReportedAt: time.Now(), State: incident.ReportOpen}
					_, _, _, _ = b.store.IntakeAlert(ctx, r, time.Hour)
				}
			})
		}
		go func() { wg.Wait(); cancel(); close(stormDone) }()
		time.Sleep(100 * time.Millisecond)
	}
	b = startTriageBot(t, false, clocks{now: time.Now, afterWrite: hook}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	if status, got := postAlert(t, b.addr, alertsSecret, time.Now(), []byte(`{"title":"noisy","dedup_key":"storm"}`)); status != 200 {
		t.Fatalf("%d %v", status, got)
	}
	card := b.card(t, "RPT-1", "Waiting since")
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	armed.Store(true)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputSeverity: "sev1"}); err != nil {
		t.Fatal(err)
	}
	<-stormDone
	time.Sleep(time.Second)
	r := b.report(t, 1)
	_, incErr := b.store.Get(s.ctx, 1)
	t.Logf("after: RPT-1 %s, declaring %q, incident %d; INC-1 exists: %v", r.State, r.DeclaringBy, r.Incident, incErr == nil)
	for _, m := range b.slack.DirectMessages("UBOB") {
		t.Logf("UBOB told: %.300s", m.Visible())
	}
	if r.Waiting() && r.Declaring != "" {
		f2 := b.openForm(t, "UCAROL", card.TS, commands.ActionReportDismiss, commands.ModalDismiss)
		_, _ = b.slack.Submit(s.ctx, "UCAROL", f2.ID, map[string]string{commands.InputReason: "duplicate"})
		time.Sleep(time.Second)
		for _, m := range b.slack.DirectMessages("UCAROL") {
			t.Logf("UCAROL told: %.300s", m.Visible())
		}
		t.Errorf("INC-1 exists (%v) but RPT-1 stays %s and 'being declared by %s'", incErr == nil, r.State, r.DeclaringBy)
	}
}

// ageReservation moves a report's 'being declared' reservation back by d,
// as if that much time had passed since it was taken.
func (b *triageBot) ageReservation(t *testing.T, n int64, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	rdb := b.redis.Client(t)
	key := fmt.Sprintf("ib:{reports}:rpt:%d", n)
	raw, err := rdb.Get(ctx, key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["declaring"] == nil {
		t.Fatalf("RPT-%d is not being declared: %s", n, raw)
	}
	doc["declaring_at"] = time.Now().Add(-d).UTC().Format(time.RFC3339Nano)
	raw, _ = json.Marshal(doc)
	if err := rdb.Set(ctx, key, raw, 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// A declaration from a report crashes right after reserving the report and
// is redone only after the reservation lapsed (every replica down > 15
// min, or Recover failing meanwhile). In between, another member gives the
// report its outcome. The redo, finding the report no longer reserved for
// it, makes no incident: the report has one outcome and one incident at most.
func TestAttackTriageLapsedReservationThenRedo(t *testing.T) {
	t.Parallel()
	for _, outcome := range []string{"dismiss", "declare"} {
		t.Run(outcome, func(t *testing.T) {
			b, crash := triageCrashBot(t)
			s := &script{t: t, h: b.harness, ctx: context.Background()}
			s.command("UALICE", b.general(), "report lapse me")
			card := b.card(t, "RPT-1", "Waiting since")
			b.dm(t, "UALICE", "RPT-1")
			time.Sleep(500 * time.Millisecond)
			f := b.openForm(t, "UBOB", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
			crash.at.Store("view:")
			crash.armed.Store(true)
			if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputSeverity: "sev2"}); err != nil {
				t.Fatal(err)
			}
			select {
			case e := <-crash.crashed:
				t.Logf("crashed after %s", e)
			case <-time.After(10 * time.Second):
				t.Fatal("no crash")
			}
			b.ageReservation(t, 1, 16*time.Minute)
			switch outcome {
			case "dismiss":
				f2 := b.openForm(t, "UCAROL", card.TS, commands.ActionReportDismiss, commands.ModalDismiss)
				if _, err := b.slack.Submit(s.ctx, "UCAROL", f2.ID, map[string]string{commands.InputReason: "false_positive"}); err != nil {
					t.Fatal(err)
				}
				b.card(t, "RPT-1", "Dismissed")
			case "declare":
				f2 := b.openForm(t, "UCAROL", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
				if _, err := b.slack.Submit(s.ctx, "UCAROL", f2.ID, map[string]string{commands.InputSeverity: "sev2"}); err != nil {
					t.Fatal(err)
				}
				b.card(t, "RPT-1", "Declared as")
			}
			b.redoOnReplica(t, s)
			r := b.report(t, 1)
			t.Logf("RPT-1 after the redo: %s by %s (INC-%d)", r.State, r.DoneBy, r.Incident)
			var made []string
			for n := int64(1); n <= 3; n++ {
				if inc, err := b.store.Get(s.ctx, n); err == nil {
					made = append(made, fmt.Sprintf("INC-%d %q by %s channel %s", n, inc.Title, inc.Roles[incident.CommanderRole], inc.ChannelID))
				}
			}
			want := map[string]int{"dismiss": 0, "declare": 1}[outcome]
			if len(made) != want {
				t.Errorf("after %s of a report whose reservation lapsed, the redone declaration made incidents: %v (want %d)", outcome, made, want)
			}
			for _, m := range b.slack.DirectMessages("UBOB") {
				t.Logf("UBOB told: %.200s", m.Visible())
			}
			st, _ := b.slack.Channel(b.stakeholder)
			for _, m := range st.Messages {
				t.Logf("stakeholders told: %.200s", m.Visible())
			}
		})
	}
}

// With REDIS_MIN_REPLICAS=1 and the replica cut off, the alert's script
// runs on the master but is not confirmed: 503 "send it again". The
// sender's same signed request, sent again once the replica is back, is
// taken (not refused as a replay).
func TestAttackAlertNotDurableThenRetry(t *testing.T) {
	t.Parallel()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	h := &harness{slack: fs, redis: master, env: map[string]string{"ALERTS_SIGNING_SECRET": alertsSecret, "REDIS_MIN_REPLICAS": "1"}}
	h.store = storage.New(master.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	triage := fs.CreateChannel("security-triage", true, fs.BotUserID, "UBOB", "UCAROL")
	h.launch(t, false, true, clocks{now: time.Now, outbound: clocktest.Instant{}}, quietSeverities+"triage_channel: "+triage+"\n")
	b := &triageBot{harness: h, triage: triage}
	ctx := context.Background()
	rc := replica.Client(t)
	if err := rc.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	body := []byte(`{"title":"Beacon to known C2 from db-7","source":"EDR"}`)
	status, got := postAlert(t, b.addr, alertsSecret, at, body)
	t.Logf("first: %d %v", status, got)
	waiting, _ := b.store.WaitingReports(ctx)
	t.Logf("on the master after the 503: %d waiting reports", len(waiting))
	host, port, _ := strings.Cut(master.Addr, ":")
	if err := rc.Do(ctx, "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	mc := master.Client(t)
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		if mc.Do(ctx, "WAIT", 1, 200).Val() == int64(1) {
			break
		}
	}
	// As a sender does on 503, it sends again in a moment: on a busy
	// machine the replica may need more than the bot's half second to
	// confirm the first time back. A replay refusal would end this at once.
	status2, got2 := postAlert(t, b.addr, alertsSecret, at, body)
	for try := 0; try < 5 && status2 == http.StatusServiceUnavailable; try++ {
		time.Sleep(200 * time.Millisecond)
		status2, got2 = postAlert(t, b.addr, alertsSecret, at, body)
	}
	t.Logf("retry: %d %v", status2, got2)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("the first send, not confirmed by the replica, was answered %d; want 503", status)
	}
	if status2 != http.StatusOK {
		t.Errorf("stored on the master but answered 503 'could not store the alert; send it again'; the sender's retry is answered %d %v", status2, got2)
	}
}

// One person files reports faster than anyone can read them: past five
// waiting, the next is refused with a clear answer, so one person's flood
// cannot hold back the triage channel (it takes a message a second).
func TestAttackTriageReportFloodIsCapped(t *testing.T) {
	t.Parallel()
	b := startTriageBot(t, false, clocks{now: time.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	for i := range 5 {
		if shown := s.command("UERIN", b.general(), fmt.Sprintf("report spam %d", i)); !strings.Contains(shown, "Reported as") {
			t.Fatalf("report %d answered %q", i, shown)
		}
	}
	if shown := s.command("UERIN", b.general(), "report spam 6"); !strings.Contains(shown, "You have 5 reports waiting") {
		t.Errorf("a sixth waiting report answered %q", shown)
	}
	if shown := s.command("UALICE", b.general(), "report a real one"); !strings.Contains(shown, "Reported as *RPT-6*") {
		t.Errorf("someone else's report answered %q", shown)
	}
	if waiting, err := b.store.WaitingReports(s.ctx); err != nil || len(waiting) != 6 {
		t.Errorf("%d waiting reports (%v); want 6", len(waiting), err)
	}
}
