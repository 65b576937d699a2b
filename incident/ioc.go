package incident

import (
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// IndicatorType is what kind of observable an indicator is.
type IndicatorType string

// The indicator types.
const (
	IOCIPv4   IndicatorType = "ipv4"
	IOCIPv6   IndicatorType = "ipv6"
	IOCDomain IndicatorType = "domain"
	IOCURL    IndicatorType = "url"
	IOCEmail  IndicatorType = "email"
	IOCMD5    IndicatorType = "md5"
	IOCSHA1   IndicatorType = "sha1"
	IOCSHA256 IndicatorType = "sha256"
	IOCCVE    IndicatorType = "cve"
	IOCPath   IndicatorType = "path"
)

// Noun is the type as a sentence names it: "IPv4 address", "domain".
func (t IndicatorType) Noun() string {
	switch t {
	case IOCIPv4:
		return "IPv4 address"
	case IOCIPv6:
		return "IPv6 address"
	case IOCURL:
		return "URL"
	case IOCEmail:
		return "e-mail address"
	case IOCMD5:
		return "MD5 hash"
	case IOCSHA1:
		return "SHA-1 hash"
	case IOCSHA256:
		return "SHA-256 hash"
	case IOCCVE:
		return "CVE id"
	case IOCPath:
		return "file path"
	}
	return string(t)
}

// WithArticle is the noun with "a" or "an": "an IPv4 address", "a domain".
func (t IndicatorType) WithArticle() string {
	n := t.Noun()
	if strings.ContainsRune("aeiouAEIOU", rune(n[0])) || t == IOCMD5 || t == IOCSHA1 || t == IOCSHA256 {
		return "an " + n
	}
	return "a " + n
}

// IndicatorTypes are the types, in the order lists show them.
func IndicatorTypes() []IndicatorType {
	return []IndicatorType{IOCIPv4, IOCIPv6, IOCDomain, IOCURL, IOCEmail, IOCMD5, IOCSHA1, IOCSHA256, IOCCVE, IOCPath}
}

// refangs undo the usual ways of marking an indicator inert in text:
// brackets around dots, at signs and the scheme's separator.
var refangs = strings.NewReplacer(
	"[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "(dot)", ".", " [.] ", ".",
	"[@]", "@", "(@)", "@", "[at]", "@", "(at)", "@",
	"[:]", ":", "[://]", "://", "[/]", "/",
)

// defangedSchemes are the schemes written inert, at the start of a URL only:
// the same letters inside a value (fxpro.com) are the value's own.
var defangedSchemes = []struct{ inert, live string }{{"hxxps://", "https://"}, {"hxxp://", "http://"}, {"fxp://", "ftp://"}}

// Refang turns a defanged indicator back into its real form: hxxp:// to
// http://, [.] and (.) to dots, [@] to @.
func Refang(s string) string {
	s = refangs.Replace(strings.TrimSpace(s))
	for _, d := range defangedSchemes {
		if len(s) >= len(d.inert) && strings.EqualFold(s[:len(d.inert)], d.inert) {
			return d.live + s[len(d.inert):]
		}
	}
	return s
}

var (
	hexOnly     = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	cvePattern  = regexp.MustCompile(`^(?i)CVE-\d{4}-\d{4,7}$`)
	domainLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	emailLocal  = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]{1,64}$`)
	winPath     = regexp.MustCompile(`^[A-Za-z]:\\[^<>"|?*\x00-\x1f]+$`)
	unixPath    = regexp.MustCompile(`^/[^\s<>"|\x00-\x1f]*[^\s<>"|/\x00-\x1f]$`)
)

// Classify finds an indicator's type and its normal form (refanged; hashes,
// domains and e-mail domains lowercase; CVE ids uppercase); ok is false for
// text that is none of the types.
func Classify(raw string) (t IndicatorType, value string, ok bool) {
	// Pasted in code formatting or quotes, it is the same indicator.
	s := Refang(strings.Trim(strings.TrimSpace(raw), "`'\""))
	if s == "" || len(s) > 2048 {
		return "", "", false
	}
	if hexOnly.MatchString(s) {
		switch len(s) {
		case 32:
			return IOCMD5, strings.ToLower(s), true
		case 40:
			return IOCSHA1, strings.ToLower(s), true
		case 64:
			return IOCSHA256, strings.ToLower(s), true
		}
	}
	if cvePattern.MatchString(s) {
		return IOCCVE, strings.ToUpper(s), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Is4() {
			return IOCIPv4, a.String(), true
		}
		return IOCIPv6, a.String(), true
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" && !strings.ContainsAny(s, " \t\n") {
		switch strings.ToLower(u.Scheme) {
		case "http", "https", "ftp":
			u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
			return IOCURL, u.String(), true
		}
	}
	if local, domain, found := strings.Cut(s, "@"); found && emailLocal.MatchString(local) && isDomain(strings.ToLower(domain)) {
		return IOCEmail, local + "@" + strings.ToLower(domain), true
	}
	// A domain written as fully qualified (evil.example.) or ending a sentence is the same domain.
	if d := strings.TrimSuffix(strings.ToLower(s), "."); isDomain(d) {
		return IOCDomain, d, true
	}
	if winPath.MatchString(s) || unixPath.MatchString(s) {
		return IOCPath, s, true
	}
	return "", "", false
}

// isDomain reports whether s is a host name with a top-level domain of
// letters: two labels at least, none empty or too long.
func isDomain(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(s, "."), ".")
	if len(labels) < 2 {
		return false
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 || strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") != "" {
		return false
	}
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			return false
		}
	}
	return true
}

