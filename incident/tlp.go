package incident

import "strings"

// WithheldRed stands in for a TLP:RED value taken out of text.
const WithheldRed = "(withheld: TLP:RED)"

// RedText takes an incident's TLP:RED indicators out of text that leaves
// the incident's channel (the postmortem, its files, stakeholder notices).
type RedText struct {
	forms  []string // as typed and defanged, lower case, for replacing in place
	plain  []string // lower case, refanged: a URL also without its scheme
	packed []string // letters and digits only, long enough not to turn up by chance
	slugs  []string // as a channel name holds them (evil-example, 10-2-3-4)
	// A finder of each set looks for all of its values in one pass (a
	// trie): an incident may hold thousands, and most text names none.
	findForms, findPlain, findPacked, findSlugs *strings.Replacer
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

// names reports whether s holds any of the finder's values.
func names(f *strings.Replacer, s string) bool {
	return f != nil && strings.Contains(f.Replace(s), found)
}

// WithholdRed is the RedText of an incident's indicators.
func WithholdRed(inds []Indicator) RedText {
	var r RedText
	for _, i := range inds {
		if i.Marking != "TLP:RED" {
			continue
		}
		v := strings.ToLower(i.Value)
		r.forms = append(r.forms, strings.ToLower(i.Value), strings.ToLower(i.Defanged()))
		r.plain = append(r.plain, v)
		if i.Type == IOCURL {
			_, bare, _ := strings.Cut(v, "://")
			r.plain = append(r.plain, bare)
			v = bare
		}
		if p := pack(v); len(p) >= minPacked {
			r.packed = append(r.packed, p)
		}
		if s := slug(v); strings.Contains(s, "-") {
			r.slugs = append(r.slugs, s)
		}
	}
	r.findForms, r.findPlain, r.findPacked, r.findSlugs = finder(r.forms), finder(r.plain), finder(r.packed), finder(r.slugs)
	return r
}

// minPacked: a value shorter than this, in letters and digits, is too
// likely to turn up by chance to be looked for in that shape.
const minPacked = 6

// Apply takes out of s every TLP:RED value it names, as typed or defanged;
// s that still names one some other way (defanged in part, a URL without
// its scheme, a channel name made from a title) is withheld whole.
func (r RedText) Apply(s string) string {
	if len(r.plain) == 0 {
		return s
	}
	if lower := strings.ToLower(s); names(r.findForms, lower) {
		for _, form := range r.forms {
			if strings.Contains(lower, form) {
				s = replaceFold(s, form, WithheldRed)
				lower = strings.ToLower(s)
			}
		}
	}
	plain := strings.ToLower(Refang(s))
	plain = strings.ReplaceAll(strings.ReplaceAll(plain, "hxxp", "http"), "fxp://", "ftp://")
	if names(r.findPlain, plain) || names(r.findPacked, pack(plain)) || names(r.findSlugs, slug(plain)) {
		return WithheldRed
	}
	return s
}

// pack keeps only the letters and digits of lower-case text.
func pack(s string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
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

// replaceFold replaces every occurrence of old in s, in any letter case.
func replaceFold(s, old, repl string) string {
	if old == "" {
		return s
	}
	lower, low := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) || len(low) != len(old) { // a case change that alters lengths: left to the whole-text check
		return s
	}
	var b strings.Builder
	for {
		k := strings.Index(lower, low)
		if k < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:k])
		b.WriteString(repl)
		s, lower = s[k+len(old):], lower[k+len(old):]
	}
}
