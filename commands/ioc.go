package commands

import (
	"context"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// iocCmd is /incident ioc add <value> [type]: an indicator of compromise,
// refanged and normalised for storage, deduplicated per incident, shown
// defanged.
func (h *Response) iocCmd(ctx context.Context, c *call) error {
	args := c.parsed.Args
	if len(args) > 0 && strings.ToLower(args[0]) == "mark" {
		return h.markIOC(ctx, c)
	}
	if len(args) < 2 || strings.ToLower(args[0]) != "add" {
		return incident.Errorf("Say what to add: %s. %s", incident.Literal("/incident ioc add 203.0.113.7"), c.sub.usageHint())
	}
	if len(args) > 3 {
		return incident.Errorf("Add one indicator at a time, with its type if you like. %s", c.sub.usageHint())
	}
	typ, value, ok := incident.Classify(args[1])
	if !ok {
		return incident.Errorf("%s is not an indicator I know: an IPv4 or IPv6 address, a domain, a URL, an e-mail address, an MD5, SHA-1 or SHA-256 hash, a CVE id or a file path (defanged is fine: hxxp, [.], [@]). %s",
			incident.Literal(incident.Defang(incident.IOCURL, args[1])), c.sub.usageHint())
	}
	if len(args) == 3 {
		want, known := incident.ParseIndicatorType(args[2])
		switch {
		case !known:
			return incident.Errorf("There is no indicator type %s. Choose one of: ipv4, ipv6, domain, url, email, md5, sha1, sha256, cve, path.", incident.Literal(args[2]))
		case want != typ:
			return incident.Errorf("%s is a %s, not a %s.", incident.Literal(incident.Defang(typ, value)), string(typ), string(want))
		}
	}
	now := h.now()
	stored, err := h.store.AddIndicator(ctx, c.inc.Number, incident.Indicator{Type: typ, Value: value, FirstSeen: now, LastSeen: now,
		AddedBy: c.req.UserID, State: incident.IndicatorSuspected})
	if err != nil {
		return err
	}
	also := h.sightings(ctx, c.inc, stored, c.req.UserID, c.req.ChannelID)
	if stored.Sightings > 1 {
		h.respond(ctx, c.req, render.Done(incident.Say("%s was already on %s: seen %d times now.%s", incident.Literal(stored.Defanged()), c.inc.Ref(), stored.Sightings, also)))
		return nil
	}
	h.respond(ctx, c.req, render.Done(incident.Say("Added the %s %s to %s.%s", string(typ), incident.Literal(stored.Defanged()), c.inc.Ref(), also)))
	return nil
}

// markIOC is /incident ioc mark <value> <suspected|malicious|false-positive>.
func (h *Response) markIOC(ctx context.Context, c *call) error {
	args := c.parsed.Args
	if len(args) != 3 {
		return incident.Errorf("Say which indicator and its state: %s. %s", incident.Literal("/incident ioc mark 203.0.113.7 malicious"), c.sub.usageHint())
	}
	state, ok := incident.ParseIndicatorState(args[2])
	if !ok {
		return incident.Errorf("There is no state %s. Choose one of: suspected, malicious, false-positive.", incident.Literal(args[2]))
	}
	typ, value, ok := incident.Classify(args[1])
	found := false
	if ok {
		inds, err := h.store.Indicators(ctx, c.inc.Number)
		if err != nil {
			return err
		}
		for _, ind := range inds {
			found = found || (ind.Type == typ && ind.Value == value)
		}
	}
	if !found {
		return incident.Fail(incident.NotFound, "%s has no indicator %s; %s lists them.", c.inc.Ref(), incident.Literal(incident.Defang(incident.IOCURL, args[1])), incident.Literal("/incident iocs"))
	}
	stored, err := h.store.MarkIndicator(ctx, c.inc.Number, typ, value, state, c.req.UserID, h.now())
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, render.Done(incident.Say("%s on %s is now %s.", incident.Literal(stored.Defanged()), c.inc.Ref(), strings.ReplaceAll(stored.State, "_", " "))))
	return nil
}

// sightings finds the indicator in other incidents: the ones the person
// may see are named in the answer; of a private one they may not see,
// its commander is told privately instead, so the overlap is not lost and
// nothing leaks. Drills are left out both ways.
func (h *Response) sightings(ctx context.Context, inc *incident.Incident, ind incident.Indicator, user, channel string) incident.Sentence {
	if inc.Drill {
		return incident.Say("")
	}
	ns, err := h.store.IndicatorSeenIn(ctx, ind.Type, ind.Value)
	if err != nil {
		h.log.Warn("could not look for the indicator in other incidents", "incident", inc.Number, "err", err)
		return incident.Say("")
	}
	var seen []any
	for _, n := range ns {
		if n == inc.Number {
			continue
		}
		other, err := h.store.Get(ctx, n)
		if err != nil || other.Drill {
			continue
		}
		if h.maySee(other, user, channel) {
			seen = append(seen, incident.Strong(other.Ref()))
			continue
		}
		if cmdr := other.Commander(); cmdr != "" {
			msg := render.Info(incident.Say("The indicator %s of %s was also added to %s, by %s. You are told as the commander of %s; they were not told of it.",
				incident.Literal(ind.Defanged()), other.Ref(), inc.Ref(), incident.UserRef(user), other.Ref()))
			if err := h.postOnce(ctx, "sighting:"+other.Ref(), cmdr, msg); err != nil {
				h.log.Warn("could not tell a commander of a sighting", "incident", n, "err", err)
			}
		}
	}
	if len(seen) == 0 {
		return incident.Say("")
	}
	return incident.Say(" Also seen in %s.", incident.Join(", ", seen...))
}

// iocsCmd is /incident iocs: the incident's indicators, defanged.
func (h *Response) iocsCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("%s takes no arguments. %s", incident.Literal("/incident iocs"), c.sub.usageHint())
	}
	inds, err := h.store.Indicators(ctx, c.inc.Number)
	if err != nil {
		return err
	}
	lines := make([]render.IndicatorLine, len(inds))
	for i, ind := range inds {
		lines[i] = render.IndicatorLine{Type: string(ind.Type), Defanged: ind.Defanged(), Sightings: ind.Sightings, State: ind.State, AddedBy: ind.AddedBy, FirstSeen: ind.FirstSeen}
	}
	h.respond(ctx, c.req, render.Indicators(c.inc.Ref(), lines))
	return nil
}
