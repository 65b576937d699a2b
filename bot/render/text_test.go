package render

import (
	"fmt"
	"testing"
	"time"
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
