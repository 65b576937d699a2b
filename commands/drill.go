package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// drillCmd is /incident drill <scenario> [@people]: a practice incident of
// a scenario, with the people mentioned invited; alone, it lists the
// scenarios.
func (h *Response) drillCmd(ctx context.Context, c *call) error {
	args := c.parsed.Args
	if len(args) == 0 {
		if len(h.cfg.Drills) == 0 {
			return incident.Errorf("No drill scenario is configured: an admin adds them under %s in the configuration.", incident.Literal("drills:"))
		}
		return h.chat.OpenView(ctx, c.req.TriggerID, drillModal(h.cfg))
	}
	sc, ok := h.cfg.Scenario(args[0])
	if !ok {
		return incident.Errorf("There is no drill scenario %s. Choose one of: %s. %s", echo(args[0]), h.scenarioList(), c.sub.usageHint())
	}
	if len(args) > 1 {
		return incident.Errorf("A drill takes a scenario and the people to invite, nothing more (%s). %s", incident.Literal(strings.Join(args[1:], " ")), c.sub.usageHint())
	}
	people := make([]string, len(c.parsed.Mentions))
	for i, m := range c.parsed.Mentions {
		people[i] = m.UserID
	}
	answer, err := h.startDrill(ctx, c.req.UserID, sc, people, slices.Contains(c.parsed.Flags, "private"))
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, render.DeclaredMessage(answer))
	return nil
}

// startDrill opens a drill: an incident marked as one everywhere, whose
// channel is briefed on the scenario; it never reaches the stakeholders.
func (h *Response) startDrill(ctx context.Context, by string, sc incident.Scenario, people []string, private bool) (render.Declared, error) {
	answer, err := h.declareIncident(ctx, declaration{by: by, title: sc.Title, severity: sc.Severity, invite: people, drill: &sc, private: private})
	if err != nil {
		return answer, err
	}
	v := render.DrillView{Ref: answer.Ref, Title: sc.Title, Briefing: sc.Briefing, Injects: len(sc.Injects)}
	for _, p := range incident.Phases() {
		if d, ok := sc.Targets[p]; ok {
			v.Targets = append(v.Targets, render.DrillTarget{Phase: p, Within: d})
		}
	}
	briefing := render.DrillBriefing(v)
	if inc, err := h.store.ByChannel(ctx, answer.ChannelID); err == nil {
		briefing = about(inc, briefing)
	}
	if err := h.postOnce(ctx, "briefing", answer.ChannelID, briefing); err != nil {
		answer.Problems = append(answer.Problems, incident.Say("post the briefing"))
		h.log.Warn("drill: could not post the briefing", "incident", answer.Ref, "err", err)
	}
	return answer, nil
}

// drillSubmission takes the drill form; the answer comes by direct message.
func (h *Response) drillSubmission(_ context.Context, in Interaction, _ *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	sc, ok := h.cfg.Scenario(in.Values[InputScenario])
	if !ok {
		return map[string]string{InputScenario: "Choose one of the scenarios."}, nil
	}
	var people []string
	ids := strings.Split(in.Values[InputPeople], ",")
	if len(ids) > maxDrillPeople {
		return map[string]string{InputPeople: fmt.Sprintf("Choose at most %d people; the channel is open to more later.", maxDrillPeople)}, nil
	}
	for _, id := range ids {
		switch {
		case id == "" || id == h.botUserID:
		case !render.IsUserID(id):
			return map[string]string{InputPeople: "Choose the people from the list."}, nil
		default:
			people = append(people, id)
		}
	}
	return nil, func(ctx context.Context) error {
		answer, err := h.startDrill(ctx, in.UserID, sc, people, strings.Contains(in.Values[InputPrivate], "private"))
		if err == nil {
			h.directTeller(in.UserID)(ctx)(render.DeclaredMessage(answer))
		}
		return err
	}
}

// maxDrillPeople bounds the people a drill form invites at once.
const maxDrillPeople = 50

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

// drill is /incident drill: a new drill, or the end or history of drills.
func (h *Handler) drill(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		switch strings.ToLower(c.parsed.Args[0]) {
		case "end":
			return h.endDrill(ctx, c)
		case "history":
			return h.retro.drillHistory(ctx, c)
		}
	}
	return h.response.drillCmd(ctx, c)
}

// endDrill is /incident drill end, in the drill's channel: the drill is
// closed as an incident is, and its score card posted.
func (h *Handler) endDrill(ctx context.Context, c *call) error {
	inc, err := h.store.ByChannel(ctx, c.req.ChannelID)
	if err != nil || !inc.Drill {
		return incident.Errorf("Run %s in the drill's channel. A real incident is closed with %s.", incident.Literal("/incident drill end"), incident.Literal("/incident close"))
	}
	if len(c.parsed.Args) > 1 {
		return incident.Errorf("%s takes nothing more. %s", incident.Literal("/incident drill end"), c.sub.usageHint())
	}
	closeSub, _ := h.lookup("close")
	c.inc, c.sub, c.parsed.Raw = inc, closeSub, ""
	if inc.Status != incident.Open && !h.wroteBefore(ctx, inc.Number) {
		return incident.Fail(incident.Conflict, "The drill %s has already ended; %s shows its score.", inc.Ref(), incident.Literal("/incident drill history"))
	}
	return closeSub.run(ctx, c)
}

