package incident

import "strings"

// WithheldRed stands in for a TLP:RED value taken out of text.
const WithheldRed = "(withheld: TLP:RED)"

// RedText takes an incident's TLP:RED indicators out of text that leaves
// the incident's channel (the postmortem, its files, stakeholder notices).
type RedText struct {
	forms  []string // as typed and defanged, for replacing in place
	plain  []string // lower case, refanged: a URL also without its scheme
	packed []string // letters and digits only, long enough not to turn up by chance
	slugs  []string // as a channel name holds them (evil-example, 10-2-3-4)
}

// WithholdRed is the RedText of an incident's indicators.
func WithholdRed(inds []Indicator) RedText {
	var r RedText
	for _, i := range inds {
		if i.Marking != "TLP:RED" {
			continue
		}
		v := strings.ToLower(i.Value)
		r.forms = append(r.forms, i.Value, i.Defanged())
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
	for _, form := range r.forms {
		s = replaceFold(s, form, WithheldRed)
	}
	plain := strings.ToLower(Refang(s))
	plain = strings.ReplaceAll(strings.ReplaceAll(plain, "hxxp", "http"), "fxp://", "ftp://")
	packed, slugged := pack(plain), slug(plain)
	for _, v := range r.plain {
		if strings.Contains(plain, v) {
			return WithheldRed
		}
	}
	for _, v := range r.packed {
		if strings.Contains(packed, v) {
			return WithheldRed
		}
	}
	for _, v := range r.slugs {
		if strings.Contains(slugged, v) {
			return WithheldRed
		}
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
