package main

import (
	"github.com/incidentbot/incidentbot/work/clocktest"
	"strings"
	"testing"
	"time"
)

// What the bot posts on its own to the stakeholder channel withholds a
// TLP:RED value as the notices a person causes do: an incident titled
// after a partner's C2 domain, once the domain is marked TLP:RED, is not
// named by its scheduled stakeholder updates either (they repeat the title
// and the latest update every few minutes, to a wider audience).
func TestScheduledStakeholderUpdatesWithholdRedValues(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, sev1EveryTwoSeconds, "Beacon to partner-c2.example sev1")
	s.command("UALICE", s.ch, "ioc add partner-c2.example --tlp red --note shared by a partner under TLP:RED")
	s.command("UALICE", s.ch, "update blocked partner-c2.example at the edge, watching for more")
	scheduled := scheduledUpdatesFromNow(h)
	h.slack.Await(t, "two scheduled updates after the marking", func() bool { return len(scheduled()) >= 2 })
	for _, m := range scheduled() {
		if strings.Contains(m, "partner-c2") {
			t.Errorf("a scheduled stakeholder update names the TLP:RED domain the notices withhold: %q", m)
			break
		}
	}
}

// The digest of open incidents, posted to the stakeholder channel, lists
// each one's title: a title that names a TLP:RED value is withheld there
// as in every other notice to that channel.
func TestTheDigestWithholdsRedValues(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Beacon to partner-c2.example sev2")
	s.command("UALICE", s.ch, "ioc add partner-c2.example --tlp red --note shared by a partner under TLP:RED")
	stake, _ := h.slack.Channel(h.stakeholder)
	before := len(stake.Messages)
	// The digest runs once a minute whatever its spec: a replica with it,
	// started after the marking, sends the first of this minute.
	r := &harness{slack: h.slack, redis: h.redis, store: h.store, stakeholder: h.stakeholder}
	r.launch(t, false, false, clocks{now: time.Now, outbound: clocktest.Instant{}}, quietSeverities+"digest_cron: \"@every 1s\"\n")
	digests := func() []string {
		c, _ := h.slack.Channel(h.stakeholder)
		var out []string
		for _, m := range c.Messages[before:] {
			if strings.Contains(m.Visible(), "INC-1") && !strings.Contains(m.Visible(), "declared") {
				out = append(out, m.Visible())
			}
		}
		return out
	}
	h.slack.Await(t, "a digest after the marking", func() bool { return len(digests()) >= 1 })
	for _, m := range digests() {
		if strings.Contains(m, "partner-c2") {
			t.Errorf("the digest names the TLP:RED domain the notices withhold: %q", m)
			break
		}
	}
}

// A TLP:RED indicator withholds the text that names it, and only that: an
// indicator anyone may add and mark TLP:RED (a short domain such as a.co)
// must not blank out of the postmortem a summary, a note or a lesson that
// never names it. Otherwise whoever comes by censors the record of what
// happened, by marking one short value (here dave, not in the incident,
// from #general), and only the commander can lower it.
func TestAShortRedIndicatorDoesNotBlankUnrelatedTextFromThePostmortem(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	general, _ := h.slack.ChannelByName("general")
	s.command("UCAROL", s.ch, "note carol disabled audit logging on a core switch before the alert")
	s.command("UDAVE", general.ID, "ioc INC-1 add a.co --tlp red --note from a partner")
	s.command("UALICE", s.ch, "close --confirm the attacker used a compromised admin account")
	s.command("UALICE", s.ch, "postmortem")
	s.await("the postmortem", func() bool { _, ok := fileNamed(h.slack, "inc-1-postmortem.md"); return ok })
	f, _ := fileNamed(h.slack, "inc-1-postmortem.md")
	pm := strings.ReplaceAll(string(f.Content), `\`, "")
	for _, said := range []string{"compromised admin account", "disabled audit logging"} {
		if !strings.Contains(pm, said) {
			t.Errorf("the postmortem no longer says %q: a TLP:RED a.co, which it never names, withheld it whole", said)
		}
	}
}
