// Package incident holds the domain types every other package shares:
// incidents, phases, severities, roles and timeline events. It imports
// nothing of ours so that storage, commands and the Slack transport can all
// depend on it without depending on each other.
package incident

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Phase is a step of the incident response lifecycle.
type Phase string

// The phases, in the order an incident moves through them.
const (
	Identification Phase = "identification"
	Containment    Phase = "containment"
	Eradication    Phase = "eradication"
	Recovery       Phase = "recovery"
	Lessons        Phase = "lessons"
)

// Phases returns every phase in lifecycle order.
func Phases() []Phase {
	return []Phase{Identification, Containment, Eradication, Recovery, Lessons}
}

// ParsePhase accepts a phase name in any letter case.
func ParsePhase(s string) (Phase, bool) {
	for _, p := range Phases() {
		if strings.EqualFold(s, string(p)) {
			return p, true
		}
	}
	return "", false
}

// Title is the phase as people read it.
func (p Phase) Title() string {
	if p == Lessons {
		return "Lessons learned"
	}
	if p == "" {
		return ""
	}
	return strings.ToUpper(string(p[:1])) + string(p[1:])
}

// Status tells whether an incident is still being worked on.
type Status string

const (
	Open   Status = "open"
	Closed Status = "closed"
)

// Severity is one configured severity level; the first configured is the most severe.
type Severity struct {
	Name        string
	Description string
	// UpdateEvery is the stakeholder update cadence; zero means no scheduled updates.
	UpdateEvery time.Duration
}

// Role is a configured response role such as the incident commander.
type Role struct {
	Key  string // used in commands: /incident assign comms @carol
	Name string // shown to people: Communications Lead
}

// CommanderRole is the role the declarer receives.
const CommanderRole = "commander"

// Incident is the stored state of one incident.
type Incident struct {
	Number      int64             `json:"number"`
	Title       string            `json:"title"`
	Severity    string            `json:"severity"`
	Phase       Phase             `json:"phase"`
	Status      Status            `json:"status"`
	Private     bool              `json:"private,omitempty"`
	Drill       bool              `json:"drill,omitempty"`
	ChannelID   string            `json:"channel_id,omitempty"`
	ChannelName string            `json:"channel_name,omitempty"`
	CardTS      string            `json:"card_ts,omitempty"`
	DeclaredBy  string            `json:"declared_by"`
	DeclaredAt  time.Time         `json:"declared_at"`
	Roles       map[string]string `json:"roles,omitempty"` // role key -> Slack user ID
	// Members are the people the bot invited; private incidents are listed only to them.
	Members      []string  `json:"members,omitempty"`
	LastUpdate   string    `json:"last_update,omitempty"`
	LastUpdateAt time.Time `json:"last_update_at,omitzero"`
}

// Ref is the incident's short reference, as people type and read it.
func (i *Incident) Ref() string { return FormatRef(i.Number) }

// FormatRef renders an incident number as INC-42.
func FormatRef(n int64) string { return "INC-" + strconv.FormatInt(n, 10) }

// ParseRef accepts INC-42, inc-42, #42 and 42.
func ParseRef(s string) (int64, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) > 4 && strings.EqualFold(s[:4], "inc-") {
		s = s[4:]
	}
	if s == "" || len(s) > 15 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// IsMember reports whether the user was invited to the incident or holds a role in it.
func (i *Incident) IsMember(userID string) bool {
	for _, m := range i.Members {
		if m == userID {
			return true
		}
	}
	for _, holder := range i.Roles {
		if holder == userID {
			return true
		}
	}
	return false
}

// EventKind names what a timeline event records.
type EventKind string

const (
	EventDeclared EventKind = "declared"
	EventChannel  EventKind = "channel"
	EventRole     EventKind = "role"
	EventNote     EventKind = "note"
)

// TimelineEvent is one entry of an incident's timeline.
type TimelineEvent struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor,omitempty"` // Slack user ID; empty for the bot itself
	Kind  EventKind `json:"kind"`
	Text  string    `json:"text"`
}

// ErrNotFound is returned when an incident does not exist.
var ErrNotFound = errors.New("incident not found")

// UserError is a problem the person who typed the command must fix; its
// message is shown to them as it is, so it says what was wrong and the right form.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Errorf builds a UserError.
func Errorf(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...)}
}
