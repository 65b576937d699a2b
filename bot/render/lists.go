package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// maxListed keeps a list within Slack's 50 blocks.
const maxListed = 45

// ListItem is one incident in a list. Redacted items (a private incident
// listed outside it) show no title, channel or people.
type ListItem struct {
	Ref, Title, Severity string
	Phase                incident.Phase
	Private, Redacted    bool
	Marking              string // when Redacted for it: the TLP marking that keeps the details in
	Drill                bool
	ChannelID            string
	Commander            string
	DeclaredAt           time.Time
}

// OpenIncidents is the list a person asks for, most severe first as given.
func OpenIncidents(items []ListItem) Message {
	if len(items) == 0 {
		return TextMessage(":white_check_mark: No open incidents.")
	}
	blocks := []Block{Header(fmt.Sprintf("Open incidents (%d)", len(items)))}
	for i, it := range items {
		if i == maxListed {
			blocks = append(blocks, Context(fmt.Sprintf("…and %d more.", len(items)-maxListed)))
			break
		}
		lock := ""
		if it.Private {
			lock = " :lock:"
		}
		if it.Drill {
			lock += " :performing_arts: " + incident.DrillPrefix
		}
		channel := "_no channel_"
		if it.ChannelID != "" {
			channel = "<#" + it.ChannelID + ">"
		}
		blocks = append(blocks, Section(fmt.Sprintf("*%s* `%s` %s%s\n%s · %s · commander %s · declared %s",
			it.Ref, Text(it.Severity), Text(it.Title), lock, it.Phase.Title(), channel, User(it.Commander), Date(it.DeclaredAt, "{ago}"))))
	}
	return Message{Text: plural(len(items), "open incident"), Blocks: blocks}
}

// digestLine is an incident as the stakeholder channel lists it.
func digestLine(it ListItem) string {
	if it.Redacted {
		why := "private incident"
		switch {
		case !it.Private && it.Marking != "":
			why = Text(it.Marking)
		case it.Marking != "" && it.Marking != "TLP:CLEAR":
			why += ", " + Text(it.Marking)
		}
		return fmt.Sprintf("*%s* `%s` :lock: %s · %s · opened %s", it.Ref, Text(it.Severity), why, it.Phase.Title(), Date(it.DeclaredAt, "{ago}"))
	}
	return fmt.Sprintf("*%s* `%s` %s · %s · opened %s · commander %s", it.Ref, Text(it.Severity), Text(Truncate(it.Title, 200)),
		it.Phase.Title(), Date(it.DeclaredAt, "{ago}"), User(it.Commander))
}

// Digest is the stakeholder channel's list of open incidents.
// Reports waiting for triage are a count and the longest wait (nothing of
// what they say: the triage channel has that).
func Digest(items []ListItem, waitingReports int, oldestReport time.Time) Message {
	blocks := []Block{Header(fmt.Sprintf("Open incidents: %d", len(items)))}
	if len(items) == 0 {
		blocks = append(blocks, Section(":white_check_mark: No open incidents."))
	}
	if waitingReports > 0 {
		wait := fmt.Sprintf("%d reports wait", waitingReports)
		if waitingReports == 1 {
			wait = "1 report waits"
		}
		blocks = append(blocks, Context(fmt.Sprintf(":mag: %s for triage, the oldest since %s.", wait, Date(oldestReport, "{ago}"))))
	}
	for i, it := range items {
		if i == maxListed {
			blocks = append(blocks, Context(fmt.Sprintf("…and %d more.", len(items)-maxListed)))
			break
		}
		blocks = append(blocks, Section(digestLine(it)))
	}
	return Message{Text: "Digest: " + plural(len(items), "open incident"), Blocks: blocks}
}

