package render

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
)

// Message is what the bot posts: a plain-text fallback (notifications,
// screen readers) and Block Kit blocks. Blocks are kept as Slack's own JSON
// shape so the Slack adapter can hand them over unchanged.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks,omitempty"`
	// Call is a broadcast the bot means to make (a user group or @here, as
	// the configuration names who is on call). Every broadcast in the text
	// is neutralized on the way out; this one is put in after that.
	Call string `json:"-"`
}

// callPattern is what a Call may be.
var callPattern = regexp.MustCompile(`^<!(here|subteam\^S[A-Z0-9]{2,20})>$`)

// AsDrill marks a message about a drill: "[DRILL]" before its text and a
// line above its blocks, so nobody takes practice for the real thing.
func AsDrill(m Message) Message {
	if strings.HasPrefix(m.Text, incident.DrillPrefix) {
		return m
	}
	m.Text = incident.DrillPrefix + " " + m.Text
	m.Blocks = append([]Block{Context(":performing_arts: *" + incident.DrillPrefix + "* practice incident")}, m.Blocks...)
	return m
}

// Marked shows a TLP marking above TLP:CLEAR at the top of a message and
// at the start of its notification text; once, however often it is marked.
func Marked(m Message, marking string) Message {
	if marking == "" || marking == "TLP:CLEAR" || strings.HasPrefix(m.Text, "["+marking+"] ") {
		return m
	}
	m.Text = "[" + marking + "] " + m.Text
	m.Blocks = append([]Block{Context(":traffic_light: *" + Text(marking) + "*: " + Text(markingMeans[marking]))}, m.Blocks...)
	return m
}

// markingMeans is each TLP 2.0 marking's rule, in a few words.
var markingMeans = map[string]string{
	"TLP:GREEN":        "share within the community, not publicly",
	"TLP:AMBER":        "share only within the organisation and its clients, on a need-to-know basis",
	"TLP:AMBER+STRICT": "share only within the organisation, on a need-to-know basis",
	"TLP:RED":          "for the people in this incident only; do not share",
}

// PlaceCall puts a message's Call at the start of its text and of its
// first section, once the message has been made safe.
func PlaceCall(m Message) Message {
	if m.Call == "" || !callPattern.MatchString(m.Call) {
		return m
	}
	m.Text = m.Call + " " + m.Text
	for _, b := range m.Blocks {
		if b["type"] != "section" {
			continue
		}
		if t, ok := b["text"].(map[string]any); ok {
			if s, ok := t["text"].(string); ok {
				t["text"] = m.Call + " " + s
				break
			}
		}
	}
	m.Call = ""
	return m
}

// Block is one Block Kit block, in Slack's JSON shape.
type Block map[string]any

// View is a Block Kit modal, in Slack's JSON shape.
type View map[string]any

// Slack's Block Kit limits.
const (
	MaxBlocks        = 50
	MaxHeaderChars   = 150
	MaxSectionText   = 3000
	MaxFieldChars    = 2000
	MaxOptions       = 10  // options in one checkboxes element
	MaxSelectOptions = 100 // options in one select menu
)

// PlainText is a plain_text object; user text in it is made safe with Label.
func PlainText(text string) map[string]any {
	return map[string]any{"type": "plain_text", "text": Label(text), "emoji": true}
}

// Mrkdwn is a mrkdwn text object of text already made safe (Text). It is
// verbatim: Slack then brings alive only the markup the bot wrote (<@U…>,
// <#C…>, its links and dates), not a bare address, channel name or
// @-word in the text.
func Mrkdwn(text string) map[string]any {
	return map[string]any{"type": "mrkdwn", "text": text, "verbatim": true}
}

// Header is a header block, cut to Slack's limit.
func Header(text string) Block {
	return Block{"type": "header", "text": PlainText(Truncate(text, MaxHeaderChars))}
}

// Section is a section of mrkdwn, cut to Slack's limit.
func Section(text string) Block {
	return Block{"type": "section", "text": Mrkdwn(TruncateMrkdwn(text, MaxSectionText))}
}

// Fields is a section of mrkdwn fields.
func Fields(texts ...string) Block {
	fs := make([]any, len(texts))
	for i, t := range texts {
		fs[i] = Mrkdwn(TruncateMrkdwn(t, MaxFieldChars))
	}
	return Block{"type": "section", "fields": fs}
}

// Context is a context block of mrkdwn elements.
func Context(texts ...string) Block {
	els := make([]any, len(texts))
	for i, t := range texts {
		els[i] = Mrkdwn(TruncateMrkdwn(t, MaxSectionText))
	}
	return Block{"type": "context", "elements": els}
}

// Divider is a divider block.
func Divider() Block { return Block{"type": "divider"} }

// Button is a button element.
func Button(actionID, text, value, style string) map[string]any {
	b := map[string]any{"type": "button", "action_id": actionID, "text": PlainText(Truncate(text, 75)), "value": value}
	if style != "" {
		b["style"] = style
	}
	return b
}

// TextMessage is a message of one mrkdwn section.
func TextMessage(text string) Message {
	return Message{Text: TruncateMrkdwn(text, MaxSectionText), Blocks: []Block{Section(text)}}
}

// TruncateMrkdwn is Truncate of text already made safe for Slack: the cut
// never splits an escape (&amp;) or a token the bot wrote (<@U…>,
// <!date…>, a link), which Slack would show raw or swallow. In such text
// '<' only ever opens a token and '&' an escape, but in a link's address.
func TruncateMrkdwn(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n-1])
	if i := strings.LastIndexByte(cut, '<'); i >= 0 && !strings.Contains(cut[i:], ">") {
		cut = cut[:i]
	}
	// An escape cut short is '&' and letters to the end; an '&' followed
	// by anything else is whole, or a link's own (a thread reply's
	// permalink: ?thread_ts=…&cid=…) inside a token kept whole above.
	if i := strings.LastIndexByte(cut, '&'); i >= 0 && strings.TrimLeft(cut[i+1:], "abcdefghijklmnopqrstuvwxyz") == "" {
		cut = cut[:i]
	}
	return cut + "…"
}

// Truncate shortens s to at most n characters, marking the cut.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// TextFit is Text of plain, cut (with "…") so that what is sent, escapes
// included, is at most n characters: for fields Slack bounds tightly.
// used is how many characters of plain it shows.
func TextFit(plain string, n int) (out string, used int) {
	if out = Text(plain); utf8.RuneCountInString(out) <= n {
		return out, utf8.RuneCountInString(plain)
	}
	r := []rune(plain)
	for used = min(len(r), n-1); used > 0; used-- {
		if out = Text(string(r[:used])) + "…"; utf8.RuneCountInString(out) <= n {
			return out, used
		}
	}
	return "…", 0
}

// Date renders a time that each reader's Slack shows in their own time zone.
func Date(t time.Time, format string) string {
	return fmt.Sprintf("<!date^%d^%s|%s>", t.Unix(), format, t.UTC().Format("2006-01-02 15:04 UTC"))
}

// userID is the shape of a Slack user ID; anything else that claims to be
// one (a forged form value) is shown as text, never as markup.
var userID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// IsUserID reports whether s has the shape of a Slack user ID.
func IsUserID(s string) bool { return userID.MatchString(s) }

// User mentions a person; "" is nobody.
func User(id string) string {
	switch {
	case id == "":
		return "_unassigned_"
	case !IsUserID(id):
		return Text(id)
	}
	return "<@" + id + ">"
}
