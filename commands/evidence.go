package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// evidenceCmd is /incident evidence: add an item, hand it on, re-hash it
// on receipt, show its custody log, or list the items.
func (h *Response) evidenceCmd(ctx context.Context, c *call) error {
	words, opts, err := options(c.parsed.Raw, "note")
	if err != nil {
		return incident.Errorf("%s. %s", err.Error(), c.sub.usageHint())
	}
	verb := ""
	if len(words) > 0 {
		verb = strings.ToLower(words[0])
		words = words[1:]
	}
	switch verb {
	case "", "list":
		if len(words) > 0 || len(opts) > 0 {
			return incident.Errorf("%s takes nothing more. %s", incident.Literal("/incident evidence list"), c.sub.usageHint())
		}
		c.read = true
		return h.listEvidence(ctx, c)
	case "add":
		if len(words) == 0 && len(opts) == 0 {
			return h.chat.OpenView(ctx, c.req.TriggerID, evidenceModal(c.inc))
		}
		return h.addEvidence(ctx, c, words, opts["note"])
	case "transfer":
		return h.transferEvidence(ctx, c, words, opts["note"])
	case "verify":
		if len(opts) > 0 {
			return incident.Errorf("A re-hash takes no note. %s", c.sub.usageHint())
		}
		return h.verifyEvidence(ctx, c, words)
	case "log":
		if len(words) != 1 || len(opts) > 0 {
			return incident.Errorf("Say which item: %s. %s", incident.Literal("/incident evidence log EV-1"), c.sub.usageHint())
		}
		c.read = true
		return h.custodyLog(ctx, c, words[0])
	}
	return incident.Errorf("There is no %s for evidence: use add, transfer, verify, log or list. %s", echo(verb), c.sub.usageHint())
}

// exampleHash is a whole hash for examples, so that they can be pasted.
const exampleHash = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// hashWords finds the hash among words: "sha256:<hex>", "sha256: <hex>"
// or the bare hex. It returns its place and how many words it took.
func hashWords(words []string) (hash string, at, n int, ok bool) {
	for i, w := range words {
		if strings.EqualFold(w, "sha256:") && i+1 < len(words) {
			if h, ok := incident.ParseSHA256(words[i+1]); ok {
				return h, i, 2, true
			}
		}
		if h, ok := incident.ParseSHA256(w); ok {
			return h, i, 1, true
		}
	}
	return "", 0, 0, false
}

func badHash(c *call, words []string) error {
	shown := ""
	for _, w := range words {
		if strings.HasPrefix(strings.ToLower(w), "sha256:") {
			shown = w
		}
	}
	if shown == "" {
		return incident.Errorf("Give the item's SHA-256 hash: %s and its 64 hexadecimal digits. %s", incident.Literal("sha256:"), c.sub.usageHint())
	}
	return incident.Errorf("%s is not a SHA-256 hash: give %s and its 64 hexadecimal digits. %s", incident.Literal(render.Truncate(shown, 80)), incident.Literal("sha256:"), c.sub.usageHint())
}

// addEvidence is evidence add <name> sha256:<hash> <where it is stored>:
// the name is the words before the hash, the place the words after.
func (h *Response) addEvidence(ctx context.Context, c *call, words []string, note string) error {
	hash, at, n, ok := hashWords(words)
	switch {
	case !ok:
		return badHash(c, words)
	case at == 0 || at+n == len(words):
		return incident.Errorf("Give the item's name, its hash and where it is stored, in that order: %s. %s",
			incident.Literal("/incident evidence add laptop-image "+exampleHash+" evidence locker 3"), c.sub.usageHint())
	}
	name, location := strings.Join(words[:at], " "), strings.Join(words[at+n:], " ")
	return h.recordEvidence(ctx, c.inc, c.req.UserID, name, hash, location, note, func(m render.Message) { h.respond(ctx, c.req, m) })
}

