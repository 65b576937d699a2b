package incident

import (
	"strings"
	"testing"
	"time"
)

const (
	hashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hashB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func collectedItem(t *testing.T) Evidence {
	t.Helper()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	e, _, err := NewEvidence(1, at, "UANN", "laptop-image", hashA, "evidence locker 3", "seized at desk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Transfer(at.Add(time.Hour), "UANN", "UBOB", "courier"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Verify(at.Add(2*time.Hour), "UBOB", hashA); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCustodyChainDetectsEdits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(e *Evidence)
		broken string // "" when the chain verifies
	}{
		{"untouched", func(e *Evidence) {}, ""},
		{"a note rewritten", func(e *Evidence) { e.Custody[1].Note = "hand delivered" }, "content does not match"},
		{"a note rewritten and rehashed", func(e *Evidence) {
			e.Custody[1].Note = "hand delivered"
			e.Custody[1].Hash = e.Custody[1].digest()
		}, "does not link"},
		{"an entry removed", func(e *Evidence) { e.Custody = append(e.Custody[:1], e.Custody[2:]...) }, "missing or out of order"},
		{"the last entry dropped", func(e *Evidence) { e.Custody = e.Custody[:2] }, ""}, // ends as a valid log; the holder still matches
		{"the holder changed", func(e *Evidence) { e.Holder = "UEVE" }, "holder"},
		{"the collected hash changed", func(e *Evidence) { e.SHA256 = hashB }, "hash is not the one collected"},
		{"the item renamed", func(e *Evidence) { e.Name = "other" }, "does not link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := collectedItem(t)
			tc.edit(&e)
			brk, ok := e.VerifyChain()
			if tc.broken == "" {
				if !ok {
					t.Fatalf("chain reported broken: %+v", brk)
				}
				return
			}
			if ok || !strings.Contains(brk.Reason, tc.broken) {
				t.Fatalf("got %+v ok=%v, want a break saying %q", brk, ok, tc.broken)
			}
		})
	}
}

func TestVerifyEvidenceMismatchStaysFlagged(t *testing.T) {
	e := collectedItem(t)
	entry, ev, err := e.Verify(time.Now(), "UBOB", hashB)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Mismatch || entry.Step != CustodyMismatch {
		t.Fatalf("mismatch not recorded: %+v %+v", e, entry)
	}
	got := ev.Describe(Words{User: func(s string) string { return "@" + s }, Text: func(s string) string { return s }})
	if !strings.Contains(got, "HASH MISMATCH") || !strings.Contains(got, hashB) {
		t.Fatalf("timeline says %q", got)
	}
	inc := &Incident{}
	inc.NoteEvidence(e, true)
	if inc.EvidenceCount != 1 || len(inc.Mismatched) != 1 || inc.Mismatched[0] != 1 {
		t.Fatalf("the incident's record of it: %d items, mismatched %v", inc.EvidenceCount, inc.Mismatched)
	}
	// A later matching hash does not clear it; clearing it in storage breaks the chain.
	if _, _, err := e.Verify(time.Now(), "UBOB", hashA); err != nil || !e.Mismatch {
		t.Fatalf("a matching re-hash cleared the mismatch (%v)", err)
	}
	e.Mismatch = false
	if brk, ok := e.VerifyChain(); ok || !strings.Contains(brk.Reason, "mismatch was cleared") {
		t.Fatalf("clearing the flag went unseen: %+v", brk)
	}
}

func TestTransferEvidenceRules(t *testing.T) {
	e := collectedItem(t)
	if _, err := e.Transfer(time.Now(), "UBOB", "UBOB", ""); ErrorCode(err) != Conflict {
		t.Fatalf("transfer to the holder: %v", err)
	}
	for e.Custody[len(e.Custody)-1].Seq < MaxCustodySteps {
		if _, _, err := e.Verify(time.Now(), "UBOB", hashA); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Transfer(time.Now(), "UBOB", "UANN", ""); ErrorCode(err) != Conflict {
		t.Fatalf("a step past the bound: %v", err)
	}
	if _, _, err := NewEvidence(2, time.Now(), "UANN", strings.Repeat("x", 301), hashA, "locker", ""); ErrorCode(err) != Invalid {
		t.Fatalf("a name past the bound: %v", err)
	}
}

func TestParseSHA256(t *testing.T) {
	for in, ok := range map[string]bool{
		"sha256:" + hashA:                  true,
		"SHA256:" + strings.ToUpper(hashA): true,
		hashA:                              true,
		"sha256:" + hashA[:63]:             false,
		"md5:" + hashA:                     false,
		"sha256:" + hashA[:63] + "g":       false,
	} {
		if _, got := ParseSHA256(in); got != ok {
			t.Errorf("ParseSHA256(%q) = %v, want %v", in, got, ok)
		}
	}
}

func TestContainmentLifecycle(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 3, Status: Open, Phase: Containment, Roles: map[string]string{CommanderRole: "UANN"}}
	for _, target := range []string{"host-12", "203.0.113.7", "svc-backup"} {
		if _, _, err := inc.AddContainment(at, "UBOB", ContainBlock, target, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := inc.ResolveContainment(at, "UANN", 1, ActionUndone, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := inc.ResolveContainment(at, "UANN", 1, ActionKept, "x"); ErrorCode(err) != Conflict {
		t.Fatalf("resolving twice: %v", err)
	}
	inc.EnterPhase(at, "UANN", Recovery, "", []string{"Restore from backup"})
	var items []string
	for _, it := range inc.Checklists[Recovery] {
		items = append(items, it.Text)
	}
	want := "Restore from backup|Undo or keep A-2: block 203[.]0[.]113[.]7|Undo or keep A-3: block svc-backup"
	if strings.Join(items, "|") != want {
		t.Fatalf("recovery checklist %q, want %q", strings.Join(items, "|"), want)
	}
	if _, _, err := inc.ResolveContainment(at, "UANN", 2, ActionKept, "permanent blocklist"); err != nil {
		t.Fatal(err)
	}
	if !inc.Checklists[Recovery][1].Done {
		t.Fatal("keeping A-2 did not tick its recovery item")
	}
	events, _, err := inc.Close(at, Actor{ID: "UANN"}, "done", time.Hour, func(Phase) []string { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.FollowUps) != 1 || inc.FollowUps[0].Owner != "UBOB" || !strings.Contains(inc.FollowUps[0].Text, "A-3") {
		t.Fatalf("open action at close became %+v", inc.FollowUps)
	}
	if events[len(events)-1].Kind != EventFollowUp {
		t.Fatalf("no follow-up event at close: %+v", events)
	}
	if _, _, err := inc.ResolveContainment(at, "UBOB", 3, ActionUndone, ""); err != nil {
		t.Fatal(err)
	}
	if !inc.FollowUps[0].Done {
		t.Fatal("undoing A-3 after close did not mark its follow-up done")
	}
}

func TestParseItemRef(t *testing.T) {
	for in, want := range map[string]int{"3": 3, "#3": 3, "A-3": 3, "a-3": 3, "EV-2": 0, "0": 0, "x": 0, "A-": 0} {
		got, ok := ParseItemRef(in, "A")
		if (want == 0) == ok || (ok && got != want) {
			t.Errorf("ParseItemRef(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
}
