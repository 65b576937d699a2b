package config

import (
	"errors"
	"strings"
	"testing"
)

// Every problem of the file is reported at once, each by its YAML path and
// line, in the file's order; never by the decoder's Go types.
func TestParseFileReportsEveryProblemByPath(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // the error, line by line
	}{
		{
			name: "one misspelled key and two bad values",
			yaml: `channel_prefix: sec
stakeholder_chanel: C0STAKE
severities:
  - {name: sev1, update_every: 30m}
  - name: sev2
    targets: {containment: soon}
default_severity: sev2
nudge_before: later
`,
			want: []string{
				"line 2: stakeholder_chanel: unknown key; did you mean stakeholder_channel?",
				`line 6: severities[1].targets.containment: "soon" is not a duration (write it like 30s, 5m or 1h)`,
				`line 8: nudge_before: "later" is not a duration (write it like 30s, 5m or 1h)`,
			},
		},
		{
			name: "misspelt nested key",
			yaml: "retro:\n  deadline: 24h\n  archive_chanel: false\n",
			want: []string{"line 3: retro.archive_chanel: unknown key; did you mean archive_channel?"},
		},
		{
			name: "misspelt key in a list item",
			yaml: "drills:\n  - key: vpn\n    title: VPN\n    injects:\n      - {at: 5m, txt: Logs show a web shell}\n",
			want: []string{
				"line 5: drills[0].injects[0].txt: unknown key; did you mean text?",
				"line 5: drills[0].injects[0].text: is required",
			},
		},
		{
			name: "type error in a playbook item",
			yaml: "playbooks:\n  containment:\n    - Block the IPs\n    - {text: Isolate hosts, required: maybe}\n",
			want: []string{`line 4: playbooks.containment[1].required: "maybe" is not true or false`},
		},
		{
			name: "targets as a list",
			yaml: "severities:\n  - name: sev1\n    targets: [x]\ndefault_severity: sev1\n",
			want: []string{"line 3: severities[0].targets: must be keys with values (key: value), not a list"},
		},
		{
			name: "a list given one value, and what follows it still read",
			yaml: "responders: U0BOB\nadmins: [U0ANN, {id: U0CAROL}, carol]\n",
			want: []string{
				`line 1: responders: must be a list, not "U0BOB"`,
				"line 2: admins[1]: must be a single value, not keys with values (key: value)",
				`line 2: admins[2]: "carol" must be a user ID such as U0123456789`,
			},
		},
		{
			name: "misspelt phase and severity names",
			yaml: `severities:
  - {name: critical, targets: {eradicaton: 1h}}
  - {name: minor}
default_severity: minr
playbooks:
  containmnet: [Block it]
drills:
  - {key: vpn, title: VPN, severity: critcal, briefing: x, injects: [{on: recovry, text: y}]}
`,
			want: []string{
				"line 2: severities[0].targets.eradicaton: is not a phase with a target (identification, containment, eradication, recovery); did you mean eradication?",
				`line 4: default_severity: "minr" is not one of the severities (critical, minor); did you mean minor?`,
				"line 6: playbooks.containmnet: is not a phase (identification, containment, eradication, recovery, lessons); did you mean containment?",
				`line 8: drills[0].severity: "critcal" is not one of the severities (critical, minor); did you mean critical?`,
				`line 8: drills[0].injects[0].on: "recovry" is not a phase the team reaches during the drill (containment, eradication, recovery); did you mean recovery?`,
			},
		},
		{
			name: "no problem that follows from another",
			yaml: "roles: [commander]\nseverities:\n  - {name: sev1}\n  - {name: sev1}\ndefault_severity: sev2\n",
			want: []string{
				`line 1: roles[0]: must be keys with values (key: value), not "commander"`,
				`line 4: severities[1].name: "sev1" is listed twice`,
				`line 5: default_severity: "sev2" is not one of the severities (sev1)`,
			},
		},
		{
			name: "another number is another name: no guess",
			yaml: "default_severity: sev9\n",
			want: []string{`line 1: default_severity: "sev9" is not one of the severities (sev1, sev2, sev3, sev4)`},
		},
		{
			name: "far from every key: no guess",
			yaml: "stakeholders: C0STAKE\n",
			want: []string{"line 1: stakeholders: unknown key"},
		},
		{
			name: "a key given twice",
			yaml: "channel_prefix: Sec!\nretro: {deadline: 1h}\nchannel_prefix: sec\n",
			want: []string{
				`line 1: channel_prefix: "Sec!" must be 1-20 characters of a-z, 0-9, - and _, starting with a letter or digit`,
				"line 3: channel_prefix: is given twice (also at line 1)",
			},
		},
		{
			name: "not YAML",
			yaml: "severities: [\n",
			want: []string{"line 1: invalid YAML: did not find expected node content"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseFile accepted it; want\n%s", strings.Join(tt.want, "\n"))
			}
			if got := err.Error(); got != strings.Join(tt.want, "\n") {
				t.Errorf("ParseFile error:\n%s\nwant:\n%s", got, strings.Join(tt.want, "\n"))
			}
			if strings.Contains(err.Error(), "config.") || strings.Contains(err.Error(), "raw") {
				t.Errorf("the error names Go types: %v", err)
			}
		})
	}
}

// Severities of one's own replace the built-in ones, the built-in default
// sev3 among them: the error says where sev3 comes from and what to add.
func TestBuiltInDefaultSeverityNotInTheFile(t *testing.T) {
	_, err := ParseFile([]byte("severities:\n  - {name: critical}\n  - {name: minor}\n"))
	want := `default_severity: is not set, and the built-in default "sev3" is not one of your severities (critical, minor): add default_severity: <one of yours>`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
	if _, err := ParseFile([]byte("severities: [{name: critical}, {name: minor}]\ndefault_severity: minor\n")); err != nil {
		t.Errorf("with default_severity set: %v", err)
	}
}

// Load names the file, then its problems one to a line.
func TestLoadListsTheFileProblemsUnderItsName(t *testing.T) {
	env := envOf(map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "INCIDENT_CONFIG": "/etc/ib.yaml"})
	read := func(string) ([]byte, error) { return []byte("chanel_prefix: sec\nnudge_before: later\n"), nil }
	_, err := Load(env, read)
	want := "/etc/ib.yaml has 2 problems:\n" +
		"  line 1: chanel_prefix: unknown key; did you mean channel_prefix?\n" +
		`  line 2: nudge_before: "later" is not a duration (write it like 30s, 5m or 1h)`
	if err == nil || err.Error() != want {
		t.Errorf("Load error:\n%v\nwant:\n%s", err, want)
	}
	if fe := (*FileError)(nil); !errors.As(err, &fe) || len(fe.Problems) != 2 || fe.Problems[1].Path != "nudge_before" || fe.Problems[1].Line != 2 {
		t.Errorf("the problems are not a *FileError's: %#v", err)
	}
}

func TestHint(t *testing.T) {
	keys := []string{"deadline", "archive_channel", "keep_for"}
	for key, want := range map[string]string{
		"deadlin":         "; did you mean deadline?",
		"Deadline":        "; did you mean deadline?",
		"archive_chanel":  "; did you mean archive_channel?",
		"keepfor":         "; did you mean keep_for?",
		"archive":         " (the keys here are deadline, archive_channel, keep_for)",
		"retention_hours": " (the keys here are deadline, archive_channel, keep_for)",
	} {
		if got := hint(key, keys); got != want {
			t.Errorf("hint(%q) = %q, want %q", key, got, want)
		}
	}
}
