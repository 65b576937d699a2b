package incident

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// caseIncident is an incident with items of evidence of steps custody
// steps each, and actions containment actions.
func caseIncident(b *testing.B, items, steps, actions int) []byte {
	b.Helper()
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 1, Title: "Phishing wave", Status: Open, Phase: Containment}
	for i := range items {
		e, _, err := NewEvidence(1, i+1, at, "UALICE", fmt.Sprintf("item-%d", i), strings.Repeat("a", 64), "evidence locker 3, shelf 2", "seized at the desk")
		if err != nil {
			b.Fatal(err)
		}
		for s := 1; s < steps; s++ {
			if _, err := e.Transfer(at, Actor{ID: e.Holder}, fmt.Sprintf("U%d", s), "courier", nil); err != nil {
				b.Fatal(err)
			}
		}
		inc.NoteEvidence(e, true)
	}
	for i := range actions {
		if _, _, err := inc.AddContainment(at, "UBOB", ContainBlock, fmt.Sprintf("host-%d", i), "edge firewall", time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	doc, err := json.Marshal(inc)
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func mustJSON(b *testing.B, v any) []byte {
	doc, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

// BenchmarkDecodeCaseRecords is what the case records add to every
// command, which decodes the incident's record: a typical incident, and
// one filled to the bounds.
func BenchmarkDecodeCaseRecords(b *testing.B) {
	for _, size := range []struct {
		name                  string
		items, steps, actions int
	}{
		{"none", 0, 0, 0},
		{"typical-5x4-10", 5, 4, 10},
		{"at-the-bounds", MaxEvidence, MaxCustodySteps, MaxContainmentActions},
	} {
		b.Run(size.name, func(b *testing.B) {
			doc := caseIncident(b, size.items, size.steps, size.actions)
			b.ReportAllocs()
			for b.Loop() {
				var inc Incident
				if err := json.Unmarshal(doc, &inc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(doc)), "bytes/record")
		})
	}
}

// BenchmarkVerifyChain is the check of one item's custody log at its bound.
func BenchmarkVerifyChain(b *testing.B) {
	e, _, err := NewEvidence(1, 1, time.Now(), "UALICE", "item", strings.Repeat("a", 64), "locker", "")
	if err != nil {
		b.Fatal(err)
	}
	for s := 1; s < MaxCustodySteps; s++ {
		if _, err := e.Transfer(time.Now(), Actor{ID: e.Holder}, fmt.Sprintf("U%d", s), "courier", nil); err != nil {
			b.Fatal(err)
		}
	}
	var stored Evidence
	if err := json.Unmarshal(mustJSON(b, e), &stored); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := (&Incident{Number: 1}).VerifyEvidence(stored, nil); !ok {
			b.Fatal("broken")
		}
	}
}

// BenchmarkRedTextApply is one timeline line checked against an incident
// holding MaxIndicators indicators, all marked TLP:RED.
func BenchmarkRedTextApply(b *testing.B) {
	inds := make([]Indicator, MaxIndicators)
	for i := range inds {
		inds[i] = Indicator{Type: IOCDomain, Value: fmt.Sprintf("host-%d.evil.example", i), Marking: "TLP:RED"}
	}
	red := WithholdRed(inds)
	line := strings.Repeat("Containment A-3: block something harmless on the edge firewall ", 3)
	b.ReportAllocs()
	for b.Loop() {
		red.Apply(line)
	}
}
