package main

import (
	"context"
	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// For each TLP level, one incident with an update, a close and a
// postmortem: the stakeholder channel (which takes up to TLP:GREEN, the
// default) receives exactly what the level allows, in its announcements,
// updates, digest and postmortem notice (golden files); above GREEN only
// the number, severity, phase and marking, and never the title or what
// people wrote.
func TestTLPKeepsDetailsWhereTheyBelong(t *testing.T) {
	t.Parallel()
	const title, update, summary = "Payroll fraud by a vendor", "Wire transfers to the vendor frozen", "Vendor account closed; money recovered"
	for _, level := range []string{"clear", "green", "amber", "amber+strict", "red"} {
		t.Run(level, func(t *testing.T) {
			t.Parallel()
			h, s := declaredBot(t, time.Now, quietSeverities+"digest_cron: \"@every 1s\"\n", ""+title+" sev2 --tlp "+level)
			if inc, _ := h.store.Get(s.ctx, 1); inc.Title != title || inc.Marking() != "TLP:"+strings.ToUpper(level) {
				t.Fatalf("declared %q marked %s", inc.Title, inc.Marking())
			}
			s.command("UALICE", s.ch, "update "+update)
			s.await("the digest", func() bool { return len(stakeholderPosts(h, true)) > 0 })
			s.command("UALICE", s.ch, "close "+summary)
			s.command("UALICE", s.ch, "postmortem")
			s.await("the postmortem notice", func() bool {
				return strings.Contains(strings.ToLower(strings.Join(stakeholderPosts(h, false), "\n")), "postmortem")
			})
			// In a fixed order: what each says is the point, not which Slack showed first.
			notices := stakeholderPosts(h, false)
			slices.Sort(notices)
			got := "# notices\n" + strings.Join(notices, "\n") + "\n# digest\n" + stakeholderPosts(h, true)[0] + "\n"
			tlpGolden(t, strings.ReplaceAll(level, "+", "-")+".txt", got)
			shareable := level == "clear" || level == "green"
			for _, secret := range []string{title, update, summary} {
				if strings.Contains(got, secret) != shareable {
					t.Errorf("%s: the stakeholder channel was told %q: %v, want %v", level, secret, !shareable, shareable)
				}
			}
			if card := s.cardMessage().Visible(); !strings.Contains(card, "TLP:"+strings.ToUpper(level)) {
				t.Errorf("the card does not show the marking: %s", card)
			}
		})
	}
}

// stakeholderPosts are the stakeholder channel's messages, dates made
// plain: the digests, or all the others.
func stakeholderPosts(h *harness, digests bool) []string {
	ch, _ := h.slack.Channel(h.stakeholder)
	var out []string
	for _, m := range ch.Messages {
		v := dateToken.ReplaceAllString(m.Visible(), "<date>")
		v = channelToken.ReplaceAllString(v, "<#channel>")
		v = fileLink.ReplaceAllString(v, "<link|")
		isDigest := strings.HasPrefix(v, "Open incidents") || strings.Contains(v, "No open incidents")
		if isDigest == digests {
			out = append(out, v)
		}
	}
	return out
}

var (
	dateToken    = regexp.MustCompile(`<!date\^[^>]*>`)
	channelToken = regexp.MustCompile(`<#C[A-Z0-9]+(\|[^>]*)?>`)
	fileLink     = regexp.MustCompile(`<http://[^|>]*\|`)
)

func tlpGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "tlp", name)
	if *update {
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs from its golden file (go test ./cmd/incidentbot -run TestTLP -update):\n%s", name, got)
	}
}

// /incident tlp shows the marking; anyone raises it; lowering it needs the
// commander and a reason, both on the timeline; a wrong form changes nothing.
func TestTheIncidentsMarking(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	for _, tc := range []struct{ user, text, want string }{
		{"UBOB", "tlp", "INC-1 is TLP:CLEAR. The stakeholder channel is told of it in full (it takes up to TLP:GREEN)."},
		{"UBOB", "tlp amber", "<@UBOB> Marking: TLP:CLEAR → TLP:AMBER\nThe stakeholder channel is told only its number, severity, phase and marking"},
		{"UBOB", "tlp amber", "INC-1 is TLP:AMBER already."},
		{"UBOB", "tlp secret", "There is no marking `secret`."},
		{"UBOB", "tlp green because the partner asked", "Only the incident commander (<@UALICE>) or an admin can lower the marking of INC-1 from TLP:AMBER to TLP:GREEN."},
		{"UALICE", "tlp green", "needs a reason: `/incident tlp green because &lt;reason&gt;`"},
		{"UALICE", "tlp green for the partner", "a reason after `because`"},
		{"UALICE", "tlp green because shared with the partner CERT", "<@UALICE> Marking: TLP:AMBER → TLP:GREEN (shared with the partner CERT)"},
	} {
		if got := s.command(tc.user, s.ch, tc.text); !strings.Contains(got, tc.want) {
			t.Errorf("/incident %s by %s answered %q, want %q", tc.text, tc.user, got, tc.want)
		}
	}
	tl, _ := h.store.Timeline(s.ctx, 1)
	var marks []string
	for _, ev := range tl {
		if ev.Kind == incident.EventTLP {
			marks = append(marks, ev.From+">"+ev.To+":"+ev.Reason)
		}
	}
	if want := []string{"TLP:CLEAR>TLP:AMBER:", "TLP:AMBER>TLP:GREEN:shared with the partner CERT"}; strings.Join(marks, "|") != strings.Join(want, "|") {
		t.Errorf("the timeline's markings: %q, want %q", marks, want)
	}
	if got := s.command("UALICE", s.ch, "declare Second one sev2 --tlp"); !strings.Contains(got, "Give a TLP marking after --tlp") {
		t.Errorf("declare with --tlp and no marking answered %q", got)
	}
}

