package render

import (
	"fmt"
	"strings"
	"time"
)

// IndicatorLine is an indicator as a list shows it: always defanged.
type IndicatorLine struct {
	Type, Defanged, State, AddedBy, Marking string
	Sightings                               int
	FirstSeen                               time.Time
}

// maxIndicatorLines keeps the list within one section per 20 lines and the block limit.
const maxIndicatorLines = 400

// Indicators lists an incident's indicators, defanged, in code spans so
// that nothing in them becomes a link.
func Indicators(ref string, lines []IndicatorLine) Message {
	if len(lines) == 0 {
		return TextMessage(fmt.Sprintf("No indicators on %s yet. Add one with `/incident ioc add 203.0.113.7`.", Text(ref)))
	}
	blocks := []Block{Header(fmt.Sprintf("Indicators of %s (%d)", ref, len(lines)))}
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() > 0 {
			blocks = append(blocks, Section(chunk.String()))
			chunk.Reset()
		}
	}
	for i, l := range lines {
		if i == maxIndicatorLines || len(blocks) >= MaxBlocks-2 {
			flush()
			blocks = append(blocks, Context(fmt.Sprintf("…and %d more.", len(lines)-i)))
			break
		}
		marking := ""
		if l.Marking != "" {
			marking = " · " + Text(l.Marking)
		}
		line := fmt.Sprintf("• %s %s · %s%s · seen %d× · first %s by %s\n", Text(l.Type), Code(Truncate(l.Defanged, 300)), Text(strings.ReplaceAll(l.State, "_", " ")),
			marking, l.Sightings, Date(l.FirstSeen, "{date_short} {time}"), User(l.AddedBy))
		if chunk.Len()+len(line) > MaxSectionText-100 {
			flush()
		}
		chunk.WriteString(line)
	}
	flush()
	return Message{Text: fmt.Sprintf("%d indicators of %s", len(lines), Text(ref)), Blocks: blocks}
}
