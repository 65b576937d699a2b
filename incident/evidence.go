package incident

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Custody steps.
const (
	CustodyCollected   = "collected"
	CustodyTransferred = "transferred"
	CustodyVerified    = "verified" // re-hashed on receipt: the hash matched
	CustodyMismatch    = "mismatch" // re-hashed on receipt: it did not
)

// Bounds that keep an incident's record small enough to read on every command.
const (
	MaxEvidence      = 50
	MaxCustodySteps  = 50
	maxEvidenceField = 300
)

// Evidence is an item of evidence and its chain of custody.
type Evidence struct {
	Incident int64     `json:"incident"` // the incident's number: its chain is bound to it
	ID       int       `json:"id"`       // 1, 2, … within the incident: EV-1
	Name     string    `json:"name"`
	SHA256   string    `json:"sha256"`
	Location string    `json:"location"`
	Note     string    `json:"note,omitempty"`
	AddedBy  string    `json:"added_by"`
	AddedAt  time.Time `json:"added_at"`
	Holder   string    `json:"holder"`
	// Mismatch says a re-hash on receipt did not match: it stays flagged.
	Mismatch bool           `json:"mismatch,omitempty"`
	Custody  []CustodyEntry `json:"custody"`
}

// CustodyEntry is one step of an item's chain of custody. The log is only
// ever appended to, and each entry holds the SHA-256 of the one before, so
// an entry edited, removed or reordered where it is stored breaks the chain.
type CustodyEntry struct {
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Step   string    `json:"step"`
	From   string    `json:"from,omitempty"` // holder before a transfer
	To     string    `json:"to,omitempty"`   // holder after it (the collector, on collection)
	SHA256 string    `json:"sha256,omitempty"`
	Where  string    `json:"where,omitempty"`
	Note   string    `json:"note,omitempty"`
	Prev   string    `json:"prev"`
	Hash   string    `json:"hash"`
	// Seal is HMAC-SHA256 of Hash under a key kept out of the store, when
	// one is configured: without it, a rewritten log cannot be made whole.
	Seal string `json:"seal,omitempty"`
}

// Ref is the item as commands name it: EV-2.
func (e Evidence) Ref() string { return "EV-" + strconv.Itoa(e.ID) }

// digest is the entry's own hash: of every field but Hash, in a fixed form.
func (c CustodyEntry) digest() string {
	c.Hash, c.Seal = "", ""
	doc, _ := json.Marshal(c) // a struct of strings, ints and times: never fails
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// genesis is what the first entry's Prev holds: bound to the incident and
// the item, so a chain moved to another item, or copied sealed from
// another incident, does not verify.
func genesis(n int64, id int, name string) string {
	sum := sha256.Sum256([]byte("incidentbot custody " + strconv.FormatInt(n, 10) + " " + strconv.Itoa(id) + " " + name))
	return hex.EncodeToString(sum[:])
}

func (e *Evidence) appendCustody(c CustodyEntry) CustodyEntry {
	c.Seq = len(e.Custody) + 1
	c.Prev = genesis(e.Incident, e.ID, e.Name)
	if len(e.Custody) > 0 {
		c.Prev = e.Custody[len(e.Custody)-1].Hash
	}
	c.Hash = c.digest()
	e.Custody = append(e.Custody, c)
	return c
}

func seal(key []byte, hash string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(hash))
	return hex.EncodeToString(m.Sum(nil))
}

// SealNew seals the entry just appended with key (none: nothing to do).
// Only that one: an entry the bot did not write is never sealed by it, so
// a log forged in Redis stays unsealed and is reported.
func (e *Evidence) SealNew(key []byte) {
	if len(key) == 0 || len(e.Custody) == 0 {
		return
	}
	if last := &e.Custody[len(e.Custody)-1]; last.Seal == "" {
		last.Seal = seal(key, last.Hash)
	}
}

// ChainBreak says where a custody chain does not verify.
type ChainBreak struct {
	Seq    int // the first entry that does not verify; 0 for the item itself
	Reason string
}

