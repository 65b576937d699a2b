package playground

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
)

// Demo plays a short incident through the stand-in, as people would: a
// report in #general, a declare, roles, two phases and an update, so the
// page has something to show.
func Demo(ctx context.Context, slack *fakeslack.Server, general string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	slack.PostAs("UALICE", general, "Heads up: finance got emails from a lookalike domain asking them to re-enter their SSO password.")
	if err := command(ctx, slack, "UALICE", general, "declare Phishing campaign against finance sev2", "Declared *INC-"); err != nil {
		return err
	}
	channel, err := newestIncidentChannel(ctx, slack)
	if err != nil {
		return err
	}
	steps := []struct{ user, text, answer string }{
		{"UALICE", "assign comms <@UCAROL|carol>", "Communications Lead: <@UCAROL>"},
		{"UALICE", "assign tech <@UBOB|bob>", "Technical Lead: <@UBOB>"},
		{"UBOB", "note Sender domain fin-acme-payroll.com registered yesterday", "Noted"},
		{"UBOB", "ioc add fin-acme-payroll[.]com --tlp amber --note sender domain", "Added the domain"},
		{"UBOB", "evidence add phishing-email.eml sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 case share /inc/finance --note as reported", "Logged *EV-1*"},
		{"UALICE", "phase next", "Phase: Identification → Containment"},
		{"UBOB", "action block fin-acme-payroll.com --note mail gateway and proxy", "Recorded *A-1*"},
		{"UCAROL", "update Phishing emails blocked; two users entered passwords, their sessions are revoked", "Update on INC-"},
		{"UALICE", "phase next", "Phase: Containment → Eradication"},
	}
	for _, s := range steps {
		if err := command(ctx, slack, s.user, channel, s.text, s.answer); err != nil {
			return err
		}
	}
	// And a drill to practise on, its injects a few seconds apart.
	return command(ctx, slack, "UALICE", general, "drill "+QuickDrill.Key+" <@UBOB|bob> <@UCAROL|carol>", "started in")
}

// QuickDrill is the playground's drill: the phishing scenario with its
// injects seconds apart, so a drill can be tried in a minute.
var QuickDrill = incident.Scenario{
	Key: "quick", Title: "Phishing, sped up", Severity: "sev3",
	Briefing: "A practice run for the playground: finance reports a fake Microsoft 365 login page; its injects arrive every 20 seconds, and one when you reach containment.",
	Targets:  map[incident.Phase]time.Duration{incident.Containment: 2 * time.Minute, incident.Eradication: 4 * time.Minute},
	Injects: []incident.Inject{
		{At: 20 * time.Second, Text: "The identity provider shows a login to the clerk's account from another country.", To: "tech"},
		{At: 40 * time.Second, Text: "A second person in finance says they entered their password too."},
		{On: incident.Containment, Text: "A mailbox rule forwarding invoices to an outside address is found."},
	},
}

// command runs a slash command and waits for its answer: shown to the
// user, or, for a change, told to the channel.
func command(ctx context.Context, slack *fakeslack.Server, user, channel, text, want string) error {
	before := len(slack.Ephemerals(user))
	ch, _ := slack.Channel(channel)
	posted := len(ch.Messages)
	if _, err := slack.Command(ctx, user, channel, text); err != nil {
		return fmt.Errorf("/incident %s: %w", text, err)
	}
	var got string
	err := slack.WaitFor(ctx, func() bool {
		seen := slack.Ephemerals(user)
		if len(seen) > before {
			got = seen[len(seen)-1].Visible()
			return true
		}
		ch, _ := slack.Channel(channel)
		for _, m := range ch.Messages[min(posted, len(ch.Messages)):] {
			if m.VisibleTo == "" && strings.Contains(m.Visible(), want) {
				got = m.Visible()
				return true
			}
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("/incident %s: no answer: %w", text, err)
	}
	if !strings.Contains(got, want) {
		return fmt.Errorf("/incident %s answered %q", text, got)
	}
	return nil
}

func newestIncidentChannel(ctx context.Context, slack *fakeslack.Server) (string, error) {
	var id string
	err := slack.WaitFor(ctx, func() bool {
		for _, ch := range slack.Channels() {
			if strings.HasPrefix(ch.Name, "inc-") && len(ch.Pins) > 0 {
				id = ch.ID
			}
		}
		return id != ""
	})
	return id, err
}