// TLP:AMBER+STRICT keeps an incident within the organisation: a guest or
// someone of another organisation (Slack Connect) is not invited at the
// declaration, is not given a role, and when the marking is raised to it
// with such people in, the answer says to remove them.
func TestAmberStrictStaysWithinTheOrganisation(t *testing.T) {
	t.Parallel()
	h := startBotWith(t, false, time.Now, quietSeverities)
	h.slack.AddGuest("UGUEST", "gus")
	h.slack.AddExternal("UPARTNER", "pat", "TPARTNER")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := h.slack.CreateChannel("general", false, "UALICE", "UBOB", "UGUEST", "UPARTNER")
	got := s.command("UALICE", general, "declare Payroll fraud sev2 --tlp amber+strict <@UBOB> <@UGUEST> <@UPARTNER>")
	for _, want := range []string{"invite <@UGUEST>, a guest account", "invite <@UPARTNER>, a member of another organisation"} {
		if !strings.Contains(got, want) {
			t.Errorf("the declaration answered %q, want it to say it could not %s", got, want)
		}
	}
	first, err := h.store.Get(s.ctx, 1) // declared with problems, which h.declared would refuse
	if err != nil {
		t.Fatal(err)
	}
	s.ch = first.ChannelID
	ch, _ := h.slack.Channel(s.ch)
	if strings.Contains(strings.Join(ch.Members, " "), "UGUEST") || strings.Contains(strings.Join(ch.Members, " "), "UPARTNER") || !strings.Contains(strings.Join(ch.Members, " "), "UBOB") {
		t.Errorf("the channel's members: %v", ch.Members)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.IsMember("UGUEST") || inc.IsMember("UPARTNER") {
		t.Errorf("the incident counts outsiders as members: %v", inc.Members)
	}
	if got := s.command("UALICE", s.ch, "assign scribe <@UPARTNER>"); !strings.Contains(got, "<@UPARTNER> is a member of another organisation, and INC-1 is TLP:AMBER+STRICT") {
		t.Errorf("assigning a role to someone of another organisation answered %q", got)
	}
	if inc, _ := h.store.Get(s.ctx, 1); inc.Roles["scribe"] != "" {
		t.Errorf("the scribe is %s", inc.Roles["scribe"])
	}

	// An AMBER incident with a guest in it, raised to AMBER+STRICT.
	s.command("UALICE", general, "declare Second case sev2 --tlp amber <@UGUEST>")
	second := h.declared(t, "UALICE", "INC-2").ID
	if got := s.command("UALICE", second, "tlp amber+strict"); !strings.Contains(got, "these are not of it: <@UGUEST> (a guest account). Remove them from the channel.") {
		t.Errorf("raising to AMBER+STRICT with a guest in answered %q", got)
	}
}

// An indicator is never marked less than its incident: added unmarked to
// an AMBER incident it is AMBER, it cannot be lowered below it, and once
// the incident is RED its export and postmortem take every indicator as RED.
func TestIndicatorsAreNeverBelowTheirIncident(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	s.command("UALICE", s.ch, "tlp amber")
	s.command("UBOB", s.ch, "ioc add evil.example")
	if inds, _ := h.store.Indicators(s.ctx, 1); len(inds) != 1 || inds[0].Marking != "TLP:AMBER" {
		t.Fatalf("an indicator added unmarked to an AMBER incident: %+v", inds)
	}
	if got := s.command("UALICE", s.ch, "ioc mark evil.example --tlp green"); !strings.Contains(got, "INC-1 is TLP:AMBER: its indicators are marked no lower.") {
		t.Errorf("lowering an indicator below its incident answered %q", got)
	}
	s.command("UBOB", s.ch, "tlp red")
	s.command("UBOB", s.ch, "iocs export")
	s.await("the export", func() bool { _, ok := fileNamed(h.slack, "inc-1-indicators.csv"); return ok })
	if csv, _ := fileNamed(h.slack, "inc-1-indicators.csv"); !strings.Contains(string(csv.Content), ",TLP:RED,") {
		t.Errorf("the export of a RED incident marks its indicator otherwise:\n%s", csv.Content)
	}
	s.command("UALICE", s.ch, "note blocked evil.example at the edge")
	pm := publishedPostmortem(t, h, s)
	if strings.Contains(strings.ReplaceAll(pm, `\`, ""), "evil[.]example") || strings.Contains(pm, "evil.example") {
		t.Errorf("the postmortem of a RED incident names its indicator:\n%s", pm)
	}
}

// A note or update may carry its own marking, above its incident's: an
// update marked above what the stakeholder channel takes is told there
// only as posted, and a TLP:RED note is withheld from the postmortem.
func TestNotesAndUpdatesCarryTheirOwnMarking(t *testing.T) {
	t.Parallel()
	h, s := caseBot(t)
	if got := s.command("UBOB", s.ch, "update --tlp amber Payroll supplier's bank details were changed"); !strings.Contains(got, "TLP:AMBER") || !strings.Contains(got, "Payroll supplier") {
		t.Fatalf("a marked update answered %q", got)
	}
	s.command("UBOB", s.ch, "update --tlp green Backups verified") // below nothing: the incident is CLEAR, GREEN goes out
	s.command("UBOB", s.ch, "note --tlp red The CFO's mailbox was read by the attacker")
	if got := s.command("UBOB", s.ch, "note --tlp purple x"); !strings.Contains(got, "There is no marking `purple`") {
		t.Errorf("a note with a bad marking answered %q", got)
	}
	s.await("both updates outside", func() bool { return len(stakeholderPosts(h, false)) >= 3 })
	posts := strings.Join(stakeholderPosts(h, false), "\n")
	if strings.Contains(posts, "bank details") || !strings.Contains(posts, "*INC-1* (TLP:AMBER) · `sev2` · Identification: an update was posted for its members.") {
		t.Errorf("the stakeholder channel was told of the AMBER update:\n%s", posts)
	}
	if !strings.Contains(posts, "Backups verified") {
		t.Errorf("the GREEN update did not reach the stakeholder channel:\n%s", posts)
	}
	pm := publishedPostmortem(t, h, s)
	if strings.Contains(pm, "CFO") || !strings.Contains(pm, "(a note marked TLP:RED, withheld)") {
		t.Errorf("the postmortem shows the RED note:\n%s", pm)
	}
}

// scheduledUpdatesFromNow lists, when called, INC-1's scheduled updates
// posted to the stakeholder channel since it was made.
func scheduledUpdatesFromNow(h *harness) func() []string {
	stake, _ := h.slack.Channel(h.stakeholder)
	before := len(stake.Messages)
	return func() []string {
		c, _ := h.slack.Channel(h.stakeholder)
		var out []string
		for _, m := range c.Messages[before:] {
			if strings.Contains(m.Visible(), "Scheduled update on INC-1") {
				out = append(out, m.Visible())
			}
		}
		return out
	}
}

// TestMessagesCarryTheMarking: what the bot posts about a marked incident,
// in its channel and by direct message, carries the marking at the top and
// in its notification text; a marked update carries its own.
func TestMessagesCarryTheMarking(t *testing.T) {
	t.Parallel()
	h, s := declaredBot(t, time.Now, quietSeverities, "Supplier portal breach sev2 --tlp amber", "UBOB")
	s.command("UALICE", s.ch, "assign tech <@UBOB|bob>")
	s.command("UALICE", s.ch, "update --tlp red The CFO's mailbox was read")
	posted := func(channel, text string) fakeslack.Message {
		var found fakeslack.Message
		s.await(text, func() bool {
			c, _ := h.slack.Channel(channel)
			for _, m := range c.Messages {
				if m.VisibleTo == "" && !slices.Contains(c.Pins, m.TS) && strings.Contains(m.Visible(), text) {
					found = m
					return true
				}
			}
			return false
		})
		return found
	}
	dm := func(user, text string) fakeslack.Message {
		var found fakeslack.Message
		s.await(text, func() bool {
			for _, m := range h.slack.DirectMessages(user) {
				if strings.Contains(m.Visible(), text) {
					found = m
					return true
				}
			}
			return false
		})
		return found
	}
	for _, tc := range []struct {
		what    string
		msg     fakeslack.Message
		marking string
	}{
		{"the checklist", posted(s.ch, "Identification checklist"), "TLP:AMBER"},
		{"the role briefing", dm("UBOB", "You are now the *Technical Lead*"), "TLP:AMBER"},
		{"the marked update", posted(s.ch, "mailbox was read"), "TLP:RED"},
	} {
		if !strings.HasPrefix(tc.msg.Text, "["+tc.marking+"]") || !strings.Contains(tc.msg.Visible(), "*"+tc.marking+"*") {
			t.Errorf("%s does not carry %s: text %q, shown %q", tc.what, tc.marking, tc.msg.Text, tc.msg.Visible())
		}
	}
	if card := s.cardMessage().Visible(); !strings.Contains(card, "*TLP:AMBER*") {
		t.Errorf("the card does not show the marking:\n%s", card)
	}
}
