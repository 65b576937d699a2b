package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The README's quiet incidents are for "a stolen admin session", and it
// says of a suspected account: "Anything they try on the incident (a
// command, a button, a form), from anywhere, is refused as if the incident
// did not exist". A suspected admin asking from another channel is instead
// told that the incident exists, that it is run quietly and which channel
// is its own, while the commander is told the attempt was "answered as if
// the incident did not exist"; the list shows it to them too.
func TestNewcomerSuspectedAdminIsAnsweredAsIfThereWereNoIncident(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"admins: [UDAVE]\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UDAVE")
	s.command("UALICE", general, "declare Payroll admin account taken over sev1 --quiet")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	if got := s.command("UALICE", s.ch, "suspect <@UDAVE|dave>"); !strings.Contains(got, "Suspected in INC-1: <@UDAVE>") {
		t.Fatalf("naming the admin a suspect answered %q", got)
	}
	if got := s.command("UDAVE", general, "status 1"); !strings.Contains(got, "There is no incident INC-1 that you can see") {
		t.Errorf("the suspected admin's /incident status 1 in #general answered %q; want it answered as for a number that does not exist", got)
	}
	if got := s.command("UDAVE", general, "list"); strings.Contains(got, "INC-1") {
		t.Errorf("the list shows the quiet incident to the suspected admin: %q", got)
	}
}

// A quiet incident "is answered only in its own channel", and after the
// postmortem that channel is archived (retro.archive_channel, the default),
// where Slack takes no slash command. Its clocks "go on after the close,
// until notified" (NIS2's final report a month on), but a notification
// recorded from anywhere else is refused with "use it in its channel": the
// clock can no longer be stopped, and its reminders and missed-deadline
// messages keep coming.
func TestNewcomerQuietIncidentClockCanBeStoppedAfterItsChannelIsArchived(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Payroll admin account taken over sev1 --quiet")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "decide awareness significant")
	s.command("UALICE", s.ch, "notified nis2 --ref EW-1")
	s.command("UALICE", s.ch, "notified nis2 --ref N-1")
	s.command("UALICE", s.ch, "close Contained")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the channel archived", func() bool { ch, _ := h.slack.Channel(s.ch); return ch.Archived })

	// The final report is sent weeks later; its channel is archived, so the
	// commander records it from elsewhere, as the reminder's command says.
	got := s.command("UALICE", general, "notified INC-1 nis2 --ref FINAL-1")
	if !strings.Contains(got, "*NIS2 final report* notified") {
		t.Errorf("recording the final report of a closed quiet incident whose channel is archived answered %q", got)
	}
}

// The same on a private incident that is not quiet: a suspected admin
// ("a stolen admin session") reads its card from #general and clears their
// own suspicion, where the README says anything they try on it "is refused
// as if the incident did not exist, written on its audit log, and reported
// to the commander".
func TestNewcomerSuspectedAdminCannotClearThemselves(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"admins: [UDAVE]\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UDAVE")
	s.command("UALICE", general, "declare Payroll admin account taken over sev1 --private")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	if got := s.command("UALICE", s.ch, "suspect <@UDAVE|dave>"); !strings.Contains(got, "Suspected in INC-1: <@UDAVE>") {
		t.Fatalf("naming the admin a suspect answered %q", got)
	}
	if got := s.command("UDAVE", general, "status 1"); strings.Contains(got, "Payroll") || !strings.Contains(got, "There is no incident INC-1 that you can see") {
		t.Errorf("the suspected admin's /incident status 1 answered %q; want it answered as for a number that does not exist", got)
	}
	got := s.command("UDAVE", general, "suspect INC-1 remove <@UDAVE|dave>")
	if !strings.Contains(got, "There is no incident INC-1 that you can see") {
		t.Errorf("the suspected admin's /incident suspect INC-1 remove @dave answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); !inc.IsSuspect("UDAVE") {
		t.Errorf("the suspected admin cleared their own suspicion: suspects %v", inc.Suspects)
	}
}