// VerifyEvidence checks the custody log of an item stored in the incident:
// every entry's hash, every link to the entry before (the first to the
// incident and the item), every seal (with key; an entry made before a key
// was configured has none and is taken as it is), and that what the item
// says of itself (its hash, where it is stored, who collected it and when,
// its holder, a failed re-hash the incident's own record remembers) is
// what its log holds. ok is false at the first break.
func (i *Incident) VerifyEvidence(e Evidence, key []byte) (ChainBreak, bool) {
	if e.Incident != i.Number {
		return ChainBreak{Reason: "it was logged in another incident"}, false
	}
	if brk, ok := e.verifyChain(key, i.Number); !ok {
		return brk, false
	}
	if slices.Contains(i.Mismatched, e.ID) && !e.Mismatch {
		return ChainBreak{Reason: "a recorded hash mismatch was cleared"}, false
	}
	return ChainBreak{}, true
}

func (e Evidence) verifyChain(key []byte, n int64) (ChainBreak, bool) {
	if len(e.Custody) == 0 {
		return ChainBreak{Reason: "the custody log is empty"}, false
	}
	first := e.Custody[0]
	if first.Step != CustodyCollected || first.SHA256 != e.SHA256 || first.Where != e.Location || first.Note != e.Note ||
		first.Actor != e.AddedBy || !first.At.Equal(e.AddedAt) {
		return ChainBreak{Reason: "what the item says of itself is not what its collection entry holds"}, false
	}
	prev := genesis(n, e.ID, e.Name)
	holder, mismatch := "", false
	for k, c := range e.Custody {
		switch {
		case c.Seq != k+1:
			return ChainBreak{Seq: k + 1, Reason: "an entry is missing or out of order"}, false
		case c.Prev != prev:
			return ChainBreak{Seq: c.Seq, Reason: "it does not link to the entry before"}, false
		case c.Hash != c.digest():
			return ChainBreak{Seq: c.Seq, Reason: "its content does not match its hash"}, false
		case len(key) > 0 && c.Seal != "" && !hmac.Equal([]byte(c.Seal), []byte(seal(key, c.Hash))):
			return ChainBreak{Seq: c.Seq, Reason: "its seal does not match: it was written without the bot's custody key"}, false
		case len(key) > 0 && c.Seal == "":
			return ChainBreak{Seq: c.Seq, Reason: "it is not sealed: logged before a custody key was configured, or rewritten"}, false
		}
		prev = c.Hash
		switch c.Step {
		case CustodyCollected:
			holder = c.To
		case CustodyTransferred:
			holder = c.To
		case CustodyMismatch:
			mismatch = true
		}
	}
	if holder != e.Holder {
		return ChainBreak{Reason: "the item's holder is not the one its log ends with"}, false
	}
	if mismatch && !e.Mismatch {
		return ChainBreak{Reason: "a recorded hash mismatch was cleared"}, false
	}
	return ChainBreak{}, true
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseSHA256 reads sha256:<64 hex digits> (the prefix may be left out; any case).
func ParseSHA256(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimPrefix(s, "sha256:")) // "sha256: <hex>" too, as a form may hold it
	return s, sha256Pattern.MatchString(s)
}

// evidenceField is text a person gave for an item, in bounds.
func evidenceField(what, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len([]rune(s)) > maxEvidenceField {
		return "", Errorf("The %s is too long: keep it under %d characters.", what, maxEvidenceField)
	}
	return s, nil
}

// NewEvidence is item id of incident n, collected (and held) by by.
func NewEvidence(n int64, id int, at time.Time, by, name, hash, location, note string) (Evidence, TimelineEvent, error) {
	var err error
	if name, err = evidenceField("name", name); err != nil {
		return Evidence{}, TimelineEvent{}, err
	}
	if location, err = evidenceField("place it is stored", location); err != nil {
		return Evidence{}, TimelineEvent{}, err
	}
	if note, err = evidenceField("note", note); err != nil {
		return Evidence{}, TimelineEvent{}, err
	}
	e := Evidence{Incident: n, ID: id, Name: name, SHA256: hash, Location: location, Note: note, AddedBy: by, AddedAt: at, Holder: by}
	e.appendCustody(CustodyEntry{At: at, Actor: by, Step: CustodyCollected, To: by, SHA256: hash, Where: location, Note: note})
	return e, EvidenceLogged(at, by, e, e.Custody[0]), nil
}

