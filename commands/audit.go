package commands

import (
	"context"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// auditCmd is /incident audit: the incident's audit log, newest last, and
// whether its chain verifies (lead permission).
func (h *Response) auditCmd(ctx context.Context, c *call) error {
	page := 1
	switch args := c.parsed.Args; {
	case len(args) == 0:
	case len(args) == 2 && strings.EqualFold(args[0], "page"):
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 {
			return incident.Errorf("Give a page number from 1 (the newest entries): %s. %s", incident.Literal("/incident audit page 2"), c.sub.usageHint())
		}
		page = n
	default:
		return incident.Errorf("%s takes a page, nothing else. %s", incident.Literal("/incident audit"), c.sub.usageHint())
	}
	// The commander's or an admin's: not anyone's while the role is vacant.
	if err := c.inc.RequireCommands(h.actor(c.req.UserID), incident.Say("read the audit log of %s", c.inc.Ref())); err != nil {
		return err
	}
	entries, head, err := h.core.store.Audit(ctx, c.inc.Number)
	if err != nil {
		return err
	}
	brk, ok := incident.VerifyAudit(c.inc.Number, entries, head, h.cfg.CustodyKey)
	lines := make([]render.AuditLine, len(entries))
	for i, e := range entries {
		lines[i] = render.AuditLine{Seq: e.Seq, At: e.At, Actor: e.Actor, What: e.What, Outcome: e.Outcome}
	}
	h.respond(ctx, c.req, render.AuditLog(c.inc.Ref(), lines, ok, brk.Seq, brk.Reason, page))
	return nil
}
