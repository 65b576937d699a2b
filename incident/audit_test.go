package incident

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// An audit log verifies as written, and any edit, removal, reordering or
// copy from another incident is found where it breaks; with a key, a log
// rewritten with its hashes recomputed is found too.
func TestAuditChain(t *testing.T) {
	key := []byte("0123456789abcdef-audit")
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var log []AuditEntry
	for i, what := range []string{"command note", "command severity", "command tlp", "button follow_up_done"} {
		var prev *AuditEntry
		if len(log) > 0 {
			prev = &log[len(log)-1]
		}
		log = append(log, NextAudit(7, prev, AuditEntry{At: at.Add(time.Duration(i) * time.Minute), Actor: "UBOB", What: what, Outcome: AuditOK}, key))
	}
	head := HeadOf(log[len(log)-1], key)
	if brk, ok := VerifyAudit(7, log, &head, key); !ok {
		t.Fatalf("the log as written does not verify: %+v", brk)
	}
	rehash := func(l []AuditEntry) []AuditEntry {
		for k := range l {
			l[k].Seq, l[k].Prev = k+1, auditGenesis(7)
			if k > 0 {
				l[k].Prev = l[k-1].Hash
			}
			l[k].Hash = l[k].digest()
		}
		return l
	}
	for name, tc := range map[string]struct {
		log  []AuditEntry
		n    int64
		want string
	}{
		"an entry edited":     {func() []AuditEntry { l := slices.Clone(log); l[1].Actor = "UEVE"; return l }(), 7, "does not match its hash"},
		"an entry removed":    {slices.Delete(slices.Clone(log), 1, 2), 7, "missing or out of order"},
		"two entries swapped": {func() []AuditEntry { l := slices.Clone(log); l[1], l[2] = l[2], l[1]; return l }(), 7, "missing or out of order"},
		"another incident's":  {log, 8, "does not link"},
		"rewritten, rehashed": {rehash(func() []AuditEntry { l := slices.Clone(log); l[2].Outcome = AuditRefused; return l }()), 7, "seal does not match"},
	} {
		if brk, ok := VerifyAudit(tc.n, tc.log, &head, key); ok || !strings.Contains(brk.Reason, tc.want) {
			t.Errorf("%s: %+v ok=%v, want it found: %s", name, brk, ok, tc.want)
		}
	}
	if _, ok := VerifyAudit(7, log, nil, key); ok {
		t.Error("a log whose head was deleted verifies")
	}
	forged := HeadOf(log[2], nil) // unsealed: written without the key
	if _, ok := VerifyAudit(7, log[:3], &forged, key); ok {
		t.Error("a log cut short with a head forged without the key verifies")
	}
}
