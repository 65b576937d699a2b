package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// suspectCmd is /incident suspect [<@user>… | remove <@user>…]: the
// incident's suspected accounts, listed, named or cleared.
func (h *Response) suspectCmd(ctx context.Context, c *call) error {
	actor := h.actor(c.req.UserID)
	var users []string
	for _, m := range c.parsed.Mentions {
		users = append(users, m.UserID)
	}
	words := c.parsed.Args
	remove := len(words) > 0 && strings.EqualFold(words[0], "remove")
	if remove {
		words = words[1:]
	}
	if len(words) > 0 {
		return incident.Errorf("Mention the accounts: %s. %s", incident.Literal("/incident suspect @mallory"), c.sub.usageHint())
	}
	if len(users) == 0 {
		if remove {
			return incident.Errorf("Mention the accounts to clear. %s", c.sub.usageHint())
		}
		// Who is suspected is the commander's to know.
		if err := c.inc.RequireCommands(actor, incident.Say("see the suspected accounts of %s", c.inc.Ref())); err != nil {
			return err
		}
		// Every look at the list is on the audit log, public incident or not.
		c.read, c.sensitive = true, true
		if len(c.inc.Suspects) == 0 {
			h.respond(ctx, c.req, render.Answer(incident.Say("%s has no suspected accounts. %s names one.", c.inc.Ref(), incident.Literal("/incident suspect @user"))))
			return nil
		}
		h.respond(ctx, c.req, render.Answer(incident.Say("Suspected accounts of %s: %s.", c.inc.Ref(), incident.Join(", ", userRefs(c.inc.Suspects)...))))
		return nil
	}
	for _, u := range users {
		if u == h.botUserID {
			return incident.Errorf("I am not an account to suspect. %s", c.sub.usageHint())
		}
	}
	now := h.now()
	inc, err := h.store.Update(ctx, c.inc.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		if remove {
			return inc.Unsuspect(now, actor, users)
		}
		return inc.Suspect(now, actor, users)
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, inc.Number)
	h.reschedule(ctx, inc)
	if remove {
		h.respond(ctx, c.req, render.Done(incident.Say("No longer suspected in %s: %s. They are not invited back: assign or invite them if they should be.", inc.Ref(), incident.Join(", ", userRefs(users)...))))
		return nil
	}
	var stayed []any
	if inc.ChannelID != "" {
		for _, u := range users {
			if err := h.chat.Remove(ctx, inc.ChannelID, u); err != nil {
				h.log.Warn("could not remove a suspected account from the incident channel", "incident", inc.Number, "err", err)
				stayed = append(stayed, incident.UserRef(u))
			}
		}
	}
	still := incident.Say("")
	if len(stayed) > 0 {
		still = incident.Say(" :warning: Slack did not let me remove %s from the channel: remove them by hand.", incident.Join(", ", stayed...))
	}
	h.respond(ctx, c.req, render.Done(incident.Say("Suspected in %s: %s. They are out of its channel and its roles, are never invited, told or listed, and their attempts on it are refused and reported to the commander.%s",
		inc.Ref(), incident.Join(", ", userRefs(users)...), still)))
	return nil
}

// quietCmd is /incident quiet [off].
func (h *Response) quietCmd(ctx context.Context, c *call) error {
	switch {
	case len(c.parsed.Args) == 0 && len(c.parsed.Mentions) == 0:
		c.read = true
		if !c.inc.Quiet {
			h.respond(ctx, c.req, render.Answer(incident.Say("%s is not run quietly. A quiet incident is declared with %s.", c.inc.Ref(), incident.Literal("/incident declare <title> --quiet"))))
			return nil
		}
		h.respond(ctx, c.req, render.Answer(incident.Say("%s is run quietly, as codename %s: its title stays in this channel, and the stakeholders are not told. %s lifts it (the commander or an admin).",
			c.inc.Ref(), incident.Strong(c.inc.Codename), incident.Literal("/incident quiet off"))))
		return nil
	case len(c.parsed.Args) != 1 || len(c.parsed.Mentions) > 0 || !strings.EqualFold(c.parsed.Args[0], "off"):
		return incident.Errorf("A quiet incident is lifted with %s; it is made quiet when declared (%s). %s", incident.Literal("/incident quiet off"), incident.Literal("--quiet"), c.sub.usageHint())
	}
	now := h.now()
	inc, err := h.store.Update(ctx, c.inc.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		return inc.QuietOff(now, h.actor(c.req.UserID))
	})
	if err != nil {
		return err
	}
	h.refresh(ctx, inc.Number)
	h.reschedule(ctx, inc)
	h.respond(ctx, c.req, render.Done(incident.Say("%s is no longer run quietly: its topic shows the title, and the stakeholders hear from the next update. The channel keeps its name, and suspected accounts stay suspected.", inc.Ref())))
	return nil
}

// suspectReportEvery bounds how often one suspect's attempts are reported.
const suspectReportEvery = 10 * time.Minute

// reportSuspect tells the commander (the declarer while the role is
// vacant) that a suspected account tried something on the incident.
func (h *core) reportSuspect(ctx context.Context, inc *incident.Incident, user, what string) {
	to := inc.Commander()
	if to == "" {
		to = inc.DeclaredBy
	}
	if to == "" || to == user || inc.IsSuspect(to) {
		return // nobody to tell who may be told: the audit log has it
	}
	// One report a suspect in a while: their attempts must not drown the
	// commander; each is on the audit log.
	if first, err := h.store.Once(ctx, fmt.Sprintf("suspect-report:%d:%s", inc.Number, user), suspectReportEvery); err == nil && !first {
		return
	}
	msg := render.Warning(incident.Say("Suspected account %s tried %s on %s. It was refused, answered as if the incident did not exist, and is on its audit log, as is anything more they try (reported here at most every %s; %s shows all).",
		incident.UserRef(user), incident.Literal(what), inc.Ref(), incident.HumanDuration(suspectReportEvery), incident.Literal("/incident audit")))
	if err := h.postOnce(ctx, "suspect:"+inc.Ref(), to, about(inc, msg)); err != nil {
		h.log.Error("could not report a suspected account's attempt to the commander", "incident", inc.Number, "err", err)
	}
}
