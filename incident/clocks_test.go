package incident

import (
	"strings"
	"testing"
	"time"
)

var (
	weekdaysOnly = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	gdpr         = Regime{Key: "gdpr", Name: "GDPR", From: []string{DecideAwareness, DecidePersonalData}, Stages: []Stage{{Name: "notification", Within: Span{Duration: 72 * time.Hour}}}}
	nis2         = Regime{Key: "nis2", Name: "NIS2", From: []string{DecideAwareness, DecideSignificant}, Stages: []Stage{
		{Name: "early warning", Within: Span{Duration: 24 * time.Hour}},
		{Name: "incident notification", Within: Span{Duration: 72 * time.Hour}},
		{Name: "final report", Within: Span{Months: 1}}}}
	sec = Regime{Key: "sec", Name: "SEC 8-K", From: []string{DecideMaterial}, Stages: []Stage{{Name: "8-K", Within: Span{BusinessDays: 4}}}}
)

func TestSpanDeadline(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := Calendar{Location: time.UTC, Workdays: weekdaysOnly, Holidays: []string{"2026-12-25"}}
	tests := []struct {
		name  string
		span  Span
		cal   Calendar
		start time.Time
		want  time.Time
	}{
		{"hours", Span{Duration: 72 * time.Hour}, utc, time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC), time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)},
		{"a calendar month", Span{Months: 1}, utc, time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC), time.Date(2027, 1, 3, 9, 30, 0, 0, time.UTC)},
		// Thu 24 Dec: Fri 25 is a holiday, Sat and Sun are not business
		// days; Mon 28, Tue 29, Wed 30, Thu 31 are the four: due at the end of Thursday.
		{"business days across a holiday and a weekend", Span{BusinessDays: 4}, utc, time.Date(2026, 12, 24, 15, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"business days from a Saturday", Span{BusinessDays: 1}, utc, time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)},
		// 02:00 UTC Fri is still Thursday in New York: Fri, Mon, Tue, Wed;
		// the day ends at 17:30 there.
		{"business days in the calendar's zone", Span{BusinessDays: 4}, Calendar{Location: ny, Workdays: weekdaysOnly, DayEnds: 17*time.Hour + 30*time.Minute},
			time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC), time.Date(2026, 12, 9, 17, 30, 0, 0, ny)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.span.Deadline(tt.start, tt.cal); !got.Equal(tt.want) {
				t.Errorf("deadline %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClocksStartWithTheirDecisions(t *testing.T) {
	cal := Calendar{Location: time.UTC, Workdays: weekdaysOnly}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 7, Roles: map[string]string{CommanderRole: "UIC"}}
	ic := Actor{ID: "UIC"}
	if _, err := inc.Decide(t0, Actor{ID: "UBOB"}, DecideAwareness, time.Time{}); ErrorCode(err) != Forbidden {
		t.Fatalf("someone not the commander decided: %v", err)
	}
	if _, err := inc.Decide(t0, ic, DecideAwareness, t0.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := inc.Decide(t0, ic, DecideAwareness, time.Time{}); ErrorCode(err) != Conflict {
		t.Fatalf("a decision made twice: %v", err)
	}
	if got := inc.Clocks([]Regime{gdpr, nis2, sec}, cal); len(got) != 0 {
		t.Fatalf("clocks without all their decisions: %+v", got)
	}
	if _, err := inc.Decide(t0.Add(time.Hour), ic, DecidePersonalData, time.Time{}); err != nil {
		t.Fatal(err)
	}
	clocks := inc.Clocks([]Regime{gdpr, nis2, sec}, cal)
	if len(clocks) != 1 || !clocks[0].Started.Equal(t0.Add(time.Hour)) || !clocks[0].Deadline.Equal(t0.Add(73*time.Hour)) {
		t.Fatalf("GDPR runs from the later of its decisions: %+v", clocks)
	}
	if _, err := inc.Decide(t0, ic, DecideSignificant, t0.Add(time.Minute)); err == nil {
		t.Fatal("a decision dated ahead was taken")
	}
}

func TestNotifyStopsTheNextStageAndAsksWhyLate(t *testing.T) {
	cal := Calendar{Location: time.UTC, Workdays: weekdaysOnly}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 7, Roles: map[string]string{CommanderRole: "UIC"}}
	ic := Actor{ID: "UIC"}
	if _, _, err := inc.Notify(t0, ic, nis2, -1, cal, "", ""); err == nil || !strings.Contains(err.Error(), "/incident decide awareness") {
		t.Fatalf("a regime not started was notified: %v", err)
	}
	inc.Decide(t0, ic, DecideAwareness, time.Time{})
	inc.Decide(t0, ic, DecideSignificant, time.Time{})
	c, _, err := inc.Notify(t0.Add(20*time.Hour), ic, nis2, -1, cal, "CSIRT-1", "")
	if err != nil || c.Stage != 0 {
		t.Fatalf("early warning: %+v %v", c, err)
	}
	_, _, err = inc.Notify(t0.Add(80*time.Hour), ic, nis2, -1, cal, "", "")
	if err == nil || !strings.Contains(err.Error(), "reason for the delay") {
		t.Fatalf("late without a reason: %v", err)
	}
	c, evs, err := inc.Notify(t0.Add(80*time.Hour), ic, nis2, -1, cal, "", "the CSIRT portal was down")
	if err != nil || c.Stage != 1 || c.Notified.DelayReason != "the CSIRT portal was down" || evs[0].Kind != EventNotified {
		t.Fatalf("late with a reason: %+v %v", c, err)
	}
	if _, _, err := inc.Notify(t0.Add(81*time.Hour), ic, nis2, 1, cal, "", "again"); ErrorCode(err) != Conflict {
		t.Errorf("a stage named twice: %v", err)
	}
	running := 0
	for _, c := range inc.Clocks([]Regime{nis2}, cal) {
		if c.Running() {
			running++
		}
	}
	if running != 1 {
		t.Errorf("running stages %d, want the final report only", running)
	}
}

