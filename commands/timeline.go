package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// timelinePageSize keeps a page well within render.Block Kit's limits.
const timelinePageSize = 40

var kindIcons = map[incident.EventKind]string{
	incident.EventDeclared: ":rotating_light:", incident.EventChannel: ":hash:", incident.EventInvite: ":wave:",
	incident.EventPhase: ":arrow_forward:", incident.EventSeverity: ":thermometer:", incident.EventRole: ":bust_in_silhouette:",
	incident.EventChecklist: ":ballot_box_with_check:", incident.EventUpdate: ":mega:", incident.EventNote: ":memo:",
	incident.EventPinned: ":pushpin:",
}

func (h *Response) timelineCmd(ctx context.Context, c *call) error {
	page := 1
	args := c.parsed.Args
	if len(args) > 0 && strings.EqualFold(args[0], "page") {
		args = args[1:]
	}
	if len(args) > 1 {
		return incident.Errorf("`/incident timeline` takes at most a page number. %s", c.sub.usageHint())
	}
	if len(args) == 1 {
		p, err := strconv.Atoi(args[0])
		if err != nil || p < 1 {
			return incident.Errorf("`%s` is not a page number. %s", render.Text(args[0]), c.sub.usageHint())
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

// TimelineMessage renders one page of a timeline; page 1 holds the newest
// events, each page in time order.
func TimelineMessage(cfg config.File, inc *incident.Incident, events []incident.TimelineEvent, page int) (render.Message, error) {
	words := incident.Words{
		User: render.User,
		Text: func(s string) string { return render.Text(render.Truncate(s, 300)) },
		Role: roleNamer(cfg),
	}
	pages := max(1, (len(events)+timelinePageSize-1)/timelinePageSize)
	if page > pages {
		return render.Message{}, incident.Errorf("The timeline of %s has %d page(s); there is no page %d.", inc.Ref(), pages, page)
	}
	end := len(events) - (page-1)*timelinePageSize
	start := max(0, end-timelinePageSize)
	blocks := []render.Block{render.Header("Timeline of " + inc.Ref())}
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() > 0 {
			blocks = append(blocks, render.Section(chunk.String()))
			chunk.Reset()
		}
	}
	for _, ev := range events[start:end] {
		line := timelineLine(ev, words)
		if chunk.Len()+len(line)+1 > render.MaxSectionText-100 {
			flush()
		}
		if chunk.Len() > 0 {
			chunk.WriteByte('\n')
		}
		chunk.WriteString(line)
	}
	flush()
	if len(events) == 0 {
		blocks = append(blocks, render.Section("_Nothing recorded yet._"))
	}
	footer := fmt.Sprintf("Events %d–%d of %d · page %d of %d", start+1, end, len(events), page, pages)
	if page < pages {
		footer += fmt.Sprintf(" · older: `/incident timeline page %d`", page+1)
	}
	blocks = append(blocks, render.Context(footer))
	return render.Message{Text: fmt.Sprintf("Timeline of %s (%d events)", inc.Ref(), len(events)), Blocks: blocks}, nil
}

func timelineLine(ev incident.TimelineEvent, words incident.Words) string {
	who := "incidentbot"
	if ev.Actor != "" {
		who = render.User(ev.Actor)
	}
	icon := kindIcons[ev.Kind]
	text := ev.Describe(words)
	if ev.Link != "" {
		text += " (<" + ev.Link + "|message>)"
	}
	return fmt.Sprintf("%s %s %s %s", render.Date(ev.At, "{date_short} {time_secs}"), icon, who, text)
}
