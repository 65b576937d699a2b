package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

// The audit log holds every change, every refused attempt (also by someone
// who may not see the incident) and every read of a TLP:RED incident, in
// order; only the lead reads it; its chain verifies, and an entry edited in
// Redis is reported; it goes out with the postmortem.
func TestTheAuditLog(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t, "CUSTODY_SIGNING_KEY", "audit-test-custody-key-0123456789")
	general, _ := h.slack.ChannelByName("general")
	s.command("UBOB", s.ch, "note host-12 isolated")
	s.command("UCAROL", s.ch, "severity sev1")       // refused: not the commander
	s.command("UDAVE", general.ID, "status INC-1")   // a read of what anyone may see: not logged
	s.command("UBOB", s.ch, "tlp red")               // a change
	s.command("UDAVE", general.ID, "timeline INC-1") // refused: a TLP:RED incident is its members' only
	s.command("UCAROL", s.ch, "timeline")            // a read of a TLP:RED incident
	if got := s.command("UBOB", s.ch, "audit"); !strings.Contains(got, "Only the incident commander") {
		t.Errorf("bob reading the audit log was answered %q", got)
	}
	got := s.command("UALICE", s.ch, "audit")
	for _, want := range []string{
		"1. ", "<@UBOB>: `command note`",
		"<@UCAROL>: `command severity` · *refused*",
		"<@UBOB>: `command tlp`",
		"<@UDAVE>: `read timeline` · *refused*",
		"<@UCAROL>: `read timeline`\n",
		"<@UBOB>: `read audit` · *refused*",
		"The chain of all 6 entries verifies.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the audit log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "status`") {
		t.Errorf("a read of what anyone may see was logged:\n%s", got)
	}

	// Someone with Redis access makes dave's read look like carol's.
	rdb := h.redis.Client(t)
	const key = "ib:inc:{1}:audit"
	doc, err := rdb.LIndex(s.ctx, key, 3).Result()
	if err != nil {
		t.Fatal(err)
	}
	var e incident.AuditEntry
	_ = json.Unmarshal([]byte(doc), &e)
	e.Actor = "UCAROL"
	edited, _ := json.Marshal(e)
	if err := rdb.LSet(s.ctx, key, 3, edited).Err(); err != nil {
		t.Fatal(err)
	}
	if got := s.command("UALICE", s.ch, "audit"); !strings.Contains(got, "The chain does NOT verify at entry #4: its content does not match its hash") {
		t.Errorf("an entry edited in Redis went unreported:\n%s", got)
	}

	s.command("UALICE", s.ch, "close --confirm contained")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the audit file", func() bool { _, ok := fileNamed(h.slack, "inc-1-audit.csv"); return ok })
	f, _ := fileNamed(h.slack, "inc-1-audit.csv")
	if csv := string(f.Content); !strings.Contains(csv, "UCAROL,read timeline,ok") || !strings.Contains(csv, ",false\n") || f.Channel != s.ch {
		t.Errorf("the audit file in %s:\n%s", f.Channel, csv)
	}
}
