package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// ReportView is what a triage card shows of a report: the services decide
// what, TriageCard decides how.
type ReportView struct {
	Ref        string
	Source     string // incident.SourcePerson, SourceMessage or SourceAlert
	Tool       string // an alert's sender
	Reporter   string // user ID; "" for an alert
	Anonymous  bool
	What       string
	When       string
	Systems    string
	Urgency    string
	ReportedAt time.Time

	MessageAuthor, MessageText, MessageLink string

	ObservedAt time.Time
	Fields     [][2]string // an alert's own fields, in order
	DedupKey   string
	Count      int64
	LastAt     time.Time

	State       incident.ReportState
	AckBy       string
	AckAt       time.Time
	DoneBy      string
	DoneAt      time.Time
	IncidentRef string
	Reason      string // a dismissal's reason, by name
	Comment     string
	DeclaringBy string

	ActionsBlockID string
	Actions        []Action
}

// maxAlertFields keeps an alert's fields to a readable card.
const maxAlertFields = 10

// TriageCard is a report as the security team triages it: one message in
// the triage channel, edited in place as the report moves on.
func TriageCard(v ReportView) Message {
	what := Truncate(v.What, 2000)
	icon := ":mag:"
	if v.Source == incident.SourceAlert {
		icon = ":bell:"
	}
	title, _, _ := strings.Cut(strings.TrimSpace(what), "\n")
	blocks := []Block{Header(icon + " " + v.Ref + ": " + Truncate(title, 120))}

	from := "*Reported by*\n" + User(v.Reporter)
	switch {
	case v.Source == incident.SourceAlert:
		from = "*Alert from*\n" + Text(orDash(v.Tool))
	case v.Anonymous:
		from += "\n_anonymous: only this channel knows_"
	}
	when := "*Reported*\n" + Date(v.ReportedAt, "{date_short_pretty} {time}")
	if !v.ObservedAt.IsZero() {
		when += "\nobserved " + Date(v.ObservedAt, "{date_short_pretty} {time}")
	}
	fields := []string{from, when, "*Urgency*\n" + Text(orDash(v.Urgency)), "*State*\n" + reportState(v)}
	if v.When != "" {
		fields = append(fields, "*When it happened*\n"+Text(Truncate(v.When, 300)))
	}
	if v.Systems != "" {
		fields = append(fields, "*Systems or accounts*\n"+Text(Truncate(v.Systems, 300)))
	}
	blocks = append(blocks, Fields(fields...))
	if strings.Contains(what, "\n") || v.Source != incident.SourceAlert {
		blocks = append(blocks, Section("*What they saw*\n"+Text(what)))
	}
	if v.MessageText != "" || v.MessageLink != "" {
		quote := "> " + strings.ReplaceAll(Text(Truncate(v.MessageText, 1500)), "\n", "\n> ")
		link := ""
		if v.MessageLink != "" {
			link = " · " + Link(v.MessageLink, "the message")
		}
		blocks = append(blocks, Section("*Flagged message* by "+User(v.MessageAuthor)+link+"\n"+quote))
	}
	if len(v.Fields) > 0 {
		var b strings.Builder
		for i, f := range v.Fields {
			if i == maxAlertFields {
				fmt.Fprintf(&b, "\n…and %d more", len(v.Fields)-maxAlertFields)
				break
			}
			fmt.Fprintf(&b, "\n• *%s*: %s", Text(Truncate(f[0], 60)), Text(Truncate(f[1], 200)))
		}
		blocks = append(blocks, Section("*Fields*"+b.String()))
	}
	if v.Count > 1 {
		blocks = append(blocks, Context(fmt.Sprintf(":repeat: Fired *%d times*, last %s (dedup key %s)", v.Count, Date(v.LastAt, "{ago}"), Code(Truncate(v.DedupKey, 100)))))
	}
	if len(v.Actions) > 0 {
		blocks = append(blocks, actions(v.ActionsBlockID, v.Actions...))
	}
	return Message{Text: fmt.Sprintf("%s: %s (%s)", v.Ref, Text(Truncate(title, 200)), v.State), Blocks: blocks}
}

