package postmortem

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func sample() Input {
	inc := &incident.Incident{
		Number: 7, Title: "Ransomware on file_server *prod*", Severity: "sev2", Phase: incident.Lessons, Status: incident.Resolved,
		ChannelName: "inc-7-ransomware-on-file-server-prod", DeclaredBy: "UALICE", DeclaredAt: t0,
		Roles:      map[string]string{"commander": "UALICE", "comms": "UCAROL"},
		Summary:    "Encrypted shares restored from backups; entry via a phished VPN account.",
		ResolvedAt: at(150),
		Checklists: map[incident.Phase][]incident.ChecklistItem{
			incident.Identification: {{Text: "Confirm it is real", Done: true, By: "UBOB", At: at(5)}, {Text: "Preserve evidence"}},
			incident.Containment:    {{Text: "Isolate hosts", Done: true, By: "UBOB", At: at(40)}},
		},
		Lessons: []incident.Lesson{
			{Author: "UALICE", At: at(160), WentWell: "Backups were clean | tested", Improve: "Faster VPN lockout"},
			{Author: "UBOB", At: at(170), WentWrong: "EDR alert was missed for 2h"},
		},
		FollowUps: []incident.FollowUp{
			{ID: 1, Text: "Enforce MFA on the VPN", Owner: "UBOB", Due: "2026-12-15", Author: "UALICE", At: at(160)},
			{ID: 2, Text: "Page on EDR ransomware alerts", Author: "UBOB", At: at(170), Done: true, DoneBy: "UBOB", DoneAt: at(180)},
		},
	}
	tl := []incident.TimelineEvent{
		incident.Declared(at(0), "UALICE", "Ransomware", "sev1"),
		incident.RoleChanged(at(3), "UALICE", "comms", "", "UCAROL"),
		incident.PhaseMoved(at(20), "UALICE", incident.Identification, incident.Containment, ""),
		incident.Updated(at(30), "UCAROL", "Hosts isolated"),
		incident.SeverityChanged(at(45), "UALICE", "sev1", "sev2"),
		incident.PhaseMoved(at(60), "UALICE", incident.Containment, incident.Eradication, ""),
		incident.Pinned(at(90), "UDAVE", "UBOB", "dropper hash found", "https://example.slack.com/archives/C1/p1"),
		incident.PhaseMoved(at(100), "UALICE", incident.Eradication, incident.Recovery, ""),
		incident.PhaseMoved(at(150), "UALICE", incident.Recovery, incident.Lessons, ""),
	}
	return Input{Incident: inc, Timeline: tl, Roles: config.Defaults().Roles,
		Names: map[string]string{"UALICE": "alice", "UBOB": "bob", "UCAROL": "carol"}, Published: at(24 * 60)}
}

// legacyTimeline is sample's timeline as the version before typed events
// stored it: each event's sentence in Text, with Slack mentions.
func legacyTimeline() []incident.TimelineEvent {
	return []incident.TimelineEvent{
		{At: at(0), Actor: "UALICE", Kind: incident.EventDeclared, Text: `Declared "Ransomware" with severity sev1; <@UALICE> is the commander`},
		{At: at(3), Actor: "UALICE", Kind: incident.EventRole, Text: "Communications Lead: <@UCAROL>"},
		{At: at(20), Actor: "UALICE", Kind: incident.EventPhase, Phase: incident.Containment, Text: "Phase: Identification → Containment"},
		{At: at(30), Actor: "UCAROL", Kind: incident.EventUpdate, Text: "Hosts isolated"},
		{At: at(45), Actor: "UALICE", Kind: incident.EventSeverity, Text: "Severity: sev1 → sev2"},
		{At: at(60), Actor: "UALICE", Kind: incident.EventPhase, Phase: incident.Eradication, Text: "Phase: Containment → Eradication"},
		{At: at(90), Actor: "UDAVE", Kind: incident.EventPinned, Text: "<@UBOB>: dropper hash found", Link: "https://example.slack.com/archives/C1/p1"},
		{At: at(100), Actor: "UALICE", Kind: incident.EventPhase, Phase: incident.Recovery, Text: "Phase: Eradication → Recovery"},
		{At: at(150), Actor: "UALICE", Kind: incident.EventPhase, Phase: incident.Lessons, Text: "Phase: Recovery → Lessons learned"},
	}
}

