package commands_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
)

// The team sees each change in the incident channel, in the timeline's
// words, with the reason when there is one; hostile text stays text.
func TestChangesAreToldInTheChannel(t *testing.T) {
	cfg := config.Defaults()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	e := newEnvAt(t, cfg, func() time.Time { return now })
	ch := e.declare(t, "Payroll <phish> & @channel sev2")
	steps := []struct{ user, text, want string }{
		{"UALICE", "severity sev1", "Severity: sev2 → sev1"},
		{"UALICE", "assign comms <@UBOB>", "Communications Lead: <@UBOB>"},
		{"UALICE", "phase next", "Phase: Identification → Containment"},
		{"UALICE", "phase identification because <!channel> saw *more* hosts", "Phase moved back: Containment → Identification (because @channel saw *more* hosts)"},
		{"UALICE", "unassign comms", "Communications Lead: no longer <@UBOB>"},
		{"UALICE", "close Contained <!here>", "Closed: Contained @here"},
	}
	answered := len(e.slack.Ephemerals("UALICE"))
	for _, s := range steps {
		now = now.Add(10 * time.Minute)
		if _, shown := e.run(t, s.user, ch, s.text); !strings.Contains(shown, s.want) {
			t.Errorf("%s: the channel was told %q, want %q", s.text, shown, s.want)
		}
	}
	// Nobody else sees a private answer of a change: only the channel's message.
	if n := len(e.slack.Ephemerals("UALICE")) - answered; n != 0 {
		t.Errorf("alice got %d answers to herself; the channel's message is the answer", n)
	}
	told := e.told(ch)
	for _, m := range told {
		for _, text := range []string{m.Text, string(m.Blocks)} {
			if live := render.Live(text); len(live) > 0 {
				t.Errorf("live markup %v in %q", live, text)
			}
		}
	}
	var msgs []render.Message
	for _, m := range told {
		msgs = append(msgs, render.Message{Text: m.Text, Blocks: blocksOf(t, m)})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(msgs); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "told.golden.json", strings.TrimSuffix(buf.String(), "\n"))
}

// A change made from another channel is answered to its maker too, who
// would not see the incident channel's message.
func TestAChangeFromElsewhereIsAnswered(t *testing.T) {
	e := newEnv(t, config.Defaults())
	e.declare(t, "Lost laptop")
	if _, shown := e.run(t, "UALICE", e.general, "severity INC-1 sev1"); !strings.Contains(shown, "INC-1 is now `sev1`") {
		t.Errorf("answered %q", shown)
	}
}

// Help as Slack shows it: every placeholder (<title>, <@user>, <phase|next>)
// is there to read, none taken for markup and swallowed.
func TestHelpAsSlackShowsIt(t *testing.T) {
	e := newEnv(t, config.Defaults())
	_, _ = e.run(t, "UALICE", e.general, "help")
	shown := e.slack.Ephemerals("UALICE")
	raw := string(shown[len(shown)-1].Blocks)
	// Slack reads <…> as markup; only the bot's own mentions and dates may be.
	if bad := regexp.MustCompile(`<[^@#!][^>]*>`).FindString(raw); bad != "" {
		t.Errorf("the help has %s raw: Slack would swallow it", bad)
	}
	var lines []string
	for _, b := range blocksOf(t, shown[len(shown)-1]) {
		if txt, ok := b["text"].(map[string]any); ok {
			lines = append(lines, render.Plain(txt["text"].(string)))
		}
		if els, ok := b["elements"].([]any); ok {
			for _, el := range els {
				lines = append(lines, render.Plain(el.(map[string]any)["text"].(string)))
			}
		}
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{"`/incident declare <title> [sevN]", "`/incident assign <role> <@user>`", "`/incident phase <phase|next> [because <reason>]`"} {
		if !strings.Contains(got, want) {
			t.Errorf("the help does not show %s", want)
		}
	}
	goldenFile(t, "help.golden.txt", got)
}

// goldenFile compares got with testdata/name; -update (the flag the
// package's own golden tests define) rewrites it.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./commands -update to create it)", err)
	}
	if !bytes.Equal(want, []byte(got+"\n")) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./commands -update\ngot:\n%s", path, got)
	}
}

func blocksOf(t *testing.T, m fakeslack.Message) []render.Block {
	t.Helper()
	var blocks []render.Block
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	return blocks
}
