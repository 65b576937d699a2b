package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// plural is "1 indicator", "3 indicators"; forms[1] is an irregular plural.
func plural(n int, forms ...string) string {
	if n == 1 {
		return "1 " + forms[0]
	}
	if len(forms) > 1 {
		return fmt.Sprintf("%d %s", n, forms[1])
	}
	return fmt.Sprintf("%d %ss", n, forms[0])
}

// lines lays out list lines in sections within Block Kit's limits, with
// "…and N more" when they do not all fit.
func lines(header string, items []string, footer string) []Block {
	blocks := []Block{Header(header)}
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() > 0 {
			blocks = append(blocks, Section(chunk.String()))
			chunk.Reset()
		}
	}
	for i, line := range items {
		if chunk.Len()+len(line) > MaxSectionText-100 {
			flush()
		}
		if len(blocks) >= MaxBlocks-3 {
			blocks = append(blocks, Context(fmt.Sprintf("…and %d more.", len(items)-i)))
			chunk.Reset()
			break
		}
		chunk.WriteString(line + "\n")
	}
	flush()
	if footer != "" {
		blocks = append(blocks, Context(footer))
	}
	return blocks
}

// EvidenceLine is an item of evidence as the list shows it.
type EvidenceLine struct {
	Ref, Name, SHA256, Location, Holder string
	Steps                               int
	Mismatch, ChainOK                   bool
	AddedAt                             time.Time
}

// EvidenceList lists an incident's evidence.
func EvidenceList(ref string, items []EvidenceLine) Message {
	if len(items) == 0 {
		return TextMessage(fmt.Sprintf("No evidence on %s yet. Add an item with %s.", Text(ref),
			Code("/incident evidence add laptop-image sha256:… locker 3")))
	}
	out := make([]string, len(items))
	for i, e := range items {
		flag := " · custody chain verifies"
		if !e.ChainOK {
			flag = " · :x: *custody chain broken*"
		}
		if e.Mismatch {
			flag += " · :warning: *hash mismatch on receipt*"
		}
		out[i] = fmt.Sprintf("• *%s* %s · %s · stored: %s · held by %s · %s%s", Text(e.Ref), Text(Truncate(e.Name, 200)),
			Code("sha256:"+e.SHA256[:min(12, len(e.SHA256))]+"…"), Text(Truncate(e.Location, 300)), User(e.Holder), plural(e.Steps, "custody step"), flag)
	}
	return Message{Text: fmt.Sprintf("%s of evidence on %s", plural(len(items), "item"), Text(ref)),
		Blocks: lines(fmt.Sprintf("Evidence of %s (%d)", ref, len(items)), out, "An item's custody log: "+Code("/incident evidence "+ref+" log "+items[0].Ref))}
}

// CustodyStep is one entry of a custody log as it is shown.
type CustodyStep struct {
	Seq                   int
	At                    time.Time
	Actor, Step, From, To string
	SHA256, Where, Note   string
	Hash                  string
}

// CustodyLog shows an item's chain of custody and whether it verifies.
func CustodyLog(ref, name string, steps []CustodyStep, verified bool, broken string) Message {
	out := make([]string, len(steps))
	for i, c := range steps {
		what := Text(c.Step)
		switch c.Step {
		case incident.CustodyCollected:
			what = fmt.Sprintf("collected by %s, %s, stored: %s", User(c.To), Code("sha256:"+c.SHA256), Text(Truncate(c.Where, 300)))
		case incident.CustodyTransferred:
			what = fmt.Sprintf("handed from %s to %s", User(c.From), User(c.To))
		case incident.CustodyVerified:
			what = "re-hashed on receipt: matches"
		case incident.CustodyMismatch:
			what = fmt.Sprintf(":warning: re-hashed on receipt: *MISMATCH*, got %s", Code("sha256:"+c.SHA256))
		}
		if c.Note != "" {
			what += " (" + Text(Truncate(c.Note, 300)) + ")"
		}
		out[i] = fmt.Sprintf("%d. %s %s: %s · entry %s", c.Seq, Date(c.At, "{date_short} {time}"), User(c.Actor), what, Code(c.Hash[:min(12, len(c.Hash))]))
	}
	footer := ":white_check_mark: The log is intact: every entry matches its hash and links to the one before."
	for _, c := range steps {
		if c.Step == incident.CustodyMismatch {
			footer += " It records a hash mismatch on receipt: treat the item as possibly altered."
			break
		}
	}
	if !verified {
		footer = ":x: The chain does NOT verify: " + Text(broken) + ". The record was changed outside the bot."
	}
	return Message{Text: fmt.Sprintf("Custody log of %s", Text(ref)),
		Blocks: lines(fmt.Sprintf("Custody of %s %s", ref, name), out, footer)}
}

// ContainmentLine is a containment action as the list shows it.
type ContainmentLine struct {
	Ref, Kind, Target, Note, By, State, ClosedBy, Reason string
	At, Until, ClosedAt                                  time.Time
}

