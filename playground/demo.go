package playground

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
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
		{"UALICE", "assign comms <@UCAROL|carol>", "is now the Communications Lead"},
		{"UALICE", "assign tech <@UBOB|bob>", "is now the Technical Lead"},
		{"UBOB", "note Sender domain fin-acme-payroll.com registered yesterday", "Noted"},
		{"UALICE", "phase next", "is now in *Containment*"},
		{"UBOB", "note Blocked the domain at the mail gateway and the proxy", "Noted"},
		{"UCAROL", "update Phishing emails blocked; two users entered passwords, their sessions are revoked", "Update posted"},
		{"UALICE", "phase next", "is now in *Eradication*"},
	}
	for _, s := range steps {
		if err := command(ctx, slack, s.user, channel, s.text, s.answer); err != nil {
			return err
		}
	}
	return nil
}

// command runs a slash command and waits for the answer shown to the user.
func command(ctx context.Context, slack *fakeslack.Server, user, channel, text, want string) error {
	before := len(slack.Ephemerals(user))
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
