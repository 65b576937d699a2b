package incident

import (
	"regexp"
	"strings"
	"time"
)

// Marking is the incident's TLP marking: TLP:CLEAR when it has none.
func (i *Incident) Marking() string {
	if i.TLP == "" {
		return "TLP:CLEAR"
	}
	return i.TLP
}

// MaxReason bounds the reason given for lowering a marking.
const maxMarkingReason = 300

// SetTLP changes the incident's marking. Raising it is anyone's to do;
// lowering it needs the commander or an admin (not anyone while the role
// is vacant) and a reason, and both go on the timeline.
func (i *Incident) SetTLP(at time.Time, a Actor, marking, reason string) ([]TimelineEvent, error) {
	cur := i.Marking() // also after the close: the postmortem and its notice follow it
	if marking == cur {
		return nil, Fail(Conflict, "%s is %s already.", i.Ref(), cur)
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > maxMarkingReason {
		return nil, Errorf("Keep the reason under %d characters.", maxMarkingReason)
	}
	if Stricter(cur, marking) == cur {
		if err := i.RequireCommands(a, Say("lower the marking of %s from %s to %s", i.Ref(), cur, marking)); err != nil {
			return nil, err
		}
		if reason == "" {
			return nil, Errorf("Lowering %s from %s to %s needs a reason: %s.", i.Ref(), cur, marking,
				Literal("/incident tlp "+strings.ToLower(strings.TrimPrefix(marking, "TLP:"))+" because <reason>"))
		}
	}
	i.TLP = marking
	return []TimelineEvent{{At: at, Actor: a.ID, Kind: EventTLP, From: cur, To: marking, Reason: reason, V: typed}}, nil
}

// AtLeastMarked is inds each marked at least as the incident is: an
// indicator is never less restricted than the incident it belongs to.
func (i *Incident) AtLeastMarked(inds []Indicator) []Indicator {
	floor := i.Marking()
	if floor == "TLP:CLEAR" {
		return inds
	}
	out := make([]Indicator, len(inds))
	for k, ind := range inds {
		ind.Marking = Stricter(ind.Marking, floor)
		out[k] = ind
	}
	return out
}

// WithheldRed stands in for a TLP:RED value taken out of text.
const WithheldRed = "(withheld: TLP:RED)"

// RedText takes an incident's TLP:RED indicators out of text that leaves
// the incident's channel (the postmortem, its files, stakeholder notices).
// A value is matched only as a whole (not inside a longer word or name),
// so marking a short value TLP:RED cannot blank out unrelated text.
type RedText struct {
	forms []string // as typed and defanged, lower case, for replacing in place
	plain []string // lower case, refanged: a URL also without its scheme
	slugs []string // as a channel name holds them (evil-example, 10-2-3-4)
	// A finder of each set looks for all of its values in one pass (a
	// trie): an incident may hold thousands, and most text names none.
	findForms, findPlain, findSlugs *strings.Replacer
}

// WithholdRed is the RedText of an incident's indicators.
func WithholdRed(inds []Indicator) RedText {
	var r RedText
	for _, i := range inds {
		if i.Marking != "TLP:RED" {
			continue
		}
		v := lowerASCII(i.Value)
		r.forms = append(r.forms, v, lowerASCII(i.Defanged()))
		r.plain = append(r.plain, v)
		if i.Type == IOCURL {
			_, bare, _ := strings.Cut(v, "://")
			r.plain = append(r.plain, bare)
			r.forms = append(r.forms, bare)
			v = bare
		}
		if s := slug(v); strings.Contains(s, "-") {
			r.slugs = append(r.slugs, s)
		}
	}
	r.findForms, r.findPlain, r.findSlugs = finder(r.forms), finder(r.plain), finder(r.slugs)
	return r
}

const found = "\x00"

// finder is a Replacer that marks where any of values occurs, or nil.
func finder(values []string) *strings.Replacer {
	var pairs []string
	for _, v := range values {
		if v != "" {
			pairs = append(pairs, v, found)
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	return strings.NewReplacer(pairs...)
}

// mayName reports whether s may hold one of the finder's values: a quick
// look before the exact one.
func mayName(f *strings.Replacer, s string) bool {
	return f != nil && strings.Contains(f.Replace(s), found)
}

// Apply takes out of s every TLP:RED value it names, as typed or
// defanged; s that still names one some other way (defanged in part, a URL
// without its scheme) is withheld whole, and so is a channel name made from
// a title that named one.
func (r RedText) Apply(s string) string {
	if len(r.plain) == 0 {
		return s
	}
	if lower := lowerASCII(s); mayName(r.findForms, lower) {
		for _, form := range r.forms {
			s = replaceWhole(s, form, WithheldRed)
		}
	}
	plain := lowerASCII(Refang(s))
	plain = strings.ReplaceAll(strings.ReplaceAll(plain, "hxxp", "http"), "fxp://", "ftp://")
	if mayName(r.findPlain, plain) {
		for _, v := range r.plain {
			if indexWhole(plain, v, 0) >= 0 {
				return WithheldRed
			}
		}
	}
	names := channelRef.FindAllString(s, -1) // "Channel #inc-2-… created"
	if channelName(s) {
		names = append(names, s)
	}
	for _, name := range names {
		slugged := slug(lowerASCII(name))
		if !mayName(r.findSlugs, slugged) {
			continue
		}
		for _, v := range r.slugs {
			if indexWhole(slugged, v, 0) >= 0 {
				return WithheldRed
			}
		}
	}
	return s
}

var channelRef = regexp.MustCompile(`#[a-z0-9_-]+`)

// channelName: text that is a channel name (#inc-2-beacon-to-evil-example).
func channelName(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "\\"), "#")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// alnum: an ASCII letter or digit, which a whole value never has on either side.
func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// indexWhole is where v occurs in s at or after from as a whole: with no
// letter or digit right before or after it; -1 if nowhere.
func indexWhole(s, v string, from int) int {
	for from <= len(s)-len(v) {
		k := strings.Index(s[from:], v)
		if k < 0 {
			return -1
		}
		k += from
		end := k + len(v)
		if (k == 0 || !alnum(s[k-1])) && (end == len(s) || !alnum(s[end])) {
			return k
		}
		from = k + 1
	}
	return -1
}

// replaceWhole replaces each whole occurrence of old (lower case) in s, in
// any ASCII letter case.
func replaceWhole(s, old, repl string) string {
	if old == "" {
		return s
	}
	lower := lowerASCII(s) // byte for byte: positions in it are positions in s
	var b strings.Builder
	last := 0
	for from := 0; ; {
		k := indexWhole(lower, old, from)
		if k < 0 {
			break
		}
		b.WriteString(s[last:k])
		b.WriteString(repl)
		last, from = k+len(old), k+len(old)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// lowerASCII lowers ASCII letters only, byte for byte, so that the result
// is as long as s and every position in it is the same in s.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// slug is lower-case text as a channel name is made of it: runs of
// anything but letters and digits become one dash.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}
