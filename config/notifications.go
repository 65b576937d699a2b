package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// Notifications configures the regulatory notification clocks.
type Notifications struct {
	// Legal are the people told of every clock with the commander.
	Legal []string
	// Remind are the points before each deadline when they are told.
	Remind   []incident.Reminder
	Calendar incident.Calendar
	Regimes  []incident.Regime
}

// Regime returns the configured regime with that key (any case).
func (n *Notifications) Regime(key string) (incident.Regime, bool) {
	for _, r := range n.Regimes {
		if strings.EqualFold(r.Key, key) {
			return r, true
		}
	}
	return incident.Regime{}, false
}

// RegimeKeys lists the configured regimes' keys.
func (n *Notifications) RegimeKeys() []string {
	out := make([]string, len(n.Regimes))
	for i, r := range n.Regimes {
		out[i] = r.Key
	}
	return out
}

// DefaultNotifications are GDPR, NIS2 and the SEC's 8-K, reminded at
// half-time, 6 hours and 1 hour before, on a Monday-to-Friday UTC calendar.
// A regime starts only when its decisions are recorded, so the ones that
// do not apply never run.
func DefaultNotifications() Notifications {
	return Notifications{
		Remind: []incident.Reminder{{Fraction: 0.5}, {Before: 6 * time.Hour}, {Before: time.Hour}},
		Calendar: incident.Calendar{Location: time.UTC,
			Workdays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}},
		Regimes: []incident.Regime{
			{Key: "gdpr", Name: "GDPR", From: []string{incident.DecideAwareness, incident.DecidePersonalData},
				Stages: []incident.Stage{{Name: "notification", Within: incident.Span{Duration: 72 * time.Hour}}}},
			{Key: "nis2", Name: "NIS2", From: []string{incident.DecideAwareness, incident.DecideSignificant},
				Stages: []incident.Stage{
					{Name: "early warning", Within: incident.Span{Duration: 24 * time.Hour}},
					{Name: "incident notification", Within: incident.Span{Duration: 72 * time.Hour}},
					{Name: "final report", Within: incident.Span{Months: 1}},
				}},
			{Key: "sec", Name: "SEC", From: []string{incident.DecideMaterial},
				Stages: []incident.Stage{{Name: "Form 8-K", Within: incident.Span{BusinessDays: 4}}}},
		},
	}
}

type rawNotifications struct {
	Legal    []string     `yaml:"legal"`
	Remind   []string     `yaml:"remind"`
	Calendar *rawCalendar `yaml:"calendar"`
	Regimes  []rawRegime  `yaml:"regimes"`
}

type rawCalendar struct {
	TimeZone *string  `yaml:"time_zone"`
	Workdays []string `yaml:"workdays"`
	Holidays []string `yaml:"holidays"`
	DayEnds  *string  `yaml:"day_ends"`
}

type rawRegime struct {
	Key    string     `yaml:"key"`
	Name   string     `yaml:"name"`
	From   []string   `yaml:"from"`
	Within string     `yaml:"within"` // one stage, named "notification"
	Stages []rawStage `yaml:"stages"`
}

type rawStage struct {
	Name   string `yaml:"name"`
	Within string `yaml:"within"`
}

// Limits of the regimes, so that the card and the reminders stay short.
const (
	maxRegimes = 10
	maxRemind  = 6
	maxStages  = 5
	maxName    = 60
)

var (
	spanPattern = regexp.MustCompile(`^(\d+)\s*(d|days?|mo|months?|bd|business\s+days?)$`)
	dayEnds     = regexp.MustCompile(`^(\d{1,2}):(\d{2})$`)
	weekdays    = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
		"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	weekdayNames = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
		"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}
)