func (e *Evidence) roomForStep() error {
	if len(e.Custody) >= MaxCustodySteps {
		return Fail(Conflict, "%s has %d custody steps, the most it keeps.", e.Ref(), MaxCustodySteps)
	}
	return nil
}

// mayStep: the holder records what happens to an item; the incident's
// commander or an admin may too, for an item whose holder is not at hand
// (not anyone while the commander role is vacant: custody is evidence).
func (e *Evidence) mayStep(a Actor, inc *Incident) bool {
	return a.ID == e.Holder || a.Admin || (inc != nil && inc.Commands(a))
}

// Transfer hands the item to someone else: its holder does, or whoever
// has the incident's lead permission (inc, when given, says who that is),
// for an item whose holder is not at hand.
func (e *Evidence) Transfer(at time.Time, a Actor, to, note string, inc *Incident) (TimelineEvent, error) {
	by := a.ID
	if err := e.roomForStep(); err != nil {
		return TimelineEvent{}, err
	}
	if !e.mayStep(a, inc) {
		return TimelineEvent{}, Fail(Forbidden, "Only its holder (%s), the incident commander or an admin can hand %s on.", UserRef(e.Holder), e.Ref())
	}
	if to == e.Holder {
		return TimelineEvent{}, Fail(Conflict, "%s already holds %s.", UserRef(to), e.Ref())
	}
	if inc != nil && inc.IsSuspect(to) {
		return TimelineEvent{}, Fail(Forbidden, "%s is a suspected account of %s: they are never handed anything of it.", UserRef(to), inc.Ref())
	}
	if inc != nil && (inc.Private || inc.Drill) && !inc.IsMember(to) {
		// They could neither see the incident nor record what happens to the item: it would be stranded.
		return TimelineEvent{}, Fail(Forbidden, "%s is not a member of %s, so they could not record what happens to %s. Hand it to a member, or give them a role first (%s).",
			UserRef(to), inc.Ref(), e.Ref(), Literal("/incident assign <role> @user"))
	}
	note, err := evidenceField("note", note)
	if err != nil {
		return TimelineEvent{}, err
	}
	entry := e.appendCustody(CustodyEntry{At: at, Actor: by, Step: CustodyTransferred, From: e.Holder, To: to, Note: note})
	e.Holder = to
	return EvidenceLogged(at, by, *e, entry), nil
}

// Verify records a re-hash on receipt, by the item's holder (or the
// incident's lead): a hash that differs from the one collected flags the
// item for good.
func (e *Evidence) Verify(at time.Time, a Actor, hash string, inc *Incident) (CustodyEntry, TimelineEvent, error) {
	by := a.ID
	if err := e.roomForStep(); err != nil {
		return CustodyEntry{}, TimelineEvent{}, err
	}
	if !e.mayStep(a, inc) {
		return CustodyEntry{}, TimelineEvent{}, Fail(Forbidden, "Only its holder (%s), the incident commander or an admin can record a re-hash of %s: ask its holder to hand it to you first.", UserRef(e.Holder), e.Ref())
	}
	step := CustodyVerified
	if hash != e.SHA256 {
		step, e.Mismatch = CustodyMismatch, true
	}
	entry := e.appendCustody(CustodyEntry{At: at, Actor: by, Step: step, SHA256: hash})
	return entry, EvidenceLogged(at, by, *e, entry), nil
}

// NoteEvidence keeps on the incident's own record what its card shows of
// an item: that it exists, and that it failed a re-hash.
func (i *Incident) NoteEvidence(e Evidence, added bool) {
	if added {
		i.EvidenceCount++
	}
	if e.Mismatch && !slices.Contains(i.Mismatched, e.ID) {
		i.Mismatched = append(i.Mismatched, e.ID)
	}
}

// EvidenceLogged records a custody step on the timeline.
func EvidenceLogged(at time.Time, by string, e Evidence, c CustodyEntry) TimelineEvent {
	ev := TimelineEvent{At: at, Actor: by, Kind: EventEvidence, Item: e.ID, Text: e.Name, To: c.Step, V: typed}
	switch c.Step {
	case CustodyTransferred:
		ev.Users = []string{c.From, c.To}
	case CustodyMismatch, CustodyVerified:
		ev.From = c.SHA256
	}
	return ev
}
