package config

import (
	"strings"
	"testing"
	"time"
)

// An enormous misspelt name, in a file that also has an enormous
// severity name (itself refused), is reported at once: the suggestion
// does not compare two long strings letter by letter (quadratic), which
// held check-config and start-up for minutes.
func TestAttack19EnormousNamesDoNotHangTheSuggestions(t *testing.T) {
	long := strings.Repeat("sev", 40_000)
	other := strings.Repeat("ves", 40_000)
	yaml := "severities:\n  - name: " + long + "\n    update_every: 30m\n" +
		"default_severity: " + other + "\n" +
		"drills:\n  - key: tabletop\n    title: Tabletop\n    severity: " + other + "\n"
	done := make(chan error, 1)
	start := time.Now()
	go func() { _, err := ParseFile([]byte(yaml)); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a file of enormous, misspelt names was accepted")
		}
		msg := err.Error()
		if !strings.Contains(msg, "default_severity") || !strings.Contains(msg, "severities[0].name") {
			t.Errorf("the problems are not all named: %.300s", msg)
		}
		if strings.Contains(msg, "did you mean") {
			t.Errorf("an enormous name was given a suggestion: %.300s", msg)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the problems took %s to find", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("check-config still busy after 20s with enormous names")
	}
}
