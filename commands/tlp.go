package commands

import (
	"context"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// tlpCmd is /incident tlp [<marking> [because <reason>]]: the incident's
// TLP marking, shown or changed.
func (h *Response) tlpCmd(ctx context.Context, c *call) error {
	raw := strings.TrimSpace(c.parsed.Raw)
	if raw == "" {
		c.read = true
		h.respond(ctx, c.req, render.Answer(incident.Say("%s is %s. %s", c.inc.Ref(), c.inc.Marking(), h.outsideSays(c.inc))))
		return nil
	}
	word, reason, _ := strings.Cut(raw, " ")
	reason = strings.TrimSpace(reason)
	if reason != "" {
		const because = "because"
		if len(reason) < len(because) || !strings.EqualFold(reason[:len(because)], because) {
			return incident.Errorf("Give one marking, and a reason after %s: %s. %s", incident.Literal(because), incident.Literal("/incident tlp green because shared with the partner CERT"), c.sub.usageHint())
		}
		reason = strings.TrimSpace(reason[len(because):])
	}
	marking, ok := incident.ParseMarking(word)
	if !ok {
		return incident.Errorf("There is no marking %s. Choose one of: clear, green, amber, amber+strict, red. %s", echo(word), c.sub.usageHint())
	}
	now := h.now()
	var events []incident.TimelineEvent
	inc, err := h.store.Update(ctx, c.inc.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		var err error
		events, err = inc.SetTLP(now, h.actor(c.req.UserID), marking, reason)
		return events, err
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, inc.Number)
	warning := incident.Say("")
	if inc.Marking() == "TLP:AMBER+STRICT" {
		var outside []any
		people := slices.Clone(inc.Members)
		for _, holder := range inc.Roles {
			if holder != "" && !slices.Contains(people, holder) {
				people = append(people, holder)
			}
		}
		slices.Sort(people)
		for _, id := range people {
			kind, err := h.chat.Outsider(ctx, id)
			switch {
			case err != nil:
				outside = append(outside, incident.Say("%s (Slack did not say: check them)", incident.UserRef(id)))
			case kind != "":
				outside = append(outside, incident.Say("%s (%s)", incident.UserRef(id), kind))
			}
		}
		if len(outside) > 0 {
			warning = incident.Say(" :warning: TLP:AMBER+STRICT keeps it within the organisation, and these are not of it: %s. Remove them from the channel.", incident.Join(", ", outside...))
		}
	}
	// The channel hears of the new marking; only the one who set it hears
	// of members it leaves outside.
	if c.req.ChannelID != inc.ChannelID || warning.Format != "" {
		h.respond(ctx, c.req, render.Done(incident.Say("%s is now %s. %s%s", inc.Ref(), inc.Marking(), h.outsideSays(inc), warning)))
	}
	if !h.tell(ctx, inc, events, h.outsideSays(inc), incident.EventTLP) && c.req.ChannelID == inc.ChannelID && warning.Format == "" {
		h.respond(ctx, c.req, render.Done(incident.Say("%s is now %s. %s", inc.Ref(), inc.Marking(), h.outsideSays(inc))))
	}
	return nil
}

// outsideSays is what a marking lets the stakeholder channel be told.
func (h *core) outsideSays(inc *incident.Incident) incident.Sentence {
	marking := inc.Marking()
	switch {
	case inc.Drill:
		return incident.Say("Nothing leaves its channel: it is a drill.")
	case inc.Quiet:
		return incident.Say("Nothing leaves its channel: it is run quietly.")
	}
	if h.cfg.StakeholderChannel == "" {
		return incident.Say("Nothing leaves its channel: no stakeholder channel is configured.")
	}
	if h.cfg.Shareable(marking) {
		return incident.Say("The stakeholder channel is told of it in full (it takes up to %s).", h.cfg.TLP.StakeholderChannel)
	}
	return incident.Say("The stakeholder channel is told only its number, severity, phase and marking (it takes up to %s).", h.cfg.TLP.StakeholderChannel)
}

// leadingMarking reads a note's or update's own marking, given first
// (--tlp red <text>), and returns the text without it. An incident's
// marking is the least its notes and updates have: a lower one is raised.
func leadingMarking(inc *incident.Incident, text string) (marking, rest string, err error) {
	rest = text
	toks := strings.Fields(text)
	if len(toks) > 0 && isFlag(toks[0]) && strings.EqualFold(strings.TrimLeft(toks[0], "-—–"), "tlp") {
		if len(toks) < 2 {
			return "", "", incident.Errorf("Give a marking after --tlp: %s.", incident.Literal("--tlp red <text>"))
		}
		m, ok := incident.ParseMarking(toks[1])
		if !ok {
			return "", "", incident.Errorf("There is no marking %s: give clear, green, amber, amber+strict or red after --tlp.", echo(toks[1]))
		}
		marking = m
		rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), toks[0])), toks[1]))
	}
	if marking == "" {
		return "", rest, nil
	}
	// Kept as given (never below the incident's now), so that lowering
	// the incident later does not lower what its writer marked.
	return incident.Stricter(marking, inc.Marking()), rest, nil
}

// markedText is leadingMarking for a command: --tlp anywhere but first is
// refused, not taken for text.
func markedText(c *call) (marking, text string, err error) {
	marking, text, err = leadingMarking(c.inc, strings.TrimSpace(c.parsed.Raw))
	if err == nil && marking == "" && slices.Contains(c.parsed.Flags, "tlp") {
		typed := "amber"
		toks := strings.Fields(c.parsed.Raw)
		for k, tok := range toks {
			if isFlag(tok) && strings.EqualFold(strings.TrimLeft(tok, "-—–"), "tlp") && k+1 < len(toks) {
				if _, ok := incident.ParseMarking(toks[k+1]); ok {
					typed = strings.ToLower(toks[k+1])
				}
			}
		}
		err = incident.Errorf("Give the marking first: %s.", incident.Literal("/incident "+c.sub.name+" --tlp "+typed+" <text>"))
	}
	return marking, text, err
}

// insider: someone the incident's marked notes and updates are shown to
// as written: in its channel, a member, or an admin.
func (h *core) insider(inc *incident.Incident, user, channel string) bool {
	return channel == inc.ChannelID || inc.IsMember(user) || slices.Contains(h.cfg.Admins, user)
}

// withheldEvents are events as someone outside the incident sees them:
// a note or update with its own marking is withheld.
func withheldEvents(events []incident.TimelineEvent) []incident.TimelineEvent {
	out := slices.Clone(events)
	for k, ev := range out {
		if ev.Marking != "" {
			out[k].Text = "(withheld: " + ev.Marking + ")"
		}
	}
	// Who is suspected is for the incident's people alone: a suspect's
	// friend must not read it.
	return slices.DeleteFunc(out, func(ev incident.TimelineEvent) bool { return ev.Kind == incident.EventSuspect })
}
