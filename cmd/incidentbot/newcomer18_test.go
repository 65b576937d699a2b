package main

import (
	"strings"
	"testing"
	"time"
)

// The commander taking a role off someone else was told to the channel as
// "Technical Lead: @bob stepped down", as if bob had left it himself; a
// severity word that is no severity ("critical") was answered "Give one
// severity" although one was given; and a page past the timeline's end was
// answered "has 1 page(s)".
func TestNewcomer18RoleRemovalSeverityWordAndPages(t *testing.T) {
	t.Parallel()
	_, s := declaredBot(t, time.Now, quietSeverities, "Title sev2", "UBOB")

	s.command("UALICE", s.ch, "assign tech <@UBOB|bob>")
	if got := s.command("UALICE", s.ch, "unassign tech"); !strings.Contains(got, "Technical Lead: no longer <@UBOB>") || strings.Contains(got, "stepped down") {
		t.Errorf("the commander taking the role off bob was told %q; want \"Technical Lead: no longer <@UBOB>\"", got)
	}
	s.command("UALICE", s.ch, "assign tech <@UBOB|bob>")
	if got := s.command("UBOB", s.ch, "unassign tech"); !strings.Contains(got, "Technical Lead: <@UBOB> stepped down") {
		t.Errorf("bob leaving the role himself was told %q; want \"stepped down\"", got)
	}
	if got := s.command("UALICE", s.ch, "severity critical"); !strings.Contains(got, "There is no severity `critical`") {
		t.Errorf("/incident severity critical answered %q; want it to name the word that is no severity", got)
	}
	if got := s.command("UALICE", s.ch, "timeline page 9"); !strings.Contains(got, "has 1 page; there is no page 9") {
		t.Errorf("/incident timeline page 9 answered %q", got)
	}
}