func TestClockPointsAreToldOnce(t *testing.T) {
	cal := Calendar{Location: time.UTC, Workdays: weekdaysOnly}
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 7, Roles: map[string]string{CommanderRole: "UIC"}}
	inc.Decide(t0, Actor{ID: "UIC"}, DecideAwareness, time.Time{})
	inc.Decide(t0, Actor{ID: "UIC"}, DecidePersonalData, time.Time{})
	reminders := []Reminder{{Fraction: 0.5}, {Before: 6 * time.Hour}, {Before: 100 * time.Hour}}
	points := inc.ClockPoints([]Regime{gdpr}, cal, reminders)
	var at []time.Duration
	for _, p := range points {
		at = append(at, p.At.Sub(t0))
	}
	// 100 h before a 72-hour deadline is before the clock began: left out.
	if len(points) != 3 || at[0] != 36*time.Hour || at[1] != 66*time.Hour || at[2] != 72*time.Hour || !points[2].Late {
		t.Fatalf("points at %v", at)
	}
	inc.Told(points[0].Key)
	if got := inc.ClockPoints([]Regime{gdpr}, cal, reminders); len(got) != 2 || got[0].Key != points[1].Key {
		t.Fatalf("after telling the first: %+v", got)
	}
	inc.Notify(t0.Add(time.Hour), Actor{ID: "UIC"}, gdpr, -1, cal, "", "")
	if got := inc.ClockPoints([]Regime{gdpr}, cal, reminders); len(got) != 0 {
		t.Fatalf("a notified clock still reminds: %+v", got)
	}
}

// BenchmarkClockPoints is the scheduler's work for one incident with GDPR,
// NIS2 (three stages) and the SEC's clock running, on a calendar with
// holidays: done on every scheduled run and card edit.
func BenchmarkClockPoints(b *testing.B) {
	cal := Calendar{Location: time.UTC, Workdays: weekdaysOnly, Holidays: []string{"2026-12-25", "2026-12-31", "2027-01-01"}}
	t0 := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 7, Roles: map[string]string{CommanderRole: "UIC"}}
	for _, d := range Decisions() {
		inc.Decide(t0, Actor{ID: "UIC"}, d, time.Time{})
	}
	regimes := []Regime{gdpr, nis2, sec}
	reminders := []Reminder{{Fraction: 0.5}, {Before: 6 * time.Hour}, {Before: time.Hour}}
	b.ReportAllocs()
	for b.Loop() {
		if len(inc.ClockPoints(regimes, cal, reminders)) != 20 {
			b.Fatal("points")
		}
	}
}
