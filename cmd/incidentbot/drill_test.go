package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

const tabletop = `drills:
  - key: tabletop
    title: Tabletop ransomware
    severity: sev1
    briefing: "Files on the finance share end in .locked <!channel>"
    targets: {containment: 30m}
    injects:
      - {at: 5m, text: "EDR reports the same hash on three more hosts", to: tech}
      - {at: 20m, text: "A journalist asks for comment"}
      - {on: containment, text: "The second C2 domain resolves"}
`

// TestDrillRunsItsInjectsOnce runs a drill of a built-in scenario
// (phishing: injects at 5m to the tech lead, at 10m, and on containment) with
// two replicas and a restart: every inject arrives once, at its offset or its
// phase, in the drill channel only; the drill is marked as one, is not
// listed to people outside it, and the incident metrics do not count it.
func TestDrillRunsItsInjectsOnce(t *testing.T) {
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	cl := clocks{now: clock.Now, outbound: clocktest.Instant{}}
	h := startBotWith(t, false, clock.Now, quietSeverities)
	replica := func() *harness {
		r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
		r.launch(t, false, false, cl, quietSeverities)
		return r
	}
	second := replica()
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")

	if shown := s.command("UALICE", general, "drill nosuch"); !strings.Contains(shown, "There is no drill scenario `nosuch`") || !strings.Contains(shown, "`phishing`") {
		t.Errorf("an unknown scenario answered %q", shown)
	}
	shown := s.command("UALICE", general, "drill phishing <@UBOB|bob>")
	if !strings.Contains(shown, "[DRILL] *INC-1* started") {
		t.Fatalf("the drill's start answered %q", shown)
	}
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || !inc.Drill || inc.Scenario != "phishing" {
		t.Fatalf("INC-1 = %+v, %v", inc, err)
	}
	ch, _ := h.slack.Channel(inc.ChannelID)
	if ch.Name != "inc-1-drill-phishing-with-credential-theft" || !strings.HasPrefix(ch.Topic, "[DRILL] INC-1") {
		t.Errorf("the drill channel is named %q with topic %q", ch.Name, ch.Topic)
	}
	s.ch = inc.ChannelID
	s.card("", "[DRILL] INC-1: Phishing with credential theft")
	injects := func() []string {
		c, _ := h.slack.Channel(inc.ChannelID)
		var out []string
		for _, m := range c.Messages {
			if strings.Contains(m.Visible(), "[DRILL] inject") {
				out = append(out, m.Visible())
			}
		}
		return out
	}
	s.await("the briefing", func() bool {
		c, _ := h.slack.Channel(inc.ChannelID)
		for _, m := range c.Messages {
			if v := m.Visible(); strings.Contains(v, "*Briefing*") && strings.Contains(v, "Containment within 20m") {
				return true
			}
		}
		return false
	})
	s.command("UALICE", inc.ChannelID, "assign tech <@UBOB|bob>")

	clock.Advance(5 * time.Minute)
	s.await("the first inject", func() bool { return len(injects()) >= 1 })
	if got := injects()[0]; !strings.Contains(got, "inject 1 of 3* for <@UBOB> (Technical Lead)") || !strings.Contains(got, "login to the clerk's account") {
		t.Errorf("the first inject reads %q", got)
	}

	// A restart in the middle: the second replica stops, a third starts
	// after the next inject fell due.
	second.halt()
	clock.Advance(6 * time.Minute)
	replica()
	s.await("the second inject", func() bool { return len(injects()) >= 2 })
	s.command("UALICE", inc.ChannelID, "phase next")
	s.await("the phase's inject", func() bool { return len(injects()) >= 3 })
	time.Sleep(1500 * time.Millisecond) // more ticks of all replicas
	if got := injects(); len(got) != 3 || !strings.Contains(got[2], "mailbox rule forwarding invoices") {
		t.Errorf("injects posted: %q; want each of three once", got)
	}
	if n := s.countEvents(1, incident.EventInject, ""); n != 3 {
		t.Errorf("%d injects on the timeline; want 3", n)
	}

	// Only in the drill: nothing for the stakeholders, not listed to others, not counted.
	if st, _ := h.slack.Channel(h.stakeholder); len(st.Messages) != 0 {
		t.Errorf("the stakeholder channel heard of the drill: %q", st.Messages[0].Visible())
	}
	if shown := s.command("UDAVE", general, "list"); strings.Contains(shown, "INC-1") {
		t.Errorf("/incident list shows the drill to someone outside it: %q", shown)
	}
	if shown := s.command("UBOB", general, "list"); !strings.Contains(shown, "INC-1") {
		t.Errorf("/incident list does not show the drill to a participant: %q", shown)
	}
	if m := scrape(t, h.addr); strings.Contains(m, `incidentbot_open_incidents{`) && strings.Contains(grepLines(m, "incidentbot_open_incidents{"), " 1") {
		t.Errorf("the drill is counted as an open incident:\n%s", grepLines(m, "incidentbot_open_incidents"))
	}
	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("live markup reached Slack: %q", live)
	}
	// Every message the bot posted in the drill channel says it is a drill.
	s.command("UBOB", inc.ChannelID, "update Hash blocked everywhere")
	c, _ := h.slack.Channel(inc.ChannelID)
	for _, m := range c.Messages {
		if m.User == h.slack.BotUserID && m.VisibleTo == "" && !strings.Contains(m.Text, "[DRILL]") {
			t.Errorf("a message in the drill channel is not marked as a drill: %q", m.Text)
		}
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDrillScoreCard runs two drills of one scenario under an injected
// clock: each ends with a score card (golden files under testdata/drill),
// and the second compares itself with the first; both are in the history.
func TestDrillScoreCard(t *testing.T) {
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	h := startBotWith(t, false, clock.Now, quietSeverities+tabletop)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
	run := func(n int64, containAfter time.Duration, golden string) {
		t.Helper()
		start := clock.Now()
		s.command("UALICE", general, "drill tabletop <@UBOB|bob>")
		inc, err := h.store.Get(s.ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		ch := inc.ChannelID
		clock.Advance(2 * time.Minute)
		s.command("UALICE", ch, "assign tech <@UBOB|bob>")
		clock.Advance(3 * time.Minute) // the first inject falls due
		s.eventually("the first inject", func() bool { return s.countEvents(n, incident.EventInject, "") >= 1 })
		clock.Advance(time.Minute)
		s.command("UBOB", ch, "note the hash is blocked at the EDR")
		clock.Advance(start.Add(containAfter).Sub(clock.Now()))
		s.command("UALICE", ch, "phase next")
		s.eventually("the phase's inject", func() bool { return s.countEvents(n, incident.EventInject, "") >= 2 })
		clock.Advance(start.Add(40 * time.Minute).Sub(clock.Now()))
		if shown := s.command("UBOB", ch, "drill end"); !strings.Contains(shown, "Only the incident commander") {
			t.Errorf("a drill ended by someone without the lead permission answered %q", shown)
		}
		s.command("UALICE", ch, "drill end")
		var card string
		s.await("the score card", func() bool {
			c, _ := h.slack.Channel(ch)
			for _, m := range c.Messages {
				if strings.Contains(m.Visible(), "Score card: INC-") {
					card = m.Visible()
					return true
				}
			}
			return false
		})
		path := filepath.Join("testdata", "drill", golden)
		if *update {
			_ = os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(card+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./cmd/incidentbot -run TestDrillScoreCard -update writes it)", err)
		}
		if string(want) != card+"\n" {
			t.Errorf("the score card differs from %s:\n%s", path, card)
		}
		clock.Advance(time.Hour)
	}
	run(1, 18*time.Minute, "scorecard-first.txt")
	run(2, 12*time.Minute, "scorecard-second.txt")
	if shown := s.command("UCAROL", general, "drill history tabletop"); !strings.Contains(shown, "*INC-2* `tabletop` 2026-12-02") ||
		!strings.Contains(shown, "containment after 12m") || !strings.Contains(shown, "containment after 18m") {
		t.Errorf("drill history answered %q", shown)
	}
}

// TestDrillForm starts a drill from the form: /incident drill alone offers
// the scenarios and the people to invite.
func TestDrillForm(t *testing.T) {
	h := startBotWith(t, false, time.Now, quietSeverities+tabletop)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	if _, err := h.slack.Command(s.ctx, "UALICE", general, "drill"); err != nil {
		t.Fatal(err)
	}
	var form fakeslack.View
	s.await("the drill form", func() bool {
		for _, v := range h.slack.Views("UALICE") {
			if v.CallbackID == "incident_drill" {
				form = v
				return true
			}
		}
		return false
	})
	for _, want := range []string{"Tabletop ransomware (sev1)", "Ransomware on the file server (sev1)", "multi_users_select"} {
		if !strings.Contains(string(form.JSON), want) {
			t.Errorf("the drill form lacks %q:\n%s", want, form.JSON)
		}
	}
	d, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{"people": "UDAVE"})
	if err != nil || !strings.Contains(string(d.Body), "Choose one of the scenarios") {
		t.Errorf("a form without a scenario was answered %s, %v", d.Body, err)
	}
	if _, err := h.slack.Submit(s.ctx, "UALICE", form.ID, map[string]string{"scenario": "phishing", "people": "UDAVE"}); err != nil {
		t.Fatal(err)
	}
	s.await("the drill's start by direct message", func() bool { return strings.Contains(dmOf(h.slack, "UALICE"), "[DRILL] *INC-1* started") })
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || !inc.Drill || inc.Scenario != "phishing" || !slices.Contains(inc.Members, "UDAVE") {
		t.Errorf("INC-1 = %+v, %v; want a phishing drill with dave", inc, err)
	}
}
