package incident

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// A Sentence is a short message for a person: bot-written words (Format)
// with arguments. Arguments that are not plain words are marked by their
// type (UserRef, Literal, Strong, ChannelRef, a nested Sentence) so that the
// presentation decides how they look; every other argument is text that it
// escapes. No Slack markup is written here.
type Sentence struct {
	Format string
	Args   []any
}

// Say builds a Sentence, with fmt's verbs in format.
func Say(format string, args ...any) Sentence {
	if checkFormat {
		_ = fmt.Sprintf(format, args...) // makes go vet check every Say like a Printf
	}
	return Sentence{Format: format, Args: args}
}

// checkFormat is never set: the call it guards exists for go vet only.
var checkFormat = false

// UserRef is a person, by user ID.
type UserRef string

// ChannelRef is a channel, by channel ID.
type ChannelRef string

// Literal is something to type or read exactly: a command, an option, a value.
type Literal string

// Strong is text to emphasise.
type Strong string

// Moment is a point in time, which each reader may see in their own zone.
type Moment time.Time

func (m Moment) String() string { return plainParts.Moment(time.Time(m)) }

// Join is a Sentence of parts with sep between them.
func Join(sep string, parts ...any) Sentence {
	if len(parts) == 0 {
		return Sentence{}
	}
	return Sentence{Format: strings.TrimSuffix(strings.Repeat("%s"+sep, len(parts)), sep), Args: parts}
}

// Parts is how a presentation draws the marked arguments of a Sentence;
// each function gets the raw value and returns it drawn. Text draws (and
// escapes) every other argument that is text.
type Parts struct {
	Text    func(string) string
	User    func(string) string
	Channel func(string) string
	Literal func(string) string
	Strong  func(string) string
	Moment  func(time.Time) string
}

// Draw draws s with p; the bot's own words in Format go through p.Text too.
func (s Sentence) Draw(p Parts) string {
	args := make([]any, len(s.Args))
	for i, a := range s.Args {
		args[i] = p.part(a)
	}
	return fmt.Sprintf(p.Text(s.Format), args...)
}

func (p Parts) part(a any) any {
	switch v := a.(type) {
	case Sentence:
		return v.Draw(p)
	case UserRef:
		return p.User(string(v))
	case ChannelRef:
		return p.Channel(string(v))
	case Literal:
		return p.Literal(string(v))
	case Strong:
		return p.Strong(string(v))
	case Moment:
		return p.Moment(time.Time(v))
	case fmt.Stringer:
		return p.Text(v.String())
	}
	if rv := reflect.ValueOf(a); rv.IsValid() && rv.Kind() == reflect.String {
		return p.Text(rv.String())
	}
	return a // numbers and the like
}

// plainParts draws a Sentence as plain text, for logs.
var plainParts = Parts{
	Text:    func(s string) string { return s },
	User:    func(id string) string { return "@" + id },
	Channel: func(id string) string { return "#" + id },
	Literal: func(s string) string { return `"` + s + `"` },
	Strong:  func(s string) string { return s },
	Moment:  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}

// String is the plain form of s.
func (s Sentence) String() string { return s.Draw(plainParts) }
