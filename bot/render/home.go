package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// HomeView is what a person's Home tab shows them.
type HomeView struct {
	Incidents   []HomeIncident
	Actions     []HomeAction // their open follow-up actions
	Containment []HomeContainment
	// Reports waiting for triage, for the triage team (Triage set).
	Triage  bool
	Reports []HomeReport
	Recent  []HomeRecent // closed incidents they took part in
	Buttons []Action
}

// HomeIncident is an open incident of theirs.
type HomeIncident struct {
	Ref, Title, Severity string
	Phase                incident.Phase
	PhaseSince           time.Time
	Roles                []string // the roles they hold in it
	NextUpdate           time.Time
	ChannelID            string
	Drill                bool
}

// HomeAction is a follow-up action they own.
type HomeAction struct {
	Ref, Text, Due string
	Overdue        bool
	MarkDone       Action
}

// HomeContainment is a containment action they took, still open.
type HomeContainment struct {
	Ref, Action, Kind, Target string
	Until                     time.Time
}

// HomeReport is a report waiting for someone.
type HomeReport struct {
	Ref, What  string
	ReportedAt time.Time
}

// HomeRecent is a closed incident they took part in.
type HomeRecent struct {
	Ref, Title     string
	ClosedAt       time.Time
	PostmortemLink string
}

// Home limits: a Home tab takes 100 blocks; each list shows this many.
const (
	homeIncidents   = 15
	homeActions     = 15
	homeContainment = 10
	homeReports     = 10
	homeRecent      = 8
)

// Home draws a person's Home tab.
func Home(v HomeView) View {
	var blocks []Block
	if len(v.Buttons) > 0 {
		blocks = append(blocks, actions("home_buttons", v.Buttons...))
	}
	section := func(title string, n int, empty string) {
		blocks = append(blocks, Header(fmt.Sprintf("%s (%d)", title, n)))
		if n == 0 {
			blocks = append(blocks, Context(empty))
		}
	}
	more := func(n, shown int) {
		if n > shown {
			blocks = append(blocks, Context(fmt.Sprintf("…and %d more", n-shown)))
		}
	}

	section("Your open incidents", len(v.Incidents), "_None: you are in no open incident._")
	for _, inc := range v.Incidents[:min(len(v.Incidents), homeIncidents)] {
		title := "*" + Text(inc.Ref) + "* " + Text(Truncate(inc.Title, 150))
		if inc.Drill {
			title = incident.DrillPrefix + " " + title
		}
		line := fmt.Sprintf("%s\n`%s` · %s since %s", title, Text(inc.Severity), inc.Phase.Title(), Date(inc.PhaseSince, "{ago}"))
		if len(inc.Roles) > 0 {
			line += " · you are " + Text(strings.Join(inc.Roles, ", "))
		}
		if !inc.NextUpdate.IsZero() {
			line += " · next update " + Date(inc.NextUpdate, "{ago}")
		}
		if inc.ChannelID != "" {
			line += " · " + Channel(inc.ChannelID)
		}
		blocks = append(blocks, Section(line))
	}
	more(len(v.Incidents), homeIncidents)

	section("Your follow-up actions", len(v.Actions), "_None open._")
	for _, a := range v.Actions[:min(len(v.Actions), homeActions)] {
		due := ""
		switch {
		case a.Overdue:
			due = " · *overdue* (due " + Text(a.Due) + ")"
		case a.Due != "":
			due = " · due " + Text(a.Due)
		}
		b := Section(fmt.Sprintf("*%s* %s%s", Text(a.Ref), Text(Truncate(a.Text, 300)), due))
		b["accessory"] = Button(a.MarkDone.ID, a.MarkDone.Label, a.MarkDone.Value, "")
		blocks = append(blocks, b)
	}
	more(len(v.Actions), homeActions)

	if len(v.Containment) > 0 {
		section("Containment actions you took, still open", len(v.Containment), "")
		for _, c := range v.Containment[:min(len(v.Containment), homeContainment)] {
			line := fmt.Sprintf("*%s* %s: %s %s", Text(c.Ref), Text(c.Action), Text(c.Kind), Code(Truncate(c.Target, 200)))
			if !c.Until.IsZero() {
				line += " · until " + Date(c.Until, "{date_short_pretty} {time}")
			}
			blocks = append(blocks, Section(line))
		}
		more(len(v.Containment), homeContainment)
	}

	if v.Triage {
		section("Reports waiting for triage", len(v.Reports), "_None waiting._")
		for _, r := range v.Reports[:min(len(v.Reports), homeReports)] {
			blocks = append(blocks, Section(fmt.Sprintf("*%s* %s\n_waiting since %s_", Text(r.Ref), Text(Truncate(r.What, 200)), Date(r.ReportedAt, "{ago}"))))
		}
		more(len(v.Reports), homeReports)
	}

	section("Recently closed, with you", len(v.Recent), "_None in the last 30 days._")
	for _, r := range v.Recent[:min(len(v.Recent), homeRecent)] {
		line := fmt.Sprintf("*%s* %s · closed %s", Text(r.Ref), Text(Truncate(r.Title, 150)), Date(r.ClosedAt, "{date_short_pretty}"))
		if r.PostmortemLink != "" {
			line += " · <" + r.PostmortemLink + "|postmortem>"
		}
		blocks = append(blocks, Section(line))
	}
	more(len(v.Recent), homeRecent)
	return View{"type": "home", "blocks": blocks}
}
