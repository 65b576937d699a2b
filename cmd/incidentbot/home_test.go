package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// TestHomeTabs: the Home tab of alice (commander of a public incident,
// with a containment action of hers), bob (a responder, in a private
// incident and on the triage team) and dave (in none) matches its golden
// file; a private incident shows only to its members. A burst of changes
// to an incident publishes the tabs of its people who opened theirs once,
// a few seconds later, and nobody else's; its buttons open the forms.
func TestHomeTabs(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	b := startTriageBot(t, false, clocks{now: clock.Now}, "")
	s := &script{t: t, h: b.harness, ctx: context.Background()}
	general := b.general()
	s.command("UALICE", general, "declare Phishing wave sev2")
	s.ch = b.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "action block 203.0.113.7 --until 4h --note edge firewall")
	s.command("UCAROL", general, "declare Payroll fraud sev1 --private")
	b.declared(t, "UCAROL", "INC-2")
	s.command("UERIN", general, "report a login page asked for my password twice")
	b.card(t, "RPT-1", "Waiting since")
	clock.Advance(10 * time.Minute)

	published := func(user string) int { _, n := b.slack.Home(user); return n }
	for _, user := range []string{"UALICE", "UBOB", "UDAVE"} {
		if _, err := b.slack.OpenHome(s.ctx, user); err != nil {
			t.Fatal(err)
		}
		s.await("the Home tab of "+user, func() bool { return published(user) == 1 })
		home, _ := b.slack.Home(user)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, home.JSON, "", "  "); err != nil {
			t.Fatal(err)
		}
		caseGolden(t, "home-"+strings.ToLower(user[1:])+".json", append(pretty.Bytes(), '\n'))
	}
	home := func(user string) string { v, _ := b.slack.Home(user); return string(v.JSON) }
	if !strings.Contains(home("UBOB"), "INC-2") || strings.Contains(home("UALICE"), "INC-2") || strings.Contains(home("UDAVE"), "INC-") {
		t.Errorf("the private INC-2 shows to the wrong people:\nalice %s\nbob %s\ndave %s", home("UALICE"), home("UBOB"), home("UDAVE"))
	}
	if !strings.Contains(home("UBOB"), "RPT-1") || strings.Contains(home("UALICE"), "RPT-1") {
		t.Errorf("the waiting report shows to the wrong people")
	}

	// A burst: three changes to INC-1 within the debounce.
	s.command("UALICE", s.ch, "phase next")
	s.command("UALICE", s.ch, "severity sev1")
	s.command("UALICE", s.ch, "assign comms <@UCAROL|carol>")
	time.Sleep(1200 * time.Millisecond) // ticks: nothing yet, the debounce has not passed
	if a := published("UALICE"); a != 1 {
		t.Errorf("alice's tab was published %d times within the debounce; want it still once", a)
	}
	clock.Advance(5 * time.Second)
	s.await("alice's and bob's tabs again", func() bool { return published("UALICE") == 2 && published("UBOB") == 2 })
	time.Sleep(1200 * time.Millisecond)
	if a, b2, d := published("UALICE"), published("UBOB"), published("UDAVE"); a != 2 || b2 != 2 || d != 1 {
		t.Errorf("after the burst alice's tab was published %d times, bob's %d, dave's %d; want 2, 2, 1", a, b2, d)
	}
	if !strings.Contains(home("UALICE"), "Containment since") || !strings.Contains(home("UALICE"), "`sev1`") {
		t.Errorf("alice's tab does not show the change:\n%s", home("UALICE"))
	}
	// carol never opened hers: it is not published for her.
	if c := published("UCAROL"); c != 0 {
		t.Errorf("carol's tab was published %d times though she never opened it", c)
	}

	// A new report: the triage team's tabs list it, the others' do not change.
	aliceBefore, bobBefore := published("UALICE"), published("UBOB")
	s.command("UERIN", general, "report an invoice asks to change bank details")
	b.card(t, "RPT-2", "Waiting since")
	clock.Advance(5 * time.Second)
	s.await("bob's tab with the new report", func() bool { return strings.Contains(home("UBOB"), "RPT-2") })
	time.Sleep(1200 * time.Millisecond)
	if published("UALICE") != aliceBefore || published("UBOB") != bobBefore+1 {
		t.Errorf("after a report alice's tab was published %d more times and bob's %d; want 0 and 1", published("UALICE")-aliceBefore, published("UBOB")-bobBefore)
	}

	if _, err := b.slack.ClickHome(s.ctx, "UDAVE", commands.ActionHomeDeclare); err != nil {
		t.Fatal(err)
	}
	s.viewOf("UDAVE", commands.ModalDeclare)
	if _, err := b.slack.ClickHome(s.ctx, "UDAVE", commands.ActionHomeReport); err != nil {
		t.Fatal(err)
	}
	s.viewOf("UDAVE", commands.ModalReport)
}
