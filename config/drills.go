package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// rawDrill is a scenario as the configuration file writes it.
type rawDrill struct {
	Key      string            `yaml:"key"`
	Title    string            `yaml:"title"`
	Severity string            `yaml:"severity"`
	Briefing string            `yaml:"briefing"`
	Targets  map[string]string `yaml:"targets"`
	Injects  []rawInject       `yaml:"injects"`
}

type rawInject struct {
	At   string `yaml:"at"`
	On   string `yaml:"on"`
	Text string `yaml:"text"`
	To   string `yaml:"to"`
}

// Scenario returns the drill scenario with that key.
func (f *File) Scenario(key string) (incident.Scenario, bool) {
	for _, s := range f.Drills {
		if strings.EqualFold(s.Key, key) {
			return s, true
		}
	}
	return incident.Scenario{}, false
}

// Limits of a scenario, so that its messages fit Slack's.
const (
	maxScenarioText = 2000
	maxInjects      = 40
	maxScenarios    = 100 // a select menu's options
)

// parseDrills reads the drills: entries over the built-in scenarios (an
// entry with a built-in's key replaces it) and reports each problem with
// the path of its key.
func parseDrills(raw []rawDrill, f *File, bad func(key, format string, args ...any)) {
	seen := map[string]bool{}
	for i, rd := range raw {
		key := fmt.Sprintf("drills[%d]", i)
		s := incident.Scenario{Key: strings.ToLower(strings.TrimSpace(rd.Key)), Title: strings.TrimSpace(rd.Title),
			Severity: strings.ToLower(strings.TrimSpace(rd.Severity)), Briefing: strings.TrimSpace(rd.Briefing),
			Targets: map[incident.Phase]time.Duration{}}
		switch {
		case !keyPattern.MatchString(s.Key) || s.Key == "end" || s.Key == "history":
			bad(key+".key", "%q must be a short word such as ransomware (letters, digits, - and _; not end or history)", rd.Key)
		case seen[s.Key]:
			bad(key+".key", "%q is listed twice", s.Key)
		case s.Title == "":
			bad(key+".title", "is required")
		case len([]rune(s.Title)) > incident.MaxTitleChars:
			bad(key+".title", "is longer than %d characters", incident.MaxTitleChars)
		case len([]rune(s.Briefing)) > maxScenarioText:
			bad(key+".briefing", "is longer than %d characters", maxScenarioText)
		}
		if s.Severity == "" {
			s.Severity = f.DefaultSeverity
		} else if _, ok := f.Severity(s.Severity); !ok {
			bad(key+".severity", "%q is not one of the severities (%s)%s", rd.Severity, strings.Join(f.SeverityNames(), ", "), meant(rd.Severity, f.SeverityNames()...))
		}
		seen[s.Key] = true
		for name, v := range rd.Targets {
			p, ok := incident.ParsePhase(name)
			if !ok || p == incident.Identification || p == incident.Lessons {
				bad(key+".targets."+name, "is not a phase to reach during the drill (containment, eradication, recovery)%s", meant(name, "containment", "eradication", "recovery"))
				continue
			}
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d <= 0 {
				bad(key+".targets."+name, "%q is not a duration (write it like 30m or 2h)", v)
				continue
			}
			s.Targets[p] = d
		}
		if len(rd.Injects) > maxInjects {
			bad(key+".injects", "has %d injects; a scenario takes at most %d", len(rd.Injects), maxInjects)
		}
		for j, ri := range rd.Injects {
			ikey := fmt.Sprintf("%s.injects[%d]", key, j)
			in := incident.Inject{Text: strings.TrimSpace(ri.Text), To: strings.TrimSpace(ri.To)}
			switch {
			case ri.At == "" && ri.On == "":
				bad(ikey, "needs at (an offset from the start such as 5m) or on (a phase such as containment)")
			case ri.At != "" && ri.On != "":
				bad(ikey, "takes at or on, not both")
			case ri.At != "":
				d, err := time.ParseDuration(strings.TrimSpace(ri.At))
				if err != nil || d < 0 {
					bad(ikey+".at", "%q is not an offset from the start (write it like 5m or 1h30m)", ri.At)
				}
				in.At = d
			default:
				p, ok := incident.ParsePhase(ri.On)
				if !ok || p == incident.Identification || p == incident.Lessons {
					bad(ikey+".on", "%q is not a phase the team reaches during the drill (containment, eradication, recovery)%s", ri.On, meant(ri.On, "containment", "eradication", "recovery"))
				}
				in.On = p
			}
			switch {
			case in.Text == "":
				bad(ikey+".text", "is required")
			case len([]rune(in.Text)) > maxScenarioText:
				bad(ikey+".text", "is longer than %d characters", maxScenarioText)
			}
			if in.To != "" {
				if _, ok := f.Role(in.To); !ok {
					bad(ikey+".to", "%q is not a role key (%s)", ri.To, strings.Join(roleKeys(f), ", "))
				}
			}
			s.Injects = append(s.Injects, in)
		}
		if i := indexScenario(f.Drills, s.Key); i < 0 && len(f.Drills) >= maxScenarios {
			bad(key, "is one scenario too many: at most %d, built-in ones included (a form lists them all)", maxScenarios)
			continue
		}
		if i := indexScenario(f.Drills, s.Key); i >= 0 {
			f.Drills[i] = s // replaces the built-in
		} else {
			f.Drills = append(f.Drills, s)
		}
	}
}

