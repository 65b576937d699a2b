package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// caseBot starts a bot with one public incident, INC-1, declared by
// alice in its channel (bob and carol are responders, so members); env is
// more environment (a custody key, say).
func caseBot(t *testing.T, env ...string) (*harness, *script) {
	t.Helper()
	return caseBotAt(t, time.Now, env...)
}

// caseBotAt is caseBot on a clock of the test's.
func caseBotAt(t *testing.T, now func() time.Time, env ...string) (*harness, *script) {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	h := &harness{slack: fs, redis: redistest.Start(t), env: map[string]string{}}
	for i := 0; i+1 < len(env); i += 2 {
		h.env[env[i]] = env[i+1]
	}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	h.launch(t, false, true, clocks{now: now, outbound: clocktest.Instant{}}, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	s.command("UALICE", general, "declare Phishing wave sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	return h, s
}

// rawItem reads and rewrites an item of evidence of INC-1 the way someone
// with access to Redis would.
func rawItem(t *testing.T, h *harness, id string) (get func() incident.Evidence, put func(incident.Evidence)) {
	rdb := h.redis.Client(t)
	const key = "ib:inc:{1}:evidence"
	get = func() incident.Evidence {
		doc, err := rdb.HGet(context.Background(), key, id).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		var e incident.Evidence
		if err := json.Unmarshal(doc, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	put = func(e incident.Evidence) {
		doc, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.HSet(context.Background(), key, id, doc).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return get, put
}

// item is an item of evidence of INC-1 as stored.
func item(t *testing.T, h *harness, id int) incident.Evidence {
	t.Helper()
	all, err := h.store.Evidence(context.Background(), 1)
	if err != nil || len(all) < id {
		t.Fatalf("evidence of INC-1: %d items, %v", len(all), err)
	}
	return all[id-1]
}

// The evidence list and the postmortem show an item's place of storage.
// Rewritten in Redis (not in its custody entry, in the item itself), it
// must not be shown as if the chain vouched for it.
func TestEvidenceShownIsWhatItsChainVouchesFor(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3 --note sealed bag 0042")
	get, put := rawItem(t, h, "1")
	e := get()
	e.Location, e.Note = "attacker share", "no seal"
	put(e)

	list := s.command("UALICE", s.ch, "evidence")
	if strings.Contains(list, "attacker share") && !strings.Contains(list, "custody chain broken") {
		t.Errorf("the list shows a place of storage its custody log does not hold, and calls the chain sound:\n%s", list)
	}
}

// digestOf is a custody entry's hash, as anyone who reads the source can
// compute it: SHA-256 over the entry's JSON without its hash and seal.
func digestOf(c incident.CustodyEntry) string {
	c.Hash, c.Seal = "", ""
	doc, _ := json.Marshal(c)
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// With a custody key configured, someone who edits an entry in Redis and
// recomputes the hashes after it (the algorithm is public; the key is not
// in Redis) is still found out, seals kept or stripped.
func TestCustodyEntryRewrittenWithItsHashesIsFound(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t, "CUSTODY_SIGNING_KEY", "attack-test-custody-key-0123456789")
	s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3")
	s.command("UALICE", s.ch, "evidence transfer EV-1 <@UBOB> --note courier to the lab")
	s.command("UBOB", s.ch, "evidence verify EV-1 sha256:"+tampered)
	if log := s.command("UALICE", s.ch, "evidence log EV-1"); !strings.Contains(log, "The log is intact") {
		t.Fatalf("the sealed log does not verify before anyone touched it:\n%s", log)
	}

	get, put := rawItem(t, h, "1")
	for _, strip := range []bool{false, true} {
		e := get()
		// The mismatch becomes a match, the courier a friend; every hash after is recomputed.
		e.Custody[1].Note = "handed over in person"
		e.Custody[2].Step, e.Custody[2].SHA256 = incident.CustodyVerified, collected
		e.Mismatch = false
		for i := range e.Custody {
			if i > 0 {
				e.Custody[i].Prev = e.Custody[i-1].Hash
			}
			e.Custody[i].Hash = digestOf(e.Custody[i])
			if strip {
				e.Custody[i].Seal = ""
			}
		}
		put(e)
		if log := s.command("UALICE", s.ch, "evidence log EV-1"); !strings.Contains(log, "does NOT verify") {
			t.Errorf("a custody log rewritten in Redis, its hashes recomputed (seals stripped: %v), verifies:\n%s", strip, log)
		}
	}
}

// Only the person holding an item records what happens to it: a member
// who does not hold it cannot record it handed to themselves, and someone
// who does not hold it (here from #general: on a public incident, anyone
// in the workspace) cannot record a re-hash, whose mismatch flags the item
// for good and is announced in the channel.
func TestOnlyTheHolderRecordsCustodySteps(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3")

	s.command("UCAROL", s.ch, "evidence transfer EV-1 <@UCAROL>")
	if e := item(t, h, 1); e.Holder != "UALICE" {
		t.Errorf("carol, who never held EV-1, recorded it handed from alice to herself: held by %s", e.Holder)
	}
	s.command("UDAVE", general.ID, "evidence INC-1 verify EV-1 sha256:"+tampered)
	if item(t, h, 1).Mismatch {
		t.Errorf("dave, who does not hold EV-1 and is not in the incident's channel, flagged it as tampered with for good")
	}
}

// A second sighting of an indicator does not lower the TLP marking
// someone gave it: the export shares it under the marking it was given.
func TestASightingDoesNotLowerAMarking(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "ioc add evil.example --tlp red --note from a partner, not to be shared")
	s.command("UCAROL", s.ch, "ioc add evil.example --tlp clear")
	inds, err := h.store.Indicators(s.ctx, 1)
	if err != nil || len(inds) != 1 {
		t.Fatalf("indicators %+v, %v", inds, err)
	}
	if inds[0].Marking != "TLP:RED" {
		t.Errorf("a sighting turned TLP:RED into %s, and nothing on the timeline says so", inds[0].Marking)
	}

	// A form that gives a known indicator a stricter marking raises it.
	s.command("UALICE", s.ch, "ioc add 203.0.113.7 --tlp green")
	if _, err := h.slack.Command(s.ctx, "UCAROL", s.ch, "ioc add"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UCAROL", commands.ModalIOC)
	// Its answer awaited, so that it is not taken for the next form's.
	if got := s.answer("UCAROL", func() error {
		_, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{commands.InputIndicators: "seen again: 203[.]0[.]113[.]7", commands.InputMarking: "TLP:AMBER"})
		return err
	}); !strings.Contains(got, "seen 2 times now") {
		t.Errorf("the form with a stricter marking answered %q", got)
	}
	s.eventually("the stricter marking", func() bool {
		inds, _ := h.store.Indicators(s.ctx, 1)
		return len(inds) == 2 && inds[1].Value == "203.0.113.7" && inds[1].Marking == "TLP:AMBER" && inds[1].Sightings == 2
	})

	// A form that gives known indicators a laxer marking says which keep theirs.
	if _, err := h.slack.Command(s.ctx, "UCAROL", s.ch, "ioc add"); err != nil {
		t.Fatal(err)
	}
	v = s.viewOf("UCAROL", commands.ModalIOC)
	if got := s.answer("UCAROL", func() error {
		_, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{commands.InputIndicators: "evil[.]example and 203.0.113.7", commands.InputMarking: "TLP:GREEN"})
		return err
	}); !strings.Contains(got, "2 keep the stricter marking they had, not the one you gave: `evil[.]example` (TLP:RED), `203[.]0[.]113[.]7` (TLP:AMBER).") {
		t.Errorf("the form with a laxer marking answered %q", got)
	}
}

// A marking is lowered only by the incident's commander or an admin, and
// the timeline says from what to what; anyone may raise one. While nobody
// holds the commander role, only an admin may lower one.
func TestAMarkingIsLoweredOnlyByTheCommander(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UCAROL", s.ch, "ioc add evil.example --tlp amber")
	if got := s.command("UCAROL", s.ch, "ioc mark evil.example --tlp red"); !strings.Contains(got, "is now suspected, TLP:RED") {
		t.Errorf("carol raising the marking was answered %q", got)
	}
	if got := s.command("UCAROL", s.ch, "ioc mark evil.example --tlp clear"); !strings.Contains(got, "Only the incident commander (<@UALICE>) or an admin can lower the marking of `evil[.]example` from TLP:RED to TLP:CLEAR") {
		t.Errorf("carol lowering TLP:RED was answered %q", got)
	}
	if inds, _ := h.store.Indicators(s.ctx, 1); inds[0].Marking != "TLP:RED" {
		t.Errorf("carol lowered TLP:RED to %s", inds[0].Marking)
	}
	if got := s.command("UALICE", s.ch, "ioc mark evil.example --tlp green"); !strings.Contains(got, "is now suspected, TLP:GREEN") {
		t.Errorf("the commander lowering the marking was answered %q", got)
	}
	if n := s.countEvents(1, incident.EventIndicator, "evil.example"); n != 3 {
		t.Errorf("%d indicator events, want the add and two markings", n)
	}
	tl, _ := h.store.Timeline(s.ctx, 1)
	if last := tl[len(tl)-1]; last.To != "TLP:GREEN (was TLP:RED)" {
		t.Errorf("the timeline records the lowering as %q", last.To)
	}

	// With the commander role vacant, lowering falls to admins only.
	if _, err := h.store.Update(s.ctx, 1, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		delete(i.Roles, "commander")
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := s.command("UCAROL", s.ch, "ioc mark evil.example --tlp clear"); !strings.Contains(got, "and INC-1 has no commander now") {
		t.Errorf("carol lowering a marking with no commander was answered %q", got)
	}
}

// An indicator added to a private incident is not told, with that
// incident's number and who added it, to someone who is not its member
// (the commander of another private incident holding the indicator).
func TestASightingTellsNoOutsiderOfAPrivateIncident(t *testing.T) {
	t.Parallel()
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	s.command("UDAVE", general, "declare Insider case sev2 --private")
	s.ch = h.declared(t, "UDAVE", "INC-1").ID
	s.command("UDAVE", s.ch, "ioc add evil.example")
	s.command("UALICE", general, "declare HR investigation sev2 --private")
	hr := h.declared(t, "UALICE", "INC-2").ID
	if inc, _ := h.store.Get(s.ctx, 2); inc.IsMember("UDAVE") {
		t.Fatal("the test needs dave outside INC-2")
	}
	s.command("UALICE", hr, "ioc add evil.example")
	time.Sleep(time.Second) // the sighting is told right after the answer
	for _, m := range h.slack.DirectMessages("UDAVE") {
		if strings.Contains(m.Visible(), "INC-2") {
			t.Errorf("dave, not a member of private INC-2, was told: %s", m.Visible())
		}
	}
}

// A form that adds many indicators of another private incident tells its
// commander once, in one message naming them, not once per indicator.
func TestOneFormOneSightingMessage(t *testing.T) {
	t.Parallel()
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE")
	s.command("UDAVE", general, "declare Insider case sev2 --private")
	private := h.declared(t, "UDAVE", "INC-1").ID
	var values []string
	for i := range 12 {
		values = append(values, fmt.Sprintf("198.51.100.%d", i+1))
	}
	s.command("UDAVE", private, "ioc add evil.example")
	for _, v := range values {
		s.command("UDAVE", private, "ioc add "+v)
	}
	s.command("UALICE", general, "declare Phishing wave sev2")
	s.ch = h.declared(t, "UALICE", "INC-2").ID
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "ioc add"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UALICE", commands.ModalIOC)
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{commands.InputIndicators: "evil[.]example " + strings.Join(values, " ")}); err != nil {
		t.Fatal(err)
	}
	s.await("dave's message", func() bool { return strings.Contains(dmOf(h.slack, "UDAVE"), "13 indicators of INC-1") })
	time.Sleep(500 * time.Millisecond) // anything more would come right after
	var told []string
	for _, m := range h.slack.DirectMessages("UDAVE") {
		if strings.Contains(m.Visible(), "also added to INC-2") {
			told = append(told, m.Visible())
		}
	}
	if len(told) != 1 || !strings.Contains(told[0], "and 3 more") || !strings.Contains(told[0], "`evil[.]example`") {
		t.Errorf("dave was told %d times: %q", len(told), told)
	}
}

// crashCaseBot starts a bot whose requests crash after a chosen write,
// with INC-1 declared by alice.
func crashCaseBot(t *testing.T) (*harness, *script, *crasher) {
	t.Helper()
	return crashCaseBotWith(t, quietSeverities)
}

// crashCaseBotWith is crashCaseBot configured with extraYAML.
func crashCaseBotWith(t *testing.T, extraYAML string) (*harness, *script, *crasher) {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	h := &harness{slack: fs, redis: redistest.Start(t)}
	h.store = storage.New(h.redis.Client(t))
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	crash := &crasher{crashed: make(chan string, 1)}
	h.launch(t, false, true, clocks{now: time.Now, outbound: clocktest.Instant{}, afterWrite: crash.afterWrite}, extraYAML)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := fs.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")
	s.command("UALICE", general, "declare Crash case sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	return h, s, crash
}

// crashNext runs do, which must crash after its first write.
func crashNext(t *testing.T, crash *crasher, do func()) {
	t.Helper()
	crash.at.Store("")
	crash.armed.Store(true)
	do()
	select {
	case <-crash.crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("no write to crash after")
	}
}

// crashCommand has user run /incident text in the incident's channel,
// which must crash after its first write.
func crashCommand(t *testing.T, h *harness, s *script, crash *crasher, user, text string) {
	t.Helper()
	crashNext(t, crash, func() {
		if _, err := h.slack.Command(s.ctx, user, s.ch, text); err != nil {
			t.Fatal(err)
		}
	})
}

// redo starts another replica, its journal clock ten minutes ahead, which
// finds the crashed request abandoned and does it again.
func redo(t *testing.T, h *harness, s *script) {
	t.Helper()
	redoWith(t, h, s, quietSeverities)
}

// redoWith is redo by a replica configured with extraYAML.
func redoWith(t *testing.T, h *harness, s *script, extraYAML string) {
	t.Helper()
	s.eventually("only the crashed request left in the journal", func() bool {
		left, _ := h.store.Stale(s.ctx, time.Now().Add(time.Hour))
		return len(left) == 1
	})
	later := func() time.Time { return time.Now().Add(10 * time.Minute) }
	b := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder, env: h.env}
	b.launch(t, false, false, clocks{now: time.Now, outbound: clocktest.Instant{}, journal: later}, extraYAML)
	s.eventually("the redo", func() bool {
		left, _ := h.store.Stale(s.ctx, time.Now().Add(time.Hour))
		return len(left) == 0 && strings.Contains(b.logs.String(), `"msg":"request handled"`)
	})
	b.halt()
}

// A re-hash that did not match, whose replica died after writing it and
// before announcing it, is announced when it is done again, and its
// author is told it did not match, even if someone recorded another
// custody step of the item in between.
func TestAMismatchDoneAgainIsStillAnnounced(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3")
	s.command("UALICE", s.ch, "evidence transfer EV-1 <@UBOB>")
	before := len(h.slack.Ephemerals("UBOB"))
	crashCommand(t, h, s, crash, "UBOB", "evidence verify EV-1 sha256:"+tampered)
	// Before the redo, bob hands the item on to carol.
	s.command("UBOB", s.ch, "evidence transfer EV-1 <@UCAROL> --note to the lab")
	redo(t, h, s)

	got := s.lastEphemeral("UBOB", before)
	if !strings.Contains(got, "does not match") {
		t.Errorf("bob, whose re-hash did not match, was told %q", got)
	}
	time.Sleep(500 * time.Millisecond)
	ch, _ := h.slack.Channel(s.ch)
	announced := 0
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), "HASH MISMATCH on *EV-1*") {
			announced++
		}
	}
	if announced != 1 {
		t.Errorf("the mismatch was announced %d times, want once", announced)
	}
}

