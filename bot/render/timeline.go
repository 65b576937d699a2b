package render

import (
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/incident"
)

var kindIcons = map[incident.EventKind]string{
	incident.EventDeclared: ":rotating_light:", incident.EventChannel: ":hash:", incident.EventInvite: ":wave:",
	incident.EventPhase: ":arrow_forward:", incident.EventSeverity: ":thermometer:", incident.EventRole: ":bust_in_silhouette:",
	incident.EventChecklist: ":ballot_box_with_check:", incident.EventUpdate: ":mega:", incident.EventNote: ":memo:",
	incident.EventPinned: ":pushpin:", incident.EventIndicator: ":mag_right:", incident.EventEvidence: ":lock_with_ink_pen:",
	incident.EventContainment: ":no_entry:", incident.EventTLP: ":traffic_light:",
	incident.EventDecision: ":scales:", incident.EventNotified: ":envelope_with_arrow:",
	incident.EventSuspect: ":detective:", incident.EventQuiet: ":shushing_face:", incident.EventGate: ":construction:",
	incident.EventClosed: ":checkered_flag:", incident.EventLesson: ":bulb:", incident.EventFollowUp: ":clipboard:",
	incident.EventPublished: ":page_facing_up:", incident.EventScheduled: ":mega:",
}

// TimelinePage is one page of an incident's timeline.
type TimelinePage struct {
	Ref          string
	Events       []incident.TimelineEvent // this page's, oldest first
	First, Total int                      // the page's first event (1-based) and all events
	Page, Pages  int
	Role         func(key string) string // a role's display name now
}

// Timeline draws a page: each event described from its fields, in as many
// sections as Slack's limits need, with where the page sits in the whole.
func Timeline(p TimelinePage) Message {
	words := incident.Words{User: User, Text: func(s string) string { return Text(Truncate(s, 300)) }, Role: p.Role}
	blocks := []Block{Header("Timeline of " + p.Ref)}
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() > 0 {
			blocks = append(blocks, Section(chunk.String()))
			chunk.Reset()
		}
	}
	for _, ev := range p.Events {
		who := "incidentbot"
		if ev.Actor != "" {
			who = User(ev.Actor)
		}
		text := ev.Describe(words)
		if ev.Link != "" {
			text += " (<" + ev.Link + "|message>)"
		}
		line := fmt.Sprintf("%s %s %s %s", Date(ev.At, "{date_short} {time_secs}"), kindIcons[ev.Kind], who, text)
		if chunk.Len()+len(line)+1 > MaxSectionText-100 {
			flush()
		}
		if chunk.Len() > 0 {
			chunk.WriteByte('\n')
		}
		chunk.WriteString(line)
	}
	flush()
	if p.Total == 0 {
		blocks = append(blocks, Section("_Nothing recorded yet._"))
	}
	footer := fmt.Sprintf("Events %d–%d of %d · page %d of %d", p.First, p.First+len(p.Events)-1, p.Total, p.Page, p.Pages)
	if p.Page < p.Pages {
		footer += fmt.Sprintf(" · older: `/incident timeline page %d`", p.Page+1)
	}
	blocks = append(blocks, Context(footer))
	return Message{Text: fmt.Sprintf("Timeline of %s (%d events)", p.Ref, p.Total), Blocks: blocks}
}

// ToldBlockID marks the message that tells an incident's channel of a
// change, so it can be told from the other messages there.
const ToldBlockID = "told"

// Told is what an incident's channel is told of a change someone made: the
// change's timeline events, each as the timeline shows it (who and what,
// with the reason when there is one), and what follows from it, if
// anything. The rest of the team sees what happened, not only an edited card.
func Told(ref string, events []incident.TimelineEvent, role func(key string) string, then incident.Sentence) Message {
	words := incident.Words{User: User, Text: func(s string) string { return Text(Truncate(s, 500)) }, Role: role}
	var lines, notify []string
	for _, ev := range events {
		who := "incidentbot"
		if ev.Actor != "" {
			who = User(ev.Actor)
		}
		what := ev.Describe(words)
		lines = append(lines, fmt.Sprintf("%s %s %s", kindIcons[ev.Kind], who, what))
		notify = append(notify, who+" "+what)
	}
	text := TruncateMrkdwn(Text(ref)+": "+strings.Join(notify, "; "), 300)
	section := Section(strings.Join(lines, "\n"))
	section["block_id"] = ToldBlockID
	blocks := []Block{section}
	if then.Format != "" {
		blocks = append(blocks, Context(Say(then)))
	}
	return Message{Text: text, Blocks: blocks}
}