// parseSpan reads a stage's time: a Go duration (72h), days (30d), months
// (1 month) or business days (4 business days).
func parseSpan(s string) (incident.Span, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if d, err := time.ParseDuration(s); err == nil {
		return incident.Span{Duration: d}, d >= time.Second
	}
	m := spanPattern.FindStringSubmatch(s)
	if m == nil {
		return incident.Span{}, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 || n > 400 {
		return incident.Span{}, false
	}
	switch {
	case strings.HasPrefix(m[2], "d"):
		return incident.Span{Duration: time.Duration(n) * 24 * time.Hour}, true
	case strings.HasPrefix(m[2], "mo"):
		return incident.Span{Months: n}, true
	}
	return incident.Span{BusinessDays: n}, true
}

// parseNotifications reads notifications: over the defaults; each part
// given replaces the default's.
func parseNotifications(raw *rawNotifications, f *File, bad func(key, format string, args ...any)) {
	if raw == nil {
		return
	}
	n := &f.Notifications
	if raw.Legal != nil {
		for i, id := range raw.Legal {
			if !userIDPattern.MatchString(id) {
				bad(fmt.Sprintf("notifications.legal[%d]", i), "%q must be a user ID such as U0123456789", id)
			}
		}
		n.Legal = raw.Legal
	}
	if len(raw.Remind) > maxRemind {
		bad("notifications.remind", "lists %d points; at most %d", len(raw.Remind), maxRemind)
	}
	if raw.Remind != nil {
		n.Remind = nil
		for i, r := range raw.Remind {
			key := fmt.Sprintf("notifications.remind[%d]", i)
			r = strings.TrimSpace(r)
			if pct, ok := strings.CutSuffix(r, "%"); ok {
				v, err := strconv.Atoi(strings.TrimSpace(pct))
				if err != nil || v <= 0 || v >= 100 {
					bad(key, "%q must be a share of the time between 1%% and 99%% (50%% is half-time)", r)
					continue
				}
				n.Remind = append(n.Remind, incident.Reminder{Fraction: float64(v) / 100})
				continue
			}
			d, err := time.ParseDuration(r)
			if err != nil || d < time.Second {
				bad(key, "%q must be a duration before the deadline (6h, 30m) or a share of the time (50%%)", r)
				continue
			}
			n.Remind = append(n.Remind, incident.Reminder{Before: d})
		}
	}
	if c := raw.Calendar; c != nil {
		if c.TimeZone != nil {
			loc, err := time.LoadLocation(strings.TrimSpace(*c.TimeZone))
			// Local is whatever the machine runs in: a deadline must not move with the host.
			if err != nil || strings.TrimSpace(*c.TimeZone) == "" || strings.EqualFold(strings.TrimSpace(*c.TimeZone), "local") {
				bad("notifications.calendar.time_zone", "%q is not a time zone such as Europe/Berlin or America/New_York", *c.TimeZone)
			} else {
				n.Calendar.Location = loc
			}
		}
		if c.Workdays != nil {
			n.Calendar.Workdays = nil
			for i, d := range c.Workdays {
				day := strings.ToLower(strings.TrimSpace(d))
				wd, ok := weekdays[day]
				if full, short := weekdayNames[day]; short {
					wd, ok = full, true // monday, as well as mon
				}
				if !ok {
					bad(fmt.Sprintf("notifications.calendar.workdays[%d]", i), "%q is not a day (mon, tue, wed, thu, fri, sat, sun)", d)
					continue
				}
				n.Calendar.Workdays = append(n.Calendar.Workdays, wd)
			}
			if len(n.Calendar.Workdays) == 0 {
				bad("notifications.calendar.workdays", "must list at least one day")
			}
		}
		for i, h := range c.Holidays {
			if _, err := time.Parse(time.DateOnly, strings.TrimSpace(h)); err != nil {
				bad(fmt.Sprintf("notifications.calendar.holidays[%d]", i), "%q must be a date such as 2026-12-25", h)
				continue
			}
			n.Calendar.Holidays = append(n.Calendar.Holidays, strings.TrimSpace(h))
		}
		if c.DayEnds != nil {
			m := dayEnds.FindStringSubmatch(strings.TrimSpace(*c.DayEnds))
			h, _ := strconv.Atoi(m1(m, 1))
			mi, _ := strconv.Atoi(m1(m, 2))
			if m == nil || h > 24 || mi > 59 || (h == 24 && mi > 0) || (h == 0 && mi == 0) {
				bad("notifications.calendar.day_ends", "%q must be a time of day such as 17:30, or 24:00 for the end of the day", *c.DayEnds)
			} else {
				n.Calendar.DayEnds = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
			}
		}
	}
	if raw.Regimes == nil {
		return
	}
	if len(raw.Regimes) > maxRegimes {
		bad("notifications.regimes", "lists %d regimes; at most %d", len(raw.Regimes), maxRegimes)
	}
	n.Regimes = nil
	seen := map[string]bool{}
	for i, rr := range raw.Regimes {
		key := fmt.Sprintf("notifications.regimes[%d]", i)
		r := incident.Regime{Key: strings.ToLower(strings.TrimSpace(rr.Key)), Name: strings.TrimSpace(rr.Name)}
		switch {
		case !keyPattern.MatchString(r.Key):
			bad(key+".key", "%q must be a short word such as gdpr (letters, digits, - and _)", rr.Key)
		case seen[r.Key]:
			bad(key+".key", "%q is listed twice", r.Key)
		}
		seen[r.Key] = true
		if r.Name == "" {
			r.Name = strings.ToUpper(r.Key)
		}
		if len([]rune(r.Name)) > maxName {
			bad(key+".name", "is %d characters; keep it to %d", len([]rune(r.Name)), maxName)
		}
		if len(rr.From) == 0 {
			bad(key+".from", "must name the decisions that start it (%s)", strings.Join(incident.Decisions(), ", "))
		}
		for j, d := range rr.From {
			name, ok := incident.ParseDecision(d)
			if !ok {
				bad(fmt.Sprintf("%s.from[%d]", key, j), "%q is not a decision (%s)", d, strings.Join(incident.Decisions(), ", "))
				continue
			}
			if !slices.Contains(r.From, name) {
				r.From = append(r.From, name)
			}
		}
		stages := rr.Stages
		switch {
		case rr.Within != "" && len(stages) > 0:
			bad(key, "give within (one stage) or stages, not both")
		case rr.Within != "":
			stages = []rawStage{{Name: "notification", Within: rr.Within}}
		case len(stages) == 0:
			bad(key, "needs within (such as 72h) or stages")
		case len(stages) > maxStages:
			bad(key+".stages", "lists %d stages; at most %d", len(stages), maxStages)
		}
		for j, rs := range stages {
			skey := fmt.Sprintf("%s.stages[%d]", key, j)
			if rr.Within != "" {
				skey = key
			}
			st := incident.Stage{Name: strings.TrimSpace(rs.Name)}
			if st.Name == "" {
				bad(skey+".name", "is required (such as early warning)")
			}
			if _, twice := r.StageNamed(st.Name); twice && st.Name != "" {
				bad(skey+".name", "%q is listed twice: /incident notified names a stage by it", st.Name)
			}
			if len([]rune(st.Name)) > maxName {
				bad(skey+".name", "is %d characters; keep it to %d", len([]rune(st.Name)), maxName)
			}
			span, ok := parseSpan(rs.Within)
			if !ok {
				bad(skey+".within", "%q must be a duration (72h), days (30d), months (1 month) or business days (4 business days)", rs.Within)
			}
			st.Within = span
			// Stages are made in order: each due no earlier than the one
			// before, whatever day the clock starts (business days and
			// months vary with it: every day of a year and more is tried).
			if k := len(r.Stages); ok && k > 0 && r.Stages[k-1].Within != (incident.Span{}) {
				if start, early := dueEarlier(span, r.Stages[k-1].Within, n.Calendar); early {
					bad(skey+".within", "%s can fall due before the stage listed before it (%s), as from %s: list the stages in the order they are due", rs.Within, r.Stages[k-1].Within, start.Format("Monday 2 January 2006"))
				}
			}
			r.Stages = append(r.Stages, st)
		}
		n.Regimes = append(n.Regimes, r)
	}
}

// dueEarlier reports a start from which span falls due before prev does.
func dueEarlier(span, prev incident.Span, cal incident.Calendar) (time.Time, bool) {
	loc := cal.Location
	if loc == nil {
		loc = time.UTC
	}
	for d := range 800 { // two years and more: every weekday, month end and leap day
		for _, hour := range []int{0, 12, 23} {
			start := time.Date(2026, 1, 1, hour, 30, 0, 0, loc).AddDate(0, 0, d)
			if span.Deadline(start, cal).Before(prev.Deadline(start, cal)) {
				return start, true
			}
		}
	}
	return time.Time{}, false
}

func m1(m []string, i int) string {
	if i < len(m) {
		return m[i]
	}
	return ""
}
