package render

import "strings"

// Form is a modal as the services define it (its fields and what they
// are called); Modal decides how it looks.
type Form struct {
	CallbackID, Title, Submit string
	Metadata                  string // "" for none
	// Quote is text the form is about (a flagged message), shown above
	// its fields as a quote; plain text, "" for none.
	Quote  string
	Fields []Field
}

// FieldKind is what a field takes.
type FieldKind int

// The kinds of field.
const (
	TextLine FieldKind = iota // one line of text
	TextArea                  // several lines of text
	Choice                    // one of Options
	Person                    // a person of the workspace
	Day                       // a date
	Ticks                     // any of Options
	People                    // any number of people of the workspace
	Picks                     // any of Options, from a menu: all chosen at first
)

// Field is one input of a form; its ID names it in the submission.
type Field struct {
	ID, Label, Hint, Placeholder string
	Kind                         FieldKind
	Optional                     bool
	MaxLength                    int
	Options                      []Option
	Initial                      string // Choice: the value chosen at first; TextLine, TextArea: the text filled in
}

// Option is one choice of a field: what it is called, what it means.
type Option struct{ Value, Label, Detail string }

// Modal draws a form.
func Modal(f Form) View {
	var blocks []Block
	if f.Quote != "" {
		blocks = append(blocks, Section("> "+strings.ReplaceAll(Text(Truncate(f.Quote, 2000)), "\n", "\n> ")))
	}
	for _, fd := range f.Fields {
		blocks = append(blocks, inputBlock(fd))
	}
	v := View{"type": "modal", "callback_id": f.CallbackID,
		"title": PlainText(Truncate(f.Title, 24)), "submit": PlainText(f.Submit), "close": PlainText("Cancel"), "blocks": blocks}
	if f.Metadata != "" {
		v["private_metadata"] = f.Metadata
	}
	return v
}

func inputBlock(fd Field) Block {
	el := map[string]any{"action_id": fd.ID}
	if fd.Placeholder != "" {
		el["placeholder"] = PlainText(fd.Placeholder)
	}
	switch fd.Kind {
	case TextLine, TextArea:
		el["type"] = "plain_text_input"
		if fd.Kind == TextArea {
			el["multiline"] = true
		}
		if fd.MaxLength > 0 {
			el["max_length"] = fd.MaxLength
		}
		if text := fd.Initial; text != "" {
			if fd.MaxLength > 0 {
				text = Truncate(text, fd.MaxLength)
			}
			el["initial_value"] = Label(text)
		}
	case Choice:
		el["type"] = "static_select"
		options := make([]any, len(fd.Options))
		for i, o := range fd.Options {
			options[i] = map[string]any{"text": PlainText(Truncate(o.Label, 75)), "value": o.Value}
			if o.Value == fd.Initial {
				el["initial_option"] = options[i]
			}
		}
		el["options"] = options
	case Picks:
		el["type"] = "multi_static_select"
		options := make([]any, len(fd.Options))
		for i, o := range fd.Options {
			options[i] = map[string]any{"text": PlainText(Truncate(o.Label, 75)), "value": o.Value}
		}
		el["options"], el["initial_options"] = options, options
	case Person:
		el["type"] = "users_select"
	case People:
		el["type"] = "multi_users_select"
	case Day:
		el["type"] = "datepicker"
	case Ticks:
		el["type"] = "checkboxes"
		options := make([]any, len(fd.Options))
		for i, o := range fd.Options {
			text := "*" + Text(o.Label) + "*"
			if o.Detail != "" {
				text += ": " + Text(o.Detail)
			}
			options[i] = map[string]any{"text": Mrkdwn(text), "value": o.Value}
		}
		el["options"] = options
	}
	b := Block{"type": "input", "block_id": fd.ID, "label": PlainText(fd.Label), "element": el}
	if fd.Optional {
		b["optional"] = true
	}
	if fd.Hint != "" {
		b["hint"] = PlainText(fd.Hint)
	}
	return b
}
