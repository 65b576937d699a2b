package commands

import (
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// Card renders the incident card: the one message, pinned in the incident
// channel, that says where the incident stands. Times are Slack date tokens,
// so "declared 5 minutes ago" stays true without editing the message.
func Card(cfg config.File, inc *incident.Incident) Message {
	title := inc.Ref() + ": " + inc.Title
	sev := "`" + inc.Severity + "`"
	if s, ok := cfg.Severity(inc.Severity); ok && s.Description != "" {
		sev += " " + escape(s.Description)
	}
	status := "Open"
	if inc.Status == incident.Closed {
		status = "Closed"
	}
	if inc.Private {
		status += " · :lock: private"
	}
	var roles strings.Builder
	for _, r := range cfg.Roles {
		fmt.Fprintf(&roles, "\n• %s: %s", escape(r.Name), userRef(inc.Roles[r.Key]))
	}
	last := "_No updates yet._"
	if inc.LastUpdate != "" {
		last = escape(inc.LastUpdate) + "\n_" + slackDate(inc.LastUpdateAt, "{ago}") + "_"
	}
	blocks := []Block{
		header(":rotating_light: " + title),
		fields(
			"*Severity*\n"+sev,
			"*Phase*\n"+inc.Phase.Title(),
			"*Status*\n"+status,
			"*Declared*\n"+slackDate(inc.DeclaredAt, "{date_short_pretty} {time}")+" ("+slackDate(inc.DeclaredAt, "{ago}")+") by "+userRef(inc.DeclaredBy),
		),
		section("*Roles*" + roles.String()),
		section("*Last update*\n" + last),
		contextBlock("Run `/incident help` in this channel to see what you can do."),
	}
	return Message{Text: fmt.Sprintf("%s (%s, %s)", title, inc.Severity, inc.Phase.Title()), Blocks: blocks}
}

// announcement is the stakeholder channel's notice of a new incident. A
// private incident's title and channel stay out of it.
func announcement(cfg config.File, inc *incident.Incident) Message {
	if inc.Private {
		text := fmt.Sprintf(":lock: *%s* declared: a private incident, severity `%s`.", inc.Ref(), inc.Severity)
		return textMessage(text)
	}
	sev := "`" + inc.Severity + "`"
	if s, ok := cfg.Severity(inc.Severity); ok && s.Description != "" {
		sev += " (" + escape(s.Description) + ")"
	}
	text := fmt.Sprintf(":rotating_light: *%s declared: %s*\nSeverity %s · commander %s · follow along in <#%s>",
		inc.Ref(), escape(inc.Title), sev, userRef(inc.Roles[incident.CommanderRole]), inc.ChannelID)
	return textMessage(text)
}

// topic is the incident channel's topic, within Slack's 250 characters.
func topic(inc *incident.Incident) string {
	return truncate(fmt.Sprintf("%s · %s · %s · %s", inc.Ref(), inc.Severity, inc.Phase.Title(), inc.Title), 250)
}