// An item of evidence or a containment action recorded by a request done
// again after a crash is the one its answer names, even when someone else
// recorded one in between.
func TestARecordDoneAgainNamesItsOwnItem(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	before := len(h.slack.Ephemerals("UALICE"))
	crashCommand(t, h, s, crash, "UALICE", "evidence add laptop-image sha256:"+collected+" evidence locker 3")
	s.command("UBOB", s.ch, "evidence add mail-export sha256:"+tampered+" case share")
	redo(t, h, s)
	if got := s.lastEphemeral("UALICE", before); !strings.Contains(got, "laptop-image") {
		t.Errorf("alice, who logged laptop-image, was told %q", got)
	}

	before = len(h.slack.Ephemerals("UALICE"))
	crashCommand(t, h, s, crash, "UALICE", "action isolate host-12")
	s.command("UBOB", s.ch, "action disable svc-backup")
	redo(t, h, s)
	if got := s.lastEphemeral("UALICE", before); !strings.Contains(got, "host-12") {
		t.Errorf("alice, who isolated host-12, was told %q", got)
	}
}

// A handover done again after a crash, once the item has moved on, does
// not tell its former holder to hash an item they no longer hold.
func TestAHandoverDoneAgainTellsOnlyAHolder(t *testing.T) {
	t.Parallel()
	h, s, crash := crashCaseBot(t)
	s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3")
	crashCommand(t, h, s, crash, "UALICE", "evidence transfer EV-1 <@UBOB>")
	s.command("UALICE", s.ch, "evidence transfer EV-1 <@UCAROL>") // as the commander, while bob is away
	before := len(h.slack.Ephemerals("UALICE"))
	redo(t, h, s)
	if got := s.lastEphemeral("UALICE", before); !strings.Contains(got, "Handed EV-1 to <@UBOB>") {
		t.Errorf("alice, whose handover was done again, was told %q", got)
	}
	if e := item(t, h, 1); e.Holder != "UCAROL" || len(e.Custody) != 3 {
		t.Errorf("EV-1 held by %s with %d custody steps, want carol's with 3", e.Holder, len(e.Custody))
	}
	for _, m := range h.slack.DirectMessages("UBOB") {
		if strings.Contains(m.Visible(), "you hold it now") {
			t.Errorf("bob, who no longer holds EV-1, was told: %s", m.Visible())
		}
	}
}