// ScheduledUpdates is the stakeholder channel's message for several
// incidents' scheduled updates due together: a line each, as in the
// digest, a section each (the longest line, escaped, fits one). Its text
// lists the references. A caller keeps to maxListed items.
func ScheduledUpdates(items []ListItem) Message {
	blocks := []Block{Header(fmt.Sprintf("Scheduled updates (%d)", len(items)))}
	refs := make([]string, len(items))
	for i, it := range items {
		refs[i] = it.Ref
		blocks = append(blocks, Section(digestLine(it)))
	}
	return Message{Text: "Scheduled updates on " + strings.Join(refs, ", ") + ".", Blocks: blocks}
}

// FollowUpItem is an open follow-up action and the button that marks it done.
type FollowUpItem struct {
	Ref      string
	ID       int
	Text     string // plain text
	Owner    string // "" for none
	Due      string // YYYY-MM-DD, or ""
	Overdue  bool   // its due date has passed
	MarkDone Action
}

// FollowUps lists open follow-up actions, each with its Mark done button.
func FollowUps(items []FollowUpItem) Message {
	if len(items) == 0 {
		return TextMessage(":white_check_mark: No open follow-up actions.")
	}
	blocks := []Block{Header(fmt.Sprintf("Open follow-up actions (%d)", len(items)))}
	for i, it := range items {
		if i == maxListed {
			blocks = append(blocks, Context(fmt.Sprintf("…and %d more.", len(items)-maxListed)))
			break
		}
		owner, due := "_no owner_", "_no due date_"
		if it.Owner != "" {
			owner = User(it.Owner)
		}
		switch {
		case it.Overdue:
			due = "*overdue* (due " + Text(it.Due) + ")"
		case it.Due != "":
			due = "due " + Text(it.Due)
		}
		b := Section(fmt.Sprintf("*%s #%d* %s\n%s · %s", it.Ref, it.ID, Text(Truncate(it.Text, 300)), owner, due))
		b["accessory"] = Button(it.MarkDone.ID, it.MarkDone.Label, it.MarkDone.Value, "")
		blocks = append(blocks, b)
	}
	return Message{Text: plural(len(items), "open follow-up action"), Blocks: blocks}
}

// RoleHolders lists who holds which role, with each role's key for commands.
func RoleHolders(ref string, roles []RoleLine, keys []string) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "*Roles in %s*", ref)
	for i, r := range roles {
		fmt.Fprintf(&b, "\n• %s (`%s`): %s", Text(r.Name), Text(keys[i]), User(r.Holder))
	}
	b.WriteString("\nAssign with " + Code("/incident assign <role> @person") + ".")
	return TextMessage(b.String())
}

// Help is what /incident help shows.
type Help struct {
	Commands   []HelpLine
	Severities incident.Sentence
}

// HelpLine is one subcommand in the help.
type HelpLine struct {
	Usage, Summary string
	Soon           bool // listed but not available yet
}

// HelpMessage draws the help.
func HelpMessage(h Help) Message {
	var lines []string
	for _, c := range h.Commands {
		soon := ""
		if c.Soon {
			soon = " _(coming soon)_"
		}
		lines = append(lines, "• "+Code(c.Usage)+" — "+Text(c.Summary)+soon)
	}
	blocks := []Block{Section("*`/incident` — incident response in Slack*")}
	var chunk strings.Builder
	for _, l := range lines {
		if chunk.Len()+len(l)+1 > MaxSectionText-100 {
			blocks = append(blocks, Section(chunk.String()))
			chunk.Reset()
		}
		chunk.WriteString(l + "\n")
	}
	if chunk.Len() > 0 {
		blocks = append(blocks, Section(chunk.String()))
	}
	blocks = append(blocks, Context(Code("/incident")+" alone opens the declare form. Inside an incident channel, commands act on its incident; elsewhere give the number first ("+
		Code("/incident status 42")+", "+Code("/incident ioc INC-42 add 203.0.113.7")+")."), Context("Severities: "+Say(h.Severities)))
	return Message{Text: "/incident help", Blocks: blocks}
}
