package main

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// auditWithin polls incident n's audit log for an entry by actor asking
// for what, for up to three seconds.
func auditWithin(h *harness, s *script, n int64, actor, what string) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		entries, _, _ := h.store.Audit(s.ctx, n)
		for _, e := range entries {
			if e.Actor == actor && e.What == what {
				return true
			}
		}
	}
	return false
}

func auditDump(h *harness, s *script, n int64) string {
	entries, _, _ := h.store.Audit(s.ctx, n)
	var out []string
	for _, e := range entries {
		out = append(out, e.Actor+" "+e.What+" "+e.Outcome)
	}
	return strings.Join(out, "\n")
}

// The audit log of an incident, which names who read it and who tried
// what, is the commander's or an admin's to read: not anyone's while the
// commander role is vacant (the rule lowering a marking keeps).
func TestAttackTLPAuditLogIsNotAnyonesWhileTheCommandIsVacant(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	s.command("UALICE", s.ch, "tlp red")
	s.command("UBOB", general.ID, "timeline INC-1") // a read of a TLP:RED incident, logged
	if got := s.command("UALICE", s.ch, "unassign commander"); !strings.Contains(got, "stepped down") {
		t.Fatalf("alice stepping down was answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.IsMember("UDAVE") {
		t.Fatal("the test needs dave outside INC-1")
	}
	got := s.command("UDAVE", general.ID, "audit INC-1")
	if strings.Contains(got, "Audit log of INC-1") || strings.Contains(got, "<@UBOB>") {
		t.Errorf("dave, outside INC-1, read its audit log while the command was vacant:\n%s", got)
	}
}

// Every change and every refused attempt is on the incident's audit log,
// whichever way it came (a form refused for want of permission is not "a
// field wrong"), and so is every read of a TLP:RED incident's details,
// lists included.
func TestAttackTLPEveryChangeRefusalAndReadIsAudited(t *testing.T) {
	t.Parallel()
	t.Run("a commander handover refused on the assign form", func(t *testing.T) {
		t.Parallel()
		h, s := caseBot(t)
		if _, err := h.slack.Click(s.ctx, "UBOB", s.ch, s.cardMessage().TS, commands.ActionAssignRole); err != nil {
			t.Fatal(err)
		}
		v := s.viewOf("UBOB", commands.ModalAssign)
		d, err := h.slack.Submit(s.ctx, "UBOB", v.ID, map[string]string{commands.InputRole: "commander", commands.InputUser: "UBOB"})
		if err != nil || !strings.Contains(string(d.Body), "Only the incident commander") {
			t.Fatalf("bob's handover answered %s, %v", d.Body, err)
		}
		if !auditWithin(h, s, 1, "UBOB", "form "+commands.ModalAssign) {
			t.Errorf("bob's refused attempt to take command left no audit entry:\n%s", auditDump(h, s, 1))
		}
	})
	t.Run("indicators added by the message shortcut's form", func(t *testing.T) {
		t.Parallel()
		h, s := caseBot(t)
		said := h.slack.PostAs("UBOB", s.ch, "Beacons to 198.51.100.23")
		if _, err := h.slack.Shortcut(s.ctx, "UCAROL", s.ch, said, commands.ShortcutIOC); err != nil {
			t.Fatal(err)
		}
		v := s.viewOf("UCAROL", commands.ModalIOC+"_picked")
		if _, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{commands.InputIndicators: "0"}); err != nil {
			t.Fatal(err)
		}
		s.eventually("the indicator", func() bool { inds, _ := h.store.Indicators(s.ctx, 1); return len(inds) == 1 })
		if !auditWithin(h, s, 1, "UCAROL", "form "+commands.ModalIOC+"_picked") {
			t.Errorf("carol's indicator, added by a form, left no audit entry:\n%s", auditDump(h, s, 1))
		}
	})
	t.Run("a message pinned to the timeline", func(t *testing.T) {
		t.Parallel()
		h, s := caseBot(t)
		said := h.slack.PostAs("UBOB", s.ch, "host-12 isolated")
		if _, _, err := h.slack.React(s.ctx, "UBOB", s.ch, said, "pushpin"); err != nil {
			t.Fatal(err)
		}
		s.eventually("the pin", func() bool { return s.countEvents(1, incident.EventPinned, "host-12") == 1 })
		entries, _, _ := h.store.Audit(s.ctx, 1)
		found := false
		for deadline := time.Now().Add(3 * time.Second); !found && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			entries, _, _ = h.store.Audit(s.ctx, 1)
			for _, e := range entries {
				found = found || e.Actor == "UBOB"
			}
		}
		if !found {
			t.Errorf("bob's pin changed INC-1's timeline and left no audit entry:\n%s", auditDump(h, s, 1))
		}
	})
	t.Run("a list showing a TLP:RED incident", func(t *testing.T) {
		t.Parallel()
		h, s := caseBot(t)
		general, _ := h.slack.ChannelByName("general")
		s.command("UALICE", s.ch, "tlp red")
		if inc, _ := h.store.Get(s.ctx, 1); inc.Marking() != "TLP:RED" {
			t.Fatalf("INC-1 is %s", inc.Marking())
		}
		// A TLP:RED incident is listed to its members only: bob is one, dave is not.
		if got := s.command("UDAVE", general.ID, "list"); strings.Contains(got, "Phishing wave") {
			t.Errorf("dave, not a member, was listed TLP:RED INC-1: %q", got)
		}
		if got := s.command("UBOB", general.ID, "list"); !strings.Contains(got, "Phishing wave") {
			t.Fatalf("the list did not show INC-1 to bob: %q", got)
		}
		if !auditWithin(h, s, 1, "UBOB", "read list") {
			t.Errorf("bob read TLP:RED INC-1's title, channel and commander in a list, and no audit entry says so:\n%s", auditDump(h, s, 1))
		}
	})
}

