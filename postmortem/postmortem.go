// Package postmortem compiles an incident's postmortem from its stored
// state alone: a Markdown document and a PNG chart of its phases.
package postmortem

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// Input is everything a postmortem is made of.
type Input struct {
	Incident *incident.Incident
	Timeline []incident.TimelineEvent
	Roles    []incident.Role
	Names    map[string]string // Slack user ID -> display name; IDs without one are shown as they are
	// Indicators are the incident's indicators, shown defanged.
	Indicators []incident.Indicator
	// Evidence are its items of evidence with their custody logs, and
	// CustodyKey the key their entries are sealed with (nil: none).
	Evidence   []incident.Evidence
	CustodyKey []byte
	// Clocks are its regulatory clocks under the configuration.
	Clocks []incident.Clock
	// Targets are its severity's time-in-phase targets, when it has any.
	Targets   map[incident.Phase]time.Duration
	Published time.Time

	red incident.RedText // takes its TLP:RED indicators out of text
}

// name is a person as the document shows them: @name, escaped like any
// text a person chose (a display name can hold Markdown or Slack markup).
func (in Input) name(id string) string {
	if id == "" {
		return "incidentbot"
	}
	if n := in.Names[id]; n != "" {
		return "@" + mdCell(n)
	}
	return mdCell(id)
}

var mention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

// md is recorded text for the document: escaped, with each <@U123> turned
// into the person's @name. In a table cell (cell) line breaks become spaces.
func (in Input) md(s string, cell bool) string {
	s = in.red.Apply(s)
	esc := mdText
	if cell {
		esc = mdCell
	}
	var b strings.Builder
	last := 0
	for _, m := range mention.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(esc(s[last:m[0]]))
		b.WriteString(in.name(s[m[2]:m[3]]))
		last = m[1]
	}
	b.WriteString(esc(s[last:]))
	return b.String()
}

// roleName is a role's display name as configured now, or its key.
func (in Input) roleName(key string) string {
	for _, r := range in.Roles {
		if r.Key == key {
			return r.Name
		}
	}
	return key
}

// Interval is a stretch of time the incident spent in one phase.
type Interval = incident.Interval

// Intervals are the phases in the order the incident went through them, up to end.
func (in Input) Intervals(end time.Time) []Interval {
	return incident.PhaseIntervals(in.Incident.DeclaredAt, in.Timeline, end)
}

// Figures are the headline durations.
type Figures = incident.Figures

// HeadlineFigures works the figures out from the timeline.
func (in Input) HeadlineFigures() Figures {
	return incident.HeadlineFigures(in.Incident, in.Timeline, in.Published)
}

