package commands

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
)

func TestParse(t *testing.T) {
	isSev := func(w string) bool { return strings.EqualFold(w, "critical") }
	tests := []struct {
		text string
		want Parsed
	}{
		{"", Parsed{}},
		{"   ", Parsed{}},
		{"help", Parsed{Name: "help"}},
		{"DECLARE Ransomware on file server SEV1", Parsed{Name: "declare", Args: []string{"Ransomware", "on", "file", "server"}, Severities: []string{"sev1"}}},
		{"declare Phish --private sev2", Parsed{Name: "declare", Args: []string{"Phish"}, Severities: []string{"sev2"}, Flags: []string{"private"}}},
		{"declare Phish —private", Parsed{Name: "declare", Args: []string{"Phish"}, Flags: []string{"private"}}},
		{"declare Outage critical", Parsed{Name: "declare", Args: []string{"Outage"}, Severities: []string{"critical"}}},
		{"assign comms <@U123|carol>", Parsed{Name: "assign", Args: []string{"comms"}, Mentions: []Mention{{UserID: "U123", Name: "carol"}}}},
		{"assign comms <@W9ABC>", Parsed{Name: "assign", Args: []string{"comms"}, Mentions: []Mention{{UserID: "W9ABC"}}}},
		{"declare x <@U1|Ann Lee> <@U1|ann>", Parsed{Name: "declare", Args: []string{"x"}, Mentions: []Mention{{UserID: "U1", Name: "Ann Lee"}}}},
		{"status INC-42", Parsed{Name: "status", Args: []string{"INC-42"}}},
		{"note see <https://example.com|the log> now", Parsed{Name: "note", Args: []string{"see", "the log (https://example.com)", "now"}}},
		{"note <!here> and <!subteam^S1|@oncall> look", Parsed{Name: "note", Args: []string{"@here", "and", "@oncall", "look"}}},
		{"note typed &lt;!here&gt; literally", Parsed{Name: "note", Args: []string{"typed", "<!here>", "literally"}}},
		{"note a < b and c", Parsed{Name: "note", Args: []string{"a", "<", "b", "and", "c"}}},
		{"note unclosed <tag and more", Parsed{Name: "note", Args: []string{"unclosed", "<tag", "and", "more"}}},
		{"note -- and - are words", Parsed{Name: "note", Args: []string{"--", "and", "-", "are", "words"}}},
		{"note sev1a is not a severity", Parsed{Name: "note", Args: []string{"sev1a", "is", "not", "a", "severity"}}},
		{"\tlist\n", Parsed{Name: "list"}},
		{"declare &lt;script&gt; &amp; co", Parsed{Name: "declare", Args: []string{"<script>", "&", "co"}}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := Parse(tt.text, isSev)
			wantRaw := ""
			if f := strings.Fields(tt.text); len(f) > 0 {
				wantRaw = strings.TrimSpace(strings.TrimSpace(tt.text)[len(f[0]):])
			}
			// Raw is the text as plain text: entities undone, mentions
			// without their labels, broadcasts and links as words.
			wantRaw = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "|carol>", ">", "|Ann Lee>", ">", "|ann>", ">",
				"<https://example.com|the log>", "the log (https://example.com)", "<!here>", "@here", "<!subteam^S1|@oncall>", "@oncall").Replace(wantRaw)
			if got.Raw != wantRaw {
				t.Errorf("Raw = %q, want %q", got.Raw, wantRaw)
			}
			got.Raw = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.text, got, tt.want)
			}
		})
	}
}