// recordEvidence adds an item, by command or form.
func (h *Response) recordEvidence(ctx context.Context, inc *incident.Incident, user, name, hash, location, note string, tell func(render.Message)) error {
	now := h.now()
	added, err := h.store.AddEvidence(ctx, inc.Number, func(id int) (incident.Evidence, incident.TimelineEvent, error) {
		e, ev, err := incident.NewEvidence(inc.Number, id, now, user, name, hash, location, note)
		e.SealNew(h.cfg.CustodyKey)
		return e, ev, err
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, inc.Number)
	same := incident.Say("")
	if items, err := h.store.Evidence(ctx, inc.Number); err == nil {
		var refs []any
		for _, e := range items {
			if e.ID != added.ID && e.SHA256 == added.SHA256 {
				refs = append(refs, incident.Strong(e.Ref()))
			}
		}
		if len(refs) > 0 {
			verb := "has"
			if len(refs) > 1 {
				verb = "have"
			}
			same = incident.Say(" %s %s the same hash: the same item logged twice?", incident.Join(", ", refs...), verb)
		}
	}
	tell(render.Done(incident.Say("Logged %s %s on %s, held by you, with its custody log started.%s", incident.Strong(added.Ref()), incident.Literal(added.Name), inc.Ref(), same)))
	return nil
}

func (h *Response) itemID(c *call, word, prefix, example string) (int, error) {
	id, ok := incident.ParseItemRef(word, prefix)
	if !ok {
		return 0, incident.Errorf("%s is not an item number like %s. %s", echo(word), incident.Literal(example), c.sub.usageHint())
	}
	return id, nil
}

func (h *Response) transferEvidence(ctx context.Context, c *call, words []string, note string) error {
	// The recipient is the one mention among the words; mentions in the note are the note's.
	var items, recipients []string
	for _, w := range words {
		if m := mentionPattern.FindStringSubmatch(w); m != nil {
			recipients = append(recipients, m[1])
		} else {
			items = append(items, w)
		}
	}
	if len(items) != 1 || len(recipients) != 1 {
		return incident.Errorf("Say which item and to whom, mentioning one person: %s. %s", incident.Literal("/incident evidence transfer EV-1 @bob"), c.sub.usageHint())
	}
	to := recipients[0]
	if to == h.botUserID {
		return incident.Errorf("I can't hold evidence; name a person.")
	}
	id, err := h.itemID(c, items[0], "EV", "EV-1")
	if err != nil {
		return err
	}
	if err := h.withinOrganisation(ctx, c.inc.Number, to, "Hand it to someone of it."); err != nil {
		return err
	}
	now := h.now()
	e, _, err := h.store.ChangeEvidence(ctx, c.inc.Number, id, func(e *incident.Evidence, inc *incident.Incident) (incident.TimelineEvent, error) {
		ev, err := e.Transfer(now, h.actor(c.req.UserID), to, note, inc)
		e.SealNew(h.cfg.CustodyKey)
		return ev, err
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, c.inc.Number)
	// Done again after a crash, the item may have moved on since: only
	// someone who still holds it is told to hash it.
	if to != c.req.UserID && e.Holder == to {
		msg := about(c.inc, render.Info(incident.Say("%s handed you %s %s of %s: you hold it now. When it reaches you, hash it and record the result with %s.",
			incident.UserRef(c.req.UserID), incident.Strong(e.Ref()), incident.Literal(e.Name), c.inc.Ref(),
			incident.Literal(fmt.Sprintf("/incident evidence %s verify %s sha256:<hash>", c.inc.Ref(), e.Ref())))))
		if err := h.postOnce(ctx, "handed:"+to, to, msg); err != nil {
			h.log.Warn("could not tell the new holder of an item", "incident", c.inc.Number, "err", err)
		}
	}
	h.respond(ctx, c.req, render.Done(incident.Say("Handed %s to %s; the handover is on its custody log.", e.Ref(), incident.UserRef(to))))
	return nil
}

func (h *Response) verifyEvidence(ctx context.Context, c *call, words []string) error {
	hash, at, n, ok := hashWords(words)
	if !ok {
		return badHash(c, words)
	}
	rest := append(slices.Clone(words[:at]), words[at+n:]...) // the item, before or after the hash
	if len(rest) != 1 {
		return incident.Errorf("Say which item and the hash you computed on receipt: %s. %s", incident.Literal("/incident evidence verify EV-1 "+exampleHash), c.sub.usageHint())
	}
	id, err := h.itemID(c, rest[0], "EV", "EV-1")
	if err != nil {
		return err
	}
	now := h.now()
	e, entry, err := h.store.ChangeEvidence(ctx, c.inc.Number, id, func(e *incident.Evidence, inc *incident.Incident) (incident.TimelineEvent, error) {
		_, ev, err := e.Verify(now, h.actor(c.req.UserID), hash, inc)
		e.SealNew(h.cfg.CustodyKey)
		return ev, err
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, c.inc.Number)
	if entry.Step == incident.CustodyMismatch { // what this request recorded, done again or not
		// Loud, for everyone in the channel: the item may have been tampered with.
		msg := about(c.inc, render.Warning(incident.Say("HASH MISMATCH on %s: %s re-hashed it on receipt and got %s, not the hash it was collected with. Treat it as possibly altered; the mismatch is on its custody log, the timeline and the card.",
			incident.Strong(e.Ref()), incident.UserRef(entry.Actor), incident.Literal("sha256:"+entry.SHA256))))
		if err := h.postOnce(ctx, "mismatch", c.inc.ChannelID, msg); err != nil {
			h.log.Warn("could not announce an evidence hash mismatch", "incident", c.inc.Number, "err", err)
		}
		h.respond(ctx, c.req, render.Warning(incident.Say("The hash does not match the one %s was collected with. It is flagged on the card and the timeline.", e.Ref())))
		return nil
	}
	h.respond(ctx, c.req, render.Done(incident.Say("The hash of %s matches the one it was collected with; the check is on its custody log.", e.Ref())))
	return nil
}

func (h *Response) custodyLog(ctx context.Context, c *call, word string) error {
	id, err := h.itemID(c, word, "EV", "EV-1")
	if err != nil {
		return err
	}
	items, err := h.store.Evidence(ctx, c.inc.Number)
	if err != nil {
		return err
	}
	for _, e := range items {
		if e.ID != id {
			continue
		}
		brk, ok := c.inc.VerifyEvidence(e, h.cfg.CustodyKey)
		reason := brk.Reason
		if !ok && brk.Seq > 0 {
			reason = fmt.Sprintf("entry #%d: %s", brk.Seq, reason)
		}
		if ok {
			// The timeline records each step too: a log shorter than it lost its newest entries.
			if steps, err := h.timelineSteps(ctx, c.inc.Number, id); err == nil && steps > len(e.Custody) {
				ok, reason = false, "the timeline records more custody steps than the log holds"
			}
		}
		steps := make([]render.CustodyStep, len(e.Custody))
		for i, s := range e.Custody {
			steps[i] = render.CustodyStep{Seq: s.Seq, At: s.At, Actor: s.Actor, Step: s.Step, From: s.From, To: s.To, SHA256: s.SHA256, Where: s.Where, Note: s.Note, Hash: s.Hash}
		}
		h.respond(ctx, c.req, render.CustodyLog(e.Ref(), e.Name, steps, ok, reason))
		return nil
	}
	return incident.Fail(incident.NotFound, "%s has no evidence EV-%d; %s lists it.", c.inc.Ref(), id, incident.Literal("/incident evidence"))
}

// timelineSteps counts the custody steps of an item on the timeline.
func (h *Response) timelineSteps(ctx context.Context, n int64, id int) (int, error) {
	events, err := h.store.Timeline(ctx, n)
	if err != nil {
		return 0, err
	}
	count := 0
	for _, ev := range events {
		if ev.Kind == incident.EventEvidence && ev.Item == id {
			count++
		}
	}
	return count, nil
}

func (h *Response) listEvidence(ctx context.Context, c *call) error {
	stored, err := h.store.Evidence(ctx, c.inc.Number)
	if err != nil {
		return err
	}
	items := make([]render.EvidenceLine, len(stored))
	for i, e := range stored {
		_, ok := c.inc.VerifyEvidence(e, h.cfg.CustodyKey)
		items[i] = render.EvidenceLine{Ref: e.Ref(), Name: e.Name, SHA256: e.SHA256, Location: e.Location, Holder: e.Holder,
			Steps: len(e.Custody), Mismatch: e.Mismatch, ChainOK: ok, AddedAt: e.AddedAt}
	}
	h.respond(ctx, c.req, render.EvidenceList(c.inc.Ref(), items))
	return nil
}

// evidenceSubmission takes the evidence form.
func (h *Response) evidenceSubmission(_ context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	name, location := strings.TrimSpace(in.Values[InputName]), strings.TrimSpace(in.Values[InputLocation])
	hash, ok := incident.ParseSHA256(in.Values[InputHash])
	switch {
	case name == "":
		return map[string]string{InputName: "Name the item."}, nil
	case !ok:
		return map[string]string{InputHash: "Give sha256: and the 64 hexadecimal digits of its hash."}, nil
	case location == "":
		return map[string]string{InputLocation: "Say where it is stored."}, nil
	}
	note := strings.TrimSpace(in.Values[InputNote])
	return nil, func(ctx context.Context) error {
		return h.recordEvidence(ctx, inc, in.UserID, name, hash, location, note, func(m render.Message) {
			if err := h.tellPrivately(ctx, inc.ChannelID, in.UserID, m); err != nil {
				h.log.Warn("could not answer the evidence form", "incident", inc.Number, "err", err)
			}
		})
	}
}