// The records a member may add are bounded so that the incident's record,
// read and rewritten on every command, stays small: its size is measured
// after one insider filled every field to its limit through the commands'
// own domain rules.
func TestCaseRecordsKeepTheIncidentSmall(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	long := func(n int) string { return strings.Repeat("<", n) }
	now := time.Now()
	for i := 0; i < incident.MaxEvidence; i++ {
		if _, err := h.store.AddEvidence(s.ctx, 1, func(id int) (incident.Evidence, incident.TimelineEvent, error) {
			return incident.NewEvidence(1, id, now, "UCAROL", long(300), collected, long(300), long(300))
		}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := h.store.Update(s.ctx, 1, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		for i := 0; i < incident.MaxContainmentActions; i++ {
			if _, _, err := inc.AddContainment(now, "UCAROL", incident.ContainOther, long(200), long(300), time.Time{}); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := h.redis.Client(t).StrLen(s.ctx, "ib:inc:{1}").Result()
	if n > 256<<10 {
		t.Errorf("one member made INC-1's record %d KB, read on every command", n>>10)
	}
	if got := s.command("UALICE", s.ch, "evidence add one-more sha256:"+collected+" locker"); !strings.Contains(got, "the most it keeps") {
		t.Errorf("an item past the bound answered %q", got)
	}
}

// caseHostile is what an insider types into every field of the case
// records: broadcasts, a user group, a disguised link, a mention,
// markup and a display-reordering control, as Slack delivers them.
const caseHostile = "<!channel> <!here> <https://evil.example/login|Reset your password> <!subteam^S0123|@secops> \u202egnp.exe *bold* `code` <@UBOB|bob>"

// Nothing typed into the case records comes alive: not in any message,
// answer, form or DM, not in the postmortem; and it was escaped where it
// was put in, not by the outbound guard.
func TestNoCaseRecordTextComesAlive(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	typed := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(fakeslack.EscapeTyped(caseHostile)) // a form's text
	s.command("UALICE", s.ch, "ioc add evil.example --tlp amber --note "+caseHostile)
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "ioc add"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UALICE", "incident_ioc")
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{"indicators": "evil2.example " + typed, "note": typed}); err != nil {
		t.Fatal(err)
	}
	said := h.slack.PostAs("UBOB", s.ch, caseHostile+" beacon to hxxp://c2[.]example[.]net/gate.php")
	if _, err := h.slack.Shortcut(s.ctx, "UCAROL", s.ch, said, "add_indicators"); err != nil {
		t.Fatal(err)
	}
	v = s.viewOf("UCAROL", "incident_ioc_picked")
	if _, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, map[string]string{"note": typed}); err != nil {
		t.Fatal(err)
	}
	s.command("UALICE", s.ch, "evidence add <!here> sha256:"+collected+" "+caseHostile+" --note "+caseHostile)
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "evidence add"); err != nil {
		t.Fatal(err)
	}
	v = s.viewOf("UALICE", "incident_evidence")
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{"name": typed, "hash": "sha256:" + tampered, "location": typed, "note": typed}); err != nil {
		t.Fatal(err)
	}
	s.eventually("EV-2", func() bool { inc, _ := h.store.Get(s.ctx, 1); return inc.EvidenceCount == 2 })
	s.command("UALICE", s.ch, "evidence transfer EV-1 <@UBOB> --note "+caseHostile)
	s.command("UBOB", s.ch, "evidence verify EV-1 sha256:"+tampered)
	s.command("UBOB", s.ch, "evidence log EV-1")
	s.command("UBOB", s.ch, "evidence log EV-2")
	s.command("UBOB", s.ch, "evidence")
	s.command("UBOB", s.ch, "action other "+caseHostile+" --note "+caseHostile)
	s.command("UBOB", s.ch, "action block <https://evil.example/login|Reset your password> --until 1h")
	s.command("UBOB", s.ch, "action isolate <!channel>")
	s.command("UALICE", s.ch, "action keep A-1 "+caseHostile)
	s.command("UALICE", s.ch, "action undo A-2 "+caseHostile)
	s.command("UALICE", s.ch, "action")
	s.command("UALICE", s.ch, "iocs")
	s.command("UALICE", s.ch, "timeline")
	s.command("UALICE", s.ch, "phase recovery")
	s.command("UALICE", s.ch, "close "+caseHostile)
	s.command("UALICE", s.ch, "close --confirm "+caseHostile)
	s.command("UALICE", s.ch, "iocs export")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the postmortem", func() bool { _, ok := fileNamed(h.slack, "inc-1-postmortem.md"); return ok })

	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("%d live tokens reached Slack, among them: %q", len(live), live[:min(len(live), 5)])
	}
	if strings.Contains(h.logs.String(), "neutralized live markup") {
		t.Error("the outbound guard had to neutralize live markup: some case record text was not escaped")
	}
	pm, _ := fileNamed(h.slack, "inc-1-postmortem.md")
	if live := render.Live(string(pm.Content)); len(live) > 0 {
		t.Errorf("the postmortem holds %q", live)
	}
}

