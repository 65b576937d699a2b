package config

import (
	"errors"
	"github.com/incidentbot/incidentbot/incident"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func noFile(string) ([]byte, error) { return nil, fs.ErrNotExist }

func TestLoadEnvironment(t *testing.T) {
	base := func(extra map[string]string) map[string]string {
		m := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"}
		for k, v := range extra {
			if v == "<unset>" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // each must appear in the error
		check   func(t *testing.T, c *Config)
	}{
		{
			name: "defaults in HTTP mode",
			env:  base(nil),
			check: func(t *testing.T, c *Config) {
				if c.SocketMode() || !c.EmbeddedStore() {
					t.Errorf("mode: socket=%v embedded=%v", c.SocketMode(), c.EmbeddedStore())
				}
				if c.HTTPAddr != ":8080" || c.SlackAPIURL != "https://slack.com/api/" || c.LogFormat != "json" || c.LogLevel != slog.LevelInfo {
					t.Errorf("defaults wrong: %+v", c)
				}
				if c.File.ChannelPrefix != "inc" || c.File.DefaultSeverity != "sev3" || len(c.File.Roles) != 4 {
					t.Errorf("file defaults wrong: %+v", c.File)
				}
			},
		},
		{
			name: "socket mode needs no signing secret",
			env:  base(map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "<unset>"}),
			check: func(t *testing.T, c *Config) {
				if !c.SocketMode() {
					t.Error("not socket mode")
				}
			},
		},
		{
			name: "API URL gets its trailing slash",
			env:  base(map[string]string{"SLACK_API_URL": "http://127.0.0.1:9/api"}),
			check: func(t *testing.T, c *Config) {
				if c.SlackAPIURL != "http://127.0.0.1:9/api/" {
					t.Errorf("SlackAPIURL = %q", c.SlackAPIURL)
				}
			},
		},
		{
			name: "redis variants",
			env:  base(map[string]string{"REDIS_SENTINEL_ADDRS": "a:26379, b:26379", "REDIS_SENTINEL_MASTER": "mymaster", "LOG_LEVEL": "debug", "LOG_FORMAT": "TEXT"}),
			check: func(t *testing.T, c *Config) {
				if len(c.RedisSentinelAddrs) != 2 || c.RedisSentinelAddrs[1] != "b:26379" || c.EmbeddedStore() {
					t.Errorf("sentinel: %+v", c.RedisSentinelAddrs)
				}
				if c.LogLevel != slog.LevelDebug || c.LogFormat != "text" {
					t.Errorf("log: %v %v", c.LogLevel, c.LogFormat)
				}
			},
		},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"SLACK_BOT_TOKEN: is required", "SLACK_SIGNING_SECRET: is required in HTTP mode"}},
		{name: "user token", env: base(map[string]string{"SLACK_BOT_TOKEN": "xoxp-1"}), wantErr: []string{"SLACK_BOT_TOKEN: must be a bot token"}},
		{name: "bot token as app token", env: base(map[string]string{"SLACK_APP_TOKEN": "xoxb-2"}), wantErr: []string{"SLACK_APP_TOKEN"}},
		{name: "bad API URL", env: base(map[string]string{"SLACK_API_URL": "slack.com"}), wantErr: []string{"SLACK_API_URL"}},
		{name: "bad redis URL", env: base(map[string]string{"REDIS_URL": "http://x"}), wantErr: []string{"REDIS_URL"}},
		{name: "sentinel without master", env: base(map[string]string{"REDIS_SENTINEL_ADDRS": "a:1"}), wantErr: []string{"REDIS_SENTINEL_ADDRS"}},
		{name: "sentinel and cluster", env: base(map[string]string{"REDIS_SENTINEL_ADDRS": "a:1", "REDIS_SENTINEL_MASTER": "m", "REDIS_CLUSTER_ADDRS": "b:1"}), wantErr: []string{"REDIS_CLUSTER_ADDRS"}},
		{name: "bad log level", env: base(map[string]string{"LOG_LEVEL": "loud"}), wantErr: []string{"LOG_LEVEL"}},
		{name: "bad log format", env: base(map[string]string{"LOG_FORMAT": "xml"}), wantErr: []string{"LOG_FORMAT"}},
		{name: "missing config file", env: base(map[string]string{"INCIDENT_CONFIG": "/nope.yaml"}), wantErr: []string{"INCIDENT_CONFIG: cannot read /nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(envOf(tt.env), noFile)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Load succeeded, want error with %q", tt.wantErr)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadReadsConfigFile(t *testing.T) {
	env := envOf(map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "INCIDENT_CONFIG": "/etc/ib.yaml"})
	read := func(path string) ([]byte, error) {
		if path != "/etc/ib.yaml" {
			return nil, errors.New("wrong path " + path)
		}
		return []byte("channel_prefix: sec\n"), nil
	}
	c, err := Load(env, read)
	if err != nil {
		t.Fatal(err)
	}
	if c.File.ChannelPrefix != "sec" {
		t.Errorf("prefix = %q", c.File.ChannelPrefix)
	}

	bad := func(string) ([]byte, error) { return []byte("channel_prefx: sec\n"), nil }
	if _, err := Load(env, bad); err == nil || !strings.Contains(err.Error(), "/etc/ib.yaml") || !strings.Contains(err.Error(), "/etc/ib.yaml: line 1: channel_prefx: unknown key; did you mean channel_prefix?") ||
		strings.Contains(err.Error(), "rawFile") {
		t.Errorf("unknown key error = %v", err)
	}
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		check   func(t *testing.T, f File)
	}{
		{name: "empty file keeps defaults", yaml: "", check: func(t *testing.T, f File) {
			if len(f.Severities) != 4 || f.Severities[0].UpdateEvery != 30*time.Minute || f.Severities[3].UpdateEvery != 0 {
				t.Errorf("severities: %+v", f.Severities)
			}
			if f.Retro.Deadline != 48*time.Hour || !f.Retro.ArchiveChannel || f.Retro.KeepFor != 0 || f.NudgeBefore != 5*time.Minute {
				t.Errorf("retro/nudge: %+v %v", f.Retro, f.NudgeBefore)
			}
		}},
		{name: "full file", yaml: `
channel_prefix: sec
stakeholder_channel: C0STAKE
triage_channel: G0TRIAGE
responders: [U0BOB, W0CAROL]
admins: [U0ADMIN]
severities:
  - {name: critical, description: "Everything is on fire", update_every: 1s}
  - {name: Low, update_every: 0}
default_severity: low
roles:
  - {key: commander, name: IC}
  - {key: legal, name: Legal Counsel}
nudge_before: 30s
digest_cron: "0 9 * * 1-5"
retro: {deadline: 2h, archive_channel: false, keep_for: 2160h}
playbooks:
  containment: ["Pull the plug"]
`, check: func(t *testing.T, f File) {
			if f.ChannelPrefix != "sec" || f.StakeholderChannel != "C0STAKE" || f.TriageChannel != "G0TRIAGE" {
				t.Errorf("channels: %+v", f)
			}
			if len(f.Responders) != 2 || f.Admins[0] != "U0ADMIN" {
				t.Errorf("people: %v %v", f.Responders, f.Admins)
			}
			if len(f.Severities) != 2 || f.Severities[0].UpdateEvery != time.Second || f.Severities[1].Name != "low" || f.DefaultSeverity != "low" {
				t.Errorf("severities: %+v default %q", f.Severities, f.DefaultSeverity)
			}
			if r, ok := f.Role("legal"); !ok || r.Name != "Legal Counsel" || len(f.Roles) != 2 {
				t.Errorf("roles: %+v", f.Roles)
			}
			if f.NudgeBefore != 30*time.Second || f.DigestCron != "0 9 * * 1-5" || f.Retro.Deadline != 2*time.Hour || f.Retro.ArchiveChannel || f.Retro.KeepFor != 90*24*time.Hour {
				t.Errorf("timers: %+v", f)
			}
			if got := f.Playbooks["containment"]; len(got) != 1 || got[0].Text != "Pull the plug" {
				t.Errorf("playbooks: %v", f.Playbooks)
			}
			if got := f.Playbooks["recovery"]; len(got) != 4 {
				t.Errorf("phases not in the file lose their default checklist: %v", got)
			}
		}},
		{name: "triage defaults", yaml: "", check: func(t *testing.T, f File) {
			if f.AckWithin("sev1") != 15*time.Minute || f.Triage.DedupWindow != time.Hour || f.Triage.Oncall != "" {
				t.Errorf("triage: %+v", f.Triage)
			}
		}},
		{name: "triage by severity", yaml: "triage: {oncall: S0SECTEAM, ack_within: {sev1: 5m, default: 30m}, dedup_window: 10m}\n", check: func(t *testing.T, f File) {
			if f.AckWithin("sev1") != 5*time.Minute || f.AckWithin("SEV1") != 5*time.Minute || f.AckWithin("high") != 30*time.Minute ||
				f.Triage.DedupWindow != 10*time.Minute || f.Triage.Oncall != "S0SECTEAM" {
				t.Errorf("triage: %+v", f.Triage)
			}
		}},
		{name: "triage one wait", yaml: "triage: {ack_within: 2m}\n", check: func(t *testing.T, f File) {
			if f.AckWithin("sev4") != 2*time.Minute {
				t.Errorf("triage: %+v", f.Triage)
			}
		}},
		{name: "triage bad oncall", yaml: "triage: {oncall: '@security'}\n", wantErr: "triage.oncall"},
		{name: "triage unknown severity", yaml: "triage: {ack_within: {sev9: 5m}}\n", wantErr: "triage.ack_within.sev9"},
		{name: "triage bad wait", yaml: "triage: {ack_within: soon}\n", wantErr: "triage.ack_within"},
		{name: "drills built in", yaml: "", check: func(t *testing.T, f File) {
			for _, key := range []string{"ransomware", "phishing", "cloud-key", "bec", "insider"} {
				if s, ok := f.Scenario(key); !ok || len(s.Injects) == 0 || s.Briefing == "" || s.Targets["containment"] == 0 {
					t.Errorf("built-in scenario %s: %+v", key, s)
				}
			}
		}},
		{name: "drills: one added, one replaced", yaml: `drills:
  - key: vpn
    title: VPN appliance exploited
    severity: sev2
    briefing: The vendor published an advisory.
    targets: {containment: 45m}
    injects:
      - {at: 10m, text: "Logs show a web shell", to: tech}
      - {on: containment, text: "A second appliance is hit"}
  - {key: ransomware, title: Our own ransomware drill, injects: [{at: 1m, text: go}]}
`, check: func(t *testing.T, f File) {
			vpn, ok := f.Scenario("vpn")
			if !ok || vpn.Targets["containment"] != 45*time.Minute || len(vpn.Injects) != 2 || vpn.Injects[0].At != 10*time.Minute ||
				vpn.Injects[0].To != "tech" || vpn.Injects[1].On != "containment" {
				t.Errorf("vpn: %+v", vpn)
			}
			if r, _ := f.Scenario("ransomware"); r.Title != "Our own ransomware drill" || len(r.Injects) != 1 || r.Severity != "sev3" || len(f.Drills) != 6 {
				t.Errorf("ransomware not replaced: %+v (%d scenarios)", r, len(f.Drills))
			}
		}},
		{name: "drills keep working with other roles", yaml: "roles: [{key: commander, name: IC}]\n", check: func(t *testing.T, f File) {
			if r, _ := f.Scenario("ransomware"); r.Injects[0].To != "" {
				t.Errorf("an inject still addresses a role the file has not: %+v", r.Injects[0])
			}
		}},
		{name: "drill inject at an unknown phase", yaml: "drills: [{key: x, title: X, injects: [{on: triage, text: t}]}]\n", wantErr: "drills[0].injects[0].on"},
		{name: "drill inject offset", yaml: "drills: [{key: x, title: X, injects: [{at: soon, text: t}]}]\n", wantErr: "drills[0].injects[0].at"},
		{name: "drill inject to an unknown role", yaml: "drills: [{key: x, title: X, injects: [{at: 5m, text: t, to: ciso}]}]\n", wantErr: "drills[0].injects[0].to"},
		{name: "drill inject both at and on", yaml: "drills: [{key: x, title: X, injects: [{at: 5m, on: recovery, text: t}]}]\n", wantErr: "drills[0].injects[0]"},
		{name: "drill without a title", yaml: "drills: [{key: x}]\n", wantErr: "drills[0].title"},
		{name: "drill with a bad severity", yaml: "drills: [{key: x, title: X, severity: sev9}]\n", wantErr: "drills[0].severity"},
		{name: "drill target", yaml: "drills: [{key: x, title: X, targets: {containment: fast}}]\n", wantErr: "drills[0].targets.containment"},
		{name: "drill key", yaml: "drills: [{key: End, title: X}]\n", wantErr: "drills[0].key"},
		{name: "triage unknown key", yaml: "triage: {ack: 5m}\n", wantErr: "ack"},
		{name: "triage wait twice", yaml: "triage: {ack_within: {sev1: 5m, SEV1: 10m}}\n", wantErr: "triage.ack_within.sev1: is listed twice"},
		{name: "triage wait as a list", yaml: "triage: {ack_within: {sev1: [5m]}}\n", wantErr: "triage.ack_within.sev1: must be a duration"},
		{name: "unknown top-level key", yaml: "stakeholders: C1\n", wantErr: "stakeholders"},
		{name: "unknown nested key", yaml: "retro: {deadlin: 1h}\n", wantErr: "deadlin"},
		{name: "bad prefix", yaml: "channel_prefix: Inc!\n", wantErr: "channel_prefix"},
		{name: "channel name instead of ID", yaml: "stakeholder_channel: '#security'\n", wantErr: "stakeholder_channel"},
		{name: "bad responder", yaml: "responders: [bob]\n", wantErr: "responders[0]"},
		{name: "bad admin", yaml: "admins: [U0OK, '@carol']\n", wantErr: "admins[1]"},
		{name: "bad update_every", yaml: "severities: [{name: sev1, update_every: soon}]\ndefault_severity: sev1\n", wantErr: "severities[0].update_every"},
		{name: "too short update_every", yaml: "severities: [{name: sev1, update_every: 10ms}]\ndefault_severity: sev1\n", wantErr: "severities[0].update_every: 10ms is too short (0 or at least 1s)"},
		{name: "duplicate severity", yaml: "severities: [{name: sev1}, {name: SEV1}]\ndefault_severity: sev1\n", wantErr: "severities[1].name"},
		{name: "no severities", yaml: "severities: []\n", wantErr: "severities: must list"},
		{name: "default severity not listed", yaml: "default_severity: sev9\n", wantErr: "default_severity"},
		{name: "roles without commander", yaml: "roles: [{key: comms, name: Comms}]\n", wantErr: "roles: must include"},
		{name: "role without name", yaml: "roles: [{key: commander}]\n", wantErr: "roles[0].name"},
		{name: "bad nudge", yaml: "nudge_before: -5m\n", wantErr: "nudge_before"},
		{name: "retention under a day", yaml: "retro: {keep_for: 1h}\n", wantErr: "retro.keep_for: 1h is too short (0 or at least 24h)"},
		{name: "bad cron", yaml: "digest_cron: every morning\n", wantErr: "digest_cron"},
		{name: "bad TLP default", yaml: "tlp: {default: secret}\n", wantErr: "tlp.default"},
		{name: "RED to stakeholders", yaml: "tlp: {stakeholder_channel: red}\n", wantErr: "tlp.stakeholder_channel"},
		{name: "TLP markings", yaml: "tlp: {default: amber, stakeholder_channel: amber+strict}\n", check: func(t *testing.T, f File) {
			if f.TLP.Default != "TLP:AMBER" || f.TLP.StakeholderChannel != "TLP:AMBER+STRICT" {
				t.Errorf("tlp = %+v", f.TLP)
			}
			for marking, want := range map[string]bool{"TLP:CLEAR": true, "TLP:AMBER+STRICT": true, "TLP:RED": false} {
				if f.Shareable(marking) != want {
					t.Errorf("Shareable(%s) = %v", marking, !want)
				}
			}
		}},
		{name: "zero retro deadline", yaml: "retro: {deadline: 0}\n", wantErr: "retro.deadline"},
		{name: "unknown phase playbook", yaml: "playbooks: {triage: [look]}\n", wantErr: "playbooks.triage"},
		{name: "empty playbook item", yaml: "playbooks: {recovery: ['']}\n", wantErr: "playbooks.recovery[0]"},
		{name: "too long a playbook item", yaml: "playbooks: {recovery: ['" + strings.Repeat("x", 201) + "']}\n", wantErr: "playbooks.recovery[0]"},
		{name: "wrong type", yaml: "responders: U1\n", wantErr: `line 1: responders: must be a list, not "U1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFile error = %v, want it to name %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			tt.check(t, f)
		})
	}
}

func TestPlaybookItemsMayBeRequired(t *testing.T) {
	f, err := ParseFile([]byte(`playbooks:
  containment:
    - Block malicious IP addresses
    - {text: Isolate affected hosts, required: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := f.Playbooks["containment"]
	if len(got) != 2 || got[0] != (incident.PlaybookItem{Text: "Block malicious IP addresses"}) || got[1] != (incident.PlaybookItem{Text: "Isolate affected hosts", Required: true}) {
		t.Errorf("containment playbook %+v", got)
	}
	for _, bad := range []string{"playbooks: {containment: [{text: Isolate, requird: true}]}\n", "playbooks: {containment: [{required: true}]}\n"} {
		if _, err := ParseFile([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestSeverityPhaseTargets(t *testing.T) {
	f, err := ParseFile([]byte(`severities:
  - {name: sev1, targets: {containment: 1h, Recovery: 8h}}
  - {name: sev2}
default_severity: sev2
`))
	if err != nil {
		t.Fatal(err)
	}
	sev1, _ := f.Severity("sev1")
	if sev1.Targets[incident.Containment] != time.Hour || sev1.Targets[incident.Recovery] != 8*time.Hour || len(sev1.Targets) != 2 {
		t.Errorf("sev1 targets %v", sev1.Targets)
	}
	_, err = ParseFile([]byte("severities:\n  - {name: sev1, targets: {containmnt: 1h, lessons: 1h, recovery: soon}}\ndefault_severity: sev1\n"))
	for _, want := range []string{"severities[0].targets.containmnt: is not a phase", "severities[0].targets.lessons: is not a phase", `severities[0].targets.recovery: "soon" is not a duration`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
