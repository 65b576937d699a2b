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
		if err != nil || p < 1 {
			return incident.Errorf("%s is not a page number. %s", incident.Literal(args[0]), c.sub.usageHint())
		}
		page = p
	}
	events, err := h.store.Timeline(ctx, c.inc.Number)
	if err != nil {
		return err
	}
	msg, err := TimelineMessage(h.cfg, c.inc, events, page)
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, msg)
	return nil
}

// TimelineMessage is one page of a timeline; page 1 holds the newest
// events, each page in time order.
func TimelineMessage(cfg config.File, inc *incident.Incident, events []incident.TimelineEvent, page int) (render.Message, error) {
	pages := max(1, (len(events)+timelinePageSize-1)/timelinePageSize)
	if page > pages {
		return render.Message{}, incident.Errorf("The timeline of %s has %d page(s); there is no page %d.", inc.Ref(), pages, page)
	}
	end := len(events) - (page-1)*timelinePageSize
	start := max(0, end-timelinePageSize)
	return render.Timeline(render.TimelinePage{Ref: inc.Ref(), Events: events[start:end], First: start + 1, Total: len(events),
		Page: page, Pages: pages, Role: roleNamer(cfg)}), nil
}
