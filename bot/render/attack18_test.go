package render

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// A flagged thread reply's permalink keeps a raw '&' (?thread_ts=…&cid=…)
// inside its link token. When the flagged message's text makes the
// section long enough to be cut (many short lines: each line's "> " adds
// to it, and no entity follows the link), the cut must not fall on that
// '&': the link stays whole rather than left open ("<https://…thread_ts=…").
func TestAttack18TruncateKeepsALinkWithARawAmpersand(t *testing.T) {
	link := "https://acme.slack.com/archives/C0123/p1700000000000200?thread_ts=1700000000.000100&cid=C0123"
	v := ReportView{Ref: "RPT-1", What: "phish", Reporter: "UALICE", ReportedAt: time.Unix(1700000000, 0),
		MessageAuthor: "UEVE", MessageText: strings.Repeat("x\n", 750), MessageLink: link, Source: incident.SourceMessage}
	for _, b := range TriageCard(v).Blocks {
		text, _ := b["text"].(map[string]any)
		s, _ := text["text"].(string)
		if !strings.HasPrefix(s, "*Flagged message*") {
			continue
		}
		if !strings.Contains(s, "<"+link+"|the message>") {
			t.Errorf("the flagged message's link was cut: %q", s[:min(len(s), 200)])
		}
		if strings.Count(s, "<") != strings.Count(s, "&lt;")+strings.Count(s, "<@")+1 {
			t.Errorf("a token is left open: %q", s[:min(len(s), 200)])
		}
		return
	}
	t.Fatal("no flagged message section")
}

// TruncateMrkdwn, at every cut through text of escapes, tokens and
// formatting, never leaves an escape or a token open and never exceeds n.
func TestAttack18TruncateMrkdwnEveryCut(t *testing.T) {
	unit := Text("a&b<c>*d*_e_ ") + "<@U0ALICE> " + "<https://x.example/a?b=1&c=2|l &amp; m> " + Text("\u202e&lt;!channel&gt;") + " "
	s := strings.Repeat(unit, 40)
	for n := 2; n < 400; n++ {
		got := TruncateMrkdwn(s, n)
		if r := []rune(got); len(r) > n {
			t.Fatalf("n=%d: %d characters", n, len(r))
		}
		body := strings.TrimSuffix(got, "…")
		if strings.Count(body, "<") != strings.Count(body, ">") {
			t.Fatalf("n=%d: a token left open: %q", n, body[max(0, len(body)-40):])
		}
		if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.ContainsAny(body[i:], ";>") {
			t.Fatalf("n=%d: an escape left open: %q", n, body[max(0, len(body)-40):])
		}
		if live := Live(got, "x.example"); len(live) > 0 {
			t.Fatalf("n=%d: live markup %q", n, live)
		}
	}
}
