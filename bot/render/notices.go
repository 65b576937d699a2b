package render

import (
	"fmt"
	"strings"
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
	Drill               bool
	// Marking is the incident's TLP marking. Withheld says its details are
	// kept from this channel by it: told like a private incident's, with
	// the marking in place of "private".
	Marking  string
	Withheld bool
}

// shut says whether only the number, severity and phase are told, and
// why, in a word: "private incident", or the marking.
func (n Notice) shut() (string, bool) {
	switch {
	case n.Private && n.Marking != "" && n.Marking != "TLP:CLEAR":
		return "private incident, " + Text(n.Marking), true
	case n.Private:
		return "private incident", true
	case n.Withheld:
		return Text(n.Marking), true
	}
	return "", false
}

// tag is the marking as a full notice shows it; none for TLP:CLEAR.
func (n Notice) tag() string {
	if n.Marking == "" || n.Marking == "TLP:CLEAR" {
		return ""
	}
	return " · *" + Text(n.Marking) + "*"
}

// Announcement tells of a new incident.
func Announcement(n Notice) Message {
	if why, shut := n.shut(); shut {
		if n.Private {
			why = "a " + why
		}
		return TextMessage(fmt.Sprintf(":lock: *%s* declared: %s, severity `%s`.", n.Ref, why, Text(n.Severity)))
	}
	sev := "`" + Text(n.Severity) + "`"
	if n.SeverityDescription != "" {
		sev += " (" + Text(n.SeverityDescription) + ")"
	}
	return TextMessage(fmt.Sprintf(":rotating_light: *%s declared: %s*\nSeverity %s · commander %s · follow along in <#%s>%s",
		n.Ref, Text(n.Title), sev, User(n.Commander), n.ChannelID, n.tag()))
}

// UpdatePosted is a status update a person posted.
func UpdatePosted(n Notice) Message {
	if why, shut := n.shut(); shut {
		return TextMessage(fmt.Sprintf(":lock: *%s* (%s) · `%s` · %s: an update was posted for its members.", n.Ref, why, Text(n.Severity), n.Phase.Title()))
	}
	head := fmt.Sprintf(":mega: *Update on %s: %s*", n.Ref, Text(n.Title))
	meta := fmt.Sprintf("`%s` · %s · by %s%s", Text(n.Severity), n.Phase.Title(), User(n.UpdateBy), n.tag())
	if n.ChannelID != "" {
		meta += " · <#" + n.ChannelID + ">"
	}
	return Message{
		Text:   fmt.Sprintf("Update on %s: %s", n.Ref, Text(Truncate(n.Update, 200))),
		Blocks: []Block{Section(head + "\n" + Text(n.Update)), Context(meta)},
	}
}

// UpdateTold is an update as its incident's channel sees it: the message
// that tells the channel of the change, as Told does for the others.
func UpdateTold(n Notice) Message {
	m := UpdatePosted(n)
	m.Blocks[0]["block_id"] = ToldBlockID
	return m
}

// Resolved tells that an incident is closed and the retro has begun.
func Resolved(n Notice) Message {
	took := incident.HumanDuration(n.OpenFor)
	if why, shut := n.shut(); shut {
		return TextMessage(fmt.Sprintf(":white_check_mark: *%s* (%s) is resolved after %s.", n.Ref, why, took))
	}
	text := fmt.Sprintf(":white_check_mark: *%s resolved: %s*\nAfter %s, severity `%s`%s.", n.Ref, Text(Truncate(n.Title, 300)), took, Text(n.Severity), n.tag())
	if n.Summary != "" {
		text += "\n" + Text(Truncate(n.Summary, 2000))
	}
	return TextMessage(text)
}

// WhatWeKnow is what the declarer wrote of the incident, shown in its
// channel when it opens.
func WhatWeKnow(by incident.UserRef, text string) Message {
	return Message{Text: "What we know: " + Text(Truncate(text, 200)),
		Blocks: []Block{Section(":memo: *What we know* (" + User(string(by)) + ")\n" + Text(Truncate(text, MaxSectionText-200)))}}
}

