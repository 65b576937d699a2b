package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// timelinePageSize keeps a page well within render.Block Kit's limits.
const timelinePageSize = 40

// maxTimelinePage is the highest page number taken: 4 million events.
const maxTimelinePage = 100_000

func (h *Response) timelineCmd(ctx context.Context, c *call) error {
	page := 1
	args := c.parsed.Args
	if len(args) > 0 && strings.EqualFold(args[0], "page") {
		args = args[1:]
	}
	if len(args) > 1 {
		return incident.Errorf("%s takes at most a page number. %s", incident.Literal("/incident timeline"), c.sub.usageHint())
	}
	if len(args) == 1 {
		p, err := strconv.Atoi(args[0])
		// Far beyond any timeline, and small enough that page*size cannot overflow.
		if err != nil || p < 1 || p > maxTimelinePage {
			return incident.Errorf("%s is not a page number. %s", echo(args[0]), c.sub.usageHint())
		}
		page = p
	}
	events, total, err := h.store.TimelinePage(ctx, c.inc.Number, page, timelinePageSize)
	if err != nil {
		return err
	}
	if !h.insider(c.inc, c.req.UserID, c.req.ChannelID) {
		events = withheldEvents(events)
	}
	msg, err := TimelineMessage(h.cfg, c.inc, events, total, page)
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, msg)
	return nil
}

// TimelineMessage is one page of a timeline of total events: events are
// that page's, in time order; page 1 holds the newest.
func TimelineMessage(cfg config.File, inc *incident.Incident, events []incident.TimelineEvent, total, page int) (render.Message, error) {
	pages := max(1, (total+timelinePageSize-1)/timelinePageSize)
	if page > pages {
		return render.Message{}, incident.Errorf("The timeline of %s has %s; there is no page %d.", inc.Ref(), plural(pages, "page"), page)
	}
	end := total - (page-1)*timelinePageSize
	return render.Timeline(render.TimelinePage{Ref: inc.Ref(), Events: events, First: end - len(events) + 1, Total: total,
		Page: page, Pages: pages, Role: roleNamer(cfg)}), nil
}
