// Package config reads incidentbot's environment variables and YAML
// configuration file into one validated Config. Every problem names the
// variable or key it comes from, so start-up fails with something to fix.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/incident"
)

// Config is everything incidentbot reads at start-up.
type Config struct {
	SlackBotToken      string
	SlackAppToken      string // set: Socket Mode; empty: HTTP mode
	SlackSigningSecret string
	SlackAPIURL        string

	RedisURL            string
	RedisSentinelAddrs  []string
	RedisSentinelMaster string
	RedisClusterAddrs   []string
	// RedisPassword authenticates to Sentinel- or Cluster-managed nodes, which have
	// no URL to carry it. It is not in the contract's table; see the README.
	RedisPassword string
	// RedisMinReplicas is how many replicas must hold a change (Redis WAIT)
	// before the person is told it is done.
	RedisMinReplicas int

	// AlertsSigningSecret enables POST /alerts and verifies its signatures.
	AlertsSigningSecret string

	HTTPAddr   string
	ConfigPath string
	LogLevel   slog.Level
	LogFormat  string

	File File
}

// SocketMode reports whether the bot connects over Socket Mode instead of serving HTTP requests from Slack.
func (c *Config) SocketMode() bool { return c.SlackAppToken != "" }

// EmbeddedStore reports whether no Redis was configured, so the in-process store is used.
func (c *Config) EmbeddedStore() bool {
	return c.RedisURL == "" && len(c.RedisSentinelAddrs) == 0 && len(c.RedisClusterAddrs) == 0
}

// File is the YAML configuration file (INCIDENT_CONFIG).
type File struct {
	ChannelPrefix      string
	StakeholderChannel string
	TriageChannel      string
	Responders         []string
	Admins             []string
	Severities         []incident.Severity
	DefaultSeverity    string
	Roles              []incident.Role
	NudgeBefore        time.Duration
	DigestCron         string
	// DigestWhenEmpty posts the digest when nothing is open or waiting too.
	DigestWhenEmpty bool
	Retro           Retro
	Playbooks       map[incident.Phase][]incident.PlaybookItem
	Triage          Triage
	TLP             TLP
	// Notifications are the regulatory notification clocks.
	Notifications Notifications
	// Drills are the drill scenarios: the built-in ones and the file's.
	Drills []incident.Scenario
	// CustodyKey seals each evidence custody entry (HMAC-SHA256), so that
	// a log rewritten in Redis, its hashes recomputed, is still found; from
	// the environment (CUSTODY_SIGNING_KEY), never from the file.
	CustodyKey []byte
}

// TLP configures the incidents' TLP 2.0 markings.
type TLP struct {
	// Default is a new incident's marking when its declarer gives none.
	Default string
	// StakeholderChannel is the most restricted marking whose details may
	// go to the stakeholder channel; an incident marked above it is told
	// there by number, severity, phase and marking only. Never TLP:RED.
	StakeholderChannel string
}

// Shareable says whether an incident marked marking may be told of in
// detail in the stakeholder channel.
func (f *File) Shareable(marking string) bool {
	return marking != "TLP:RED" && incident.Stricter(marking, f.TLP.StakeholderChannel) == f.TLP.StakeholderChannel
}

// Triage configures how reports are triaged in the triage channel.
type Triage struct {
	// Oncall is pinged once when a report waits unacknowledged too long: a
	// user (U…) or a user group (S…); "" pings the channel's members with @here.
	Oncall string
	// AckWithin is how long a report may wait before the ping, by urgency
	// (a severity name); AckWithinDefault for any other.
	AckWithin        map[string]time.Duration
	AckWithinDefault time.Duration
	// DedupWindow is how long alerts with one dedup key join one report.
	DedupWindow time.Duration
}

// AckWithin is how long a report of this urgency may wait unacknowledged.
func (f *File) AckWithin(urgency string) time.Duration {
	if d, ok := f.Triage.AckWithin[strings.ToLower(urgency)]; ok {
		return d
	}
	return f.Triage.AckWithinDefault
}

// Retro configures what happens after an incident is closed.
type Retro struct {
	Deadline       time.Duration
	ArchiveChannel bool
	// KeepFor is how long a closed incident is kept after its postmortem
	// is published; 0 keeps it for ever.
	KeepFor time.Duration
}

