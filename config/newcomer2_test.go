package config

import (
	"strings"
	"testing"
)

// A stage is named in `/incident notified <regime> <stage>`, and the README
// says "Stages are listed in the configuration in the order they are due
// (start-up refuses otherwise)". Two stages with one name are accepted: the
// command can then never name the second, and the card, reminders and
// postmortem show two clocks by the same name. check-config should refuse
// it, naming notifications.regimes[0].stages[1].name.
func TestNewcomer2StageNamedTwiceIsRefused(t *testing.T) {
	_, err := ParseFile([]byte(`notifications:
  regimes:
    - key: dora
      from: [awareness]
      stages:
        - {name: report, within: 4h}
        - {name: Report, within: 72h}
`))
	if err == nil || !strings.Contains(err.Error(), "notifications.regimes[0].stages[1].name") {
		t.Errorf("two stages named report were accepted (err %v); want them refused, naming notifications.regimes[0].stages[1].name", err)
	}
}