// SeverityChanged tells that an incident's severity changed.
func SeverityChanged(n Notice, from string) Message {
	change := fmt.Sprintf("severity `%s` → `%s`", Text(from), Text(n.Severity))
	if why, shut := n.shut(); shut {
		return TextMessage(fmt.Sprintf(":thermometer: *%s* (%s): %s · %s.", n.Ref, why, change, n.Phase.Title()))
	}
	text := fmt.Sprintf(":thermometer: *%s: %s*\nNow %s", n.Ref, Text(Truncate(n.Title, 300)), change)
	if n.SeverityDescription != "" {
		text += " (" + Text(n.SeverityDescription) + ")"
	}
	text += " · " + n.Phase.Title() + n.tag()
	if n.ChannelID != "" {
		text += " · <#" + n.ChannelID + ">"
	}
	return TextMessage(text)
}

// PostmortemPublished tells that the postmortem is out, with a link to it.
func PostmortemPublished(n Notice) Message {
	if why, shut := n.shut(); shut {
		return TextMessage(fmt.Sprintf(":page_facing_up: The postmortem of *%s* (%s) is published for its members.", n.Ref, why))
	}
	return TextMessage(fmt.Sprintf(":page_facing_up: *Postmortem of %s: %s*\nResolved in %s · %s · %s · <%s|read it>%s",
		n.Ref, Text(Truncate(n.Title, 300)), incident.HumanDuration(n.OpenFor), plural(n.Lessons, "lesson"), plural(n.FollowUps, "follow-up action"), n.Link, n.tag()))
}

// Declared is what the declarer is told: where their incident is, and
// what could not be set up.
type Declared struct {
	Ref, ChannelID, Role string
	Private, Drill       bool
	Codename             string              // a quiet incident's
	Problems             []incident.Sentence // each what could not be done: "pin the card"
	ProblemRef           string              // the request's reference, for the log
}

// DeclaredMessage draws the answer to a declare.
func DeclaredMessage(d Declared) Message {
	text := ":white_check_mark: Declared *" + Text(d.Ref) + "* in " + Channel(d.ChannelID) + ". You are the " + Text(d.Role) + "."
	if d.Drill {
		text = ":performing_arts: " + incident.DrillPrefix + " *" + Text(d.Ref) + "* started in " + Channel(d.ChannelID) + ". You are the " + Text(d.Role) + ": run it as you would a real incident."
	}
	if d.Private {
		text += " The channel is private."
	}
	if d.Codename != "" {
		text += " It is run quietly as codename *" + Text(d.Codename) + "*: its title stays in the channel, and the stakeholders are not told. Name suspected accounts with `/incident suspect @user` there."
	}
	if len(d.Problems) > 0 {
		parts := make([]any, len(d.Problems))
		for i, p := range d.Problems {
			parts[i] = p
		}
		text += "\n:warning: I could not " + Say(incident.Join("; ", parts...)) + " (ref " + Text(d.ProblemRef) + ")."
	}
	return TextMessage(text)
}

// DrillView is what a drill's briefing says.
type DrillView struct {
	Ref, Title, Briefing string
	Targets              []DrillTarget
	Injects              int
}

// DrillTarget is a phase to reach within a time of the start.
type DrillTarget struct {
	Phase  incident.Phase
	Within time.Duration
}

