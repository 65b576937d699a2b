package commands

import (
	"context"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// subcommand is one row of the /incident table; help and usage errors are derived from it.
type subcommand struct {
	name     string
	args     string // usage after the name
	example  string // a typical use, shown with usage errors
	summary  string
	flags    []string // --options it takes
	severity bool     // takes a severity word
	incident bool     // acts on an incident: this channel's, or the number given first
	open     bool     // only while the incident is open
	freeText bool     // takes text, where a bare number in an incident channel is text, not an incident
	shows    bool     // only shows something, to the asker: answered in the acknowledgement
	anywhere bool     // its answers name nothing of the incident but its number: also for a quiet one from outside its channel
	run      func(ctx context.Context, c *call) error
}

func (s subcommand) usage() string {
	return strings.TrimSpace("/incident " + s.name + " " + s.args)
}

// usageHint is the right form, appended to every usage error.
func (s subcommand) usageHint() incident.Sentence {
	if s.example == "" {
		return incident.Say("Usage: %s.", incident.Literal(s.usage()))
	}
	return incident.Say("Usage: %s, for example %s.", incident.Literal(s.usage()), incident.Literal("/incident "+s.name+" "+s.example))
}

// subcommands is the table. A nil run answers "not available yet".
func (h *Handler) subcommands() []subcommand {
	return []subcommand{
		{name: "", summary: "Open the declare form.", run: h.response.declareForm},
		{name: "declare", args: "<title> [sevN] [--private] [--quiet] [--tlp <marking>] [@people]", example: "Ransomware on file server sev1", summary: "Declare an incident: a channel, the card, invites and an announcement (--quiet: an attacker may be watching).", flags: []string{"private", "quiet", "tlp"}, severity: true, run: h.response.declare},
		{name: "status", shows: true, args: "[number]", example: "INC-42", summary: "Show the incident card, to you only.", incident: true, run: h.response.status},
		{name: "list", shows: true, summary: "List open incidents, most severe first.", run: h.response.list},
		{name: "phase", freeText: true, open: true, args: "<phase|next> [because <reason>]", example: "containment because reinfection found", summary: "Move the incident to another phase; moving back needs a reason.", incident: true, run: h.response.phaseCmd},
		{name: "severity", open: true, args: "<sevN>", example: "sev2", summary: "Change the severity and the update cadence.", severity: true, incident: true, run: h.response.severityCmd},
		{name: "assign", open: true, args: "<role> <@user>", example: "comms @carol", summary: "Give someone a role.", incident: true, run: h.response.assignCmd},
		{name: "unassign", open: true, args: "<role>", example: "comms", summary: "Take a role back.", incident: true, run: h.response.unassignCmd},
		{name: "roles", shows: true, args: "[number]", example: "INC-42", summary: "Show who holds which role.", incident: true, run: h.response.rolesCmd},
		{name: "update", freeText: true, open: true, flags: []string{"tlp"}, args: "[--tlp <marking>] <text>", example: "Backups verified; restoring the file server", summary: "Post a status update to the channel and stakeholders.", incident: true, run: h.response.updateCmd},
		{name: "note", freeText: true, flags: []string{"tlp"}, args: "[--tlp <marking>] <text>", example: "Attacker IP 203.0.113.7 blocked at the edge", summary: "Add a note to the timeline.", incident: true, run: h.response.noteCmd},
		{name: "timeline", shows: true, freeText: true, args: "[page <n>]", example: "page 2", summary: "Show the timeline, newest page first.", incident: true, run: h.response.timelineCmd},
		{name: "close", freeText: true, open: true, flags: []string{"confirm"}, args: "[--confirm] [summary]", example: "Restored from backups; entry via phished VPN account", summary: "Close the incident: final broadcast, then the retro (--confirm: with containment actions still open).", incident: true, run: h.retro.closeCmd},
		{name: "lesson", freeText: true, args: "<well|wrong|improve> <text>", example: "wrong EDR alert sat unread for two hours", summary: "Add a lesson learned (the retro form takes follow-up actions too).", incident: true, run: h.retro.lessonCmd},
		{name: "postmortem", args: "[number]", example: "INC-42", summary: "Publish the postmortem now, or show it again.", incident: true, run: h.retro.postmortemCmd},
		{name: "actions", shows: true, summary: "Open follow-up actions across incidents, with a Mark-done button.", run: h.retro.actionsCmd},
		{name: "report", freeText: true, args: "[what you saw]", example: "A login page asked for my password twice", summary: "Report something suspicious to the security team (alone: a form).", run: h.triage.reportCmd},
		{name: "reports", shows: true, summary: "Reports waiting for triage (the security team, in the triage channel).", run: h.triage.reportsCmd},
		{name: "drill", flags: []string{"private"}, args: "<scenario> [@people] [--private] | end | history [scenario]", example: "phishing @bob @carol", summary: "Start a practice incident of a scenario, with scripted injects (never to the stakeholders); end it with a score card; past drills.", run: h.drill},
		{name: "ioc", freeText: true, flags: []string{"tlp", "note"}, args: "add [value] [type] [--tlp amber] [--note …] | mark <value> [suspected|malicious|false-positive] [--tlp red]", example: "add hxxps://evil[.]example/login --note phishing landing page", summary: "Add an indicator of compromise (defanged is fine; it is always shown defanged; add alone: a form), or mark its state.", incident: true, run: h.response.iocCmd},
		{name: "iocs", args: "[export]", summary: "The incident's indicators, defanged; export shares them in the channel as CSV and a STIX 2.1 bundle.", incident: true, run: h.response.iocsCmd},
		{name: "evidence", freeText: true, flags: []string{"note"}, args: "[add <name> sha256:<hash> <where it is stored> [--note …] | transfer <id> <@user> [--note …] | verify <id> sha256:<hash> | log <id>]", example: "add laptop-image sha256:9f86d0… evidence locker 3", summary: "Evidence with a hash-chained chain of custody (alone: the list; add alone: a form).", incident: true, run: h.response.evidenceCmd},
		{name: "action", freeText: true, flags: []string{"note", "until"}, args: "[<isolate|block|disable|reset|revoke|other> <target> [--until 4h] [--note …] | undo <id> [reason] | keep <id> <reason>]", example: "block 203.0.113.7 --until 2d --note edge firewall", summary: "Containment actions, open until undone or kept (alone: the list).", incident: true, run: h.response.actionCmd},
		{name: "tlp", freeText: true, args: "[<clear|green|amber|amber+strict|red> [because <reason>]]", example: "amber", summary: "The incident's TLP marking (alone: show it): what of it may be told outside its channel; lowering it needs the commander or an admin, and a reason.", incident: true, run: h.response.tlpCmd},
		{name: "decide", flags: []string{"at"}, args: "[awareness|personal-data|significant|material …] [--at <UTC time>]", example: "awareness personal-data --at 2026-12-03 09:00", summary: "Record a decision that starts regulatory notification clocks (the commander, an admin or a legal contact; alone: a form).", incident: true, anywhere: true, run: h.response.decideCmd},
		{name: "notified", freeText: true, flags: []string{"ref"}, args: "<regime> [<stage>] [--ref <reference>] [because <reason for the delay>]", example: "gdpr --ref DPA-2026-0042", summary: "Record a notification to a regulator: it stops that regime's next clock (the commander, an admin or a legal contact; past the deadline, with the reason for the delay).", incident: true, anywhere: true, run: h.response.notifiedCmd},
		{name: "suspect", args: "[<@user>… | remove <@user>…]", example: "@mallory", summary: "Suspected accounts (the commander or an admin; alone: the list): never invited, told or listed, and their attempts are refused and reported to the commander.", incident: true, run: h.response.suspectCmd},
		{name: "quiet", args: "[off]", example: "off", summary: "Whether the incident is run quietly (alone); off lifts it (the commander or an admin).", incident: true, run: h.response.quietCmd},
		{name: "audit", shows: true, args: "[page <n>]", example: "page 2", summary: "The incident's audit log (the commander or an admin): every change, refused attempt and read of a private or TLP:RED incident, hash-chained.", incident: true, run: h.response.auditCmd},
		{name: "stats", args: "[<days>d]", example: "90d", summary: "Time to acknowledge, declare, contain and recover: median and 90th percentile by severity, over the incidents declared in the last 30 days (or as many as you give), drills left out.", run: h.response.statsCmd},
		{name: "help", shows: true, summary: "Show this help.", run: h.help},
	}
}

func (h *Handler) help(ctx context.Context, c *call) error {
	help := render.Help{Severities: h.severityList()}
	for _, s := range h.table {
		if s.name != "" {
			help.Commands = append(help.Commands, render.HelpLine{Usage: s.usage(), Summary: s.summary, Soon: s.run == nil})
		}
	}
	h.respond(ctx, c.req, render.HelpMessage(help))
	return nil
}

func (h *core) severityList() incident.Sentence {
	parts := make([]any, len(h.cfg.Severities))
	for i, s := range h.cfg.Severities {
		parts[i] = incident.Literal(s.Name)
		if s.Description != "" {
			parts[i] = incident.Say("%s %s", incident.Literal(s.Name), s.Description)
		}
	}
	return incident.Join(" · ", parts...)
}
