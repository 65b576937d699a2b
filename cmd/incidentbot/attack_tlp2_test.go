package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

const tlp2Hash = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// An incident declared TLP:RED has a private channel whichever way it is
// declared: with tlp.default red, the declare form makes one too.
func TestAttackTLP2RedByDefaultGetsAPrivateChannel(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities+"tlp:\n  default: red\n")
	ctx := context.Background()
	general := h.slack.CreateChannel("general", false, "UALICE")
	if _, err := h.slack.Command(ctx, "UALICE", general, ""); err != nil {
		t.Fatal(err)
	}
	view := (&script{t: t, h: h, ctx: ctx}).viewOf("UALICE", commands.ModalDeclare)
	if _, err := h.slack.Submit(ctx, "UALICE", view.ID, map[string]string{
		commands.InputTitle: "Board member mailbox read", commands.InputSeverity: "sev2",
	}); err != nil {
		t.Fatal(err)
	}
	h.slack.Await(t, "the confirmation by direct message", func() bool {
		return strings.Contains(dmOf(h.slack, "UALICE"), "Declared *INC-1*")
	})
	inc, err := h.store.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := h.slack.Channel(inc.ChannelID)
	if inc.Marking() != "TLP:RED" || !ch.Private || !inc.Private {
		t.Errorf("declared by the form at tlp.default red: marked %s, channel private=%v, incident private=%v", inc.Marking(), ch.Private, inc.Private)
	}
}

// TLP:AMBER+STRICT keeps an incident within the organisation: an item of
// its evidence is not handed to a member of another organisation, who
// would be sent, by direct message, what it is and which incident it is of.
func TestAttackTLP2AmberStrictEvidenceIsNotHandedOutside(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	h.slack.AddExternal("UPARTNER", "pat", "TPARTNER")
	if got := s.command("UALICE", s.ch, "tlp amber+strict"); !strings.Contains(got, "TLP:AMBER+STRICT") {
		t.Fatalf("raising the marking answered %q", got)
	}
	s.command("UALICE", s.ch, "evidence add ceo-laptop-image "+tlp2Hash+" evidence locker 3")
	got := s.command("UALICE", s.ch, "evidence transfer EV-1 <@UPARTNER>")
	time.Sleep(300 * time.Millisecond)
	if dm := dmOf(h.slack, "UPARTNER"); dm != "" {
		t.Errorf("a member of another organisation was sent, about a TLP:AMBER+STRICT incident: %q (the transfer answered %q)", dm, got)
	}
	if ev := item(t, h, 1); ev.Holder == "UPARTNER" {
		t.Errorf("a member of another organisation holds evidence of a TLP:AMBER+STRICT incident (the transfer answered %q)", got)
	}
}

// Nobody outside the organisation holds a role in a TLP:AMBER+STRICT
// incident: a guest who declares one is not made its commander.
func TestAttackTLP2GuestDeclaringAmberStrictHoldsNoRole(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	h.slack.AddGuest("UGUEST", "gus")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UGUEST")
	got := s.command("UGUEST", general, "declare Payroll fraud sev2 --tlp amber+strict")
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil {
		return // refused: as good
	}
	for role, holder := range inc.Roles {
		if holder == "UGUEST" {
			t.Errorf("a guest holds the %s role of a TLP:AMBER+STRICT incident (declare answered %q)", role, got)
		}
	}
}

// Raised to TLP:AMBER+STRICT with a guest among its members while Slack
// does not answer who they are, the answer does not read as if everyone
// were of the organisation: it says whom it could not check.
func TestAttackTLP2RaisingToAmberStrictSaysWhomItCouldNotCheck(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	h.slack.AddGuest("UGUEST", "gus")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UGUEST")
	s.command("UALICE", general, "declare Payroll fraud sev2 --tlp amber <@UGUEST>")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	fail := make([]fakeslack.Failure, 40)
	for i := range fail {
		fail[i] = fakeslack.Failure{Error: "fatal_error"}
	}
	h.slack.Fail("users.info", fail...)
	got := s.command("UALICE", s.ch, "tlp amber+strict")
	if !strings.Contains(got, "UGUEST") {
		t.Errorf("raised to AMBER+STRICT with a guest in, users.info failing, the answer names nobody to check: %q", got)
	}
}

// --tlp does not decode the rest of the command a second time: what was
// typed as text (Slack sends it escaped, &lt;@U…&gt;) stays text, as it
// does without --tlp, and does not become a mention that invites someone.
func TestAttackTLP2DeclareTLPDoesNotTurnTypedTextIntoMentions(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	for _, text := range []string{
		"declare Ticket quoting &lt;@UDAVE&gt; sev2",             // INC-2: as typed, without --tlp
		"declare Ticket quoting &lt;@UDAVE&gt; sev2 --tlp amber", // INC-3
	} {
		cmd := h.slack.NewCommand("UALICE", general.ID, "")
		cmd.Text = text // as Slack delivers literal "<@UDAVE>" typed as text
		h.postCommand(t, cmd, signingSecret, time.Now())
	}
	var plain, flagged *incident.Incident
	s.eventually("both incidents", func() bool {
		var err1, err2 error
		plain, err1 = h.store.Get(s.ctx, 2)
		flagged, err2 = h.store.Get(s.ctx, 3)
		return err1 == nil && err2 == nil && plain.CardTS != "" && flagged.CardTS != ""
	})
	if plain.IsMember("UDAVE") {
		t.Fatalf("the test needs typed text to stay text without --tlp: %v", plain.Members)
	}
	if flagged.IsMember("UDAVE") || flagged.Title != plain.Title {
		t.Errorf("with --tlp, typed text became a mention: title %q (without --tlp %q), members %v", flagged.Title, plain.Title, flagged.Members)
	}
}