// FitScenario fits a scenario made in code to a configuration: a severity
// it does not have becomes the default one, and an inject addressed to a
// role it does not have goes to the whole channel.
func FitScenario(f File, s incident.Scenario) incident.Scenario {
	if _, ok := f.Severity(s.Severity); !ok {
		s.Severity = f.DefaultSeverity
	}
	injects := make([]incident.Inject, len(s.Injects))
	for i, in := range s.Injects {
		if _, ok := f.Role(in.To); !ok {
			in.To = ""
		}
		injects[i] = in
	}
	s.Injects = injects
	return s
}

// fitBuiltInDrills fits the built-in scenarios to the file's severities and
// roles: a severity it does not have becomes the default one, and an
// inject addressed to a role it does not have goes to the whole channel.
func fitBuiltInDrills(f *File) {
	for i := range f.Drills {
		f.Drills[i] = FitScenario(*f, f.Drills[i])
	}
}

func indexScenario(list []incident.Scenario, key string) int {
	for i, s := range list {
		if s.Key == key {
			return i
		}
	}
	return -1
}

func roleKeys(f *File) []string {
	keys := make([]string, len(f.Roles))
	for i, r := range f.Roles {
		keys[i] = r.Key
	}
	return keys
}

// DefaultDrills are the built-in scenarios: the common cases a security
// team practises.
func DefaultDrills() []incident.Scenario {
	m := func(d time.Duration) time.Duration { return d * time.Minute }
	return []incident.Scenario{
		{
			Key: "ransomware", Title: "Ransomware on the file server", Severity: "sev1",
			Briefing: "Monday 08:50. The help desk has twelve tickets: files on the finance share end in .locked, and a README_RESTORE.txt in every folder asks for 40 BTC. The EDR console shows an alert on FS-02 from 06:12 that nobody acknowledged.",
			Targets:  map[incident.Phase]time.Duration{incident.Containment: m(30), incident.Eradication: m(120), incident.Recovery: m(240)},
			Injects: []incident.Inject{
				{At: m(5), Text: "EDR reports the same hash on three more hosts: WS-114, WS-201 and the backup server BK-01.", To: "tech"},
				{At: m(15), Text: "A journalist emails the press office: \"We hear your company was hit by ransomware. Can you comment?\"", To: "comms"},
				{On: incident.Containment, Text: "The attacker's second C2 domain resolves from BK-01: the backups may not be clean."},
				{On: incident.Recovery, Text: "Legal asks whether personal data left the network, for the 72-hour GDPR clock."},
			},
		},
		{
			Key: "phishing", Title: "Phishing with credential theft", Severity: "sev2",
			Briefing: "A finance clerk reports that the \"Microsoft 365\" page from this morning's invoice email asked for her password twice. The email went to 40 people in finance.",
			Targets:  map[incident.Phase]time.Duration{incident.Containment: m(20), incident.Eradication: m(60), incident.Recovery: m(120)},
			Injects: []incident.Inject{
				{At: m(5), Text: "The identity provider shows a login to the clerk's account from an IP in another country, 20 minutes after she clicked.", To: "tech"},
				{At: m(10), Text: "A second person in finance says they entered their password too."},
				{On: incident.Containment, Text: "A mailbox rule forwarding invoices to an outside address is found on the clerk's account."},
			},
		},
		{
			Key: "cloud-key", Title: "Leaked cloud access key", Severity: "sev1",
			Briefing: "A secret-scanning service warns that an access key for the production cloud account was pushed to a public repository 3 hours ago. The key belongs to the CI pipeline.",
			Targets:  map[incident.Phase]time.Duration{incident.Containment: m(15), incident.Eradication: m(60), incident.Recovery: m(180)},
			Injects: []incident.Inject{
				{At: m(5), Text: "The cloud audit log shows the key listing storage buckets from an unknown IP an hour ago.", To: "tech"},
				{At: m(12), Text: "Finance sees a spike in compute spend: 60 large instances started in a region you never use."},
				{On: incident.Containment, Text: "Disabling the key broke the release pipeline; the release manager asks when it will be back.", To: "comms"},
			},
		},
		{
			Key: "bec", Title: "Business email compromise", Severity: "sev2",
			Briefing: "A supplier calls: they received an email from your CFO's real mailbox asking to change the bank account for next week's payment of 180,000 EUR.",
			Targets:  map[incident.Phase]time.Duration{incident.Containment: m(20), incident.Eradication: m(90), incident.Recovery: m(180)},
			Injects: []incident.Inject{
				{At: m(5), Text: "The CFO's mailbox has a rule hiding every email that contains \"invoice\" or \"payment\".", To: "tech"},
				{At: m(15), Text: "Treasury says one payment to a changed account already left on Friday.", To: "commander"},
				{On: incident.Containment, Text: "Two more suppliers forward similar emails they received this morning."},
			},
		},
		{
			Key: "insider", Title: "Insider data exfiltration", Severity: "sev2",
			Briefing: "The data loss prevention tool flags 14 GB uploaded to a personal cloud drive from a sales engineer's laptop last night. HR says the engineer resigned yesterday.",
			Targets:  map[incident.Phase]time.Duration{incident.Containment: m(30), incident.Eradication: m(120), incident.Recovery: m(240)},
			Injects: []incident.Inject{
				{At: m(5), Text: "HR and Legal ask to be involved before anyone contacts the engineer; keep the channel to need-to-know.", To: "commander"},
				{At: m(15), Text: "The upload included the customer price list and a copy of the CRM export.", To: "tech"},
				{On: incident.Containment, Text: "The engineer's manager asks in #sales why the account was disabled."},
			},
		},
	}
}
