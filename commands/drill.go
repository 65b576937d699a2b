package commands

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// drillCmd is /incident drill <scenario> [@people]: a practice incident of
// a scenario, with the people mentioned invited; alone, it lists the
// scenarios.
func (h *Response) drillCmd(ctx context.Context, c *call) error {
	args := c.parsed.Args
	if len(args) == 0 {
		return incident.Errorf("Say which scenario to practise: %s. %s", h.scenarioList(), c.sub.usageHint())
	}
	switch strings.ToLower(args[0]) {
	case "end", "history":
		return incident.Fail(incident.Conflict, "%s is not available yet: the drill's score card is being built. End a drill with %s for now.",
			incident.Literal("/incident drill "+strings.ToLower(args[0])), incident.Literal("/incident close"))
	}
	sc, ok := h.cfg.Scenario(args[0])
	if !ok {
		return incident.Errorf("There is no drill scenario %s. Choose one of: %s. %s", incident.Literal(args[0]), h.scenarioList(), c.sub.usageHint())
	}
	if len(args) > 1 {
		return incident.Errorf("A drill takes a scenario and the people to invite, nothing more (%s). %s", incident.Literal(strings.Join(args[1:], " ")), c.sub.usageHint())
	}
	people := make([]string, len(c.parsed.Mentions))
	for i, m := range c.parsed.Mentions {
		people[i] = m.UserID
	}
	answer, err := h.startDrill(ctx, c.req.UserID, sc, people)
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, render.DeclaredMessage(answer))
	return nil
}

// startDrill opens a drill: an incident marked as one everywhere, whose
// channel is briefed on the scenario; it never reaches the stakeholders.
func (h *Response) startDrill(ctx context.Context, by string, sc incident.Scenario, people []string) (render.Declared, error) {
	answer, err := h.declareIncident(ctx, declaration{by: by, title: sc.Title, severity: sc.Severity, invite: people, drill: &sc})
	if err != nil {
		return answer, err
	}
	v := render.DrillView{Ref: answer.Ref, Title: sc.Title, Briefing: sc.Briefing, Injects: len(sc.Injects)}
	for _, p := range incident.Phases() {
		if d, ok := sc.Targets[p]; ok {
			v.Targets = append(v.Targets, render.DrillTarget{Phase: p, Within: d})
		}
	}
	if err := h.postOnce(ctx, "briefing", answer.ChannelID, render.DrillBriefing(v)); err != nil {
		answer.Problems = append(answer.Problems, incident.Say("post the briefing"))
		h.log.Warn("drill: could not post the briefing", "incident", answer.Ref, "err", err)
	}
	return answer, nil
}

// scenarioList names the scenarios, for answers.
func (h *core) scenarioList() incident.Sentence {
	keys := make([]string, len(h.cfg.Drills))
	for i, s := range h.cfg.Drills {
		keys[i] = s.Key
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(a, b) })
	parts := make([]any, len(keys))
	for i, k := range keys {
		parts[i] = incident.Literal(k)
	}
	return incident.Join(", ", parts...)
}
