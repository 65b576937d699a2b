package render

import (
	"regexp"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)

// mrkdwnParts draws a Sentence in mrkdwn: people and channels as Slack
// mentions (only well-formed IDs; anything else is shown as text), a
// literal as code, and every other argument escaped with Text.
var mrkdwnParts = incident.Parts{
	Text:    Text,
	User:    User,
	Channel: Channel,
	Literal: Code,
	Strong:  func(s string) string { return "*" + Text(s) + "*" },
	Moment:  func(t time.Time) string { return Date(t, "{date_short_pretty} {time}") },
}

// labelParts draws a Sentence for a plain_text field, where no markup
// comes alive: people as @ID (Slack does not resolve them there), a
// literal in quotes.
var labelParts = incident.Parts{
	Text:    Label,
	User:    func(id string) string { return "@" + Label(id) },
	Channel: func(id string) string { return "#" + Label(id) },
	Literal: func(s string) string { return "“" + Label(s) + "”" },
	Strong:  Label,
	Moment:  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}

// Channel links a channel; anything that is not a channel ID is shown as text.
func Channel(id string) string {
	if !channelID.MatchString(id) {
		return Text(id)
	}
	return "<#" + id + ">"
}

// Code is text shown as inline code. A backtick inside would end the code
// early, so it is shown as a quote.
func Code(s string) string { return "`" + Text(strings.ReplaceAll(s, "`", "'")) + "`" }

// Say draws a Sentence in mrkdwn.
func Say(s incident.Sentence) string { return s.Draw(mrkdwnParts) }

// SayLabel draws a Sentence as plain text for a plain_text field, such as
// the error shown under a form's input.
func SayLabel(s incident.Sentence) string { return s.Draw(labelParts) }

// Answer is a short message of one Sentence.
func Answer(s incident.Sentence) Message { return TextMessage(Say(s)) }

// Refusal answers a request the asker must fix or may not make.
func Refusal(s incident.Sentence) Message { return TextMessage(":warning: " + Say(s)) }

// Failure answers a request that failed on the bot's side.
func Failure(s incident.Sentence) Message { return TextMessage(":x: " + Say(s)) }

// Done answers a request that did what was asked.
func Done(s incident.Sentence) Message { return TextMessage(":white_check_mark: " + Say(s)) }

// Info answers with something to know.
func Info(s incident.Sentence) Message { return TextMessage(":information_source: " + Say(s)) }

// Warning is something that may be wrong and must be seen.
func Warning(s incident.Sentence) Message { return TextMessage(":warning: " + Say(s)) }

// Remark is something the bot tells a channel in passing.
func Remark(s incident.Sentence) Message { return TextMessage(":memo: " + Say(s)) }
