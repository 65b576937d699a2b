package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// ScoreCardView is what a drill's score card shows; the services decide
// what, ScoreCard how.
type ScoreCardView struct {
	Ref, Title, Scenario string
	Lasted               time.Duration
	Phases               []PhaseScore
	Previous             string // the drill compared with ("INC-1 of 2026-09-14"); "" for none
	Roles                []RoleScore
	Checklists           []ChecklistLine
	Updates, Expected    int
	Injects, Answered    int
	Lessons              int
}

// PhaseScore is the time to reach a phase, its target, and the difference
// from the previous drill of the scenario.
type PhaseScore struct {
	Phase            incident.Phase
	Reached          bool
	After, Target    time.Duration // Target 0: none
	Compared         bool
	FasterBy, Slower time.Duration
}

// RoleScore is a role's first holder and when.
type RoleScore struct {
	Name, Holder string
	After        time.Duration
}

// ChecklistLine is a phase's checklist, done of all.
type ChecklistLine struct {
	Phase       incident.Phase
	Done, Total int
}

// ScoreCard is a drill's score card, posted in its channel when it ends.
func ScoreCard(v ScoreCardView) Message {
	var phases strings.Builder
	for _, p := range v.Phases {
		target := ""
		if p.Target > 0 {
			target = " (target " + incident.HumanDuration(p.Target) + ")"
		}
		if !p.Reached {
			mark := ""
			if p.Target > 0 {
				mark = " :x:"
			}
			fmt.Fprintf(&phases, "\n• %s: not reached%s%s", p.Phase.Title(), target, mark)
			continue
		}
		mark := ""
		switch {
		case p.Target > 0 && p.After <= p.Target:
			mark = " :white_check_mark:"
		case p.Target > 0:
			mark = " :x:"
		}
		cmp := ""
		switch {
		case !p.Compared || v.Previous == "":
		case p.FasterBy > 0:
			cmp = fmt.Sprintf(" · %s faster than %s", incident.HumanDuration(p.FasterBy), Text(v.Previous))
		case p.Slower > 0:
			cmp = fmt.Sprintf(" · %s slower than %s", incident.HumanDuration(p.Slower), Text(v.Previous))
		default:
			cmp = fmt.Sprintf(" · as fast as %s", Text(v.Previous))
		}
		after := sinceStart(p.After)
		fmt.Fprintf(&phases, "\n• %s: %s%s%s%s", p.Phase.Title(), after, target, mark, cmp)
	}
	var roles strings.Builder
	for _, r := range v.Roles {
		after := sinceStart(r.After)
		fmt.Fprintf(&roles, "\n• %s: %s, %s", Text(r.Name), User(r.Holder), after)
	}
	lists := make([]string, len(v.Checklists))
	for i, c := range v.Checklists {
		lists[i] = fmt.Sprintf("%s %d/%d", c.Phase.Title(), c.Done, c.Total)
	}
	checklists := "none"
	if len(lists) > 0 {
		checklists = strings.Join(lists, " · ")
	}
	updates := fmt.Sprintf("%d posted", v.Updates)
	if v.Expected > 0 {
		updates += fmt.Sprintf(" (the cadence asked for %d)", v.Expected)
	}
	lessons := fmt.Sprintf("%d so far; add more in the retro", v.Lessons)
	compared := "The first drill of this scenario: the next one is compared with it."
	if v.Previous != "" {
		compared = "Compared with " + Text(v.Previous) + ", the previous drill of this scenario."
	}
	blocks := []Block{
		Header(":performing_arts: " + incident.DrillPrefix + " Score card: " + v.Ref + " " + v.Title),
		Section("*Time to each phase*" + phases.String()),
		Section("*Roles filled*" + roles.String()),
		Fields("*Checklists*\n"+checklists, "*Updates*\n"+updates,
			fmt.Sprintf("*Injects answered*\n%d of %d", v.Answered, v.Injects), "*Lessons*\n"+lessons),
		Context(fmt.Sprintf("Scenario `%s` · lasted %s · %s Past drills: `/incident drill history`.", Text(v.Scenario), incident.HumanDuration(v.Lasted), compared)),
	}
	return Message{Text: incident.DrillPrefix + " Score card of " + Text(v.Ref), Blocks: blocks}
}

// sinceStart says when, from a drill's start, something happened.
func sinceStart(d time.Duration) string {
	switch {
	case d <= 0:
		return "at the start"
	case d < time.Minute:
		return "within a minute"
	}
	return "after " + incident.HumanDuration(d)
}

// DrillLine is a past drill in the history.
type DrillLine struct {
	Ref, Scenario     string
	Started           time.Time
	Lasted            time.Duration
	Containment       time.Duration // 0: not reached
	Injects, Answered int
}

// DrillHistory lists the drills ended, newest first.
// scenario is the one asked for, "" for all.
func DrillHistory(lines []DrillLine, scenario string) Message {
	if len(lines) == 0 {
		if scenario != "" {
			return TextMessage(fmt.Sprintf(":performing_arts: No drill of `%s` has ended yet. Start one with `/incident drill %s`.", Text(scenario), Text(scenario)))
		}
		return TextMessage(":performing_arts: No drill has ended yet. Start one with `/incident drill ransomware` (or another scenario).")
	}
	blocks := []Block{Header(fmt.Sprintf("Drills (%d)", len(lines)))}
	for i, l := range lines {
		if i == maxListed {
			blocks = append(blocks, Context(fmt.Sprintf("…and %d older.", len(lines)-maxListed)))
			break
		}
		contained := "containment not reached"
		if l.Containment > 0 {
			contained = "containment after " + incident.HumanDuration(l.Containment)
		}
		blocks = append(blocks, Section(fmt.Sprintf("*%s* `%s` %s · lasted %s · %s · injects answered %d of %d",
			Text(l.Ref), Text(l.Scenario), l.Started.UTC().Format("2006-01-02"), incident.HumanDuration(l.Lasted), contained, l.Answered, l.Injects)))
	}
	return Message{Text: fmt.Sprintf("Drills ended: %d", len(lines)), Blocks: blocks}
}