// reportState says where the report stands, who moved it and how long it took.
func reportState(v ReportView) string {
	after := func(t time.Time) string { return incident.HumanDuration(t.Sub(v.ReportedAt)) }
	ack := ""
	if !v.AckAt.IsZero() {
		ack = fmt.Sprintf("\nacknowledged by %s after %s", User(v.AckBy), after(v.AckAt))
	}
	switch v.State {
	case incident.ReportOpen:
		s := ":hourglass_flowing_sand: Waiting since " + Date(v.ReportedAt, "{ago}")
		if v.DeclaringBy != "" {
			s += "\n" + User(v.DeclaringBy) + " is declaring it"
		}
		return s
	case incident.ReportAcknowledged:
		s := ":eyes: Acknowledged by " + User(v.AckBy) + " after " + after(v.AckAt)
		if v.DeclaringBy != "" {
			s += "\n" + User(v.DeclaringBy) + " is declaring it"
		}
		return s
	case incident.ReportDeclared:
		return fmt.Sprintf(":rotating_light: Declared as *%s* by %s after %s%s", Text(v.IncidentRef), User(v.DoneBy), after(v.DoneAt), ack)
	case incident.ReportMerged:
		return fmt.Sprintf(":link: Merged into *%s* by %s after %s%s", Text(v.IncidentRef), User(v.DoneBy), after(v.DoneAt), ack)
	case incident.ReportDismissed:
		s := fmt.Sprintf(":white_check_mark: Dismissed by %s after %s: %s", User(v.DoneBy), after(v.DoneAt), Text(v.Reason))
		if v.Comment != "" {
			s += " (" + Text(Truncate(v.Comment, 300)) + ")"
		}
		return s + ack
	}
	return Text(string(v.State))
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "not given"
	}
	return s
}

// Link is a link the bot makes to an address it was given by Slack (a
// permalink): only http(s) addresses, and the address kept out of the markup.
func Link(url, label string) string {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") || strings.ContainsAny(url, "<>| \n") {
		return Text(label)
	}
	return "<" + url + "|" + Text(label) + ">"
}

// ReportLine is a report in the list of those waiting.
type ReportLine struct {
	Ref, What, Urgency, Source string
	ReportedAt                 time.Time
	AckBy                      string
	Count                      int64
}

// WaitingReports lists the reports waiting for an outcome, longest waiting first.
func WaitingReports(items []ReportLine) Message {
	if len(items) == 0 {
		return TextMessage(":white_check_mark: No reports are waiting for triage.")
	}
	blocks := []Block{Header(fmt.Sprintf("Reports waiting for triage (%d)", len(items)))}
	for i, it := range items {
		if i == maxListed {
			blocks = append(blocks, Context(fmt.Sprintf("…and %d more.", len(items)-maxListed)))
			break
		}
		state := "nobody on it yet"
		if it.AckBy != "" {
			state = "acknowledged by " + User(it.AckBy)
		}
		count := ""
		if it.Count > 1 {
			count = fmt.Sprintf(" · fired %d times", it.Count)
		}
		blocks = append(blocks, Section(fmt.Sprintf("*%s* `%s` %s\n%s · reported %s · %s%s", it.Ref, Text(orDash(it.Urgency)),
			Text(Truncate(firstLine(it.What), 200)), Text(it.Source), Date(it.ReportedAt, "{ago}"), state, count)))
	}
	return Message{Text: fmt.Sprintf("%d reports waiting for triage", len(items)), Blocks: blocks}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// TriagePing calls on-call to a report that waited too long: a user, a user
// group (S…), or the channel's active members when none is configured.
func TriagePing(oncall, ref string, waited time.Duration) Message {
	text := fmt.Sprintf(":alarm_clock: *%s* has waited %s and nobody has acknowledged it.", Text(ref), incident.HumanDuration(waited))
	if IsUserID(oncall) {
		text = User(oncall) + " " + text
		return Message{Text: text, Blocks: []Block{Section(text)}}
	}
	call := "<!here>"
	if strings.HasPrefix(oncall, "S") {
		call = "<!subteam^" + oncall + ">"
	}
	return Message{Text: text, Blocks: []Block{Section(text)}, Call: call}
}