// Markdown renders the postmortem document.
func Markdown(in Input) string {
	inc := in.Incident
	in.red = incident.WithholdRed(in.Indicators)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	title := inc.Ref() + ": " + in.red.Apply(inc.Title)
	if inc.Drill {
		title = "DRILL " + title
	}
	w("# Postmortem %s\n\n", mdText(title))

	w("| | |\n| --- | --- |\n")
	w("| Severity | %s |\n", in.severityLine())
	w("| Marking | %s |\n", inc.Marking())
	w("| Declared | %s by %s |\n", stamp(inc.DeclaredAt), in.name(inc.DeclaredBy))
	if !inc.ResolvedAt.IsZero() {
		w("| Resolved | %s |\n", stamp(inc.ResolvedAt))
	}
	w("| Postmortem | %s |\n", stamp(in.Published))
	if inc.Private {
		w("| Visibility | private |\n")
	}
	w("| Channel | #%s |\n\n", in.red.Apply(inc.ChannelName))

	w("## Summary\n\n%s\n\n", orNone(in.md(inc.Summary, false)))

	f := in.HeadlineFigures()
	w("## Headline figures\n\n| Figure | Time |\n| --- | --- |\n")
	if r := inc.Report; r != nil {
		w("| Reported | %s as %s |\n", stamp(r.ReportedAt), incident.FormatReportRef(r.Number))
		w("| Time to acknowledge | %s |\n", dur(f.ToAcknowledge))
		w("| Time to declare | %s |\n", dur(f.ToDeclare))
	} else {
		w("| Time to acknowledge | not reported before it was declared |\n")
		w("| Time to declare | not reported before it was declared |\n")
	}
	w("| Time to contain | %s |\n", durOr(f.ToContain, "containment not completed"))
	w("| Time to recover | %s |\n", durOr(f.ToRecover, "not resolved"))
	w("| Total | %s |\n\n", dur(f.Total))

	totals := incident.PhaseDurations(inc.DeclaredAt, in.Timeline, in.Published)
	if len(in.Targets) == 0 {
		w("## Time in each phase\n\n| Phase | Time |\n| --- | --- |\n")
	} else {
		w("## Time in each phase\n\n| Phase | Time | Target (%s) |\n| --- | --- | --- |\n", inc.Severity)
	}
	for _, p := range incident.Phases() {
		d, ok := totals[p]
		switch {
		case !ok:
		case len(in.Targets) == 0:
			w("| %s | %s |\n", p.Title(), dur(d))
		default:
			w("| %s | %s | %s |\n", p.Title(), dur(d), against(d, in.Targets[p]))
		}
	}
	w("\n")
	in.skippedGates(w)

	w("## Roles\n\n")
	held := in.roleHistory()
	if len(held) == 0 {
		w("None recorded.\n")
	}
	for _, r := range in.Roles {
		if h := held[r.Key]; len(h) > 0 {
			w("- %s: %s\n", mdText(r.Name), strings.Join(h, ", "))
		}
	}
	w("\n")

	w("## Timeline\n\n")
	if len(in.Timeline) == 0 {
		w("None recorded.\n")
	} else {
		w("| Time (UTC) | Who | What |\n| --- | --- | --- |\n")
		words := incident.Words{
			User: in.name,
			Text: func(s string) string { return in.md(s, true) },
			Role: in.roleName,
		}
		red := map[string]bool{}
		for _, i := range in.Indicators {
			red[string(i.Type)+" "+i.Value] = i.Marking == "TLP:RED"
		}
		for _, ev := range in.Timeline {
			what := ev.Describe(words)
			if ev.Marking == "TLP:RED" {
				what = "(a " + mdCell(string(ev.Kind)) + " marked TLP:RED, withheld)"
			}
			if ev.Kind == incident.EventIndicator && red[ev.From+" "+ev.Text] {
				what = "Indicator (" + mdCell(ev.From) + ") withheld (TLP:RED)"
			}
			if ev.Link != "" {
				what += " ([message](" + ev.Link + "))"
			}
			w("| %s | %s | %s |\n", ev.At.UTC().Format("2006-01-02 15:04:05"), in.name(ev.Actor), what)
		}
	}
	w("\n")

	w("## Checklists\n\n")
	any := false
	for _, p := range incident.Phases() {
		items := inc.Checklists[p]
		if len(items) == 0 {
			continue
		}
		any = true
		done, total := inc.Progress(p)
		w("### %s (%d/%d done)\n\n", p.Title(), done, total)
		for _, it := range items {
			if it.Done {
				w("- [x] %s (%s)\n", in.md(it.Text, false), in.name(it.By))
			} else {
				w("- [ ] %s\n", in.md(it.Text, false))
			}
		}
		w("\n")
	}
	if !any {
		w("None recorded.\n\n")
	}

	w("## Lessons learned\n\n")
	for _, group := range []struct {
		title string
		pick  func(incident.Lesson) string
	}{
		{"What went well", func(l incident.Lesson) string { return l.WentWell }},
		{"What went wrong", func(l incident.Lesson) string { return l.WentWrong }},
		{"What to improve", func(l incident.Lesson) string { return l.Improve }},
	} {
		w("### %s\n\n", group.title)
		n := 0
		for _, l := range inc.Lessons {
			if t := strings.TrimSpace(group.pick(l)); t != "" {
				w("- %s — %s\n", in.md(strings.ReplaceAll(t, "\n", " "), false), in.name(l.Author))
				n++
			}
		}
		if n == 0 {
			w("None recorded.\n")
		}
		w("\n")
	}

	in.caseRecords(w)
	in.notifications(w)

	w("## Follow-up actions\n\n")
	if len(inc.FollowUps) == 0 {
		w("None recorded.\n")
	} else {
		w("| # | Action | Owner | Due | Status |\n| --- | --- | --- | --- | --- |\n")
		for _, a := range inc.FollowUps {
			owner, due, status := "unassigned", "none", "open"
			if a.Owner != "" {
				owner = in.name(a.Owner)
			}
			if a.Due != "" {
				due = a.Due
			}
			if a.Done {
				status = "done by " + in.name(a.DoneBy)
			}
			w("| %d | %s | %s | %s | %s |\n", a.ID, in.md(a.Text, true), owner, due, status)
		}
	}
	return b.String()
}

