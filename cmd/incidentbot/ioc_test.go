package main

import (
	"context"
	"strings"
	"testing"
)

// TestIndicatorsAreShownDefanged adds indicators by command, defanged and
// not: each is stored in its normal form once per incident, counted when
// seen again, refused with the right form when it is none of the types,
// and shown defanged in the answers, /incident iocs and the timeline.
func TestIndicatorsAreShownDefanged(t *testing.T) {
	t.Parallel()
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Phishing sev2")
	ch := h.declared(t, "UALICE", "INC-1").ID

	if got := s.command("UBOB", ch, "ioc add hxxps://evil[.]example/login"); !strings.Contains(got, "Added the URL `hxxps[://]evil[.]example/login` to INC-1") {
		t.Errorf("adding a defanged URL answered %q", got)
	}
	if got := s.command("UBOB", ch, "ioc add 203.0.113.7 ipv4"); !strings.Contains(got, "`203[.]0[.]113[.]7`") {
		t.Errorf("adding an address answered %q", got)
	}
	if got := s.command("UALICE", ch, "ioc add 203[.]0[.]113[.]7"); !strings.Contains(got, "seen 2 times now") {
		t.Errorf("adding the same address again answered %q", got)
	}
	if got := s.command("UALICE", ch, "ioc add 203.0.113.7 domain"); !strings.Contains(got, "is an IPv4 address, not a domain") {
		t.Errorf("a wrong type answered %q", got)
	}
	if got := s.command("UALICE", ch, "ioc add nothing-here"); !strings.Contains(got, "is not an indicator I know") || !strings.Contains(got, "Usage: `/incident ioc add") {
		t.Errorf("a non-indicator answered %q", got)
	}
	list := s.command("UALICE", ch, "iocs")
	for _, want := range []string{"Indicators of INC-1 (2)", "`hxxps[://]evil[.]example/login`", "`203[.]0[.]113[.]7`", "seen 2×", "suspected"} {
		if !strings.Contains(list, want) {
			t.Errorf("/incident iocs lacks %q:\n%s", want, list)
		}
	}
	if got := s.command("UALICE", ch, "ioc mark 203[.]0[.]113[.]7 malicious"); !strings.Contains(got, "`203[.]0[.]113[.]7` on INC-1 is now malicious") {
		t.Errorf("marking an indicator answered %q", got)
	}
	if got := s.command("UALICE", ch, "ioc mark 198.51.100.1 malicious"); !strings.Contains(got, "INC-1 has no indicator") {
		t.Errorf("marking an unknown indicator answered %q", got)
	}
	if got := s.command("UALICE", ch, "ioc mark 203.0.113.7 evil"); !strings.Contains(got, "no state `evil`") {
		t.Errorf("a bad state answered %q", got)
	}
	if got := s.command("UALICE", ch, "iocs"); !strings.Contains(got, "`203[.]0[.]113[.]7` · malicious") {
		t.Errorf("/incident iocs after marking:\n%s", got)
	}
	timeline := s.command("UALICE", ch, "timeline")
	if !strings.Contains(timeline, "Indicator (ipv4) 203[.]0[.]113[.]7 marked malicious") {
		t.Errorf("the timeline lacks the marking:\n%s", timeline)
	}
	if !strings.Contains(timeline, "Indicator (url): hxxps[://]evil[.]example/login") || strings.Contains(timeline, "https://evil") {
		t.Errorf("the timeline does not show the indicator defanged:\n%s", timeline)
	}
	if live := h.slack.Live(); len(live) > 0 {
		t.Errorf("live markup reached Slack: %q", live)
	}
}

// TestIndicatorSeenInAPrivateIncident adds an indicator that is already on
// a public incident and on a private one: the person is told of the public
// one only, and the private one's commander is told privately instead.
func TestIndicatorSeenInAPrivateIncident(t *testing.T) {
	t.Parallel()
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UDAVE")
	s.command("UALICE", general, "declare Phishing wave sev2")
	public := h.declared(t, "UALICE", "INC-1").ID
	s.command("UDAVE", general, "declare Insider case sev2 --private")
	private := h.declared(t, "UDAVE", "INC-2").ID
	s.command("UALICE", general, "declare Beaconing sev3")
	third := h.declared(t, "UALICE", "INC-3").ID
	s.command("UALICE", public, "ioc add evil[.]example")
	s.command("UDAVE", private, "ioc add evil.example")
	// The standing responders (bob, carol) are members of every incident:
	// alice is not a member of dave's private one.
	got := s.command("UALICE", third, "ioc add hxxp://evil.example/x")
	if strings.Contains(got, "Also seen") {
		t.Errorf("a URL was matched with a domain: %q", got)
	}
	got = s.command("UALICE", third, "ioc add evil.example")
	if !strings.Contains(got, "Also seen in *INC-1*") || strings.Contains(got, "INC-2") {
		t.Errorf("the sighting answered %q; want INC-1 named and INC-2 not", got)
	}
	told := dmOf(h.slack, "UDAVE")
	if !strings.Contains(told, "was also added to INC-3") || !strings.Contains(told, "`evil[.]example` of INC-2") {
		t.Errorf("the private incident's commander was told %q", told)
	}
}
