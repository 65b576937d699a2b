package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

func (h *Response) status(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("`/incident status` takes only an incident number. %s", c.sub.usageHint())
	}
	h.respond(ctx, c.req, Card(h.cfg, c.inc))
	return nil
}

// maxListed keeps the list within Slack's 50 blocks.
const maxListed = 45

func (h *Response) list(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("`/incident list` takes no arguments. %s", c.sub.usageHint())
	}
	open, err := h.store.ListOpen(ctx)
	if err != nil {
		return err
	}
	open = slices.DeleteFunc(open, func(i *incident.Incident) bool { return i.Private && !i.IsMember(c.req.UserID) })
	if len(open) == 0 {
		h.respond(ctx, c.req, render.TextMessage(":white_check_mark: No open incidents."))
		return nil
	}
	slices.SortFunc(open, func(a, b *incident.Incident) int {
		return cmp.Or(cmp.Compare(h.cfg.SeverityRank(a.Severity), h.cfg.SeverityRank(b.Severity)), cmp.Compare(a.Number, b.Number))
	})
	blocks := []render.Block{render.Header(fmt.Sprintf("Open incidents (%d)", len(open)))}
	for i, inc := range open {
		if i == maxListed {
			blocks = append(blocks, render.Context(fmt.Sprintf("…and %d more.", len(open)-maxListed)))
			break
		}
		lock := ""
		if inc.Private {
			lock = " :lock:"
		}
		channel := "_no channel_"
		if inc.ChannelID != "" {
			channel = "<#" + inc.ChannelID + ">"
		}
		blocks = append(blocks, render.Section(fmt.Sprintf("*%s* `%s` %s%s\n%s · %s · commander %s · declared %s",
			inc.Ref(), inc.Severity, render.Text(inc.Title), lock, inc.Phase.Title(), channel,
			render.User(inc.Roles[incident.CommanderRole]), render.Date(inc.DeclaredAt, "{ago}"))))
	}
	h.respond(ctx, c.req, render.Message{Text: fmt.Sprintf("%d open incidents", len(open)), Blocks: blocks})
	return nil
}
