package config

import (
	"strings"
	"testing"
)

// A workday is read by its first three letters, so a typo or a word that
// is no day ("monkey", "sunshine", "thunder") is taken for Monday, Sunday
// or Thursday without a word: a calendar that counts business days for
// the SEC's 8-K quietly gains a Sunday. check-config should reject them,
// naming notifications.calendar.workdays[i], as it does "xyz".
func TestNewcomerWorkdaysRejectsWordsThatAreNoDay(t *testing.T) {
	for _, day := range []string{"monkey", "sunshine", "thunder", "satan"} {
		_, err := ParseFile([]byte("notifications:\n  calendar: {workdays: [" + day + "]}\n"))
		if err == nil || !strings.Contains(err.Error(), "notifications.calendar.workdays[0]") {
			t.Errorf("workdays: [%s] was accepted (err %v); want it refused, naming notifications.calendar.workdays[0]", day, err)
		}
	}
}

// Stages are stopped in the order they are listed (`/incident notified`
// stops "the regime's next running stage"), so a regime whose stages are
// listed out of deadline order has its later stage recorded first while
// the earlier deadline runs on. Same units, plainly out of order: refused.
func TestNewcomerStagesOutOfDeadlineOrderAreRefused(t *testing.T) {
	_, err := ParseFile([]byte(`notifications:
  regimes:
    - key: nis2
      from: [awareness, significant]
      stages:
        - {name: incident notification, within: 72h}
        - {name: early warning, within: 24h}
`))
	if err == nil || !strings.Contains(err.Error(), "notifications.regimes[0].stages[1]") {
		t.Errorf("stages listed 72h then 24h were accepted (err %v); want them refused, naming notifications.regimes[0].stages[1]", err)
	}
}