// DrillBriefing starts a drill in its channel: what happened, the targets,
// and that more will come.
func DrillBriefing(v DrillView) Message {
	head := ":performing_arts: *" + incident.DrillPrefix + " " + Text(v.Ref) + ": " + Text(v.Title) + "*\nThis is a practice incident. Nothing here is real, and nothing reaches the stakeholders."
	blocks := []Block{Section(head), Section("*Briefing*\n" + Text(Truncate(v.Briefing, 2500)))}
	if len(v.Targets) > 0 {
		var b strings.Builder
		for _, t := range v.Targets {
			fmt.Fprintf(&b, "\n• %s within %s", t.Phase.Title(), incident.HumanDuration(t.Within))
		}
		blocks = append(blocks, Section("*Targets*"+b.String()))
	}
	if v.Injects > 0 {
		blocks = append(blocks, Context(fmt.Sprintf("%d injects will arrive as the drill goes on. Run it as you would a real incident: roles, phases, checklists, updates, notes.", v.Injects)))
	}
	return Message{Text: incident.DrillPrefix + " " + Text(v.Ref) + ": " + Text(v.Title), Blocks: blocks}
}

// InjectView is a drill inject: its words, who it is for (a role and its
// holder, if any), and its place among the scenario's injects.
type InjectView struct {
	Ref, Text, Role, Holder string
	Number, Of              int
}

// Inject is a drill's scripted news, posted into the drill channel.
func Inject(v InjectView) Message {
	to := ""
	switch {
	case v.Holder != "":
		to = " for " + User(v.Holder) + " (" + Text(v.Role) + ")"
	case v.Role != "":
		to = " for the " + Text(v.Role) + " (nobody holds the role yet)"
	}
	head := fmt.Sprintf(":performing_arts: *%s inject %d of %d*%s", incident.DrillPrefix, v.Number, v.Of, to)
	return Message{Text: incident.DrillPrefix + " " + Text(v.Ref) + ": " + Text(Truncate(v.Text, 200)),
		Blocks: []Block{Section(head + "\n" + Text(Truncate(v.Text, 2500)))}}
}

// PrivateStatus is the bot's scheduled status of a private incident outside
// its channel: its number, severity and phase, nothing else.
func PrivateStatus(n Notice) Message {
	why, _ := n.shut()
	if why == "" {
		why = "private incident"
	}
	return TextMessage(":lock: *" + Text(n.Ref) + "* · " + why + " · " + Code(n.Severity) + " · " + Text(n.Phase.Title()))
}

// maxTopic is Slack's limit on a channel topic.
const maxTopic = 250

// Topic is an incident channel's one-line summary.
func Topic(n Notice) string {
	cmd := "no commander"
	if n.Commander != "" {
		cmd = "IC " + User(n.Commander)
	}
	prefix := Text(n.Ref) + " · " + Text(n.Severity) + " · " + Text(n.Phase.Title()) + " · " + cmd + " · "
	if n.Drill {
		prefix = incident.DrillPrefix + " " + prefix
	}
	return TruncateMrkdwn(prefix+Text(n.Title), maxTopic)
}

// PostmortemShown shows a published postmortem (markdown) to one person,
// as a code block cut to fit one section.
func PostmortemShown(v PostmortemSummary) Message {
	head := ":page_facing_up: *Postmortem of " + Text(v.Ref) + "*, published " + Date(v.Published, "{date_short_pretty} {time}")
	if v.Link != "" {
		head += ": <" + v.Link + "|open the document>"
	}
	figures := []string{"resolved in " + incident.HumanDuration(v.Figures.ToRecover)}
	if v.Figures.ToContain > 0 {
		figures = append(figures, "contained in "+incident.HumanDuration(v.Figures.ToContain))
	}
	if v.Figures.ToAcknowledge > 0 {
		figures = append(figures, "acknowledged in "+incident.HumanDuration(v.Figures.ToAcknowledge))
	}
	figures = append(figures, plural(v.Lessons, "lesson"), plural(v.FollowUps, "follow-up action"))
	return Message{Text: "Postmortem of " + Text(v.Ref), Blocks: []Block{Section(head), Context(strings.Join(figures, " · "))}}
}

// PostmortemSummary is what /incident postmortem answers: the headline
// figures and the link; the document itself is the uploaded file.
type PostmortemSummary struct {
	Ref                string
	Published          time.Time
	Link               string
	Figures            incident.Figures
	Lessons, FollowUps int
}
