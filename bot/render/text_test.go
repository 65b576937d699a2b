package render

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
)

func TestPlain(t *testing.T) {
	for _, tc := range []struct{ slack, want string }{
		{"ransomware on fs1", "ransomware on fs1"},
		{"a &lt;b&gt; &amp; c", "a <b> & c"},
		{"ping <@U123|carol> and <@W9>", "ping <@U123> and <@W9>"},
		{"see <#C42|general>", "see <#C42>"},
		{"<!here> <!channel> <!everyone>", "@here @channel @everyone"},
		{"<!here|@here> now", "@here now"},
		{"<!subteam^S1|@secops> and <!subteam^S2>", "@secops and @usergroup"},
		{"<https://evil.example/x|Reset your password>", "Reset your password (https://evil.example/x)"},
		{"<https://example.com>", "https://example.com"},
		{"<http://evil.example|evil.example>", "evil.example"}, // a domain typed, made a link by Slack
		{"<http://www.evil.example/a?b=1|www.evil.example/a?b=1>", "www.evil.example/a?b=1"},
		{"<https://evil.example|other.example>", "other.example (https://evil.example)"},
		{"<mailto:a@b.example|a@b.example>", "a@b.example"},
		{"<!date^1700000000^{date}|Nov 14>", "Nov 14"},
		{"&lt;!here&gt;", "<!here>"}, // what a person typed literally stays literal text
	} {
		if got := Plain(tc.slack); got != tc.want {
			t.Errorf("Plain(%q) = %q, want %q", tc.slack, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ plain, want string }{
		{"<!here> & <!channel>", "&lt;!here&gt; &amp; &lt;!channel&gt;"},
		{"<!subteam^S1> <https://evil|x>", "&lt;!subteam^S1&gt; &lt;https://evil|x&gt;"},
		{"owner <@U123> in <#C42>", "owner <@U123> in <#C42>"},
		{"old <@U123|carol>", "old <@U123>"},
		{"<@U1><!here>", "<@U1>&lt;!here&gt;"},
		{"admin\u202egnp.exe", "admingnp.exe"},
		{"&lt;!here&gt;", "&amp;lt;!here&amp;gt;"},
	} {
		if got := Text(tc.plain); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.plain, got, tc.want)
		}
	}
}

func FuzzTextHasNothingLive(f *testing.F) {
	for _, s := range []string{"<!channel>", "<!here|x>", "<!subteam^S1|@t>", "<https://x|y>", "&lt;!here&gt;", "\u202e", "<@U1|<!here>>", "<#C1|<https://x>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Text(s), Text(Plain(s))} {
			if live := Live(out); len(live) > 0 {
				t.Fatalf("%q renders live %q in %q", s, live, out)
			}
		}
	})
}

func TestNeutralizeIsTheLastLine(t *testing.T) {
	m := Message{Text: "hi <!channel>", Blocks: []Block{Section("a <!here> b"), Context("<!subteam^S1|@x> \u202e"),
		{"type": "section", "fields": []any{Mrkdwn("<!everyone>"), PlainText("kept as typed")}}}}
	out, changed := NeutralizeMessage(m)
	if !changed || out.Text != "hi &lt;!channel&gt;" {
		t.Fatalf("text %q, changed %v", out.Text, changed)
	}
	for _, b := range out.Blocks {
		if live := Live(fmt.Sprint(b)); len(live) > 0 {
			t.Errorf("still live in %v: %q", b, live)
		}
	}
	if _, changed := NeutralizeMessage(TextMessage("INC-1 by <@U1> " + Date(time.Unix(0, 0), "{ago}"))); changed {
		t.Error("the bot's own mentions and dates were touched")
	}
}

// A checklist item's option fits Slack's 75 characters as sent, escapes
// included, and what does not fit goes on in its description.
func TestChecklistOptionsFitAsSent(t *testing.T) {
	items := []incident.ChecklistItem{
		{Text: "Undo or keep A-1: block " + strings.Repeat("<&>", 40)},
		{Text: strings.Repeat("&", 200)},
		{Text: "Short and plain"},
		{Text: strings.Repeat("é", 75)},
	}
	m := Checklist(ChecklistView{Ref: "INC-1", Phase: incident.Recovery, Items: items, BlockID: "b", ActionID: func(int) string { return "a" }})
	doc, _ := json.Marshal(m.Blocks)
	var blocks []struct {
		Elements []struct {
			Options []struct {
				Text, Description struct{ Text string }
			}
		}
	}
	if err := json.Unmarshal(doc, &blocks); err != nil {
		t.Fatal(err)
	}
	var options int
	for _, b := range blocks {
		for _, el := range b.Elements {
			for k, o := range el.Options {
				options++
				if n, d := utf8.RuneCountInString(o.Text.Text), utf8.RuneCountInString(o.Description.Text); n > 75 || d > 75 {
					t.Errorf("option %d is %d characters, its description %d: %q / %q", k, n, d, o.Text.Text, o.Description.Text)
				}
				if strings.Contains(o.Text.Text+o.Description.Text, "&amp…") || strings.Contains(o.Text.Text+o.Description.Text, "&lt…") {
					t.Errorf("option %d cuts an escape in two: %q", k, o.Text.Text)
				}
			}
			if el.Options[0].Description.Text == "" || !strings.HasPrefix(el.Options[0].Description.Text, "…") {
				t.Errorf("the long item's rest is not in its description: %+v", el.Options[0])
			}
			if el.Options[2].Text.Text != "Short and plain" || el.Options[2].Description.Text != "" {
				t.Errorf("a short item is shown as %+v", el.Options[2])
			}
			if el.Options[3].Text.Text != strings.Repeat("é", 75) {
				t.Errorf("an item of exactly 75 characters is shown as %q", el.Options[3].Text.Text)
			}
		}
	}
	if options != len(items) {
		t.Errorf("%d options for %d items", options, len(items))
	}
}

// TestTruncateMrkdwnKeepsTokensWhole: a cut through an escape or a token
// would show Slack "&am…" or "<@U12…", raw; it falls before them instead.
func TestTruncateMrkdwnKeepsTokensWhole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short &amp; fine", 40, "short &amp; fine"},
		{"fish &amp; chips", 9, "fish …"},
		{"fish &amp; chips", 11, "fish &amp;…"},
		{"moved by <@U123456> now", 15, "moved by …"},
		{"moved by <@U123456> now", 21, "moved by <@U123456> …"},
		{"at <!date^1700000000^{time}|10:00> ok", 20, "at …"},
		{"a &lt; b", 5, "a …"},
	} {
		got := TruncateMrkdwn(tc.in, tc.n)
		if got != tc.want {
			t.Errorf("TruncateMrkdwn(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.n {
			t.Errorf("TruncateMrkdwn(%q, %d) is %d characters", tc.in, tc.n, utf8.RuneCountInString(got))
		}
	}
	// As a told line's notification, wherever the cut falls.
	escape := regexp.MustCompile(`&(amp|lt|gt);`)
	for pad := 150; pad < 300; pad++ {
		reason := strings.Repeat("x", pad) + " & <b> & c"
		ev := incident.PhaseMoved(time.Now(), "UALICE", incident.Containment, incident.Identification, reason)
		msg := Told("INC-1", []incident.TimelineEvent{ev}, func(k string) string { return k }, incident.Sentence{})
		if bare := strings.Count(msg.Text, "&") - len(escape.FindAllString(msg.Text, -1)); bare > 0 {
			t.Fatalf("the notification is cut inside an escape: %q", msg.Text[len(msg.Text)-30:])
		}
	}
}
