package render

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// Notice is what a channel is told of an incident. The services decide
// what goes in: for a private incident told outside its channel they fill
// in only Ref, Severity, Phase and Private, and the rest is not shown.
type Notice struct {
	Ref, Title          string
	Severity            string
	SeverityDescription string
	Phase               incident.Phase
	Private             bool
	Commander           string
	ChannelID           string // "" where the reader is already in the channel
	UpdateBy            string
	Update              string        // plain text
	OpenFor             time.Duration // to the close
	Summary             string        // plain text
	Lessons, FollowUps  int
	Link                string // the postmortem
}

// Announcement tells of a new incident.
func Announcement(n Notice) Message {
	if n.Private {
		return TextMessage(fmt.Sprintf(":lock: *%s* declared: a private incident, severity `%s`.", n.Ref, Text(n.Severity)))
	}
	sev := "`" + Text(n.Severity) + "`"
	if n.SeverityDescription != "" {
		sev += " (" + Text(n.SeverityDescription) + ")"
	}
	return TextMessage(fmt.Sprintf(":rotating_light: *%s declared: %s*\nSeverity %s · commander %s · follow along in <#%s>",
		n.Ref, Text(n.Title), sev, User(n.Commander), n.ChannelID))
}

// UpdatePosted is a status update a person posted.
func UpdatePosted(n Notice) Message {
	if n.Private {
		return TextMessage(fmt.Sprintf(":lock: *%s* (private incident) · `%s` · %s: an update was posted for its members.", n.Ref, Text(n.Severity), n.Phase.Title()))
	}
	head := fmt.Sprintf(":mega: *Update on %s: %s*", n.Ref, Text(n.Title))
	meta := fmt.Sprintf("`%s` · %s · by %s", Text(n.Severity), n.Phase.Title(), User(n.UpdateBy))
	if n.ChannelID != "" {
		meta += " · <#" + n.ChannelID + ">"
	}
	return Message{
		Text:   fmt.Sprintf("Update on %s: %s", n.Ref, Text(Truncate(n.Update, 200))),
		Blocks: []Block{Section(head + "\n" + Text(n.Update)), Context(meta)},
	}
}

// Resolved tells that an incident is closed and the retro has begun.
func Resolved(n Notice) Message {
	took := incident.HumanDuration(n.OpenFor)
	if n.Private {
		return TextMessage(fmt.Sprintf(":white_check_mark: *%s* (private incident) is resolved after %s.", n.Ref, took))
	}
	text := fmt.Sprintf(":white_check_mark: *%s resolved: %s*\nAfter %s, severity `%s`.", n.Ref, Text(Truncate(n.Title, 300)), took, Text(n.Severity))
	if n.Summary != "" {
		text += "\n" + Text(Truncate(n.Summary, 2000))
	}
	return TextMessage(text)
}

// PostmortemPublished tells that the postmortem is out, with a link to it.
func PostmortemPublished(n Notice) Message {
	if n.Private {
		return TextMessage(fmt.Sprintf(":page_facing_up: The postmortem of *%s* (private incident) is published for its members.", n.Ref))
	}
	return TextMessage(fmt.Sprintf(":page_facing_up: *Postmortem of %s: %s*\nResolved in %s · %d lessons · %d follow-up actions · <%s|read it>",
		n.Ref, Text(Truncate(n.Title, 300)), incident.HumanDuration(n.OpenFor), n.Lessons, n.FollowUps, n.Link))
}
