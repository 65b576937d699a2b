package incident

import (
	"testing"
	"time"
)

// A deadline of calendar months ("1 month", NIS2's final report) started
// on the 31st of January is worked out with time.AddDate, which
// normalises "31 February" into the 3rd of March (the 2nd in a leap
// year). A month from the 31st of January ends with February (the rule
// for periods of months, EU Regulation 1182/71 Art. 3(2)(c): the last day
// of the month when it has no such date). The bot's deadline is three days
// late, and so is every reminder counted back from it; the README says the
// final report's deadline is counted from awareness so that it is
// "earlier than the law's, so a reminder is never late": with the
// incident notification made on the day of awareness, the law's final
// report is due on the 28th of February, and the bot reminds of the 3rd
// of March.
func TestAMonthNeverRunsPastTheEndOfTheNextMonth(t *testing.T) {
	for _, c := range []struct {
		start, latest time.Time
	}{
		{time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},  // February 2026: 28 days
		{time.Date(2028, 1, 30, 10, 0, 0, 0, time.UTC), time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC)},  // February 2028: 29 days
		{time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},  // April: 30 days
		{time.Date(2026, 8, 31, 10, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}, // September: 30 days
	} {
		got := Span{Months: 1}.Deadline(c.start, Calendar{Location: time.UTC, Workdays: weekdaysOnly})
		if !got.Before(c.latest) {
			t.Errorf("a month from %s is due %s; want within the next month (before %s)", c.start.Format(time.DateTime), got.Format(time.DateTime), c.latest.Format(time.DateTime))
		}
	}
}

// The NIS2 final report of an incident whose awareness and significance
// were recorded on the 31st of January: its clock, as the card, the
// reminders and the postmortem show it, must fall due in February.
func TestNIS2FinalReportFromTheLastDayOfJanuaryIsDueInFebruary(t *testing.T) {
	at := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	inc := &Incident{Number: 1, Decisions: []Decision{{Name: DecideAwareness, By: "UALICE", At: at}, {Name: DecideSignificant, By: "UALICE", At: at}}}
	for _, c := range inc.Clocks([]Regime{nis2}, Calendar{Location: time.UTC, Workdays: weekdaysOnly}) {
		if c.StageName() == "final report" && c.Deadline.Month() != time.February {
			t.Errorf("the NIS2 final report of an incident known since %s is due %s", at.Format(time.DateTime), c.Deadline.Format(time.DateTime))
		}
	}
}