// Defang makes an indicator safe to show: nothing in it can become a link
// or unfurl (http to hxxp, every dot of a host or address to [.], @ to
// [@]). Hashes, CVE ids and paths have nothing to defang.
func Defang(t IndicatorType, value string) string {
	switch t {
	case IOCURL:
		s := strings.Replace(value, "http", "hxxp", 1)
		s = strings.Replace(s, "ftp://", "fxp://", 1)
		s = strings.ReplaceAll(s, ".", "[.]")
		return strings.ReplaceAll(s, "://", "[://]")
	case IOCDomain, IOCIPv4:
		return strings.ReplaceAll(value, ".", "[.]")
	case IOCIPv6:
		return strings.ReplaceAll(value, ":", "[:]")
	case IOCEmail:
		return strings.ReplaceAll(strings.ReplaceAll(value, "@", "[@]"), ".", "[.]")
	case IOCPath:
		// A path may hold what a reader would open: an address, a www. name, a mailbox.
		return strings.NewReplacer("://", "[://]", "www.", "www[.]", "@", "[@]").Replace(value)
	}
	return value
}

// Candidate is an indicator found in text.
type Candidate struct {
	Type  IndicatorType
	Value string // the normal form
}

// tokenTrim is what surrounds an indicator in prose and is not part of it.
const tokenTrim = "\"'`<>()[]{},;!?*_~"

// Extract finds the indicators in text (a message, say): each once, in the
// order they first appear, defanged or not.
func Extract(text string) []Candidate {
	text = strings.NewReplacer("[.]", ".", "(.)", ".", "[@]", "@", "(@)", "@", "[:]", ":", "[://]", "://").Replace(text)
	var out []Candidate
	seen := map[Candidate]bool{}
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '|' || r == '<' || r == '>'
	}) {
		tok = strings.TrimRight(strings.Trim(tok, tokenTrim), ".:")
		if tok == "" {
			continue
		}
		t, v, ok := Classify(tok)
		if !ok {
			continue
		}
		c := Candidate{Type: t, Value: v}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return slices.Clip(out)
}

// MaxIndicators bounds an incident's indicators.
const MaxIndicators = 2000

// Indicator states.
const (
	IndicatorSuspected     = "suspected"
	IndicatorMalicious     = "malicious"
	IndicatorFalsePositive = "false_positive"
)

// Indicator is an observable recorded on an incident, kept in its normal
// form and shown defanged.
type Indicator struct {
	Type      IndicatorType `json:"type"`
	Value     string        `json:"value"`
	FirstSeen time.Time     `json:"first_seen"`
	LastSeen  time.Time     `json:"last_seen"`
	AddedBy   string        `json:"added_by"`
	Sightings int           `json:"sightings"`
	State     string        `json:"state"`
	Note      string        `json:"note,omitempty"`
	// Marking is a TLP marking (TLP:AMBER) the indicator is shared under;
	// "" for none given.
	Marking string `json:"marking,omitempty"`
}

