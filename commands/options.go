package commands

import (
	"slices"
	"strings"
)

// options takes a command's text apart into its words and the values of
// the named options (--note, --until): an option's value is the text up to
// the next named option. Words that look like options but are not named
// stay words. Dashes that Slack clients auto-correct are accepted.
func options(raw string, names ...string) (words []string, values map[string]string, err error) {
	values = map[string]string{}
	current := ""
	var value []string
	set := func() error {
		if current == "" {
			return nil
		}
		if _, twice := values[current]; twice {
			return errTwice(current)
		}
		values[current] = strings.Join(value, " ")
		return nil
	}
	for _, tok := range tokenize(raw) {
		name := ""
		if isFlag(tok) {
			name = strings.ToLower(strings.TrimLeft(tok, "-—–"))
		}
		if slices.Contains(names, name) {
			if err := set(); err != nil {
				return nil, nil, err
			}
			current, value = name, nil
			continue
		}
		if current != "" {
			value = append(value, tok)
		} else {
			words = append(words, tok)
		}
	}
	if err := set(); err != nil {
		return nil, nil, err
	}
	return words, values, nil
}

type errTwice string

func (e errTwice) Error() string { return "--" + string(e) + " is given twice" }
