package commands

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// Bounds of /incident stats: the period, and how many incidents one
// answer reads (newest first).
const (
	maxStatsDays      = 366
	maxStatsIncidents = 2000
)

// statsCmd is /incident stats [<days>d]: the headline figures across the
// incidents declared in the period that the asker may see, drills left out.
func (h *Response) statsCmd(ctx context.Context, c *call) error {
	days := 30
	switch args := c.parsed.Args; len(args) {
	case 0:
	case 1:
		n, err := strconv.Atoi(strings.TrimSuffix(strings.ToLower(args[0]), "d"))
		if err != nil || n < 1 || n > maxStatsDays {
			return incident.Errorf("Give the period in days, from 1 to %d: %s. %s", maxStatsDays, incident.Literal("/incident stats 90d"), c.sub.usageHint())
		}
		days = n
	default:
		return incident.Errorf("%s takes a period, nothing more. %s", incident.Literal("/incident stats"), c.sub.usageHint())
	}
	// Not answered in the acknowledgement: reading many incidents may take longer than Slack waits.
	c.read = true
	now := h.now()
	since := now.Add(-time.Duration(days) * 24 * time.Hour)
	last, err := h.store.LastNumber(ctx)
	if err != nil {
		return err
	}
	var samples []incident.Sample
	read := 0
	// Numbers are given in the order incidents are declared: read back from
	// the newest until one declared before the period (an hour's grace for
	// replicas' clocks).
	for n := last; n > 0 && read < maxStatsIncidents; n-- {
		inc, err := h.store.Get(ctx, n)
		if errors.Is(err, incident.ErrNotFound) {
			continue // purged
		}
		if err != nil {
			return err
		}
		read++
		if inc.DeclaredAt.Before(since.Add(-time.Hour)) {
			break
		}
		if inc.Drill || inc.DeclaredAt.Before(since) || !h.maySee(inc, c.req.UserID, "") {
			continue
		}
		events, err := h.store.Timeline(ctx, n)
		if err != nil {
			return err
		}
		samples = append(samples, incident.Sample{Severity: inc.Severity, Report: inc.Report != nil, Figures: incident.HeadlineFigures(inc, events, now)})
	}
	h.respond(ctx, c.req, render.Stats(days, incident.Summarize(samples, h.cfg.SeverityNames())))
	return nil
}