// Severity returns the configured severity with that name (any letter case).
func (f *File) Severity(name string) (incident.Severity, bool) {
	for _, s := range f.Severities {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return incident.Severity{}, false
}

// SeverityRank orders severities: 0 is the most severe; unknown ones sort last.
func (f *File) SeverityRank(name string) int {
	for i, s := range f.Severities {
		if s.Name == name {
			return i
		}
	}
	return len(f.Severities)
}

// SeverityNames lists the configured severity names, most severe first.
func (f *File) SeverityNames() []string {
	names := make([]string, 0, len(f.Severities))
	for _, s := range f.Severities {
		if !slices.Contains(names, s.Name) { // one listed twice is reported as such
			names = append(names, s.Name)
		}
	}
	return names
}

// Role returns the configured role with that key.
func (f *File) Role(key string) (incident.Role, bool) {
	for _, r := range f.Roles {
		if r.Key == key {
			return r, true
		}
	}
	return incident.Role{}, false
}

// Defaults returns the configuration file's built-in defaults.
func Defaults() File {
	return File{
		ChannelPrefix: "inc",
		Severities: []incident.Severity{
			{Name: "sev1", Description: "Critical: active breach, data loss or outage", UpdateEvery: 30 * time.Minute},
			{Name: "sev2", Description: "Major: contained threat, degraded service", UpdateEvery: time.Hour},
			{Name: "sev3", Description: "Minor: limited impact", UpdateEvery: 4 * time.Hour},
			{Name: "sev4", Description: "Low: suspicious activity under review"},
		},
		DefaultSeverity: "sev3",
		Roles: []incident.Role{
			{Key: "commander", Name: "Incident Commander"},
			{Key: "comms", Name: "Communications Lead"},
			{Key: "tech", Name: "Technical Lead"},
			{Key: "scribe", Name: "Scribe"},
		},
		NudgeBefore: 5 * time.Minute,
		Retro:       Retro{Deadline: 48 * time.Hour, ArchiveChannel: true},
		Playbooks:   DefaultPlaybooks(),
		Triage:      Triage{AckWithinDefault: 15 * time.Minute, DedupWindow: time.Hour},
		TLP:         TLP{Default: "TLP:CLEAR", StakeholderChannel: "TLP:GREEN"},
		Drills:      DefaultDrills(),

		Notifications: DefaultNotifications(),
	}
}

// DefaultPlaybooks are the built-in checklists of each phase; the
// configuration file replaces them phase by phase.
func DefaultPlaybooks() map[incident.Phase][]incident.PlaybookItem {
	return map[incident.Phase][]incident.PlaybookItem{
		incident.Identification: append(incident.Items(
			"Confirm the event is a real security incident, not a false positive",
			"Determine scope: affected systems, accounts and data",
			"Preserve evidence (logs, disk and memory images) before changing anything",
		), incident.PlaybookItem{Text: "Set the severity and assign a commander", DoneByDeclaring: true}),
		incident.Containment: incident.Items(
			"Isolate affected systems from the network",
			"Block malicious IP addresses and domains",
			"Disable compromised user accounts",
			"Decide on short-term vs long-term containment",
		),
		incident.Eradication: incident.Items(
			"Remove malware and malicious files",
			"Patch the exploited vulnerabilities",
			"Reset passwords, keys and access controls",
		),
		incident.Recovery: incident.Items(
			"Restore data and systems from clean backups",
			"Test that restored systems are clean",
			"Monitor for signs of lingering threats",
			"Tell users and stakeholders service is back",
		),
		incident.Lessons: incident.Items(
			"Hold the post-incident review",
			"Record what went well and what needs improvement",
			"File follow-up actions",
		),
	}
}

// ReadFileFunc reads the configuration file; os.ReadFile in production.
type ReadFileFunc func(path string) ([]byte, error)

// Load reads the environment through getenv and, when INCIDENT_CONFIG names
// one, the YAML file through readFile. All problems are reported together.
func Load(getenv func(string) string, readFile ReadFileFunc) (*Config, error) {
	c := &Config{
		SlackBotToken:       strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		SlackAppToken:       strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		SlackSigningSecret:  strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
		SlackAPIURL:         orDefault(getenv("SLACK_API_URL"), "https://slack.com/api/"),
		RedisURL:            strings.TrimSpace(getenv("REDIS_URL")),
		RedisSentinelAddrs:  splitList(getenv("REDIS_SENTINEL_ADDRS")),
		RedisSentinelMaster: strings.TrimSpace(getenv("REDIS_SENTINEL_MASTER")),
		RedisClusterAddrs:   splitList(getenv("REDIS_CLUSTER_ADDRS")),
		RedisPassword:       getenv("REDIS_PASSWORD"),
		AlertsSigningSecret: strings.TrimSpace(getenv("ALERTS_SIGNING_SECRET")),
		HTTPAddr:            orDefault(getenv("HTTP_ADDR"), ":8080"),
		ConfigPath:          strings.TrimSpace(getenv("INCIDENT_CONFIG")),
		LogFormat:           strings.ToLower(orDefault(getenv("LOG_FORMAT"), "json")),
		File:                Defaults(),
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	switch {
	case c.SlackBotToken == "":
		bad("SLACK_BOT_TOKEN", "is required (the bot token, xoxb-…)")
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-"):
		bad("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		bad("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
	}
	if !c.SocketMode() && c.SlackSigningSecret == "" {
		bad("SLACK_SIGNING_SECRET", "is required in HTTP mode (set SLACK_APP_TOKEN for Socket Mode instead)")
	}
	if u, err := url.Parse(c.SlackAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("SLACK_API_URL", "%q is not an http(s) URL", c.SlackAPIURL)
	} else if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/" // slack-go appends method names directly
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			bad("REDIS_URL", "%q must be a redis://, rediss:// or unix:// URL", c.RedisURL)
		}
	}
	if (len(c.RedisSentinelAddrs) > 0) != (c.RedisSentinelMaster != "") {
		bad("REDIS_SENTINEL_ADDRS", "REDIS_SENTINEL_ADDRS and REDIS_SENTINEL_MASTER must be set together")
	}
	if len(c.RedisSentinelAddrs) > 0 && len(c.RedisClusterAddrs) > 0 {
		bad("REDIS_CLUSTER_ADDRS", "cannot be combined with REDIS_SENTINEL_ADDRS")
	}
	if v := strings.TrimSpace(getenv("REDIS_MIN_REPLICAS")); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 0:
			bad("REDIS_MIN_REPLICAS", "%q is not a number of replicas (0 or more)", v)
		case n > 0 && len(c.RedisClusterAddrs) > 0:
			bad("REDIS_MIN_REPLICAS", "is not supported with REDIS_CLUSTER_ADDRS (WAIT must reach the node that took the write); use Sentinel or a single node")
		case n > 0 && c.EmbeddedStore():
			bad("REDIS_MIN_REPLICAS", "needs a Redis with replicas (REDIS_URL or REDIS_SENTINEL_ADDRS); the embedded store has none")
		default:
			c.RedisMinReplicas = n
		}
	}
	if lvl := strings.TrimSpace(getenv("LOG_LEVEL")); lvl != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			bad("LOG_LEVEL", "%q is not one of debug, info, warn, error", lvl)
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("LOG_FORMAT", "%q is not one of json, text", c.LogFormat)
	}

	if c.ConfigPath != "" {
		data, err := readFile(c.ConfigPath)
		if err != nil {
			bad("INCIDENT_CONFIG", "cannot read %s: %v", c.ConfigPath, err)
		} else if f, err := ParseFile(data); err != nil {
			if fe := (*FileError)(nil); errors.As(err, &fe) {
				fe.File = c.ConfigPath // each problem under the file's name
			} else {
				err = fmt.Errorf("%s: %w", c.ConfigPath, err)
			}
			errs = append(errs, err)
		} else {
			c.File = f
		}
	}
	if key := strings.TrimSpace(getenv("CUSTODY_SIGNING_KEY")); key != "" {
		if len(key) < 16 {
			bad("CUSTODY_SIGNING_KEY", "is %d characters: use 16 or more (a random string)", len(key))
		}
		c.File.CustodyKey = []byte(key)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// rawFile mirrors the YAML with durations as text, so a bad value can be
// reported with the path of its key (severities[1].update_every).
type rawFile struct {
	ChannelPrefix      *string                      `yaml:"channel_prefix"`
	StakeholderChannel *string                      `yaml:"stakeholder_channel"`
	TriageChannel      *string                      `yaml:"triage_channel"`
	Responders         []string                     `yaml:"responders"`
	Admins             []string                     `yaml:"admins"`
	Severities         []rawSeverity                `yaml:"severities"`
	DefaultSeverity    *string                      `yaml:"default_severity"`
	Roles              []rawRole                    `yaml:"roles"`
	NudgeBefore        *string                      `yaml:"nudge_before"`
	DigestCron         *string                      `yaml:"digest_cron"`
	DigestWhenEmpty    *bool                        `yaml:"digest_when_empty"`
	Retro              *rawRetro                    `yaml:"retro"`
	Playbooks          map[string][]rawPlaybookItem `yaml:"playbooks"`
	Triage             *rawTriage                   `yaml:"triage"`
	Drills             []rawDrill                   `yaml:"drills"`
	TLP                *rawTLP                      `yaml:"tlp"`
	Notifications      *rawNotifications            `yaml:"notifications"`
}

// rawPlaybookItem is a checklist item as the file writes it: a text, or
// {text: …, required: true} for one that must be done before the phase ends.
type rawPlaybookItem struct {
	Text     string
	Required bool
	DoneBy   string
}

// rawPlaybookItemMapping is the {text: …, required: true} form.
type rawPlaybookItemMapping struct {
	Text     string `yaml:"text"`
	Required bool   `yaml:"required"`
	DoneBy   string `yaml:"done_by"` // "declare": declaring does it
}

// mappingForm lets the shape check judge the mapping form's keys.
func (rawPlaybookItem) mappingForm() any { return rawPlaybookItemMapping{} }

func (r *rawPlaybookItem) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.Text = n.Value
		return nil
	}
	var full rawPlaybookItemMapping
	err := n.Decode(&full) // unknown keys are the shape check's to report
	r.Text, r.Required, r.DoneBy = full.Text, full.Required, full.DoneBy
	return err
}

