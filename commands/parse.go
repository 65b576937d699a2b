package commands

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/incidentbot/incidentbot/bot/render"
)

// Parsed is the text of an /incident command taken apart.
type Parsed struct {
	Name       string    // the subcommand, lowercased; empty when none was typed
	Args       []string  // the remaining words, without mentions, severities and flags
	Mentions   []Mention // <@U123|name> mentions, in order, each once
	Severities []string  // words naming a severity (sevN or a configured name), lowercased
	Flags      []string  // --flag options without their dashes, lowercased
	Raw        string    // the text after the subcommand, as typed: for notes and updates
}

// Mention is a user mention as Slack escapes it in command text.
type Mention struct {
	UserID string
	Name   string
}

// Text is the arguments as one string, as a title or note is written.
func (p Parsed) Text() string { return strings.Join(p.Args, " ") }

var (
	mentionPattern  = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$`)
	severityPattern = regexp.MustCompile(`(?i)^sev[0-9]{1,2}$`)
)

// Parse splits the command text. isSeverity recognises configured severity
// names besides the sevN pattern. Parse never fails: what is wrong with the
// words is for the subcommand to judge, since only it knows what it takes.
func Parse(text string, isSeverity func(string) bool) Parsed {
	var p Parsed
	for i, tok := range tokenize(text) {
		if i == 0 {
			p.Name = strings.ToLower(render.Plain(tok))
			p.Raw = render.Plain(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), tok)))
			continue
		}
		switch {
		case mentionPattern.MatchString(tok):
			m := mentionPattern.FindStringSubmatch(tok)
			if !containsMention(p.Mentions, m[1]) {
				p.Mentions = append(p.Mentions, Mention{UserID: m[1], Name: m[2]})
			}
		case severityPattern.MatchString(tok) || (isSeverity != nil && isSeverity(tok)):
			p.Severities = append(p.Severities, strings.ToLower(tok))
		case isFlag(tok):
			p.Flags = append(p.Flags, strings.ToLower(strings.TrimLeft(render.Plain(tok), "-—–")))
		default:
			p.Args = append(p.Args, render.Plain(tok))
		}
	}
	return p
}

// isFlag accepts --private and the dashes Slack clients auto-correct it to.
func isFlag(tok string) bool {
	for _, prefix := range []string{"--", "—", "–"} {
		if rest, ok := strings.CutPrefix(tok, prefix); ok && rest != "" && !strings.HasPrefix(rest, "-") {
			return true
		}
	}
	return false
}

func containsMention(ms []Mention, id string) bool {
	for _, m := range ms {
		if m.UserID == id {
			return true
		}
	}
	return false
}

// tokenize splits on white space, keeping a Slack <...> escape (which may
// hold spaces, as in <@U1|Ann Lee>) as one word.
func tokenize(text string) []string {
	var toks []string
	var cur strings.Builder
	inEscape := false
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range text {
		switch {
		case inEscape:
			cur.WriteRune(r)
			if r == '>' {
				inEscape = false
			}
		case r == '<' && cur.Len() == 0:
			cur.WriteRune(r)
			inEscape = true
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	if inEscape && len(toks) > 0 {
		// An unclosed < was not an escape after all: split it like plain text.
		last := toks[len(toks)-1]
		toks = append(toks[:len(toks)-1], strings.Fields(last)...)
	}
	return toks
}
