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
	if stored.Sightings > 1 {
		h.respond(ctx, c.req, render.Done(incident.Say("%s was already on %s: seen %d times now.", incident.Literal(stored.Defanged()), c.inc.Ref(), stored.Sightings)))
		return nil
	}
	h.respond(ctx, c.req, render.Done(incident.Say("Added the %s %s to %s.", string(typ), incident.Literal(stored.Defanged()), c.inc.Ref())))
	return nil
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
