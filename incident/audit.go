package incident

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// AuditEntry is one line of an incident's audit log: who asked for what,
// when, and how it ended. It names what was asked (a subcommand, a button,
// a form), never what a person wrote, so it can go wherever the postmortem
// goes. Entries are only appended, each holding the SHA-256 of the one
// before (the first, of the incident's number), so an entry edited,
// removed or reordered in Redis breaks the chain; with a custody key each
// is also sealed (HMAC-SHA256), so a log rewritten with its hashes
// recomputed is found too.
type AuditEntry struct {
	Seq     int       `json:"seq"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	What    string    `json:"what"`    // "command tlp", "button follow_up_done", "form incident_ioc"
	Outcome string    `json:"outcome"` // ok, refused, failed
	Request string    `json:"request,omitempty"`
	Prev    string    `json:"prev"`
	Hash    string    `json:"hash"`
	Seal    string    `json:"seal,omitempty"`
}

// Audit outcomes.
const (
	AuditOK      = "ok"
	AuditRefused = "refused"
	AuditFailed  = "failed"
)

func (a AuditEntry) digest() string {
	a.Hash, a.Seal = "", ""
	doc, _ := json.Marshal(a) // strings, ints and a time: never fails
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

func auditGenesis(n int64) string {
	sum := sha256.Sum256([]byte("incidentbot audit " + strconv.FormatInt(n, 10)))
	return hex.EncodeToString(sum[:])
}

// AuditHead is where an audit log ends, kept beside it and written with
// each entry: the chain alone cannot tell a log cut short.
type AuditHead struct {
	Seq  int    `json:"seq"`
	Hash string `json:"hash"`
	Seal string `json:"seal,omitempty"`
}

// HeadOf is the head a log has once e is its newest entry.
func HeadOf(e AuditEntry, key []byte) AuditHead {
	h := AuditHead{Seq: e.Seq, Hash: e.Hash}
	if len(key) > 0 {
		h.Seal = seal(key, "head "+strconv.Itoa(e.Seq)+" "+e.Hash)
	}
	return h
}

// NextAudit is e chained after prev (nil: e is incident n's first entry)
// and sealed with key (none: unsealed).
func NextAudit(n int64, prev *AuditEntry, e AuditEntry, key []byte) AuditEntry {
	e.Seq, e.Prev = 1, auditGenesis(n)
	if prev != nil {
		e.Seq, e.Prev = prev.Seq+1, prev.Hash
	}
	e.Hash, e.Seal = e.digest(), ""
	if len(key) > 0 {
		e.Seal = seal(key, e.Hash)
	}
	return e
}

// VerifyAudit checks incident n's audit log: every entry's hash, every
// link to the one before, every seal (with key), and that it ends where its
// head says (head nil: none was found). ok is false at the first break,
// which says where.
func VerifyAudit(n int64, entries []AuditEntry, head *AuditHead, key []byte) (ChainBreak, bool) {
	prev := auditGenesis(n)
	for k, e := range entries {
		switch {
		case e.Seq != k+1:
			return ChainBreak{Seq: k + 1, Reason: "an entry is missing or out of order"}, false
		case e.Prev != prev:
			return ChainBreak{Seq: e.Seq, Reason: "it does not link to the entry before"}, false
		case e.Hash != e.digest():
			return ChainBreak{Seq: e.Seq, Reason: "its content does not match its hash"}, false
		case len(key) > 0 && e.Seal == "":
			return ChainBreak{Seq: e.Seq, Reason: "it is not sealed: written before a custody key was configured, or rewritten"}, false
		case len(key) > 0 && !hmac.Equal([]byte(e.Seal), []byte(seal(key, e.Hash))):
			return ChainBreak{Seq: e.Seq, Reason: "its seal does not match: it was written without the bot's key"}, false
		}
		prev = e.Hash
	}
	switch {
	case head == nil && len(entries) > 0:
		return ChainBreak{Seq: len(entries), Reason: "the record of where it ends is missing"}, false
	case head == nil:
		return ChainBreak{}, true
	case len(key) > 0 && !hmac.Equal([]byte(head.Seal), []byte(seal(key, "head "+strconv.Itoa(head.Seq)+" "+head.Hash))):
		return ChainBreak{Seq: head.Seq, Reason: "the record of where it ends is not sealed by the bot"}, false
	case len(entries) < head.Seq:
		return ChainBreak{Seq: len(entries) + 1, Reason: "its newest entries are missing"}, false
	case len(entries) != head.Seq || prev != head.Hash:
		return ChainBreak{Seq: head.Seq, Reason: "it does not end where it was last written"}, false
	}
	return ChainBreak{}, true
}
