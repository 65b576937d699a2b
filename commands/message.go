package commands

import (
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/render"
)

// Message is what the bot posts: a plain-text fallback (notifications,
// screen readers) and Block Kit blocks. Blocks are kept as Slack's own JSON
// shape so the Slack adapter can hand them over unchanged.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks,omitempty"`
}

// Block is one Block Kit block, in Slack's JSON shape.
type Block map[string]any

// Slack's Block Kit limits.
const (
	maxBlocks      = 50
	maxHeaderChars = 150
	maxSectionText = 3000
	maxFieldChars  = 2000
)

func plain(text string) map[string]any {
	return map[string]any{"type": "plain_text", "text": render.Label(text), "emoji": true}
}

func mrkdwn(text string) map[string]any { return map[string]any{"type": "mrkdwn", "text": text} }

func header(text string) Block {
	return Block{"type": "header", "text": plain(truncate(text, maxHeaderChars))}
}

func section(text string) Block {
	return Block{"type": "section", "text": mrkdwn(truncate(text, maxSectionText))}
}

func fields(texts ...string) Block {
	fs := make([]any, len(texts))
	for i, t := range texts {
		fs[i] = mrkdwn(truncate(t, maxFieldChars))
	}
	return Block{"type": "section", "fields": fs}
}

func contextBlock(texts ...string) Block {
	els := make([]any, len(texts))
	for i, t := range texts {
		els[i] = mrkdwn(truncate(t, maxSectionText))
	}
	return Block{"type": "context", "elements": els}
}

func divider() Block { return Block{"type": "divider"} }

// textMessage is a message of one mrkdwn section.
func textMessage(text string) Message {
	return Message{Text: truncate(text, maxSectionText), Blocks: []Block{section(text)}}
}

// truncate shortens s to at most n characters, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// slackDate renders a time that each reader's Slack shows in their own time zone.
func slackDate(t time.Time, format string) string {
	return fmt.Sprintf("<!date^%d^%s|%s>", t.Unix(), format, t.UTC().Format("2006-01-02 15:04 UTC"))
}

// userID is the shape of a Slack user ID; anything else that claims to be
// one (a forged form value) is shown as text, never as markup.
var userID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

func userRef(id string) string {
	switch {
	case id == "":
		return "_unassigned_"
	case !userID.MatchString(id):
		return render.Text(id)
	}
	return "<@" + id + ">"
}