// An attempt naming a number no incident has writes no audit log: any
// member of the workspace would otherwise create logs for numbers at will
// (kept for ever: no purge takes them) and write the first entries of the
// log of the incident later declared under that number.
func TestAttackTLPAttemptOnNoIncidentWritesNoLog(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	if got := s.command("UDAVE", general.ID, "severity INC-2 sev1"); !strings.Contains(got, "There is no incident INC-2") {
		t.Fatalf("dave was answered %q", got)
	}
	s.command("UDAVE", general.ID, "note 987654321 hello")
	time.Sleep(300 * time.Millisecond)
	rdb := h.redis.Client(t)
	if n, _ := rdb.Exists(s.ctx, "ib:inc:{2}:audit", "ib:inc:{987654321}:audit").Result(); n > 0 {
		t.Errorf("attempts on incidents that do not exist created %d audit logs", n)
	}
	s.command("UALICE", general.ID, "declare Second wave sev2")
	h.declared(t, "UALICE", "INC-2")
	if entries, _, _ := h.store.Audit(s.ctx, 2); len(entries) > 0 && entries[0].Actor == "UDAVE" {
		t.Errorf("INC-2's audit log begins with dave's attempt from before it was declared:\n%s", auditDump(h, s, 2))
	}
}

// An entry removed from the audit log in Redis is reported, the newest
// included: the chain alone cannot tell a log cut short, so the log's
// head must be anchored somewhere it is not cut with it. It stays
// reported when whoever cut it deleted the head too and the bot then
// appended another entry: the bot must not re-anchor a log it cannot
// vouch for.
func TestAttackTLPAuditNewestEntryRemovedIsReported(t *testing.T) {
	t.Parallel()
	for name, headDeleted := range map[string]bool{"head kept": false, "head deleted, then another entry": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, s := caseBot(t, "CUSTODY_SIGNING_KEY", "audit-test-custody-key-0123456789")
			s.command("UBOB", s.ch, "note host-12 isolated")
			s.command("UCAROL", s.ch, "severity sev1") // refused: the entry someone wants gone
			if !auditWithin(h, s, 1, "UCAROL", "command severity") {
				t.Fatalf("carol's attempt was not logged:\n%s", auditDump(h, s, 1))
			}
			rdb := h.redis.Client(t)
			if err := rdb.RPop(s.ctx, "ib:inc:{1}:audit").Err(); err != nil {
				t.Fatal(err)
			}
			if headDeleted {
				if err := rdb.Del(s.ctx, "ib:inc:{1}:audit:head").Err(); err != nil {
					t.Fatal(err)
				}
				s.command("UBOB", s.ch, "note host-13 isolated") // any audited change
				s.eventually("bob's second note on the log", func() bool {
					entries, _, _ := h.store.Audit(s.ctx, 1)
					n := 0
					for _, e := range entries {
						if e.Actor == "UBOB" && e.What == "command note" {
							n++
						}
					}
					return n == 2
				})
			}
			if got := s.command("UALICE", s.ch, "audit"); !strings.Contains(got, "does NOT verify") {
				t.Errorf("the log cut short went unreported:\n%s", got)
			}
		})
	}
}

// --tlp takes its word out of the title, not an earlier word that happens
// to spell the same level; and two markings are not quietly resolved to
// the first (the laxer) with the second left in the title.
func TestAttackTLPDeclareFlagParsing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ text, title, marking string }{
		{"declare red flag on payroll sev2 --tlp red", "red flag on payroll", "TLP:RED"},
		{"declare Payroll fraud sev2 --tlp clear --tlp red", "Payroll fraud", "TLP:RED"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			h, s := caseBot(t)
			general, _ := h.slack.ChannelByName("general")
			got := s.command("UALICE", general.ID, tc.text)
			inc, err := h.store.Get(s.ctx, 2)
			if err != nil {
				if strings.Contains(got, ":warning:") || strings.Contains(strings.ToLower(got), "one marking") {
					return // refused: as good
				}
				t.Fatalf("declare answered %q", got)
			}
			if inc.Title != tc.title || inc.Marking() != tc.marking {
				t.Errorf("%q declared %q marked %s, want %q marked %s", tc.text, inc.Title, inc.Marking(), tc.title, tc.marking)
			}
		})
	}
}
