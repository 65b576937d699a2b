package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// check-config lists every problem of the file under its name, one to a line.
func TestCheckConfigListsEveryFileProblem(t *testing.T) {
	path := t.TempDir() + "/incidentbot.yaml"
	body := "stakeholder_chanel: C0STAKE\nseverities:\n  - {name: sev1, targets: {containment: soon}}\ndefault_severity: sev1\nnudge_before: later\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "INCIDENT_CONFIG": path}
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"check-config"}, func(k string) string { return env[k] }, io.Discard, &errOut)
	want := "incidentbot: the configuration has problems:\n" +
		"  " + path + " has 3 problems:\n" +
		"    line 1: stakeholder_chanel: unknown key; did you mean stakeholder_channel?\n" +
		`    line 3: severities[0].targets.containment: "soon" is not a duration (write it like 30s, 5m or 1h)` + "\n" +
		`    line 5: nudge_before: "later" is not a duration (write it like 30s, 5m or 1h)` + "\n"
	if code != 1 || errOut.String() != want {
		t.Errorf("check-config = %d\n%s\nwant 1\n%s", code, errOut.String(), want)
	}
	if strings.Contains(errOut.String(), "rawFile") {
		t.Errorf("Go types in the output:\n%s", errOut.String())
	}
}
