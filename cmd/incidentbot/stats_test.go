package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// TestStatsAcrossIncidents scripts incidents over a month on a clock of
// the test's: one too old to count, two sev1 (one still open), a sev3
// declared from a report, a drill and a private incident the asker is
// not in. /incident stats gives each severity's medians and 90th
// percentiles of what counts (golden file), and a bad period is refused.
func TestStatsAcrossIncidents(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	b := startTriageBot(t, false, clocks{now: clock.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	declare := func(user, text, ref string) {
		s.command(user, general, "declare "+text)
		s.ch = b.declared(t, user, ref).ID
	}
	// Forty days before the asking: outside the 30 days.
	declare("UALICE", "Old phishing wave sev1", "INC-1")
	s.command("UALICE", s.ch, "phase next")
	clock.Advance(10 * time.Minute)
	s.command("UALICE", s.ch, "phase next")
	clock.Advance(40 * 24 * time.Hour)

	declare("UALICE", "Ransomware on the file server sev1", "INC-2")
	s.command("UALICE", s.ch, "phase next")
	clock.Advance(40 * time.Minute)
	s.command("UALICE", s.ch, "phase next") // contained after 40m
	clock.Advance(2 * time.Hour)
	s.command("UALICE", s.ch, "close Restored") // recovered after 2h 40m

	declare("UALICE", "Stolen VPN session sev1", "INC-3")
	s.command("UALICE", s.ch, "phase next")
	clock.Advance(1*time.Hour + 20*time.Minute)
	s.command("UALICE", s.ch, "phase next") // contained after 1h 20m, still open

	s.command("UERIN", general, "report a login page asked for my password twice")
	card := b.card(t, "RPT-1", "Waiting since")
	clock.Advance(10 * time.Minute)
	if _, err := b.slack.Click(s.ctx, "UBOB", b.triage, card.TS, commands.ActionReportAck); err != nil {
		t.Fatal(err)
	}
	b.card(t, "RPT-1", "Acknowledged")
	clock.Advance(15 * time.Minute)
	f := b.openForm(t, "UBOB", card.TS, commands.ActionReportDeclare, commands.ModalDeclare)
	if _, err := b.slack.Submit(s.ctx, "UBOB", f.ID, map[string]string{commands.InputSeverity: "sev3"}); err != nil {
		t.Fatal(err)
	}
	s.eventually("INC-4 from the report", func() bool { inc, err := b.store.Get(s.ctx, 4); return err == nil && inc.ChannelID != "" })

	s.command("UALICE", general, "drill phishing")
	s.eventually("the drill", func() bool { inc, err := b.store.Get(s.ctx, 5); return err == nil && inc.Drill })
	declare("UBOB", "Payroll fraud sev2 --private", "INC-6")
	clock.Advance(time.Hour)

	got := s.command("UALICE", general, "stats")
	caseGolden(t, "stats.txt", []byte(got+"\n"))
	for _, want := range []string{"*sev1* · 2 incidents", "To contain: median 1h · p90 1h 20m (2 incidents)", "To recover: median 2h 40m · p90 2h 40m (1 incident)",
		"*sev3* · 1 incident", "To acknowledge: median 10m · p90 10m (1 incident)", "To declare: median 25m · p90 25m (1 incident)"} {
		if !strings.Contains(got, want) {
			t.Errorf("stats lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "sev2") || strings.Contains(got, "sev4") {
		t.Errorf("stats count the private incident alice is not in, or the drill:\n%s", got)
	}
	if got := s.command("UBOB", general, "stats 90d"); !strings.Contains(got, "*sev2* · 1 incident") || !strings.Contains(got, "*sev1* · 3 incidents") {
		t.Errorf("bob's stats over 90 days:\n%s", got)
	}
	if got := s.command("UALICE", general, "stats forever"); !strings.Contains(got, "Give the period in days, from 1 to 366: `/incident stats 90d`") {
		t.Errorf("a bad period answered %q", got)
	}
}
