package commands

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, msg any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <@U1> and <!date…> readable in the golden files
	enc.SetIndent("", "  ")
	if err := enc.Encode(msg); err != nil {
		t.Fatal(err)
	}
	got := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./commands -update to create it)", err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./commands -update\ngot:\n%s", path, got)
	}
}

func TestCardGolden(t *testing.T) {
	cfg := config.Defaults()
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	open := &incident.Incident{
		Number: 42, Title: "Ransomware on <file> server & NAS", Severity: "sev1", Phase: incident.Containment,
		Status: incident.Open, DeclaredBy: "UALICE", DeclaredAt: at,
		Roles:      map[string]string{"commander": "UALICE", "comms": "UCAROL"},
		LastUpdate: "Backups verified; isolating VLAN 12", LastUpdateAt: at.Add(20 * time.Minute),
	}
	golden(t, "card_open", Card(cfg, open))

	private := &incident.Incident{Number: 7, Title: "Insider", Severity: "sev2", Phase: incident.Identification,
		Status: incident.Open, Private: true, DeclaredBy: "UBOB", DeclaredAt: at, Roles: map[string]string{"commander": "UBOB"}}
	golden(t, "card_private", Card(cfg, private))
}

// The forms, as Slack receives them.
func TestFormsGolden(t *testing.T) {
	cfg := config.Defaults()
	inc := &incident.Incident{Number: 42, Title: "Ransomware", Status: incident.Resolved}
	for name, v := range map[string]render.View{
		"form_declare": declareModal(cfg), "form_update": updateModal(inc), "form_note": noteModal(inc),
		"form_assign": assignModal(cfg, inc), "form_lessons": lessonModal(inc),
	} {
		golden(t, name, v)
	}
}

func TestCardKeepsWithinBlockKitLimits(t *testing.T) {
	cfg := config.Defaults()
	long := make([]rune, 5000)
	for i := range long {
		long[i] = 'x'
	}
	inc := &incident.Incident{Number: 1, Title: string(long), Severity: "sev1", Phase: incident.Identification,
		Status: incident.Open, LastUpdate: string(long), LastUpdateAt: time.Now()}
	msg := Card(cfg, inc)
	for _, b := range msg.Blocks {
		if txt, ok := b["text"].(map[string]any); ok {
			limit := render.MaxSectionText
			if b["type"] == "header" {
				limit = render.MaxHeaderChars
			}
			if n := len([]rune(txt["text"].(string))); n > limit {
				t.Errorf("%s block has %d characters, Slack allows %d", b["type"], n, limit)
			}
		}
	}
}

// Scheduled updates due together reach the stakeholders as one message: a
// private incident without its title or people, and, at the batch's size
// with the longest titles, still within Block Kit's limits.
func TestStakeholderBatchGolden(t *testing.T) {
	cfg := config.Defaults()
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	incs := []*incident.Incident{
		{Number: 3, Title: "Phishing <!channel> wave", Severity: "sev2", Phase: incident.Eradication, Status: incident.Open, DeclaredAt: at, Roles: map[string]string{"commander": "UBOB"}},
		{Number: 1, Title: "Ransomware on <file> server & NAS", Severity: "sev1", Phase: incident.Containment, Status: incident.Open, DeclaredAt: at, Roles: map[string]string{"commander": "UALICE"}},
		{Number: 2, Title: "Insider", Severity: "sev1", Phase: incident.Identification, Status: incident.Open, Private: true, DeclaredAt: at, Roles: map[string]string{"commander": "UCAROL"}},
	}
	golden(t, "stakeholder_batch", render.ScheduledUpdates(listItems(cfg, listings(incs), true)))

	var many []*incident.Incident
	for n := range int64(maxBatch) {
		many = append(many, &incident.Incident{Number: n + 1, Title: strings.Repeat("&<>", 100), Severity: "sev1", Phase: incident.Containment,
			Status: incident.Open, DeclaredAt: at, Roles: map[string]string{"commander": "UALICE"}})
	}
	msg := render.ScheduledUpdates(listItems(cfg, listings(many), true))
	if len(msg.Blocks) > 50 {
		t.Errorf("%d blocks, Slack allows 50", len(msg.Blocks))
	}
	listed := 0
	for _, b := range msg.Blocks {
		if txt, ok := b["text"].(map[string]any); ok && b["type"] == "section" {
			if n := len([]rune(txt["text"].(string))); n > render.MaxSectionText {
				t.Errorf("a section has %d characters, Slack allows %d", n, render.MaxSectionText)
			}
			listed += strings.Count(txt["text"].(string), "commander <@UALICE>")
		}
	}
	if listed != maxBatch {
		t.Errorf("%d incidents listed, want %d", listed, maxBatch)
	}
}