type rawTLP struct {
	Default            *string `yaml:"default"`
	StakeholderChannel *string `yaml:"stakeholder_channel"`
}

type rawTriage struct {
	Oncall      *string   `yaml:"oncall"`
	AckWithin   yaml.Node `yaml:"ack_within"` // a duration, or severity -> duration (and "default")
	DedupWindow *string   `yaml:"dedup_window"`
}

type rawSeverity struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	UpdateEvery *string           `yaml:"update_every"`
	Targets     map[string]string `yaml:"targets"` // phase -> longest time in it
}

type rawRole struct {
	Key  string `yaml:"key"`
	Name string `yaml:"name"`
}

type rawRetro struct {
	Deadline       *string `yaml:"deadline"`
	ArchiveChannel *bool   `yaml:"archive_channel"`
	KeepFor        *string `yaml:"keep_for"`
}

// Checklist limits keep a phase's checklist within one Slack message.
const (
	maxChecklistItems = 30
	maxChecklistItem  = 200
)

var (
	prefixPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,19}$`)
	channelIDPatten = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	userIDPattern   = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	groupIDPattern  = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	keyPattern      = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// ParseFile parses the YAML configuration over the defaults and validates
// it. Its error is a *FileError: every problem of the file, each by its path.
func ParseFile(data []byte) (File, error) {
	f := Defaults()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return File{}, &FileError{Problems: yamlProblems(err, "invalid YAML: ")}
	}
	shape := newShapeCheck()
	var raw rawFile
	if doc.Kind != 0 { // an empty file keeps the defaults
		shape.walk(&doc, reflect.TypeFor[rawFile](), "")
		// The shape check took out what it found; anything left is what it did not foresee.
		if err := doc.Decode(&raw); err != nil {
			return File{}, &FileError{Problems: append(shape.problems, yamlProblems(err, "")...)}
		}
	}
	problems := shape.problems
	bad := func(key, format string, args ...any) {
		if !within(key, shape.taken) { // its value was not read
			problems = append(problems, Problem{Path: key, Line: lineOf(&doc, key), Msg: fmt.Sprintf(format, args...)})
		}
	}
	duration := func(key string, s *string, min time.Duration, into *time.Duration) {
		if s == nil {
			return
		}
		d, err := time.ParseDuration(strings.TrimSpace(*s))
		if *s == "0" {
			d, err = 0, nil
		}
		switch {
		case err != nil:
			bad(key, "%q is not a duration (write it like 30s, 5m or 1h)", *s)
		case d < 0 || (d > 0 && d < min):
			bad(key, "%s is too short (0 or at least %s)", strings.TrimSpace(*s), shortDuration(min))
		default:
			*into = d
		}
	}

	if raw.ChannelPrefix != nil {
		if !prefixPattern.MatchString(*raw.ChannelPrefix) {
			bad("channel_prefix", "%q must be 1-20 characters of a-z, 0-9, - and _, starting with a letter or digit", *raw.ChannelPrefix)
		}
		f.ChannelPrefix = *raw.ChannelPrefix
	}
	for key, ptr := range map[string]struct {
		raw  *string
		into *string
	}{
		"stakeholder_channel": {raw.StakeholderChannel, &f.StakeholderChannel},
		"triage_channel":      {raw.TriageChannel, &f.TriageChannel},
	} {
		if ptr.raw == nil || *ptr.raw == "" {
			continue
		}
		if !channelIDPatten.MatchString(*ptr.raw) {
			bad(key, "%q must be a channel ID such as C0123456789 (not a #name)", *ptr.raw)
		}
		*ptr.into = *ptr.raw
	}
	for key, list := range map[string][]string{"responders": raw.Responders, "admins": raw.Admins} {
		for i, id := range list {
			if !userIDPattern.MatchString(id) {
				bad(fmt.Sprintf("%s[%d]", key, i), "%q must be a user ID such as U0123456789", id)
			}
		}
	}
	if raw.Responders != nil {
		f.Responders = raw.Responders
	}
	if raw.Admins != nil {
		f.Admins = raw.Admins
	}

	if raw.Severities != nil {
		if len(raw.Severities) == 0 {
			bad("severities", "must list at least one severity")
		}
		f.Severities = nil
		seen := map[string]bool{}
		for i, rs := range raw.Severities {
			key := fmt.Sprintf("severities[%d]", i)
			name := strings.ToLower(strings.TrimSpace(rs.Name))
			switch {
			case !keyPattern.MatchString(name):
				bad(key+".name", "%q must be a short word such as sev1 (letters, digits, - and _)", rs.Name)
			case seen[name]:
				bad(key+".name", "%q is listed twice", name)
			}
			seen[name] = true
			s := incident.Severity{Name: name, Description: rs.Description}
			duration(key+".update_every", rs.UpdateEvery, time.Second, &s.UpdateEvery)
			named := map[incident.Phase]string{}
			for _, phase := range slices.Sorted(maps.Keys(rs.Targets)) {
				p, ok := incident.ParsePhase(phase)
				if !ok || p == incident.Lessons {
					bad(key+".targets."+phase, "is not a phase with a target (identification, containment, eradication, recovery)%s", meant(phase, "identification", "containment", "eradication", "recovery"))
					continue
				}
				if other, twice := named[p]; twice {
					// Written twice in another case: which one won would be chance.
					bad(key+".targets."+phase, "names the phase %s again (as %s): keep one", p, other)
					continue
				}
				named[p] = phase
				v := rs.Targets[phase]
				var d time.Duration
				duration(key+".targets."+phase, &v, time.Second, &d)
				if d > 0 {
					if s.Targets == nil {
						s.Targets = map[incident.Phase]time.Duration{}
					}
					s.Targets[p] = d
				}
			}
			f.Severities = append(f.Severities, s)
		}
	}
	if raw.DefaultSeverity != nil {
		f.DefaultSeverity = strings.ToLower(*raw.DefaultSeverity)
	}
	if _, ok := f.Severity(f.DefaultSeverity); !ok && len(f.Severities) > 0 {
		if raw.DefaultSeverity == nil { // the file's severities replaced the one the built-in default names
			bad("default_severity", "is not set, and the built-in default %q is not one of your severities (%s): add default_severity: <one of yours>",
				f.DefaultSeverity, strings.Join(f.SeverityNames(), ", "))
		} else {
			bad("default_severity", "%q is not one of the severities (%s)%s", f.DefaultSeverity, strings.Join(f.SeverityNames(), ", "), meant(f.DefaultSeverity, f.SeverityNames()...))
		}
	}

	if raw.Roles != nil {
		f.Roles = nil
		seen := map[string]bool{}
		for i, rr := range raw.Roles {
			key := fmt.Sprintf("roles[%d]", i)
			switch {
			case !keyPattern.MatchString(rr.Key):
				bad(key+".key", "%q must be a short lowercase word such as comms", rr.Key)
			case seen[rr.Key]:
				bad(key+".key", "%q is listed twice", rr.Key)
			}
			if strings.TrimSpace(rr.Name) == "" {
				bad(key+".name", "is required (the role's display name)")
			}
			seen[rr.Key] = true
			f.Roles = append(f.Roles, incident.Role{Key: rr.Key, Name: strings.TrimSpace(rr.Name)})
		}
		// A role the shape check took out may be the commander: its own
		// problem is reported, not this one as well.
		brokenRole := slices.ContainsFunc(shape.taken, func(p string) bool { return strings.HasPrefix(p, "roles[") })
		if !seen[incident.CommanderRole] && !brokenRole {
			bad("roles", "must include the key %q: the declarer becomes the commander", incident.CommanderRole)
		}
	}

	duration("nudge_before", raw.NudgeBefore, time.Second, &f.NudgeBefore)
	if raw.DigestCron != nil && strings.TrimSpace(*raw.DigestCron) != "" {
		if _, err := cron.ParseStandard(*raw.DigestCron); err != nil {
			bad("digest_cron", "%q is not a cron spec (for example \"0 9 * * 1-5\"): %v", *raw.DigestCron, err)
		}
		f.DigestCron = strings.TrimSpace(*raw.DigestCron)
	}
	if raw.DigestWhenEmpty != nil {
		f.DigestWhenEmpty = *raw.DigestWhenEmpty
	}
	if raw.Retro != nil {
		duration("retro.deadline", raw.Retro.Deadline, time.Second, &f.Retro.Deadline)
		if raw.Retro.Deadline != nil && f.Retro.Deadline == 0 {
			bad("retro.deadline", "must be more than 0")
		}
		if raw.Retro.ArchiveChannel != nil {
			f.Retro.ArchiveChannel = *raw.Retro.ArchiveChannel
		}
		duration("retro.keep_for", raw.Retro.KeepFor, 24*time.Hour, &f.Retro.KeepFor)
	}
	if raw.TLP != nil {
		marking := func(key string, v *string, to *string) {
			if v == nil {
				return
			}
			m, ok := incident.ParseMarking(*v)
			if !ok {
				bad(key, "%q is not a TLP marking (clear, green, amber, amber+strict, red)", *v)
				return
			}
			*to = m
		}
		marking("tlp.default", raw.TLP.Default, &f.TLP.Default)
		marking("tlp.stakeholder_channel", raw.TLP.StakeholderChannel, &f.TLP.StakeholderChannel)
		if f.TLP.StakeholderChannel == "TLP:RED" {
			bad("tlp.stakeholder_channel", "cannot be red: TLP:RED never leaves the incident's channel")
		}
	}
	playbookNamed := map[incident.Phase]string{}
	for _, name := range slices.Sorted(maps.Keys(raw.Playbooks)) {
		items := raw.Playbooks[name]
		phase, ok := incident.ParsePhase(name)
		if !ok {
			bad("playbooks."+name, "is not a phase (identification, containment, eradication, recovery, lessons)%s", meant(name, "identification", "containment", "eradication", "recovery", "lessons"))
			continue
		}
		if other, twice := playbookNamed[phase]; twice {
			bad("playbooks."+name, "names the phase %s again (as %s): keep one", phase, other)
			continue
		}
		playbookNamed[phase] = name
		var list []incident.PlaybookItem
		for i, item := range items {
			switch {
			case strings.TrimSpace(item.Text) == "":
				bad(fmt.Sprintf("playbooks.%s[%d]", name, i), "is empty (an item is a text, or {text: …, required: true})")
			case len([]rune(item.Text)) > maxChecklistItem:
				bad(fmt.Sprintf("playbooks.%s[%d]", name, i), "is %d characters; keep items to %d", len([]rune(item.Text)), maxChecklistItem)
			}
			if item.Required && phase == incident.Lessons {
				bad(fmt.Sprintf("playbooks.%s[%d]", name, i), "cannot be required: lessons learned is the last phase, and closing is not gated")
			}
			if item.DoneBy != "" && (item.DoneBy != "declare" || phase != incident.Identification) {
				bad(fmt.Sprintf("playbooks.%s[%d].done_by", name, i), "can only be declare, on an identification item (declaring sets the severity and the commander)")
			}
			list = append(list, incident.PlaybookItem{Text: item.Text, Required: item.Required, DoneByDeclaring: item.DoneBy == "declare"})
		}
		if len(items) > maxChecklistItems {
			bad("playbooks."+name, "has %d items; a phase takes at most %d", len(items), maxChecklistItems)
		}
		f.Playbooks[phase] = list
	}
	fitBuiltInDrills(&f)
	parseNotifications(raw.Notifications, &f, bad)
	parseDrills(raw.Drills, &f, bad)
	if t := raw.Triage; t != nil {
		if t.Oncall != nil && *t.Oncall != "" && *t.Oncall != "@here" { // "" and @here: the channel's active members
			if !userIDPattern.MatchString(*t.Oncall) && !groupIDPattern.MatchString(*t.Oncall) {
				bad("triage.oncall", "%q must be a user ID such as U0123456789, a user group ID such as S0123456789, or @here", *t.Oncall)
			}
			f.Triage.Oncall = *t.Oncall
		}
		switch t.AckWithin.Kind {
		case 0: // not given
		case yaml.ScalarNode:
			v := t.AckWithin.Value
			duration("triage.ack_within", &v, time.Second, &f.Triage.AckWithinDefault)
		case yaml.MappingNode:
			f.Triage.AckWithin = map[string]time.Duration{}
			seen := map[string]bool{}
			for i := 0; i+1 < len(t.AckWithin.Content); i += 2 {
				k, v := strings.ToLower(t.AckWithin.Content[i].Value), t.AckWithin.Content[i+1].Value
				switch {
				case seen[k]:
					bad("triage.ack_within."+k, "is listed twice")
					continue
				case t.AckWithin.Content[i+1].Kind != yaml.ScalarNode:
					bad("triage.ack_within."+k, "must be a duration such as 5m")
					continue
				}
				seen[k] = true
				if k == "default" {
					duration("triage.ack_within.default", &v, time.Second, &f.Triage.AckWithinDefault)
					continue
				}
				if _, ok := f.Severity(k); !ok {
					bad("triage.ack_within."+k, "is not a severity (%s) or default", strings.Join(f.SeverityNames(), ", "))
					continue
				}
				var d time.Duration
				duration("triage.ack_within."+k, &v, time.Second, &d)
				f.Triage.AckWithin[k] = d
			}
		default:
			bad("triage.ack_within", "must be a duration such as 15m, or severities with durations such as {sev1: 5m, default: 30m}")
		}
		duration("triage.dedup_window", t.DedupWindow, time.Second, &f.Triage.DedupWindow)
	}
	if len(problems) > 0 {
		// In the file's order; those not in it (built-in defaults) last.
		slices.SortStableFunc(problems, func(a, b Problem) int {
			return cmp.Compare(lineKey(a.Line), lineKey(b.Line))
		})
		return File{}, &FileError{Problems: problems}
	}
	return f, nil
}

func lineKey(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v == "" {
		return def
	}
	return v
}

func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// shortDuration writes d as a person would (24h, 1m30s), not as Go does
// (24h0m0s).
func shortDuration(d time.Duration) string {
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}
