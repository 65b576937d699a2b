// Package render owns how incidentbot's messages look in Slack: mrkdwn and
// the escaping of every piece of user text that reaches it.
package render

import (
	"regexp"
	"strings"
)

// dropBidi drops the Unicode controls that reorder how text is displayed
// (in a message they can make a link or a command read as something else)
// and turns bytes that are not UTF-8 into U+FFFD, so that dropping a
// control cannot join bytes into a new one.
func dropBidi(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
			return -1
		}
		return r
	}, s)
}

var (
	entities     = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	unentities   = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	slackMarkup  = regexp.MustCompile(`<([^<>]*)>`)
	userMention  = regexp.MustCompile(`&lt;@([UW][A-Z0-9]{1,20})(?:\|[^&<>]*)?&gt;`)
	channelRef   = regexp.MustCompile(`&lt;#(C[A-Z0-9]{1,20})(?:\|[^&<>]*)?&gt;`)
	mentionToken = regexp.MustCompile(`^@([UW][A-Z0-9]{1,20})(?:\|.*)?$`)
	channelToken = regexp.MustCompile(`^#(C[A-Z0-9]{1,20})(?:\|.*)?$`)
)

// Plain turns text as Slack delivers it (what a person typed, with &, < and
// > as entities and Slack's own markup for mentions, broadcasts and links)
// into plain text to store. Mentions of people and channels stay mentions
// (<@U…>, <#C…>); a broadcast becomes the word a person typed (@here), a
// user group its name, a link its label and address side by side, so that
// nothing a person typed can become live markup in what the bot posts.
func Plain(slack string) string {
	var b strings.Builder
	last := 0
	for _, m := range slackMarkup.FindAllStringSubmatchIndex(slack, -1) {
		b.WriteString(unentities.Replace(slack[last:m[0]]))
		b.WriteString(plainMarkup(slack[m[2]:m[3]]))
		last = m[1]
	}
	b.WriteString(unentities.Replace(slack[last:]))
	return b.String()
}

func plainMarkup(inner string) string {
	if m := mentionToken.FindStringSubmatch(inner); m != nil {
		return "<@" + m[1] + ">"
	}
	if m := channelToken.FindStringSubmatch(inner); m != nil {
		return "<#" + m[1] + ">"
	}
	target, label, hasLabel := strings.Cut(inner, "|")
	label = unentities.Replace(label)
	switch {
	case strings.HasPrefix(target, "!subteam^"):
		if hasLabel && label != "" {
			return "@" + strings.TrimPrefix(label, "@")
		}
		return "@usergroup"
	case strings.HasPrefix(target, "!date^"):
		return label
	case strings.HasPrefix(target, "!"):
		if hasLabel && label != "" {
			return label
		}
		return "@" + strings.TrimPrefix(target, "!")
	}
	target = unentities.Replace(target)
	address := strings.TrimPrefix(target, "mailto:")
	if !hasLabel || label == "" || label == target || label == address {
		return address
	}
	if bare := strings.TrimPrefix(strings.TrimPrefix(address, "http://"), "https://"); strings.EqualFold(label, bare) {
		return label // Slack made a link of what the person typed (evil.example): it is what they typed
	}
	return label + " (" + address + ")"
}

// Text makes plain text safe to show in mrkdwn, in blocks and in a
// message's text alike: &, < and > are escaped, so no broadcast, user group
// or link can come alive; mentions of people and channels (<@U…>, <#C…>)
// are kept; display-reordering controls are dropped.
func Text(plain string) string {
	out := entities.Replace(dropBidi(plain))
	out = userMention.ReplaceAllString(out, "<@$1>")
	return channelRef.ReplaceAllString(out, "<#$1>")
}

// Label makes text safe for a plain_text field, which Slack shows as it
// is (no markup comes alive there): display-reordering controls are dropped.
func Label(plain string) string { return dropBidi(plain) }

var (
	liveBroadcast = regexp.MustCompile(`<!(?:channel|here|everyone|group|subteam\^)[^>]*>`)
	liveLink      = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9+.-]*):([^<>|]*)(?:\|[^<>]*)?>`)
	bidiChar      = regexp.MustCompile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
)

// Live lists what in mrkdwn Slack would bring alive that the bot must never
// send from user text: broadcasts (@channel, @here, @everyone, user
// groups), links to hosts other than those given (the bot's own links go to
// Slack), and display-reordering controls. Tests check every message with
// it; on the way out, Neutralize catches broadcasts and controls again.
func Live(mrkdwn string, ownHosts ...string) []string {
	var found []string
	found = append(found, liveBroadcast.FindAllString(mrkdwn, -1)...)
	for _, m := range liveLink.FindAllStringSubmatch(mrkdwn, -1) {
		target := strings.TrimPrefix(m[2], "//")
		host, _, _ := strings.Cut(target, "/")
		own := false
		for _, h := range ownHosts {
			own = own || strings.EqualFold(host, h)
		}
		if !own {
			found = append(found, m[0])
		}
	}
	return append(found, bidiChar.FindAllString(mrkdwn, -1)...)
}

// Neutralize is the last line of defence behind Text, for mrkdwn about to
// be sent: a broadcast that came alive is escaped and display-reordering
// controls are dropped. It reports whether it had anything to do, which
// is a bug upstream: user text reached a message without Text.
func Neutralize(mrkdwn string) (string, bool) {
	out := dropBidi(liveBroadcast.ReplaceAllStringFunc(mrkdwn, entities.Replace))
	return out, out != mrkdwn
}

// NeutralizeMessage applies Neutralize to a message's text and to every
// mrkdwn text in its blocks, in place.
func NeutralizeMessage(m Message) (Message, bool) {
	text, changed := Neutralize(m.Text)
	m.Text = text
	for _, b := range m.Blocks {
		changed = neutralizeIn(map[string]any(b)) || changed
	}
	return m, changed
}

// NeutralizeView applies Neutralize to every mrkdwn text of a modal, in place.
func NeutralizeView(v View) bool { return neutralizeIn(map[string]any(v)) }

func neutralizeIn(v any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["text"].(string); ok && x["type"] == "mrkdwn" {
			var c bool
			x["text"], c = Neutralize(t)
			changed = changed || c
		}
		for _, child := range x {
			changed = neutralizeIn(child) || changed
		}
	case Block:
		changed = neutralizeIn(map[string]any(x)) || changed
	case []any:
		for _, child := range x {
			changed = neutralizeIn(child) || changed
		}
	case []Block:
		for _, child := range x {
			changed = neutralizeIn(map[string]any(child)) || changed
		}
	}
	return changed
}