// scoreDrill posts a drill's score card in its channel, compared with the
// previous drill of its scenario, and keeps it for the history.
func (h *Retro) scoreDrill(ctx context.Context, inc *incident.Incident) {
	events, err := h.store.Timeline(ctx, inc.Number)
	if err != nil {
		h.log.Error("could not read a drill's timeline for its score card", "incident", inc.Number, "err", err)
		return
	}
	sc, _ := h.script(inc)
	every := time.Duration(0)
	if sev, ok := h.cfg.Severity(inc.Severity); ok {
		every = sev.UpdateEvery
	}
	score := incident.ScoreDrill(inc, sc, events, every, inc.ResolvedAt)
	past, err := h.store.DrillScores(ctx)
	if err != nil {
		h.log.Warn("could not read past drills to compare with", "err", err)
	}
	var prev *incident.DrillScore
	for i := range past {
		if p := past[i]; p.Scenario == score.Scenario && p.Incident != score.Incident && p.Started.Before(score.Started) {
			prev = &past[i]
		}
	}
	if err := h.store.SaveDrillScore(ctx, score); err != nil {
		h.log.Error("could not keep a drill's score", "incident", inc.Number, "err", err)
	}
	if err := h.postOnce(ctx, "scorecard", inc.ChannelID, about(inc, render.ScoreCard(scoreCardView(h.core, inc, score, prev)))); err != nil {
		h.log.Error("could not post a drill's score card", "incident", inc.Number, "err", err)
	}
}

// scoreCardView is what the score card shows of a score.
func scoreCardView(h *core, inc *incident.Incident, s incident.DrillScore, prev *incident.DrillScore) render.ScoreCardView {
	v := render.ScoreCardView{Ref: inc.Ref(), Title: inc.Title, Scenario: s.Scenario, Lasted: s.Ended.Sub(s.Started),
		Updates: s.Updates, Expected: s.Expected, Injects: s.Injects, Answered: s.Answered, Lessons: s.Lessons}
	if prev != nil {
		v.Previous = incident.FormatRef(prev.Incident) + " of " + prev.Started.UTC().Format("2006-01-02")
	}
	for _, p := range incident.Phases()[1:] {
		after, reached := s.Reached[p]
		target := s.Targets[p]
		if (!reached || p == incident.Lessons) && target == 0 {
			continue // lessons learned is reached by ending the drill
		}
		ps := render.PhaseScore{Phase: p, Reached: reached, After: after, Target: target}
		if prevAfter, ok := prevReached(prev, p); ok && reached {
			ps.Compared = true
			if after < prevAfter {
				ps.FasterBy = prevAfter - after
			} else {
				ps.Slower = after - prevAfter
			}
		}
		v.Phases = append(v.Phases, ps)
	}
	for _, r := range s.Roles {
		v.Roles = append(v.Roles, render.RoleScore{Name: h.roleName(r.Role), Holder: r.Holder, After: r.After})
	}
	for _, c := range s.Checklists {
		v.Checklists = append(v.Checklists, render.ChecklistLine{Phase: c.Phase, Done: c.Done, Total: c.Total})
	}
	return v
}

func prevReached(prev *incident.DrillScore, p incident.Phase) (time.Duration, bool) {
	if prev == nil {
		return 0, false
	}
	d, ok := prev.Reached[p]
	return d, ok
}

// drillHistory is /incident drill history [scenario]: the drills ended, newest first.
func (h *Retro) drillHistory(ctx context.Context, c *call) error {
	scenario := ""
	switch args := c.parsed.Args[1:]; len(args) {
	case 0:
	case 1:
		scenario = strings.ToLower(args[0]) // a scenario since removed from the configuration still has its history
	default:
		return incident.Errorf("%s takes one scenario at most. %s", incident.Literal("/incident drill history"), c.sub.usageHint())
	}
	scores, err := h.store.DrillScores(ctx)
	if err != nil {
		return err
	}
	var lines []render.DrillLine
	for i := len(scores) - 1; i >= 0; i-- {
		s := scores[i]
		if scenario != "" && s.Scenario != scenario {
			continue
		}
		lines = append(lines, render.DrillLine{Ref: incident.FormatRef(s.Incident), Scenario: s.Scenario, Started: s.Started,
			Lasted: s.Ended.Sub(s.Started), Containment: s.Reached[incident.Containment], Injects: s.Injects, Answered: s.Answered})
	}
	h.respond(ctx, c.req, render.DrillHistory(lines, scenario))
	return nil
}