// FuzzParse runs its seeds in every normal test run; `go test -fuzz FuzzParse ./commands` explores further.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "declare Ransomware on file server sev1", "declare x --private", "assign comms <@U123|carol>",
		"status INC-42", "note <https://x.y|a b> <#C1|general>", "declare ünïcödé 🚨 sev2 —private", "<", "<@", ">>><<<",
		"note \x00\xff", "declare " + strings.Repeat("a", 300),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := Parse(text, nil)
		if p.Name != strings.ToLower(p.Name) {
			t.Errorf("name %q not lowercased", p.Name)
		}
		if strings.TrimSpace(text) != "" && p.Name == "" {
			t.Errorf("no subcommand from %q", text)
		}
		for _, m := range p.Mentions {
			if !mentionPattern.MatchString("<@" + m.UserID + ">") {
				t.Errorf("bad mention %+v from %q", m, text)
			}
		}
		for _, a := range p.Args {
			if a == "" || (utf8.ValidString(a) && strings.TrimSpace(a) == "" && !strings.HasPrefix(a, "<")) {
				t.Errorf("empty argument from %q: %#v", text, p.Args)
			}
		}
		if again := Parse(text, nil); !reflect.DeepEqual(p, again) {
			t.Errorf("Parse is not deterministic for %q", text)
		}
	})
}

func TestChannelName(t *testing.T) {
	long := strings.Repeat("Credential stuffing against VPN ", 10)
	tests := []struct {
		prefix, title, suffix, want string
		n                           int64
	}{
		{"inc", "Ransomware on file server", "", "inc-1-ransomware-on-file-server", 1},
		{"inc", "Ransomware on file server", "-2", "inc-1-ransomware-on-file-server-2", 1},
		{"sec", "  CVE-2026-1234: RCE in nginx!!  ", "", "sec-42-cve-2026-1234-rce-in-nginx", 42},
		{"inc", "🚨🚨", "", "inc-7", 7},
		{"inc", "Ünïcode Straße", "", "inc-3-n-code-stra-e", 3},
		{"inc", long, "", "inc-12-credential-stuffing-against-vpn-credential-stuffing-against-vpn-credentia", 12},
		{"inc", long, "-5", "inc-12-credential-stuffing-against-vpn-credential-stuffing-against-vpn-credent-5", 12},
	}
	for _, tt := range tests {
		got := ChannelName(tt.prefix, tt.n, tt.title, tt.suffix)
		if got != tt.want {
			t.Errorf("ChannelName(%q, %d, %q, %q) = %q, want %q", tt.prefix, tt.n, tt.title, tt.suffix, got, tt.want)
		}
		if len(got) > 80 || !regexpChannel.MatchString(got) {
			t.Errorf("%q breaks Slack's channel name rules", got)
		}
	}
}

func TestParseUntil(t *testing.T) {
	now := time.Date(2026, 12, 2, 19, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time // zero: refused
	}{
		{"30m", now.Add(30 * time.Minute)},
		{"4h", now.Add(4 * time.Hour)},
		{"2d", now.Add(48 * time.Hour)},
		{"1w", now.Add(7 * 24 * time.Hour)},
		{"18:00", time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)},
		{"20:15", time.Date(2026, 12, 2, 20, 15, 0, 0, time.UTC)},
		{"2026-12-03 18:00", time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)},
		{"2026-12-03 18:00 UTC", time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)},
		{"2026-12-03T18:00:00+01:00", time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)},
		{"2026-12-03T18:00:05Z", time.Date(2026, 12, 3, 18, 0, 5, 0, time.UTC)},
		{"2026-12-03T18:00Z", time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)},
		{"", time.Time{}},
		{"tomorrow", time.Time{}},
		{"2026-12-01 10:00", time.Time{}}, // past
		{"-2h", time.Time{}},
		{"200d", time.Time{}}, // beyond 90 days
		{"0d", time.Time{}},
	} {
		got, err := parseUntil(tc.in, now)
		if tc.want.IsZero() {
			if err == nil {
				t.Errorf("parseUntil(%q) = %v, want it refused", tc.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseUntil(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// A panic in a request's work becomes a fault the asker is told of (and
// the attempt logged), not a crash of the replica.
func TestGuardedTurnsAPanicIntoAFault(t *testing.T) {
	if err := guarded(func() error { panic("index out of range") }); err == nil || !isFault(err) || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("a panic became %v (a fault: %v)", err, isFault(err))
	}
	refused := incident.Errorf("wrong form")
	if err := guarded(func() error { return refused }); err != refused {
		t.Errorf("an error passed through as %v", err)
	}
	if err := guarded(func() error { return nil }); err != nil {
		t.Errorf("no error became %v", err)
	}
}