func (in Input) severityLine() string {
	line := "`" + in.Incident.Severity + "`"
	var changes []string
	for _, ev := range in.Timeline {
		if ev.Kind != incident.EventSeverity {
			continue
		}
		change := ev.From + " → " + ev.To
		if ev.V == 0 { // stored before events were typed
			change = strings.TrimPrefix(ev.Text, "Severity: ")
		}
		changes = append(changes, fmt.Sprintf("%s at %s by %s", mdText(change), stamp(ev.At), in.name(ev.Actor)))
	}
	if len(changes) > 0 {
		line += " (changes: " + strings.Join(changes, "; ") + ")"
	}
	return line
}

// roleHistory lists, per role, who held it from when, from the declaration and the role events.
func (in Input) roleHistory() map[string][]string {
	out := map[string][]string{}
	inc := in.Incident
	out[incident.CommanderRole] = []string{in.name(inc.DeclaredBy) + " from " + stamp(inc.DeclaredAt)}
	for _, ev := range in.Timeline {
		if ev.Kind != incident.EventRole {
			continue
		}
		if ev.V != 0 { // typed: the role by its key, whatever it is called now
			holder := "nobody"
			if ev.To != "" {
				holder = in.name(ev.To)
			}
			out[ev.Role] = append(out[ev.Role], holder+" from "+stamp(ev.At))
			continue
		}
		// Stored before events were typed: the sentence names the role as it was called then.
		for _, r := range in.Roles {
			rest, ok := strings.CutPrefix(ev.Text, r.Name+": ")
			if !ok {
				continue
			}
			if strings.HasSuffix(rest, "stepped down") {
				out[r.Key] = append(out[r.Key], "nobody from "+stamp(ev.At))
				continue
			}
			if _, after, found := strings.Cut(rest, " → "); found {
				rest = after
			}
			out[r.Key] = append(out[r.Key], in.md(rest, true)+" from "+stamp(ev.At))
		}
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func dur(d time.Duration) string { return incident.HumanDuration(d) }

func durOr(d time.Duration, none string) string {
	if d <= 0 {
		return none
	}
	return dur(d)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "None recorded."
	}
	return s
}

// mdText keeps user text from being read as Markdown structure.
func mdText(s string) string {
	s = strings.Map(func(r rune) rune { // display-reordering controls could disguise what the document says
		if (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c' {
			return -1
		}
		return r
	}, s)
	return strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "#", "\\#", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]").Replace(s)
}

// mdCell is mdText for a table cell: one line, no pipes.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(mdText(s), "|", "\\|"), "\n", " ")
}

