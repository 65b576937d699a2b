package commands

import (
	"context"
	"fmt"
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
		return h.custodyLog(ctx, c, words[0])
	}
	return incident.Errorf("There is no %s for evidence: use add, transfer, verify, log or list. %s", incident.Literal(verb), c.sub.usageHint())
}

func (h *Response) addEvidence(ctx context.Context, c *call, words []string, note string) error {
	if len(words) < 3 {
		return incident.Errorf("Give the item's name, its hash and where it is stored: %s. %s",
			incident.Literal("/incident evidence add laptop-image sha256:9f86d0… evidence locker 3"), c.sub.usageHint())
	}
	hash, ok := incident.ParseSHA256(words[1])
	if !ok {
		return incident.Errorf("%s is not a SHA-256 hash: give %s and its 64 hexadecimal digits. %s", incident.Literal(render.Truncate(words[1], 80)), incident.Literal("sha256:"), c.sub.usageHint())
	}
	return h.recordEvidence(ctx, c.inc, c.req.UserID, words[0], hash, strings.Join(words[2:], " "), note, func(m render.Message) { h.respond(ctx, c.req, m) })
}

// recordEvidence adds an item, by command or form.
func (h *Response) recordEvidence(ctx context.Context, inc *incident.Incident, user, name, hash, location, note string, tell func(render.Message)) error {
	now := h.now()
	added, err := h.store.AddEvidence(ctx, inc.Number, func(id int) (incident.Evidence, incident.TimelineEvent, error) {
		return incident.NewEvidence(id, now, user, name, hash, location, note)
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, inc.Number)
	tell(render.Done(incident.Say("Logged %s %s on %s, held by you, with its custody log started.", incident.Strong(added.Ref()), incident.Literal(added.Name), inc.Ref())))
	return nil
}

func (h *Response) itemID(c *call, word, prefix, example string) (int, error) {
	id, ok := incident.ParseItemRef(word, prefix)
	if !ok {
		return 0, incident.Errorf("%s is not an item number like %s. %s", incident.Literal(render.Truncate(word, 40)), incident.Literal(example), c.sub.usageHint())
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
		return incident.Errorf("Say which item and to whom: %s. %s", incident.Literal("/incident evidence transfer EV-1 @bob"), c.sub.usageHint())
	}
	to := recipients[0]
	if to == h.botUserID {
		return incident.Errorf("I can't hold evidence; name a person.")
	}
	id, err := h.itemID(c, items[0], "EV", "EV-1")
	if err != nil {
		return err
	}
	now := h.now()
	if _, err := h.store.ChangeEvidence(ctx, c.inc.Number, id, func(e *incident.Evidence) (incident.TimelineEvent, error) {
		return e.Transfer(now, c.req.UserID, to, note)
	}); err != nil {
		return err
	}
	h.refresh(ctx, c.inc.Number)
	h.respond(ctx, c.req, render.Done(incident.Say("EV-%d is now held by %s; the handover is on its custody log.", id, incident.UserRef(to))))
	return nil
}

func (h *Response) verifyEvidence(ctx context.Context, c *call, words []string) error {
	if len(words) != 2 {
		return incident.Errorf("Say which item and the hash you computed on receipt: %s. %s", incident.Literal("/incident evidence verify EV-1 sha256:9f86d0…"), c.sub.usageHint())
	}
	id, err := h.itemID(c, words[0], "EV", "EV-1")
	if err != nil {
		return err
	}
	hash, ok := incident.ParseSHA256(words[1])
	if !ok {
		return incident.Errorf("%s is not a SHA-256 hash: give %s and its 64 hexadecimal digits. %s", incident.Literal(render.Truncate(words[1], 80)), incident.Literal("sha256:"), c.sub.usageHint())
	}
	now := h.now()
	e, err := h.store.ChangeEvidence(ctx, c.inc.Number, id, func(e *incident.Evidence) (incident.TimelineEvent, error) {
		_, ev, err := e.Verify(now, c.req.UserID, hash)
		return ev, err
	})
	if err != nil {
		return err
	}
	// What this request recorded (done again after a crash, the same).
	step := e.Custody[len(e.Custody)-1].Step
	inc := c.inc
	h.refresh(ctx, inc.Number)
	if step == incident.CustodyMismatch {
		// Loud, for everyone in the channel: the item may have been tampered with.
		msg := about(inc, render.Info(incident.Say(":warning: HASH MISMATCH on %s: %s re-hashed it on receipt and got %s, not the hash it was collected with. Treat it as possibly altered; the mismatch is on its custody log, the timeline and the card.",
			incident.Strong(fmt.Sprintf("EV-%d", id)), incident.UserRef(c.req.UserID), incident.Literal("sha256:"+hash))))
		if err := h.postOnce(ctx, "mismatch", inc.ChannelID, msg); err != nil {
			h.log.Warn("could not announce an evidence hash mismatch", "incident", inc.Number, "err", err)
		}
		h.respond(ctx, c.req, render.Info(incident.Say(":warning: The hash does not match the one EV-%d was collected with. It is flagged on the card and the timeline.", id)))
		return nil
	}
	h.respond(ctx, c.req, render.Done(incident.Say("The hash of EV-%d matches the one it was collected with; the check is on its custody log.", id)))
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
		brk, ok := e.VerifyChain()
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
		_, ok := e.VerifyChain()
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
			if err := h.chat.Ephemeral(ctx, inc.ChannelID, in.UserID, m); err != nil {
				h.log.Warn("could not answer the evidence form", "incident", inc.Number, "err", err)
			}
		})
	}
}
