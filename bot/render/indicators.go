package render

import (
	"fmt"
	"strings"
	"time"
)

// IndicatorLine is an indicator as a list shows it: always defanged.
type IndicatorLine struct {
	Type, Defanged, State, AddedBy, Marking, Note string
	Sightings                                     int
	FirstSeen, LastSeen                           time.Time
}

// maxIndicatorLines keeps the list within one section per 20 lines and the block limit.
const maxIndicatorLines = 400

// Indicators lists an incident's indicators, defanged, in code spans so
// that nothing in them becomes a link.
func Indicators(ref string, items []IndicatorLine) Message {
	if len(items) == 0 {
		return TextMessage(fmt.Sprintf("No indicators on %s yet. Add one with `/incident ioc add 203.0.113.7`.", Text(ref)))
	}
	out := make([]string, 0, min(len(items), maxIndicatorLines))
	for _, l := range items[:min(len(items), maxIndicatorLines)] {
		marking := ""
		if l.Marking != "" {
			marking = " · " + Text(l.Marking)
		}
		line := fmt.Sprintf("• %s %s · %s%s · seen %d× · first %s by %s", Text(l.Type), Code(Truncate(l.Defanged, 300)), Text(strings.ReplaceAll(l.State, "_", " ")),
			marking, l.Sightings, Date(l.FirstSeen, "{date_short} {time}"), User(l.AddedBy))
		if l.Sightings > 1 {
			line += ", last " + Date(l.LastSeen, "{date_short} {time}")
		}
		if l.Note != "" {
			line += " · " + Text(Truncate(l.Note, 120))
		}
		out = append(out, line)
	}
	footer := ""
	if len(items) > len(out) {
		footer = fmt.Sprintf("…and %d more: %s shares them all.", len(items)-len(out), Code("/incident iocs export"))
	}
	blocks := lines(fmt.Sprintf("Indicators of %s (%d)", ref, len(items)), out, footer)
	return Message{Text: fmt.Sprintf("%s of %s", plural(len(items), "indicator"), Text(ref)), Blocks: blocks}
}