// caseRecords writes the indicators (defanged), the evidence with whether
// each custody chain verifies, and the containment actions.
func (in Input) caseRecords(w func(format string, args ...any)) {
	inc := in.Incident
	w("## Indicators\n\n")
	if len(in.Indicators) == 0 {
		w("None recorded.\n\n")
	} else {
		w("Shown defanged; those marked TLP:RED are withheld here (the incident's channel has them).\n\n| Type | Indicator | State | Marking | Seen | First seen | Added by | Note |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, i := range in.Indicators {
			// Another indicator may hold a TLP:RED one (a URL on its domain).
			marking, shown, note := i.Marking, mdCell(in.red.Apply(i.Defanged())), in.md(i.Note, true)
			if marking == "" {
				marking = "none"
			}
			if marking == "TLP:RED" {
				shown, note = "withheld (TLP:RED)", ""
			}
			w("| %s | %s | %s | %s | %d | %s | %s | %s |\n", i.Type, shown, strings.ReplaceAll(i.State, "_", " "),
				marking, i.Sightings, stamp(i.FirstSeen), in.name(i.AddedBy), note)
		}
		w("\n")
	}
	w("## Evidence\n\n")
	if len(in.Evidence) == 0 {
		w("None recorded.\n\n")
	} else {
		w("The custody log of each item goes with this document as a CSV file.\n\n| Item | Name | SHA-256 | Stored | Held by | Custody steps | Chain |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, e := range in.Evidence {
			chain := "verifies"
			if brk, ok := inc.VerifyEvidence(e, in.CustodyKey); !ok {
				chain = "**BROKEN**: " + mdCell(brk.Reason)
			}
			if e.Mismatch {
				chain += "; **hash mismatch on receipt**"
			}
			hash := "`" + e.SHA256 + "`"
			if in.red.Apply(e.SHA256) != e.SHA256 { // a sample whose hash is a TLP:RED indicator
				hash = incident.WithheldRed
			}
			w("| %s | %s | %s | %s | %s | %d | %s |\n", e.Ref(), in.md(e.Name, true), hash, in.md(e.Location, true), in.name(e.Holder), len(e.Custody), chain)
		}
		w("\n")
	}
	w("## Containment actions\n\n")
	if len(inc.Actions) == 0 {
		w("None recorded.\n\n")
		return
	}
	w("| Action | What | Target | Taken | Outcome |\n| --- | --- | --- | --- | --- |\n")
	for _, a := range inc.Actions {
		outcome := "**open**"
		switch a.State {
		case incident.ActionUndone:
			outcome = "undone by " + in.name(a.ClosedBy) + ", " + stamp(a.ClosedAt)
			if a.Reason != "" {
				outcome += ": " + in.md(a.Reason, true)
			}
		case incident.ActionKept:
			outcome = "kept by " + in.name(a.ClosedBy) + ", " + stamp(a.ClosedAt) + ": " + in.md(a.Reason, true)
		}
		if a.FollowUp > 0 {
			outcome += fmt.Sprintf(" (follow-up #%d)", a.FollowUp)
		}
		w("| %s | %s | %s | %s by %s | %s |\n", a.Ref(), a.Kind, in.md(a.Shown(), true), stamp(a.At), in.name(a.By), outcome)
	}
	w("\n")
}

// notifications is the regulatory section: each decision, and each
// clock's deadline, notification and reason for a delay. An incident
// with no decision recorded has none.
func (in Input) notifications(w func(format string, args ...any)) {
	inc := in.Incident
	if len(inc.Decisions) == 0 {
		return
	}
	w("## Regulatory notifications\n\n")
	for _, name := range incident.Decisions() {
		if d, ok := inc.Decided(name); ok {
			w("- Decided %s: %s, by %s\n", incident.DecisionTitle(name), stamp(d.At), in.name(d.By))
		}
	}
	w("\n")
	if len(in.Clocks) == 0 {
		w("No regulatory clock started.\n\n")
		return
	}
	w("| Notification | Clock started | Deadline | Notified | Reference | Reason for the delay |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, c := range in.Clocks {
		notified, ref, reason := "**not notified**", "", ""
		if !c.Running() {
			notified = stamp(c.Notified.At) + " by " + in.name(c.Notified.By)
			ref, reason = in.md(c.Notified.Ref, true), in.md(c.Notified.DelayReason, true)
			if c.Notified.At.After(c.Deadline) && reason == "" {
				reason = "not given"
			}
		} else if in.Published.After(c.Deadline) {
			notified = "**not notified: overdue**"
		}
		w("| %s | %s | %s | %s | %s | %s |\n", in.md(c.Name(), true), stamp(c.Started), stamp(c.Deadline), notified, ref, reason)
	}
	w("\n")
}

// skippedGates lists the phases left with required checklist items not
// done, by whom and why: a gate skipped is a finding of the review.
func (in Input) skippedGates(w func(format string, args ...any)) {
	var gates []incident.TimelineEvent
	for _, ev := range in.Timeline {
		if ev.Kind == incident.EventGate {
			gates = append(gates, ev)
		}
	}
	if len(gates) == 0 {
		return
	}
	w("### Exit criteria skipped\n\n| Phase left | When | By | Required items not done | Reason |\n| --- | --- | --- | --- | --- |\n")
	for _, ev := range gates {
		w("| %s | %s | %s | %s | %s |\n", ev.Phase.Title(), stamp(ev.At), in.name(ev.Actor), in.md(ev.Text, true), in.md(ev.Reason, true))
	}
	w("\n")
}

// against is a phase's time against its target.
func against(d, target time.Duration) string {
	switch {
	case target <= 0:
		return "none"
	case d <= target:
		return incident.TargetDuration(target) + ": met"
	}
	return incident.TargetDuration(target) + ": **missed** by " + incident.TargetDuration((d - target).Round(time.Second))
}
