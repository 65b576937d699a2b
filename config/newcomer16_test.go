package config

import (
	"strings"
	"testing"
)

// A required item is an exit criterion: "must be done before the phase is
// left". Lessons learned is the last phase and is never left (closing is
// not gated), so `required: true` there gates nothing, yet it is accepted
// without a word and the item is marked ⚑. check-config should say so.
func TestNewcomer16RequiredItemInLessonsIsRefused(t *testing.T) {
	_, err := ParseFile([]byte("playbooks:\n  lessons:\n    - {text: Hold the review, required: true}\n"))
	if err == nil || !strings.Contains(err.Error(), "playbooks.lessons[0]") {
		t.Errorf("a required item in lessons, which can never gate anything, was accepted (err %v); want it refused, naming playbooks.lessons[0]", err)
	}
}
