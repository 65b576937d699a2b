package config

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

func TestNotificationsConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
		check   func(t *testing.T, n Notifications)
	}{
		{name: "defaults: GDPR, NIS2 in three stages, SEC in business days", check: func(t *testing.T, n Notifications) {
			if got := strings.Join(n.RegimeKeys(), ","); got != "gdpr,nis2,sec" {
				t.Fatalf("regimes %s", got)
			}
			nis2, _ := n.Regime("NIS2")
			if len(nis2.Stages) != 3 || nis2.Stages[0].Within.Duration != 24*time.Hour || nis2.Stages[2].Within.Months != 1 {
				t.Errorf("nis2 %+v", nis2)
			}
			sec, _ := n.Regime("sec")
			if sec.Stages[0].Within.BusinessDays != 4 || sec.From[0] != incident.DecideMaterial {
				t.Errorf("sec %+v", sec)
			}
			if len(n.Remind) != 3 || n.Remind[0].Fraction != 0.5 || n.Remind[2].Before != time.Hour {
				t.Errorf("remind %+v", n.Remind)
			}
		}},
		{name: "a file's regimes, calendar and contacts", yaml: `
notifications:
  legal: [U0LEGAL]
  remind: [25%, 2h]
  calendar: {time_zone: America/New_York, workdays: [monday, tue, wed, thu, fri], holidays: ["2026-12-25"], day_ends: "17:30"}
  regimes:
    - {key: sec, name: SEC 8-K, from: [materiality], within: 4 business days}
    - key: nis2
      from: [awareness, significant]
      stages:
        - {name: early warning, within: 24h}
        - {name: final report, within: 1 month}
`, check: func(t *testing.T, n Notifications) {
			if n.Legal[0] != "U0LEGAL" || len(n.Remind) != 2 || n.Remind[0].Fraction != 0.25 || n.Remind[1].Before != 2*time.Hour {
				t.Errorf("legal/remind %+v %+v", n.Legal, n.Remind)
			}
			if n.Calendar.Location.String() != "America/New_York" || len(n.Calendar.Workdays) != 5 || n.Calendar.Holidays[0] != "2026-12-25" || n.Calendar.DayEnds != 17*time.Hour+30*time.Minute {
				t.Errorf("calendar %+v", n.Calendar)
			}
			sec, ok := n.Regime("sec")
			if !ok || sec.Stages[0].Name != "notification" || sec.Stages[0].Within.BusinessDays != 4 || sec.From[0] != incident.DecideMaterial {
				t.Errorf("sec %+v", sec)
			}
			nis2, _ := n.Regime("nis2")
			if nis2.Name != "NIS2" || nis2.From[1] != incident.DecideSignificant || len(nis2.Stages) != 2 {
				t.Errorf("nis2 %+v", nis2)
			}
		}},
		{name: "no regimes turns the clocks off", yaml: "notifications: {regimes: []}\n", check: func(t *testing.T, n Notifications) {
			if len(n.Regimes) != 0 {
				t.Errorf("regimes %+v", n.Regimes)
			}
		}},
		{name: "every problem by its path", yaml: `
notifications:
  legal: [legal-team]
  remind: [150%, soon]
  calendar: {time_zone: Mars/Olympus, workdays: [funday], holidays: [25.12.2026], day_ends: "25:00"}
  regimes:
    - {key: GDPR!, from: [], within: 72h}
    - {key: x, from: [whenever], within: a while}
    - {key: y, from: [awareness], within: 1h, stages: [{name: a, within: 1h}]}
`, wantErr: []string{
			`notifications.legal[0]: "legal-team" must be a user ID`,
			`notifications.remind[0]: "150%" must be a share`,
			`notifications.remind[1]: "soon" must be a duration`,
			`notifications.calendar.time_zone: "Mars/Olympus" is not a time zone`,
			`notifications.calendar.workdays[0]: "funday" is not a day`,
			`notifications.calendar.workdays: must list at least one day`,
			`notifications.calendar.holidays[0]: "25.12.2026" must be a date`,
			`notifications.calendar.day_ends: "25:00" must be a time of day`,
			`notifications.regimes[0].key: "GDPR!" must be a short word`,
			`notifications.regimes[0].from: must name the decisions`,
			`notifications.regimes[1].from[0]: "whenever" is not a decision`,
			`notifications.regimes[1].within: "a while" must be a duration`,
			`notifications.regimes[2]: give within (one stage) or stages, not both`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile([]byte(tt.yaml))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q:\n%v", want, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, f.Notifications)
		})
	}
}
