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