// An indicator typed defanged stays what was typed, and is shown
// defanged everywhere: a path that holds an address is no exception, and
// refanging touches only the defanging marks, not letters of the value.
func TestIndicatorsAreStoredAsTypedAndShownDefanged(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	if got := s.command("UALICE", s.ch, "ioc add fxpro.com"); !strings.Contains(got, "`fxpro[.]com`") {
		t.Errorf("the domain fxpro.com was recorded as: %q", got)
	}
	if got := s.command("UALICE", s.ch, "ioc add /tmp/hxxps[://]evil[.]example/x.sh"); strings.Contains(got, "https://evil.example") {
		t.Errorf("a defanged path is shown live: %q", got)
	}
	s.command("UALICE", s.ch, "close --confirm done")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the postmortem", func() bool { _, ok := fileNamed(h.slack, "inc-1-postmortem.md"); return ok })
	pm, _ := fileNamed(h.slack, "inc-1-postmortem.md")
	if bytes.Contains(pm.Content, []byte("https://evil.example")) {
		t.Errorf("the postmortem (Markdown, where an address becomes a link) shows an indicator live")
	}
}

// Someone outside a private incident gets, for every case record command,
// form and shortcut naming it, the answer a missing incident gets, and
// nothing of it changes.
func TestOutsiderCannotTouchAPrivateIncidentsRecords(t *testing.T) {
	t.Parallel()
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	h.slack.AddUser("UEVE", "eve")
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL", "UDAVE", "UEVE")
	s.command("UDAVE", general, "declare Insider case sev2 --private")
	s.ch = h.declared(t, "UDAVE", "INC-1").ID
	s.command("UDAVE", s.ch, "ioc add evil.example")
	s.command("UDAVE", s.ch, "evidence add laptop-image sha256:"+collected+" locker 3")
	s.command("UDAVE", s.ch, "action isolate host-12")
	const outsider = "UEVE"
	if inc, _ := h.store.Get(s.ctx, 1); inc.IsMember(outsider) {
		t.Fatal("the test needs eve outside INC-1")
	}
	unchanged := func(what string) {
		t.Helper()
		inc, _ := h.store.Get(s.ctx, 1)
		inds, _ := h.store.Indicators(s.ctx, 1)
		items, _ := h.store.Evidence(s.ctx, 1)
		if len(inds) != 1 || inds[0].Sightings != 1 || len(items) != 1 || len(items[0].Custody) != 1 || len(inc.Actions) != 1 || !inc.Actions[0].Open() {
			t.Errorf("%s by an outsider changed INC-1", what)
		}
	}
	for _, cmd := range []string{"ioc add 1.2.3.4", "ioc mark evil.example false-positive", "iocs", "iocs export", "evidence", "evidence log 1",
		"evidence transfer 1 <@UEVE>", "evidence verify 1 sha256:" + tampered, "action", "action undo 1", "action keep 1 x", "action block 1.2.3.4"} {
		private := s.command(outsider, general, strings.Replace(cmd, " ", " INC-1 ", 1))
		missing := s.command(outsider, general, strings.Replace(cmd, " ", " INC-99 ", 1))
		if strings.ReplaceAll(private, "INC-1", "INC-n") != strings.ReplaceAll(missing, "INC-99", "INC-n") || strings.Contains(private, "Insider") {
			t.Errorf("%s: a private incident answers %q, a missing one %q", cmd, private, missing)
		}
		unchanged(cmd)
	}

	// Dave's forms, copied to eve (kept from when she had access, say).
	for _, open := range []struct{ cmd, callback string }{{"ioc add", "incident_ioc"}, {"evidence add", "incident_evidence"}} {
		if _, err := h.slack.Command(s.ctx, "UDAVE", s.ch, open.cmd); err != nil {
			t.Fatal(err)
		}
		v := s.viewOf("UDAVE", open.callback)
		c, err := h.slack.CopyView(v.ID, outsider, nil)
		if err != nil {
			t.Fatal(err)
		}
		d, err := h.slack.Submit(s.ctx, outsider, c, map[string]string{"indicators": "1.2.3.4", "name": "x", "hash": "sha256:" + tampered, "location": "y"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(d.Body), "no incident INC-1 that you can see") {
			t.Errorf("%s form copied to an outsider answered %s", open.cmd, d.Body)
		}
		unchanged(open.cmd + " form")
		_ = h.slack.CloseView(v.ID)
	}
	// Her own pick form, from a message in her incident's channel, edited to name INC-1.
	s.command(outsider, general, "declare Her own case sev3")
	hers := h.declared(t, outsider, "INC-2").ID
	said := h.slack.PostAs("UBOB", hers, "seen 198.51.100.23 and evil.example")
	if _, err := h.slack.Shortcut(s.ctx, outsider, hers, said, "add_indicators"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf(outsider, "incident_ioc_picked")
	if strings.Contains(string(v.JSON), "Insider") {
		t.Errorf("the pick form offers the private incident: %s", v.JSON)
	}
	c, err := h.slack.CopyView(v.ID, outsider, strings.NewReplacer(`{\"n\":2`, `{\"n\":1`))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := h.slack.Submit(s.ctx, outsider, c, nil); err != nil || !strings.Contains(string(d.Body), "no incident INC-1 that you can see") {
		t.Errorf("a pick form edited to name INC-1 answered %s, %v", d.Body, err)
	}
	unchanged("the pick form")
}

// A follow-up owned by someone is marked done only by its owner or an
// admin, however it is reached: a containment action left open at the
// close becomes its actor's follow-up, and someone else keeping the
// action does not mark the owner's follow-up done for them.
func TestAContainmentFollowUpIsItsOwners(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UBOB", s.ch, "action block 203.0.113.7")
	s.command("UALICE", s.ch, "close --confirm contained")
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.FollowUps) != 1 || inc.FollowUps[0].Owner != "UBOB" {
		t.Fatalf("the open action did not become bob's follow-up: %+v", inc.FollowUps)
	}
	s.command("UCAROL", s.ch, "action keep A-1 whatever, done")
	if inc, _ := h.store.Get(s.ctx, 1); inc.FollowUps[0].Done {
		t.Errorf("carol marked bob's follow-up #1 done (by %s), which only bob or an admin may do", inc.FollowUps[0].DoneBy)
	}
	// Its Mark done button does not leave the action open behind a done follow-up.
	general, _ := h.slack.ChannelByName("general")
	s.command("UBOB", general.ID, "actions")
	seen := h.slack.Ephemerals("UBOB")
	got := s.answer("UBOB", func() error {
		_, err := h.slack.Click(s.ctx, "UBOB", general.ID, seen[len(seen)-1].TS, commands.ActionFollowUpDone, "1:1")
		return err
	})
	if !strings.Contains(got, "INC-1 #1 is containment action A-1, still open: `/incident action INC-1 undo A-1`") {
		t.Errorf("Mark done on the follow-up of an open action answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.FollowUps[0].Done || !inc.Actions[0].Open() {
		t.Errorf("after Mark done, follow-up done %v and A-1 %s", inc.FollowUps[0].Done, inc.Actions[0].State)
	}
}

// sev1EveryTwoSeconds sends a sev1 incident's stakeholder updates every two seconds.
const sev1EveryTwoSeconds = `severities:
  - {name: sev1, description: "Critical", update_every: 2s}
  - {name: sev2, description: "Major", update_every: 0}
default_severity: sev2
`

// A containment reminder that cannot be delivered (its actor has left the
// workspace) does not stop the incident's scheduled stakeholder updates.
func TestAnUndeliverableReminderDoesNotStopTheUpdates(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, sev1EveryTwoSeconds, "Ransomware sev1")
	// Someone Slack no longer knows (deactivated since) recorded an action with a reminder.
	s.command("UGONE", s.ch, "action block 203.0.113.7 --until 1s")
	count := func() int {
		ch, _ := h.slack.Channel(h.stakeholder)
		n := 0
		for _, m := range ch.Messages {
			if strings.Contains(m.Visible(), "Scheduled update on INC-1") {
				n++
			}
		}
		return n
	}
	h.slack.Await(t, "two scheduled updates", func() bool { return count() >= 2 })
}

// A replayed form, shortcut submission or export has its effect once.
func TestCaseRecordRequestsReplayedRunOnce(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "evidence add"); err != nil {
		t.Fatal(err)
	}
	v := s.viewOf("UALICE", "incident_evidence")
	if _, err := h.slack.Submit(s.ctx, "UALICE", v.ID, map[string]string{"name": "img", "hash": "sha256:" + collected, "location": "locker"}); err != nil {
		t.Fatal(err)
	}
	s.eventually("EV-1", func() bool { inc, _ := h.store.Get(s.ctx, 1); return inc.EvidenceCount == 1 })
	if _, err := h.slack.Replay(s.ctx); err != nil {
		t.Fatal(err)
	}
	said := h.slack.PostAs("UBOB", s.ch, "seen 198.51.100.23")
	if _, err := h.slack.Shortcut(s.ctx, "UCAROL", s.ch, said, "add_indicators"); err != nil {
		t.Fatal(err)
	}
	v = s.viewOf("UCAROL", "incident_ioc_picked")
	if _, err := h.slack.Submit(s.ctx, "UCAROL", v.ID, nil); err != nil {
		t.Fatal(err)
	}
	s.eventually("the indicator", func() bool { inds, _ := h.store.Indicators(s.ctx, 1); return len(inds) == 1 })
	if _, err := h.slack.Replay(s.ctx); err != nil {
		t.Fatal(err)
	}
	s.command("UALICE", s.ch, "iocs export")
	if _, err := h.slack.Replay(s.ctx); err != nil {
		t.Fatal(err)
	}
	s.command("UALICE", s.ch, "evidence verify 1 sha256:"+tampered)
	if _, err := h.slack.Replay(s.ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	inc, _ := h.store.Get(s.ctx, 1)
	inds, _ := h.store.Indicators(s.ctx, 1)
	files := 0
	for _, f := range h.slack.Files() {
		if f.Channel != "" {
			files++
		}
	}
	ch, _ := h.slack.Channel(s.ch)
	announced := 0
	for _, m := range ch.Messages {
		if strings.Contains(m.Visible(), "HASH MISMATCH") {
			announced++
		}
	}
	items, _ := h.store.Evidence(s.ctx, 1)
	if inc.EvidenceCount != 1 || len(items) != 1 || len(items[0].Custody) != 2 || inds[0].Sightings != 1 || files != 2 || announced != 1 {
		t.Errorf("replayed: %d items, %d custody steps, %d sightings, %d files, %d announcements", len(items), len(items[0].Custody), inds[0].Sightings, files, announced)
	}
}

// However many actions are open, and however long their targets, the
// close's refusal still says how to close anyway.
func TestCloseRefusalAlwaysSaysHowToConfirm(t *testing.T) {
	t.Parallel()
	_, s := caseBot(t)
	for i := 0; i < 15; i++ {
		s.command("UCAROL", s.ch, fmt.Sprintf("action other %d-%s", i, strings.Repeat("x", 190)))
	}
	if got := s.command("UALICE", s.ch, "close Contained"); !strings.Contains(got, "/incident close --confirm Contained") {
		t.Errorf("the commander is not told how to close anyway:\n%s", got[max(0, len(got)-300):])
	}
}

// The same hash logged twice is pointed out, so a duplicate is seen at once.
func TestEvidenceLoggedTwiceIsPointedOut(t *testing.T) {
	t.Parallel()
	_, s := caseBot(t)
	s.command("UALICE", s.ch, "evidence add laptop image sha256:"+collected+" locker 3")
	got := s.command("UBOB", s.ch, "evidence add laptop image again sha256: "+collected+" locker 4")
	if !strings.Contains(got, "Logged *EV-2* `laptop image again`") || !strings.Contains(got, "*EV-1* has the same hash") {
		t.Errorf("a second item with EV-1's hash answered %q", got)
	}
}

// A containment action's --until reminder comes when asked, also after
// the incident was closed with the action open, and after its postmortem.
func TestAContainmentReminderOutlivesTheClose(t *testing.T) {
	t.Parallel()
	clock := clocktest.NewManual(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	h, s := caseBotAt(t, clock.Now)
	s.command("UBOB", s.ch, "action block 203.0.113.7 --until 4h")
	s.command("UCAROL", s.ch, "action disable svc-backup --until 6d")
	if got := s.command("UALICE", s.ch, "close --confirm Contained"); !strings.Contains(got, "Closed: Contained") {
		t.Fatalf("the close answered %q", got)
	}
	clock.Advance(5 * time.Hour)
	s.await("bob's reminder after the close", func() bool {
		return strings.Contains(dmOf(h.slack, "UBOB"), "Reminder: *A-1* on INC-1 (block `203[.]0[.]113[.]7`) is still open")
	})
	for range 6 { // day by day, so the retro's own work runs on the way
		clock.Advance(24 * time.Hour)
		time.Sleep(20 * time.Millisecond)
	}
	s.eventually("the postmortem", func() bool { inc, _ := h.store.Get(s.ctx, 1); return inc.Status == incident.Closed })
	s.await("carol's reminder after the postmortem", func() bool {
		return strings.Contains(dmOf(h.slack, "UCAROL"), "Reminder: *A-2* on INC-1 (disable `svc-backup`) is still open")
	})
}

// Slack turns a domain typed in a command into a link (<http://x|x>): it
// is taken as typed, an indicator or a target like any other.
func TestDomainsSlackMadeLinksAreTakenAsTyped(t *testing.T) {
	t.Parallel()
	_, s := caseBot(t)
	if got := s.command("UALICE", s.ch, "ioc add <http://evil17.example|evil17.example>"); !strings.Contains(got, "Added the domain `evil17[.]example` to INC-1") {
		t.Errorf("a linked domain added as an indicator answered %q", got)
	}
	if got := s.command("UBOB", s.ch, "action block <http://evil20.example|evil20.example>"); !strings.Contains(got, "Recorded *A-1*: block `evil20[.]example`") {
		t.Errorf("a linked domain as a target answered %q", got)
	}
}

// The hints a list gives work pasted where the list was shown, also
// outside the incident's channel.
func TestListHintsWorkPastedAnywhere(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3")
	s.command("UBOB", s.ch, "action block 203.0.113.7")
	hint := func(list string) string {
		t.Helper()
		got := s.command("UBOB", general.ID, list)
		m := regexp.MustCompile("`(/incident [^`]+)`").FindAllStringSubmatch(got, -1)
		if len(m) == 0 {
			t.Fatalf("%s gave no hint: %q", list, got)
		}
		return strings.TrimPrefix(m[0][1], "/incident ")
	}
	if cmd := hint("evidence INC-1"); !strings.Contains(s.command("UBOB", general.ID, cmd), "Custody of EV-1") {
		t.Errorf("the evidence list's hint %q does not work pasted in #general", cmd)
	}
	cmd := strings.TrimSuffix(hint("action INC-1"), " blocked for good")
	if got := s.command("UBOB", general.ID, cmd); !strings.Contains(got, "A-1") || strings.Contains(got, "not an incident channel") {
		t.Errorf("the action list's hint %q pasted in #general answered %q", cmd, got)
	}
}

// A case-record command in a plausible wrong form is answered with what
// was wrong and the right form, and changes nothing.
func TestCaseRecordMistakesSayTheRightForm(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "evidence add laptop-image sha256:"+collected+" evidence locker 3")
	s.command("UALICE", s.ch, "evidence add disk-copy sha256:"+collected+" evidence locker 4")
	s.command("UBOB", s.ch, "action block 203.0.113.7")
	before := s.timelineLen()
	for _, tc := range []struct{ user, text, want string }{
		{"UBOB", "action A-1 undo", "Put undo or keep before the action: `/incident action undo A-1`"},
		{"UBOB", "action block 198.51.100.9 --until", "Give a time after --until"},
		{"UBOB", "action block 198.51.100.9 --until soon", "or an RFC 3339 time like `2026-12-03T18:00:00Z`"},
		{"UCAROL", "evidence verify EV-1 sha256:" + tampered, "ask its holder to hand it to you first"},
		{"UALICE", "evidence transfer EV-1 <@UBOB> <@UCAROL>", "mentioning one person"},
		{"UALICE", "ioc export", "`/incident iocs export` shares them"},
		{"UALICE", "evidence add third sha256:" + collected + " shelf", "*EV-1*, *EV-2* have the same hash"},
	} {
		if got := s.command(tc.user, s.ch, tc.text); !strings.Contains(got, tc.want) {
			t.Errorf("/incident %s answered %q, want it to say %q", tc.text, got, tc.want)
		}
	}
	if got := s.timelineLen(); got != before+1 { // only the third item was logged
		t.Errorf("the mistakes changed the timeline: %d events, want %d", got, before+1)
	}
	if inc, _ := h.store.Get(s.ctx, 1); len(inc.Actions) != 1 {
		t.Errorf("the mistakes recorded %d actions, want 1", len(inc.Actions))
	}
}