// Markings are the TLP 2.0 markings an indicator may carry, least
// restrictive first.
func Markings() []string {
	return []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
}

// Stricter is the more restricted of two markings ("" is none, below TLP:CLEAR).
func Stricter(a, b string) string {
	if slices.Index(Markings(), b) > slices.Index(Markings(), a) {
		return b
	}
	return a
}

// Mark changes an indicator's state and marking (each where not ""), and
// says so on the timeline. Raising a marking is anyone's to do; lowering
// one needs the incident's commander or an admin, so what was marked
// TLP:RED is not made shareable by whoever happens to be around.
func (ind *Indicator) Mark(at time.Time, a Actor, inc *Incident, state, marking string) (TimelineEvent, error) {
	var label []string
	if marking != "" && marking != ind.Marking {
		if floor := inc.Marking(); Stricter(marking, floor) != marking && floor != "TLP:CLEAR" {
			return TimelineEvent{}, Fail(Conflict, "%s is %s: its indicators are marked no lower. Lower the incident's marking first (%s).", inc.Ref(), floor, Literal("/incident tlp"))
		}
		if Stricter(ind.Marking, marking) == ind.Marking {
			if err := inc.RequireCommands(a, Say("lower the marking of %s from %s to %s", Literal(ind.Defanged()), ind.Marking, marking)); err != nil {
				return TimelineEvent{}, err
			}
		}
		if ind.Marking != "" {
			label = append(label, marking+" (was "+ind.Marking+")")
		} else {
			label = append(label, marking)
		}
		ind.Marking = marking
	}
	if state != "" {
		ind.State = state
		label = append([]string{state}, label...)
	}
	if len(label) == 0 {
		return TimelineEvent{}, Fail(Conflict, "%s is %s already.", Literal(ind.Defanged()), strings.Join(slices.DeleteFunc([]string{strings.ReplaceAll(ind.State, "_", " "), ind.Marking}, func(s string) bool { return s == "" }), ", "))
	}
	return IndicatorMarked(at, a.ID, ind.Type, ind.Value, strings.Join(label, ", ")), nil
}

// ParseMarking reads a TLP marking: clear, green, amber, amber+strict,
// red, with or without TLP:, any case.
func ParseMarking(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(s, "TLP:") {
		s = "TLP:" + s
	}
	return s, slices.Contains(Markings(), s)
}

// DefangAny shows text defanged when it is an indicator (a containment
// action's target may be an address or a domain), and as it is otherwise.
func DefangAny(s string) string {
	if t, v, ok := Classify(s); ok {
		return Defang(t, v)
	}
	return s
}

// Defanged is the indicator as it is shown.
func (i Indicator) Defanged() string { return Defang(i.Type, i.Value) }

// ParseIndicatorType reads a type word: ipv4, ip, domain, url, email, md5,
// sha1, sha256, cve, path (any letter case).
func ParseIndicatorType(s string) (IndicatorType, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "ip" {
		return IOCIPv4, true
	}
	for _, t := range IndicatorTypes() {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

// ParseIndicatorState reads a state word: suspected, malicious (or
// confirmed), false-positive (or false_positive, fp).
func ParseIndicatorState(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "suspected":
		return IndicatorSuspected, true
	case "malicious", "confirmed":
		return IndicatorMalicious, true
	case "false-positive", "false_positive", "fp":
		return IndicatorFalsePositive, true
	}
	return "", false
}

// IndicatorMarked records an indicator's new state.
func IndicatorMarked(at time.Time, by string, t IndicatorType, value, state string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventIndicator, From: string(t), Text: value, To: state, V: typed}
}

// IndicatorAdded records an indicator added to an incident (or seen again).
func IndicatorAdded(at time.Time, by string, t IndicatorType, value string) TimelineEvent {
	return TimelineEvent{At: at, Actor: by, Kind: EventIndicator, From: string(t), Text: value, V: typed}
}