// An incident stored by the previous version reads as it did: the same
// postmortem from its sentences as from typed events.
func TestLegacyTimelineReadsTheSame(t *testing.T) {
	typed, legacy := sample(), sample()
	legacy.Timeline = legacyTimeline()
	// Typed pins now say who pinned whose message ("pinned @bob: …"); a
	// stored sentence keeps the words it was written in.
	a := strings.Replace(Markdown(typed), "| pinned @bob: dropper", "| @bob: dropper", 1)
	if b := Markdown(legacy); a != b {
		t.Errorf("the legacy timeline renders differently:\n--- typed\n%s\n--- legacy\n%s", a, b)
	}
}

// Renaming a role in the configuration renames it in old postmortems but
// does not change who held it.
func TestRenamedRoleKeepsItsHistory(t *testing.T) {
	in := sample()
	in.Roles = append([]incident.Role(nil), in.Roles...)
	for i, r := range in.Roles {
		if r.Key == "comms" {
			in.Roles[i].Name = "Stakeholder Liaison"
		}
	}
	md := Markdown(in)
	if !strings.Contains(md, "- Stakeholder Liaison: @carol from 2026-11-27 09:03 UTC") || strings.Contains(md, "Communications Lead") {
		t.Errorf("after renaming the comms role the postmortem says:\n%s", md)
	}
}

