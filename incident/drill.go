package incident

import "time"

// Scenario is a drill's script: what the team is told at the start, how
// severe it begins, the times to reach each phase it is measured against,
// and the injects the bot posts as the drill goes on.
type Scenario struct {
	Key      string `json:"key"` // used in commands: /incident drill ransomware
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Briefing string `json:"briefing,omitempty"`
	// Targets are the times, from the start, by which the team should
	// have reached each phase.
	Targets map[Phase]time.Duration `json:"targets,omitempty"`
	Injects []Inject                `json:"injects,omitempty"`
}

// Inject is a message the bot posts into a drill: at an offset from the
// start (At) or when the team reaches a phase (On), optionally addressed
// to the holder of a role (To, a role key).
type Inject struct {
	At   time.Duration `json:"at,omitempty"`
	On   Phase         `json:"on,omitempty"`
	Text string        `json:"text"`
	To   string        `json:"to,omitempty"`
}

// DrillPrefix marks a drill's name, topic and messages.
const DrillPrefix = "[DRILL]"

// DrillScore is how a drill went, kept to compare with the next drill of
// its scenario.
type DrillScore struct {
	Incident int64     `json:"incident"`
	Scenario string    `json:"scenario"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended"`
	// Reached is, for each phase the team reached, how long after the start.
	Reached map[Phase]time.Duration `json:"reached,omitempty"`
	Targets map[Phase]time.Duration `json:"targets,omitempty"`
	// Roles are the roles filled, in the order they were, and when.
	Roles      []RoleFilled     `json:"roles,omitempty"`
	Checklists []ChecklistScore `json:"checklists,omitempty"`
	// Updates are the status updates the team posted; Expected, how many
	// the severity's cadence asked for over the drill (0: no cadence).
	Updates  int `json:"updates,omitempty"`
	Expected int `json:"expected,omitempty"`
	// Injects posted, and how many the team answered: a note, an update or
	// a phase move after it and before the next.
	Injects  int `json:"injects,omitempty"`
	Answered int `json:"answered,omitempty"`
	Lessons  int `json:"lessons,omitempty"`
}

// RoleFilled is a role's first holder and how long after the start.
type RoleFilled struct {
	Role   string        `json:"role"`
	Holder string        `json:"holder"`
	After  time.Duration `json:"after"`
}

// ChecklistScore is a phase's checklist: items done of all.
type ChecklistScore struct {
	Phase Phase `json:"phase"`
	Done  int   `json:"done"`
	Total int   `json:"total"`
}

// ScoreDrill works out a drill's score from its state and timeline, as it
// ends at end; every is its severity's update cadence (0: none).
func ScoreDrill(inc *Incident, sc Scenario, events []TimelineEvent, every time.Duration, end time.Time) DrillScore {
	start := inc.DeclaredAt
	s := DrillScore{Incident: inc.Number, Scenario: inc.Scenario, Started: start, Ended: end,
		Reached: map[Phase]time.Duration{Identification: 0}, Targets: sc.Targets, Lessons: len(inc.Lessons)}
	filled := map[string]bool{CommanderRole: true}
	s.Roles = append(s.Roles, RoleFilled{Role: CommanderRole, Holder: inc.DeclaredBy})
	for _, ev := range events {
		switch ev.Kind {
		case EventPhase:
			// A phase skipped over was reached when the team went past it;
			// the move to lessons learned is ending the drill.
			for _, p := range Phases() {
				if _, seen := s.Reached[p]; seen || ev.Phase == "" || ev.Phase.Before(p) || (p != Lessons && ev.Phase == Lessons) {
					continue
				}
				s.Reached[p] = ev.At.Sub(start)
			}
		case EventRole:
			if ev.To != "" && !filled[ev.Role] {
				filled[ev.Role] = true
				s.Roles = append(s.Roles, RoleFilled{Role: ev.Role, Holder: ev.To, After: ev.At.Sub(start)})
			}
		case EventUpdate:
			s.Updates++
		case EventInject:
			s.Injects++
		}
	}
	// Each answer (a person's note, update or phase move, strictly after an
	// inject: the move that brought one on is not its answer) answers the
	// oldest inject still waiting, so injects that came together are
	// answered one by one. Moving to lessons learned is ending the drill.
	pending := 0
	for _, ev := range events {
		answer := ev.Actor != "" && (ev.Kind == EventNote || ev.Kind == EventUpdate || (ev.Kind == EventPhase && ev.Phase != Lessons))
		switch {
		case ev.Kind == EventInject:
			pending++
		case answer && pending > 0:
			pending--
			s.Answered++
		}
	}
	if every > 0 {
		s.Expected = int(end.Sub(start) / every)
	}
	for _, p := range Phases() {
		if done, total := inc.Progress(p); total > 0 {
			s.Checklists = append(s.Checklists, ChecklistScore{Phase: p, Done: done, Total: total})
		}
	}
	return s
}
