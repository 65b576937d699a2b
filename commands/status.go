package commands

import (
	"cmp"
	"context"
	"slices"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

func (h *Response) status(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("%s takes only an incident number. %s", incident.Literal("/incident status"), c.sub.usageHint())
	}
	inc := c.inc
	if !h.insider(inc, c.req.UserID, c.req.ChannelID) {
		inc = h.withheldUpdate(inc)
	}
	h.respond(ctx, c.req, Card(h.cfg, inc))
	return nil
}

func (h *Response) list(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("%s takes no arguments. %s", incident.Literal("/incident list"), c.sub.usageHint())
	}
	open, err := h.store.OpenListings(ctx)
	if err != nil {
		return err
	}
	open = slices.DeleteFunc(open, func(l incident.Listing) bool {
		return !h.mayList(l, c.req.UserID, "")
	})
	h.respond(ctx, c.req, render.OpenIncidents(listItems(h.cfg, open, false)))
	for _, l := range open {
		if l.Private || l.Drill || l.TLP == "TLP:RED" {
			h.audit(ctx, nil, l.Number, c.req.UserID, "read list", work.OutcomeOK, true)
		}
	}
	return nil
}

// listings are incidents as lists take them.
func listings(incs []*incident.Incident) []incident.Listing {
	out := make([]incident.Listing, len(incs))
	for i, inc := range incs {
		out[i] = inc.Listing()
	}
	return out
}

// listItems are incidents as lists show them, most severe first; outside
// (the stakeholder channel) a private incident is listed without its
// title and people.
func listItems(cfg config.File, incs []incident.Listing, outside bool) []render.ListItem {
	slices.SortFunc(incs, func(a, b incident.Listing) int {
		return cmp.Or(cmp.Compare(cfg.SeverityRank(a.Severity), cfg.SeverityRank(b.Severity)), cmp.Compare(a.Number, b.Number))
	})
	items := make([]render.ListItem, len(incs))
	for i, inc := range incs {
		items[i] = render.ListItem{Ref: inc.Ref(), Severity: inc.Severity, Phase: inc.Phase, Private: inc.Private, Drill: inc.Drill, DeclaredAt: inc.DeclaredAt}
		if outside && (inc.Private || !cfg.Shareable(cmp.Or(inc.TLP, "TLP:CLEAR"))) {
			items[i].Redacted, items[i].Marking = true, inc.TLP
			continue
		}
		items[i].Title, items[i].ChannelID, items[i].Commander = inc.Title, inc.ChannelID, inc.Commander
	}
	return items
}