func TestMarkdownGolden(t *testing.T) {
	md := Markdown(sample())
	path := filepath.Join("testdata", "postmortem.golden.md")
	if *update {
		if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != md {
		t.Errorf("postmortem differs from %s (go test ./postmortem -update):\n%s", path, md)
	}
}

// A phase left with required items not done is in the postmortem, with
// who skipped them and why.
func TestSkippedGatesGolden(t *testing.T) {
	in := sample()
	in.Incident.Checklists[incident.Containment] = []incident.ChecklistItem{{Text: "Isolate hosts", Required: true}, {Text: "Reset the VPN | MFA", Required: true}}
	gate := incident.TimelineEvent{At: at(60), Actor: "UALICE", Kind: incident.EventGate, Phase: incident.Containment,
		Text: "Isolate hosts; Reset the VPN | MFA", Item: 2, Reason: "because the hosts are powered off", V: 1}
	in.Timeline = append(in.Timeline[:5:5], append([]incident.TimelineEvent{gate}, in.Timeline[5:]...)...)
	md := Markdown(in)
	path := filepath.Join("testdata", "gate.golden.md")
	if *update {
		if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != md {
		t.Errorf("postmortem differs from %s (go test ./postmortem -update):\n%s", path, md)
	}
	if !strings.Contains(md, "| Containment | 2026-11-27 10:00 UTC | @alice | Isolate hosts; Reset the VPN \\| MFA | because the hosts are powered off |") {
		t.Errorf("the skipped gate is not listed:\n%s", md)
	}
}

func TestFigures(t *testing.T) {
	f := sample().HeadlineFigures()
	if f.ToContain != 60*time.Minute || f.ToRecover != 150*time.Minute || f.Total != 24*time.Hour || f.ToDeclare != 0 {
		t.Errorf("figures = %+v", f)
	}
}

func TestEmptySectionsSayNoneRecorded(t *testing.T) {
	in := Input{Incident: &incident.Incident{Number: 1, Title: "Quiet", Severity: "sev4", DeclaredBy: "U1", DeclaredAt: t0}, Published: at(10)}
	md := Markdown(in)
	for _, section := range []string{"## Summary", "## Checklists", "### What went well", "### What went wrong", "### What to improve", "## Follow-up actions"} {
		i := strings.Index(md, section)
		if i < 0 || !strings.HasPrefix(strings.TrimSpace(md[i+len(section):]), "None recorded.") {
			t.Errorf("%s does not say none recorded", section)
		}
	}
}

func TestChartIsAPicture(t *testing.T) {
	img, err := Chart(sample())
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	b := decoded.Bounds()
	wantW, wantH := int(ChartWidth/vg.Inch*ChartDPI), int(ChartHeight/vg.Inch*ChartDPI)
	if b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("chart is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
	}
	if len(img) < 10_000 {
		t.Errorf("chart is only %d bytes: nothing drawn?", len(img))
	}
	if *update {
		_ = os.WriteFile(filepath.Join(os.TempDir(), "incidentbot-chart.png"), img, 0o644)
	}
}

// A TLP:RED indicator is withheld from the document wherever text names
// it, typed plain or defanged: a containment action's target, the recovery
// checklist item and follow-up it became, notes, lessons and the timeline.
func TestRedIndicatorsAreWithheldEverywhere(t *testing.T) {
	in := sample()
	inc := in.Incident
	inc.Checklists[incident.Recovery] = []incident.ChecklistItem{}
	red := incident.Indicator{Type: incident.IOCIPv4, Value: "203.0.113.7", Marking: "TLP:RED", State: incident.IndicatorMalicious, AddedBy: "UALICE", FirstSeen: at(10), LastSeen: at(10), Sightings: 1}
	green := incident.Indicator{Type: incident.IOCDomain, Value: "evil.example", Marking: "TLP:GREEN", State: incident.IndicatorSuspected, AddedBy: "UALICE", FirstSeen: at(10), LastSeen: at(10), Sightings: 1}
	in.Indicators = []incident.Indicator{red, green}
	c, events, err := inc.AddContainment(at(30), "UBOB", incident.ContainBlock, "203.0.113.7", "edge firewall, also evil.example", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	in.Timeline = append(in.Timeline, events...)
	if _, _, err := inc.AddContainment(at(31), "UBOB", incident.ContainBlock, "203[.]0.113[.]7/32", "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	in.Timeline = append(in.Timeline, incident.IndicatorAdded(at(10), "UALICE", red.Type, red.Value), incident.Updated(at(32), "UCAROL", "Blocked 203[.]0[.]113[.]7 at the edge"))
	inc.Lessons = append(inc.Lessons, incident.Lesson{Author: "UBOB", At: at(170), WentWrong: "203.0.113.7 was known from an earlier case"})
	inc.FollowUps = append(inc.FollowUps, incident.FollowUp{ID: 3, Text: fmt.Sprintf("Undo or keep containment action %s (%s %s)", c.Ref(), c.Kind, c.Shown()), Owner: "UBOB", Author: "UALICE", At: at(160)})
	inc.Checklists[incident.Recovery] = append(inc.Checklists[incident.Recovery], incident.ChecklistItem{Text: "Undo or keep " + c.Ref() + ": block " + c.Shown()})

	md := Markdown(in)
	for _, form := range []string{"203.0.113.7", "203[.]0[.]113[.]7", `203\[.\]0\[.\]113\[.\]7`, "203[.]0.113[.]7", `203\[.\]0.113\[.\]7`} {
		if strings.Contains(md, form) {
			t.Errorf("the postmortem names the TLP:RED indicator as %q:\n%s", form, md)
		}
	}
	for _, shown := range []string{"| A-1 | block | (withheld: TLP:RED) |", "| A-2 | block | (withheld: TLP:RED) |", "Undo or keep A-1: block (withheld: TLP:RED)", "(block (withheld: TLP:RED)) | @bob", "evil\\[.\\]example"} {
		if !strings.Contains(md, shown) {
			t.Errorf("the postmortem does not show %q:\n%s", shown, md)
		}
	}
}

// The time axis has a handful of distinct, round ticks whatever the
// incident's length: no three "01:17" for a short one.
func TestTimeTicksFitTheLength(t *testing.T) {
	start := time.Date(2026, 11, 27, 1, 17, 20, 0, time.UTC)
	for _, tt := range []struct {
		span  time.Duration
		first string
		step  time.Duration
	}{
		{20 * time.Minute, "01:20", 5 * time.Minute},
		{3 * time.Hour, "01:30", 30 * time.Minute},
		{30 * time.Hour, "Nov 27\n06:00", 6 * time.Hour},
		{10 * 24 * time.Hour, "Nov 29", 48 * time.Hour},
	} {
		ticks := timeTicks(tt.span).Ticks(unix(start), unix(start.Add(tt.span)))
		if len(ticks) < 3 || len(ticks) > 9 || ticks[0].Label != tt.first {
			t.Errorf("%s: %d ticks, first %q", tt.span, len(ticks), ticks[0].Label)
			continue
		}
		seen := map[string]bool{}
		for i, tk := range ticks {
			if seen[tk.Label] {
				t.Errorf("%s: label %q twice", tt.span, tk.Label)
			}
			seen[tk.Label] = true
			if i > 0 && tk.Value-ticks[i-1].Value != tt.step.Seconds() {
				t.Errorf("%s: step %v", tt.span, tk.Value-ticks[i-1].Value)
			}
		}
	}
}
