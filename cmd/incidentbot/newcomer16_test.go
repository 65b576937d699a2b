package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

const newcomer16Gate = `playbooks:
  containment:
    - {text: Isolate affected hosts from the network, required: true}
    - Block malicious IP addresses
`

// newcomer16Contained declares INC-1 as alice (commander) and moves it into
// containment, whose required item is not ticked.
func newcomer16Contained(t *testing.T, extra string) (*harness, *script) {
	t.Helper()
	h, s := declaredBot(t, time.Now, quietSeverities+newcomer16Gate+extra, "Ransomware on the file server sev1", "UBOB")
	s.command("UALICE", s.ch, "phase next")
	s.card("", "⚑ 1 required item left before the phase ends")
	return h, s
}

// The README and the refusal both give the override as
// `/incident phase next because <reason>`. But any word after `next` is
// taken as the reason: the commander typing "phase next please" (or
// "phase next now") silently skips the exit criteria, and the timeline and
// postmortem record "please" as the reason. "phase next because" with no
// reason at all is accepted too, with the reason "because".
func TestNewcomer16GateOverrideNeedsBecauseAndAReason(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"phase next please", "phase next because"} {
		t.Run(strings.ReplaceAll(text, " ", "_"), func(t *testing.T) {
			t.Parallel()
			h, s := newcomer16Contained(t, "")
			got := s.command("UALICE", s.ch, text)
			if inc, _ := h.store.Get(s.ctx, 1); inc.Phase != incident.Containment {
				t.Errorf("/incident %s skipped the required item (answer %q); want it refused, saying the form is `phase next because <reason>`", text, got)
			}
		})
	}
}

// Jumping over a phase with `phase <a later phase>` skips that phase's exit
// criteria without a word: from identification, `phase eradication` goes
// past containment's required item, which is never on the timeline nor in
// the postmortem's "Exit criteria skipped".
func TestNewcomer16JumpingOverAPhaseSkipsItsGate(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities+newcomer16Gate, "Ransomware on the file server sev1", "UBOB")
	got := s.command("UALICE", s.ch, "phase eradication")
	inc, _ := h.store.Get(s.ctx, 1)
	if inc.Phase == incident.Eradication && s.countEvents(1, incident.EventGate, "Isolate affected hosts") == 0 {
		t.Errorf("phase eradication from identification jumped over containment's required item unrecorded (answer %q); want it refused, or skipped only with a reason on the timeline", got)
	}
}

// The skipped gate's timeline line has no icon where every other line has
// one: "<date>  <@UALICE> Exit criteria of Containment skipped …".
func TestNewcomer16SkippedGateLineHasAnIcon(t *testing.T) {
	t.Parallel()
	_, s := newcomer16Contained(t, "")
	s.command("UALICE", s.ch, "phase next because the hosts are powered off")
	tl := s.command("UALICE", s.ch, "timeline")
	for _, line := range strings.Split(tl, "\n") {
		if strings.Contains(line, "Exit criteria of Containment skipped") && strings.Contains(line, ">  <@UALICE>") {
			t.Errorf("the skipped gate's timeline line has no icon: %q", line)
		}
	}
}

// A target the configuration accepts (anything from 1s) is shown as it was
// written. With `targets: {containment: 10s}` the card says "target under a
// minute" and the nudge "has been in Containment for under a minute, past
// the under a minute target", which tells nobody anything; the postmortem
// says "under a minute: **missed** by under a minute".
func TestNewcomer16ShortTargetIsShownAsWritten(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, `severities:
  - {name: sev1, description: "Critical", update_every: 0, targets: {containment: 10s}}
default_severity: sev1
`)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE")
	s.command("UALICE", general, "declare Ransomware on the file server sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "phase next")
	s.card("", "target ")
	if card := s.cardMessage().Visible(); !strings.Contains(card, "target 10s") {
		t.Errorf("a 10s target is not shown as 10s on the card:\n%s", card)
	}
}

// The target nudge says "move it on with `/incident phase next`", but the
// phase still has a required item not ticked, so doing what the nudge says
// is refused. With required items left it should say so (and name the
// `because` override), not recommend a command that will fail.
func TestNewcomer16TargetNudgeMentionsRequiredItems(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	clock := clocktest.NewManual(t0)
	h := startBotWith(t, false, clock.Now, `severities:
  - {name: sev1, description: "Critical", update_every: 0, targets: {containment: 1h}}
default_severity: sev1
`+newcomer16Gate)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE")
	s.command("UALICE", general, "declare Ransomware on the file server sev1")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	s.command("UALICE", s.ch, "phase next")
	s.card("", "target 1h")
	clock.Advance(time.Hour + time.Second)
	var nudge string
	s.await("the nudge", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		for _, m := range ch.Messages {
			if strings.Contains(m.Visible(), "past the 1h target") {
				nudge = m.Visible()
				return true
			}
		}
		return false
	})
	if !strings.Contains(nudge, "Isolate affected hosts") && !strings.Contains(nudge, "required") {
		t.Errorf("the nudge tells the commander to run `phase next`, which is refused while the required item is undone:\n%s", nudge)
	}
}

func keys16(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
