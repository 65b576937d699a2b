package incident

import (
	"slices"
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
	e, _, err := NewEvidence(1, 1, at, "UANN", "laptop-image", hashA, "evidence locker 3", "seized at desk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Transfer(at.Add(time.Hour), Actor{ID: "UANN"}, "UBOB", "courier", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Verify(at.Add(2*time.Hour), Actor{ID: "UBOB"}, hashA, nil); err != nil {
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
		{"the collected hash changed", func(e *Evidence) { e.SHA256 = hashB }, "not what its collection entry holds"},
		{"the place of storage changed", func(e *Evidence) { e.Location = "attacker share" }, "not what its collection entry holds"},
		{"the note changed", func(e *Evidence) { e.Note = "no seal" }, "not what its collection entry holds"},
		{"the collector changed", func(e *Evidence) { e.AddedBy = "UEVE" }, "not what its collection entry holds"},
		{"the item renamed", func(e *Evidence) { e.Name = "other" }, "does not link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := collectedItem(t)
			tc.edit(&e)
			brk, ok := e.verifyChain(nil, 1)
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
	entry, ev, err := e.Verify(time.Now(), Actor{ID: "UBOB"}, hashB, nil)
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
	if _, _, err := e.Verify(time.Now(), Actor{ID: "UBOB"}, hashA, nil); err != nil || !e.Mismatch {
		t.Fatalf("a matching re-hash cleared the mismatch (%v)", err)
	}
	e.Mismatch = false
	if brk, ok := e.verifyChain(nil, 1); ok || !strings.Contains(brk.Reason, "mismatch was cleared") {
		t.Fatalf("clearing the flag went unseen: %+v", brk)
	}
}

func TestTransferEvidenceRules(t *testing.T) {
	e := collectedItem(t)
	if _, err := e.Transfer(time.Now(), Actor{ID: "UBOB"}, "UBOB", "", nil); ErrorCode(err) != Conflict {
		t.Fatalf("transfer to the holder: %v", err)
	}
	inc := &Incident{Number: 7, Roles: map[string]string{CommanderRole: "UCMD"}}
	if _, err := e.Transfer(time.Now(), Actor{ID: "UEVE"}, "UEVE", "", inc); ErrorCode(err) != Forbidden {
		t.Fatalf("someone who neither holds it nor leads took it: %v", err)
	}
	if _, err := e.Transfer(time.Now(), Actor{ID: "UCMD"}, "UANN", "holder away", inc); err != nil || e.Holder != "UANN" {
		t.Fatalf("the commander could not hand on an item held by someone away: %v", err)
	}
	if _, err := e.Transfer(time.Now(), Actor{ID: "UANN"}, "UBOB", "", inc); err != nil {
		t.Fatalf("the holder could not hand it on: %v", err)
	}
	for e.Custody[len(e.Custody)-1].Seq < MaxCustodySteps {
		if _, _, err := e.Verify(time.Now(), Actor{ID: "UBOB"}, hashA, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Transfer(time.Now(), Actor{ID: "UBOB"}, "UANN", "", nil); ErrorCode(err) != Conflict {
		t.Fatalf("a step past the bound: %v", err)
	}
	if _, _, err := NewEvidence(1, 2, time.Now(), "UANN", strings.Repeat("x", 301), hashA, "locker", ""); ErrorCode(err) != Invalid {
		t.Fatalf("a name past the bound: %v", err)
	}
}

func TestParseSHA256(t *testing.T) {
	for in, ok := range map[string]bool{
		"sha256:" + hashA:                  true,
		"SHA256:" + strings.ToUpper(hashA): true,
		hashA:                              true,
		"sha256: " + hashA:                 true,
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
	if _, _, err := inc.ResolveContainment(at, Actor{ID: "UANN"}, 1, ActionUndone, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := inc.ResolveContainment(at, Actor{ID: "UANN"}, 1, ActionKept, "x"); ErrorCode(err) != Conflict {
		t.Fatalf("resolving twice: %v", err)
	}
	inc.EnterPhase(at, "UANN", Recovery, "", Items("Restore from backup"))
	var items []string
	for _, it := range inc.Checklists[Recovery] {
		items = append(items, it.Text)
	}
	want := "Restore from backup|Undo or keep A-2: block 203[.]0[.]113[.]7|Undo or keep A-3: block svc-backup"
	if strings.Join(items, "|") != want {
		t.Fatalf("recovery checklist %q, want %q", strings.Join(items, "|"), want)
	}
	if _, _, err := inc.ResolveContainment(at, Actor{ID: "UANN"}, 2, ActionKept, "permanent blocklist"); err != nil {
		t.Fatal(err)
	}
	if !inc.Checklists[Recovery][1].Done {
		t.Fatal("keeping A-2 did not tick its recovery item")
	}
	events, _, err := inc.Close(at, Actor{ID: "UANN"}, "done", time.Hour, func(Phase) []PlaybookItem { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.FollowUps) != 1 || inc.FollowUps[0].Owner != "UBOB" || !strings.Contains(inc.FollowUps[0].Text, "A-3") {
		t.Fatalf("open action at close became %+v", inc.FollowUps)
	}
	if events[len(events)-1].Kind != EventFollowUp {
		t.Fatalf("no follow-up event at close: %+v", events)
	}
	if _, _, err := inc.ResolveContainment(at, Actor{ID: "UANN"}, 3, ActionKept, "mine now"); ErrorCode(err) != Forbidden {
		t.Fatalf("someone else finished bob's follow-up through its action: %v", err)
	}
	if _, _, err := inc.ResolveContainment(at, Actor{ID: "UBOB"}, 3, ActionUndone, ""); err != nil {
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

// With a custody key, every entry is sealed: a log rewritten in Redis with
// its hashes recomputed (the algorithm is public) is still found, and so
// is one whose seals were stripped.
func TestSealedChainFindsARewrite(t *testing.T) {
	// SealNew seals only the entry just written: an unsealed older one stays unsealed.
	fresh := collectedItem(t)
	fresh.SealNew([]byte("0123456789abcdef-custody"))
	if fresh.Custody[0].Seal != "" || fresh.Custody[len(fresh.Custody)-1].Seal == "" {
		t.Fatalf("SealNew sealed %+v", fresh.Custody)
	}

	key := []byte("0123456789abcdef-custody")
	e := collectedItem(t)
	for k := range e.Custody { // as the bot seals each entry when it writes it
		e.Custody[k].Seal = seal(key, e.Custody[k].Hash)
	}
	if brk, ok := e.verifyChain(key, 1); !ok {
		t.Fatalf("a sealed chain does not verify: %+v", brk)
	}
	rewritten := e
	rewritten.Custody = slices.Clone(e.Custody)
	rewritten.Custody[1].Note = "handed over in person"
	for k := range rewritten.Custody {
		if k > 0 {
			rewritten.Custody[k].Prev = rewritten.Custody[k-1].Hash
		}
		rewritten.Custody[k].Hash = rewritten.Custody[k].digest()
	}
	if _, ok := rewritten.verifyChain(nil, 1); !ok {
		t.Fatal("the test's rewrite is not a valid chain without the key")
	}
	if brk, ok := rewritten.verifyChain(key, 1); ok || brk.Seq != 2 || !strings.Contains(brk.Reason, "seal does not match") {
		t.Errorf("a rewrite with recomputed hashes: %+v ok=%v", brk, ok)
	}
	for k := range rewritten.Custody {
		rewritten.Custody[k].Seal = ""
	}
	if brk, ok := rewritten.verifyChain(key, 1); ok || !strings.Contains(brk.Reason, "not sealed") {
		t.Errorf("a rewrite with the seals stripped: %+v ok=%v", brk, ok)
	}
}

// An item's sealed log copied whole from another incident (same item
// number, same name, sealed with the same key) does not verify where it
// was put, and an item swapped for a clean copy is still known to have
// failed a re-hash: the incident's own record remembers.
func TestCustodyIsBoundToItsIncident(t *testing.T) {
	key := []byte("0123456789abcdef-custody")
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	logged := func(n int64) Evidence {
		e, _, err := NewEvidence(n, 1, at, "UANN", "laptop-image", hashA, "locker", "")
		if err != nil {
			t.Fatal(err)
		}
		e.SealNew(key)
		return e
	}
	one, two := &Incident{Number: 1}, &Incident{Number: 2}
	if brk, ok := one.VerifyEvidence(logged(1), key); !ok {
		t.Fatalf("an item's own log does not verify: %+v", brk)
	}
	copied := logged(1)
	if _, ok := two.VerifyEvidence(copied, key); ok {
		t.Error("INC-1's sealed log verifies in INC-2")
	}
	copied.Incident = 2 // and with the field that names the incident rewritten
	if brk, ok := two.VerifyEvidence(copied, key); ok || brk.Seq != 1 {
		t.Errorf("INC-1's sealed log, relabelled, verifies in INC-2: %+v ok=%v", brk, ok)
	}

	two.Mismatched = []int{1}
	if brk, ok := two.VerifyEvidence(logged(2), key); ok || !strings.Contains(brk.Reason, "mismatch was cleared") {
		t.Errorf("a clean item in place of one that failed its re-hash: %+v ok=%v", brk, ok)
	}
}

// Who records a custody step: the holder, the commander or an admin, and
// nobody else, also while the commander role is vacant.
func TestWhoRecordsCustodySteps(t *testing.T) {
	led := &Incident{Number: 1, Roles: map[string]string{"commander": "UCMD"}}
	vacant := &Incident{Number: 1, Roles: map[string]string{}}
	for _, tc := range []struct {
		name string
		a    Actor
		inc  *Incident
		ok   bool
	}{
		{"the holder", Actor{ID: "UBOB"}, led, true},
		{"the commander", Actor{ID: "UCMD"}, led, true},
		{"an admin", Actor{ID: "UADM", Admin: true}, vacant, true},
		{"someone else", Actor{ID: "UEVE"}, led, false},
		{"someone else, no commander", Actor{ID: "UEVE"}, vacant, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := collectedItem(t) // held by UBOB
			_, err := e.Transfer(time.Now(), tc.a, "UZED", "", tc.inc)
			if (err == nil) != tc.ok {
				t.Errorf("transfer: %v, want allowed %v", err, tc.ok)
			}
			e = collectedItem(t)
			_, _, err = e.Verify(time.Now(), tc.a, hashB, tc.inc)
			if (err == nil) != tc.ok || e.Mismatch != tc.ok {
				t.Errorf("re-hash: %v (mismatch flagged %v), want allowed %v", err, e.Mismatch, tc.ok)
			}
		})
	}
}

// An item of a private incident is handed only to its members: someone
// else could not see the incident to record the next step.
func TestPrivateEvidenceStaysWithMembers(t *testing.T) {
	inc := &Incident{Number: 1, Private: true, Roles: map[string]string{"commander": "UANN"}, Members: []string{"UANN", "UBOB", "UCAT"}}
	e := collectedItem(t) // held by UBOB
	if _, err := e.Transfer(time.Now(), Actor{ID: "UBOB"}, "UEVE", "", inc); ErrorCode(err) != Forbidden || e.Holder != "UBOB" {
		t.Errorf("handed to a non-member: %v, held by %s", err, e.Holder)
	}
	if _, err := e.Transfer(time.Now(), Actor{ID: "UBOB"}, "UCAT", "", inc); err != nil || e.Holder != "UCAT" {
		t.Errorf("handed to a member: %v, held by %s", err, e.Holder)
	}
	inc.Private = false
	if _, err := e.Transfer(time.Now(), Actor{ID: "UCAT"}, "UEVE", "", inc); err != nil {
		t.Errorf("an item of a public incident handed to anyone: %v", err)
	}
}
