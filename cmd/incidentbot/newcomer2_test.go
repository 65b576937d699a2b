package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// Found by a second newcomer going through a quiet, marked incident with
// regulatory clocks in the playground, from the README alone.

// The built-in SEC regime's one stage is "Form 8-K", and the README says a
// notification may name "the stage named after the regime". Typed as the
// card and every message show it, it is refused: "SEC has no stage
// `Form 8-K`: name one of `form 8-k`" (the typed hyphen is read as a space,
// the configured one is not), so the name the error offers fails as well.
// A multi-stage regime with a hyphen in a stage name has the same fault in
// the command its reminders and missed-deadline messages suggest.
func TestNewcomer2TheSECStageCanBeNamed(t *testing.T) {
	t.Parallel()
	_, s := declaredBot(t, time.Now, clockConfig, "Customer database exfiltration sev1", "UBOB")
	s.command("UALICE", s.ch, "decide material")
	if got := s.command("UALICE", s.ch, "notified sec Form 8-K --ref 0001193125-26-000001"); !strings.Contains(got, "*SEC Form 8-K* notified in time") {
		t.Errorf("/incident notified sec Form 8-K answered %q; want the SEC's Form 8-K recorded", got)
	}
}

// The decide form reads its "When it was decided" field: a time it cannot
// read is shown under the field and the form stays open. A time it reads
// but refuses (ahead of now, or more than 90 days back) closes the form
// instead, the person's ticks are lost, and the refusal comes as a
// separate message. It belongs under the field like the other.
func TestNewcomer2DecideFormRefusesATimeAheadOnItsField(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, clockConfig, "Customer database exfiltration sev1", "UBOB")
	if _, err := h.slack.Command(s.ctx, "UALICE", s.ch, "decide"); err != nil {
		t.Fatal(err)
	}
	view := s.viewOf("UALICE", "incident_decide")
	ahead := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02 15:04")
	d, err := h.slack.Submit(s.ctx, "UALICE", view.ID, map[string]string{"decisions": "awareness", "at": ahead})
	if err != nil {
		t.Fatal(err)
	}
	if body := string(d.Body); !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"at"`) {
		t.Errorf("the decide form with a time two days ahead (%s) answered %s; want the refusal under its `at` field, the form kept open", ahead, body)
	}
}

// "Give the marking first" is right, but the form it offers is always
// `--tlp amber`, whatever marking was typed: someone who wrote
// `/incident note … --tlp red` and copies the suggestion records a TLP:RED
// note as TLP:AMBER.
func TestNewcomer2MarkingGivenLastIsSuggestedAsTyped(t *testing.T) {
	t.Parallel()
	_, s := declaredBot(t, time.Now, quietSeverities, "Payroll fraud sev2", "UBOB")
	got := s.command("UALICE", s.ch, "note The CFO's mailbox was read --tlp red")
	if !strings.Contains(got, "--tlp red") {
		t.Errorf("a note with --tlp red at its end answered %q; want the right form with the marking typed, `--tlp red`", got)
	}
}

// A TLP:RED update on a TLP:AMBER incident: its message in the channel is
// headed "TLP:RED: for the people in this incident only" and signed off
// "sev2 · Identification · by @bob · TLP:AMBER". One message, two markings;
// the README says "a marked update carries its own".
func TestNewcomer2MarkedUpdateShowsOneMarking(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Supplier invoice fraud sev2 --tlp amber", "UBOB")
	s.command("UALICE", s.ch, "update --tlp red The CFO approved the payment")
	var posted string
	s.await("the update in the channel", func() bool {
		ch, _ := h.slack.Channel(s.ch)
		for _, m := range ch.Messages {
			if m.VisibleTo == "" && strings.Contains(m.Visible(), "*Update on INC-1") && strings.Contains(m.Visible(), "The CFO approved the payment") {
				posted = m.Visible()
				return true
			}
		}
		return false
	})
	if strings.Contains(posted, "TLP:RED") && strings.Contains(posted, "TLP:AMBER") {
		t.Errorf("the TLP:RED update's message shows both TLP:RED and TLP:AMBER:\n%s", posted)
	}
}

// Awareness dated back four days: the GDPR clock's 72 hours are gone
// before it is recorded. The answer says "Started: GDPR notification due
// <yesterday>. The commander and the legal contacts are reminded before
// each deadline", as if there were time; that it is already missed, and
// that the notification needs the reason for the delay, comes only in a
// message a moment later. The answer itself should say it has passed.
func TestNewcomer2DecisionAnswerSaysADeadlineHasPassed(t *testing.T) {
	t.Parallel()
	_, s := declaredBot(t, time.Now, clockConfig, "Customer database exfiltration sev1", "UBOB")
	got := s.command("UALICE", s.ch, "decide awareness personal-data --at 4d")
	if !strings.Contains(got, "passed") && !strings.Contains(got, "missed") {
		t.Errorf("deciding awareness 4 days back answered %q; want it to say the GDPR deadline has passed", got)
	}
}

// `/incident decide awareness personal-data` after awareness was recorded
// refuses the whole command, rightly changing nothing, but says only that
// awareness was recorded already: not that personal-data was not recorded,
// nor the right form (`/incident decide personal-data`). The README: every
// error "says what was wrong and the right form".
func TestNewcomer2DecisionRecordedAlreadyGivesTheRightForm(t *testing.T) {
	t.Parallel()
	_, s := declaredBot(t, time.Now, clockConfig, "Customer database exfiltration sev1", "UBOB")
	s.command("UALICE", s.ch, "decide awareness significant")
	got := s.command("UALICE", s.ch, "decide awareness personal-data --at 1h")
	if !strings.Contains(got, "decide personal-data") {
		t.Errorf("deciding awareness again with personal-data answered %q; want it to say personal-data was not recorded and how to record it: `/incident decide personal-data`", got)
	}
}

// The postmortem names people by name (@alice), but a suspected account
// by its bare user ID: "Suspected accounts: UDAVE, @carol". Suspects are
// left out of the participants whose names are looked up, so the timeline
// entry that names them falls back to the ID.
func TestNewcomer2PostmortemNamesASuspectByName(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Payroll admin account taken over sev1 --quiet", "UBOB", "UDAVE")
	s.command("UALICE", s.ch, "suspect <@UDAVE|dave>")
	md := publishedPostmortem(t, h, s)
	if strings.Contains(md, "UDAVE") || !strings.Contains(md, "Suspected accounts: @dave") {
		i := max(0, strings.Index(md, "Suspected accounts"))
		t.Errorf("the postmortem names the suspect %q; want @dave", md[i:min(len(md), i+80)])
	}
}

// The playground draws Slack's emoji codes from its own table. The new
// features' codes are not in it, so the page shows ":traffic_light:" at
// the top of every marked message, and the timeline shows ":scales:"
// (decisions), ":envelope_with_arrow:" (notifications), ":detective:"
// (suspects) and ":shushing_face:" (quiet mode) as text.
func TestNewcomer2PlaygroundDrawsTheNewFeaturesIcons(t *testing.T) {
	js, err := os.ReadFile("../../playground/static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"traffic_light", "scales", "envelope_with_arrow", "detective", "shushing_face"} {
		if !strings.Contains(string(js), code+":") {
			t.Errorf("the playground's emoji table lacks %s: the page shows %q as text", code, ":"+code+":")
		}
	}
}

// The same TLP:RED update becomes the card's "Last update", shown as
// written under the card's "Status: Open · TLP:AMBER" with nothing to say
// it is RED: whoever reads or screenshots the card sees RED text under an
// AMBER marking.
func TestNewcomer2CardMarksARedLastUpdate(t *testing.T) {
	t.Parallel()
	_, s := declaredBot(t, time.Now, quietSeverities, "Supplier invoice fraud sev2 --tlp amber", "UBOB")
	s.command("UALICE", s.ch, "update --tlp red The CFO approved the payment")
	s.card("", "The CFO approved the payment")
	card := s.cardMessage().Visible()
	i := strings.Index(card, "*Last update*")
	if last := card[i:]; !strings.Contains(last, "TLP:RED") {
		t.Errorf("the card shows the TLP:RED update with no marking:\n%s", last)
	}
}