// ContainmentList lists an incident's containment actions, open first.
func ContainmentList(ref string, items []ContainmentLine) Message {
	if len(items) == 0 {
		return TextMessage(fmt.Sprintf("No containment actions on %s yet. Record one with %s.", Text(ref),
			Code("/incident action isolate host-12")))
	}
	open := 0
	out := make([]string, len(items))
	for i, a := range items {
		line := fmt.Sprintf("• *%s* %s %s · by %s %s", Text(a.Ref), Text(a.Kind), Code(Truncate(a.Target, 300)), User(a.By), Date(a.At, "{date_short} {time}"))
		if a.Note != "" {
			line += " · " + Text(Truncate(a.Note, 300))
		}
		switch a.State {
		case incident.ActionOpen:
			open++
			line += " · *open*"
			if !a.Until.IsZero() {
				line += " until " + Date(a.Until, "{date_short} {time}")
			}
		case incident.ActionKept:
			line += fmt.Sprintf(" · kept by %s %s: %s", User(a.ClosedBy), Date(a.ClosedAt, "{date_short} {time}"), Text(Truncate(a.Reason, 300)))
		default:
			line += " · undone by " + User(a.ClosedBy) + " " + Date(a.ClosedAt, "{date_short} {time}")
			if a.Reason != "" {
				line += ": " + Text(Truncate(a.Reason, 300))
			}
		}
		out[i] = line
	}
	footer := ""
	for _, a := range items {
		if a.State == incident.ActionOpen {
			// With the incident named, the hint works pasted anywhere.
			footer = "Undo one with " + Code("/incident action "+ref+" undo "+a.Ref) + ", or make it permanent with " + Code("/incident action "+ref+" keep "+a.Ref+" blocked for good") + "."
			break
		}
	}
	return Message{Text: fmt.Sprintf("%s of %s, %d open", plural(len(items), "containment action"), Text(ref), open),
		Blocks: lines(fmt.Sprintf("Containment actions of %s (%d open)", ref, open), out, footer)}
}

// AuditLine is one entry of an incident's audit log as it is shown.
type AuditLine struct {
	Seq                  int
	At                   time.Time
	Actor, What, Outcome string
}

// maxAuditShown bounds the entries the audit log shows: the newest.
const maxAuditShown = 100

// AuditLog shows a page of an incident's audit log (1: the newest
// entries), newest last, and whether its whole chain verifies (where it
// breaks, when it does not).
func AuditLog(ref string, items []AuditLine, verified bool, brokenAt int, reason string, page int) Message {
	if len(items) == 0 {
		return TextMessage(fmt.Sprintf("The audit log of %s is empty.", Text(ref)))
	}
	// Refused or failed attempts repeated by one person are one line, so
	// that a flood of them does not push the rest out of sight.
	var all []string
	for i := 0; i < len(items); {
		e, j := items[i], i+1
		for e.Outcome != incident.AuditOK && j < len(items) && items[j].Actor == e.Actor && items[j].What == e.What && items[j].Outcome == e.Outcome {
			j++
		}
		mark := ""
		if e.Outcome != incident.AuditOK {
			mark = " · *" + Text(e.Outcome) + "*"
		}
		seq := fmt.Sprintf("%d.", e.Seq)
		if j-i > 1 {
			seq, mark = fmt.Sprintf("%d–%d.", e.Seq, items[j-1].Seq), mark+fmt.Sprintf(" ×%d, the last %s", j-i, Date(items[j-1].At, "{date_short} {time_secs}"))
		}
		all = append(all, fmt.Sprintf("%s %s %s: %s%s", seq, Date(e.At, "{date_short} {time_secs}"), User(e.Actor), Code(e.What), mark))
		i = j
	}
	pages := (len(all) + maxAuditShown - 1) / maxAuditShown
	page = min(max(page, 1), pages)
	end := len(all) - (page-1)*maxAuditShown
	out := all[max(0, end-maxAuditShown):end]
	footer := fmt.Sprintf(":white_check_mark: The chain of all %d entries verifies.", len(items))
	if !verified {
		footer = fmt.Sprintf(":x: The chain does NOT verify at entry #%d: %s. The log was changed outside the bot.", brokenAt, Text(reason))
	}
	if pages > 1 {
		footer = fmt.Sprintf("Page %d of %d (%s for older entries; the postmortem's audit file has them all). ", page, pages, Code("/incident audit page <n>")) + footer
	}
	return Message{Text: fmt.Sprintf("Audit log of %s", Text(ref)), Blocks: lines(fmt.Sprintf("Audit log of %s", ref), out, footer)}
}

// Stats shows the headline figures across incidents, by severity.
func Stats(days int, bySeverity []incident.SeverityStats) Message {
	head := fmt.Sprintf(":bar_chart: *Incidents declared in the last %s*, drills left out: median and 90th percentile", plural(days, "day"))
	if len(bySeverity) == 0 {
		return TextMessage(head + "\n_No incidents you can see were declared in that time._")
	}
	blocks := []Block{Section(head)}
	for _, s := range bySeverity {
		lines := []string{fmt.Sprintf("*%s* · %s", Text(s.Severity), plural(s.Incidents, "incident"))}
		for _, f := range []struct {
			name string
			s    incident.Spread
			none string
		}{
			{"To acknowledge", s.ToAcknowledge, "none came from a report"},
			{"To declare", s.ToDeclare, "none came from a report"},
			{"To contain", s.ToContain, "none contained yet"},
			{"To recover", s.ToRecover, "none closed yet"},
		} {
			if f.s.N == 0 {
				lines = append(lines, fmt.Sprintf("• %s: _%s_", f.name, f.none))
				continue
			}
			lines = append(lines, fmt.Sprintf("• %s: median %s · p90 %s (%s)", f.name, incident.HumanDuration(f.s.Median), incident.HumanDuration(f.s.P90), plural(f.s.N, "incident")))
		}
		blocks = append(blocks, Section(strings.Join(lines, "\n")))
	}
	blocks = append(blocks, Context("To acknowledge and to declare count from the report, for incidents declared from one; to contain is until the incident left containment; to recover is until it was closed. Only incidents you can see are counted."))
	return Message{Text: fmt.Sprintf("Incident statistics, last %s", plural(days, "day")), Blocks: blocks}
}
