package incident

import "time"

// Scenario is a drill's script: what the team is told at the start, how
// severe it begins, the times to reach each phase it is measured against,
// and the injects the bot posts as the drill goes on.
type Scenario struct {
	Key      string // used in commands: /incident drill ransomware
	Title    string
	Severity string
	Briefing string
	// Targets are the times, from the start, by which the team should
	// have reached each phase.
	Targets map[Phase]time.Duration
	Injects []Inject
}

// Inject is a message the bot posts into a drill: at an offset from the
// start (At) or when the team reaches a phase (On), optionally addressed
// to the holder of a role (To, a role key).
type Inject struct {
	At   time.Duration
	On   Phase
	Text string
	To   string
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
	var injects []time.Time
	for _, ev := range events {
		switch ev.Kind {
		case EventPhase:
			if _, seen := s.Reached[ev.Phase]; !seen && ev.Phase != "" {
				s.Reached[ev.Phase] = ev.At.Sub(start)
			}
		case EventRole:
			if ev.To != "" && !filled[ev.Role] {
				filled[ev.Role] = true
				s.Roles = append(s.Roles, RoleFilled{Role: ev.Role, Holder: ev.To, After: ev.At.Sub(start)})
			}
		case EventUpdate:
			s.Updates++
		case EventInject:
			injects = append(injects, ev.At)
		}
	}
	s.Injects = len(injects)
	for i, at := range injects {
		until := end
		if i+1 < len(injects) {
			until = injects[i+1]
		}
		for _, ev := range events {
			answer := ev.Actor != "" && (ev.Kind == EventNote || ev.Kind == EventUpdate || ev.Kind == EventPhase)
			// Strictly after: the phase move that brought an inject on is not its answer.
			if answer && ev.At.After(at) && ev.At.Before(until) {
				s.Answered++
				break
			}
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
