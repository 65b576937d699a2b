package incident

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestClassifyAndRefang(t *testing.T) {
	tests := []struct {
		in    string
		typ   IndicatorType
		value string
	}{
		{"203.0.113.7", IOCIPv4, "203.0.113.7"},
		{"203[.]0[.]113[.]7", IOCIPv4, "203.0.113.7"},
		{"2001:db8::1", IOCIPv6, "2001:db8::1"},
		{"2001[:]db8[:][:]1", IOCIPv6, "2001:db8::1"},
		{"Evil-Example.COM", IOCDomain, "evil-example.com"},
		{"evil(.)example[.]com", IOCDomain, "evil.example.com"},
		{"evil.example.com.", IOCDomain, "evil.example.com"},
		{"`evil[.]example`", IOCDomain, "evil.example"},
		{"'203.0.113.7'", IOCIPv4, "203.0.113.7"},
		{"hxxps://evil[.]example/login?x=1", IOCURL, "https://evil.example/login?x=1"},
		{"hXXp://EVIL.example/a", IOCURL, "http://evil.example/a"},
		{"attacker[@]evil[.]example", IOCEmail, "attacker@evil.example"},
		{"Bob.Smith@Example.ORG", IOCEmail, "Bob.Smith@example.org"},
		{"D41D8CD98F00B204E9800998ECF8427E", IOCMD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", IOCSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", IOCSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"cve-2024-3094", IOCCVE, "CVE-2024-3094"},
		{`C:\Users\Public\payload.exe`, IOCPath, `C:\Users\Public\payload.exe`},
		{"/tmp/.x/kworker", IOCPath, "/tmp/.x/kworker"},
	}
	for _, tt := range tests {
		typ, value, ok := Classify(tt.in)
		if !ok || typ != tt.typ || value != tt.value {
			t.Errorf("Classify(%q) = %s %q %v; want %s %q", tt.in, typ, value, ok, tt.typ, tt.value)
		}
	}
	for _, not := range []string{"", "hello", "e.g.", "3.14", "1.2.3", "999.1.1.1", "abc123", "deadbeef", "CVE-24-1", "mailto", "x@y", "javascript:alert(1)", "/", "relative/path"} {
		if typ, value, ok := Classify(not); ok {
			t.Errorf("Classify(%q) = %s %q; want not an indicator", not, typ, value)
		}
	}
}

func TestDefang(t *testing.T) {
	tests := []struct {
		typ      IndicatorType
		value    string
		defanged string
	}{
		{IOCURL, "https://evil.example/login", "hxxps[://]evil[.]example/login"},
		{IOCURL, "ftp://files.evil.example/x", "fxp[://]files[.]evil[.]example/x"},
		{IOCDomain, "evil.example.com", "evil[.]example[.]com"},
		{IOCIPv4, "203.0.113.7", "203[.]0[.]113[.]7"},
		{IOCIPv6, "2001:db8::1", "2001[:]db8[:][:]1"},
		{IOCEmail, "a.b@evil.example", "a[.]b[@]evil[.]example"},
		{IOCSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{IOCCVE, "CVE-2024-3094", "CVE-2024-3094"},
	}
	for _, tt := range tests {
		if got := Defang(tt.typ, tt.value); got != tt.defanged {
			t.Errorf("Defang(%s, %q) = %q; want %q", tt.typ, tt.value, got, tt.defanged)
		}
		// Defanged, it reads back as the same indicator.
		if typ, value, ok := Classify(Defang(tt.typ, tt.value)); !ok || typ != tt.typ || value != tt.value {
			t.Errorf("Classify(Defang(%q)) = %s %q %v", tt.value, typ, value, ok)
		}
	}
}

func TestExtract(t *testing.T) {
	text := "Seen: hxxps://evil[.]example/login from 203.0.113.7 (and 203[.]0[.]113[.]7 again), mail from attacker[@]evil[.]example; " +
		"hash E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855, CVE-2024-3094, dropped to C:\\Users\\Public\\payload.exe. " +
		"Nothing else here: e.g. version 1.2.3, 3.14 and the word deadbeef."
	got := Extract(text)
	want := []Candidate{
		{IOCURL, "https://evil.example/login"},
		{IOCIPv4, "203.0.113.7"},
		{IOCEmail, "attacker@evil.example"},
		{IOCSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{IOCCVE, "CVE-2024-3094"},
		{IOCPath, `C:\Users\Public\payload.exe`},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Extract =\n%v\nwant\n%v", got, want)
	}
	if got := Extract("<https://evil.example/x|click here> and <mailto:a@evil.example|a@evil.example>"); !slices.Contains(got, Candidate{IOCURL, "https://evil.example/x"}) {
		t.Errorf("Extract from Slack markup = %v", got)
	}
}

// live is what would come alive in Slack or a browser: a scheme, a Slack
// link, or a dot of a host left as it is.
var live = regexp.MustCompile(`(?i)(https?|ftp)://|<|>|[a-z0-9]\.[a-z0-9]`)

// FuzzDefangIsInert checks that no indicator, once defanged, holds a live
// address or link.
func FuzzDefangIsInert(f *testing.F) {
	for _, seed := range []string{"https://evil.example/a.b", "hxxp://x[.]y", "a@b.example", "1.2.3.4", "::ffff:1.2.3.4", "HTTP://EVIL.EXAMPLE", "ftp://a.b/c", "evil.example", "<https://a.b|c>"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		typ, value, ok := Classify(in)
		if !ok {
			return
		}
		out := Defang(typ, value)
		switch typ {
		case IOCURL, IOCDomain, IOCIPv4, IOCEmail:
			if m := live.FindString(out); m != "" {
				t.Errorf("Defang(%s, %q) = %q holds %q", typ, value, out, m)
			}
		}
		if strings.ContainsAny(out, "<>") {
			t.Errorf("Defang(%s, %q) = %q holds Slack markup", typ, value, out)
		}
	})
}

// Refanging touches the defanging marks and a defanged scheme at the
// start only; the same letters inside a value are the value's own, and a
// path that holds an address is shown inert.
func TestRefangKeepsTheValuesOwnLetters(t *testing.T) {
	for _, tc := range []struct {
		in     string
		typ    IndicatorType
		value  string
		defang string
	}{
		{"fxpro.com", IOCDomain, "fxpro.com", "fxpro[.]com"},
		{"hxxp-lab[.]example", IOCDomain, "hxxp-lab.example", "hxxp-lab[.]example"},
		{"HXXPS://evil[.]example/a", IOCURL, "https://evil.example/a", "hxxps[://]evil[.]example/a"},
		{"fxp://files[.]example/x", IOCURL, "ftp://files.example/x", "fxp[://]files[.]example/x"},
		{"/tmp/hxxps[://]evil[.]example/x.sh", IOCPath, "/tmp/hxxps://evil.example/x.sh", "/tmp/hxxps[://]evil.example/x.sh"},
		{"/home/www.example/x@y", IOCPath, "/home/www.example/x@y", "/home/www[.]example/x[@]y"},
	} {
		typ, value, ok := Classify(tc.in)
		if !ok || typ != tc.typ || value != tc.value {
			t.Errorf("Classify(%q) = %s %q %v, want %s %q", tc.in, typ, value, ok, tc.typ, tc.value)
			continue
		}
		if got := Defang(typ, value); got != tc.defang {
			t.Errorf("Defang(%s %q) = %q, want %q", typ, value, got, tc.defang)
		}
	}
}
