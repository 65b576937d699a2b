package render

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

func TestSayDrawsEachPartAndEscapesTheRest(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		say    incident.Sentence
		mrkdwn string
		label  string
	}{
		{"user and literal", incident.Say("Only %s can; try %s.", incident.UserRef("U1A"), incident.Literal("/incident note <text>")),
			"Only <@U1A> can; try `/incident note &lt;text&gt;`.", "Only @U1A can; try “/incident note <text>”."},
		{"text argument cannot broadcast or link", incident.Say("There is no role %s (%s).", "<!channel>", "<https://evil.example|login>"),
			"There is no role &lt;!channel&gt; (&lt;https://evil.example|login&gt;).", "There is no role <!channel> (<https://evil.example|login>)."},
		{"a literal cannot end its code early", incident.Say("No phase %s.", incident.Literal("x` <!here> `y")),
			"No phase `x' &lt;!here&gt; 'y`.", "No phase “x` <!here> `y”."},
		{"a forged user ID is text", incident.Say("by %s", incident.UserRef("!here")),
			"by !here", "by @!here"},
		{"channel, strong, nested, moment", incident.Say("%s in %s: %s until %s", incident.Strong("INC-7"), incident.ChannelRef("C07"),
			incident.Join(", ", incident.Literal("sev1"), "a&b"), incident.Moment(at)),
			"*INC-7* in <#C07>: `sev1`, a&amp;b until <!date^1796203800^{date_short_pretty} {time}|2026-12-02 09:30 UTC>",
			"INC-7 in #C07: “sev1”, a&b until 2026-12-02 09:30 UTC"},
		{"bidi controls dropped", incident.Say("title %s", "abc\u202edef"), "title abcdef", "title abcdef"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Say(tt.say); got != tt.mrkdwn {
				t.Errorf("Say:\n got %s\nwant %s", got, tt.mrkdwn)
			}
			if live := Live(Say(tt.say), "slack.com"); len(live) > 0 {
				t.Errorf("Say(%s) has live markup %q", tt.say, live)
			}
			if got := SayLabel(tt.say); got != tt.label {
				t.Errorf("SayLabel:\n got %s\nwant %s", got, tt.label)
			}
		})
	}
}
