package incident

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// ReportState is where a report stands in triage.
type ReportState string

// The states of a report. Open and Acknowledged wait for an outcome; the
// other three are outcomes, final.
const (
	ReportOpen         ReportState = "open"
	ReportAcknowledged ReportState = "acknowledged"
	ReportDeclared     ReportState = "declared"
	ReportMerged       ReportState = "merged"
	ReportDismissed    ReportState = "dismissed"
)

// Where a report came from.
const (
	SourcePerson  = "person"  // /incident report, or its form
	SourceMessage = "message" // the "Report to security" message shortcut
	SourceAlert   = "alert"   // POST /alerts from another tool
)

// DismissReasons are the reasons a report may be dismissed for, by key.
var DismissReasons = []struct{ Key, Name string }{
	{"false_positive", "False positive"},
	{"duplicate", "Duplicate"},
	{"expected", "Expected activity"},
	{"not_security", "Not a security matter"},
}

// DismissReasonName is a dismissal reason's name; "" for a key not in DismissReasons.
func DismissReasonName(key string) string {
	for _, r := range DismissReasons {
		if r.Key == key {
			return r.Name
		}
	}
	return ""
}

// Report is something that may be an incident: a person's "this looks
// odd", a message someone flagged, or an alert from another tool. The
// security team triages it in the triage channel to one outcome: declared
// as an incident, merged into one, or dismissed with a reason.
type Report struct {
	Number     int64     `json:"number"`
	Source     string    `json:"source"`             // SourcePerson, SourceMessage or SourceAlert
	Reporter   string    `json:"reporter,omitempty"` // Slack user ID; "" for an alert
	Anonymous  bool      `json:"anonymous,omitempty"`
	What       string    `json:"what"`              // what they saw, or the alert's title
	When       string    `json:"when,omitempty"`    // when it happened, in their words
	Systems    string    `json:"systems,omitempty"` // systems or accounts involved
	Urgency    string    `json:"urgency,omitempty"` // a severity name, or the alert's own word
	ReportedAt time.Time `json:"reported_at"`

	// A flagged message (SourceMessage).
	MessageAuthor string `json:"message_author,omitempty"`
	MessageText   string `json:"message_text,omitempty"`
	MessageLink   string `json:"message_link,omitempty"`

	// An alert (SourceAlert).
	Tool       string            `json:"tool,omitempty"`
	ObservedAt time.Time         `json:"observed_at,omitzero"`
	Fields     map[string]string `json:"fields,omitempty"`
	DedupKey   string            `json:"dedup_key,omitempty"`

	State    ReportState `json:"state"`
	AckBy    string      `json:"ack_by,omitempty"`
	AckAt    time.Time   `json:"ack_at,omitzero"`
	DoneBy   string      `json:"done_by,omitempty"` // who gave the outcome
	DoneAt   time.Time   `json:"done_at,omitzero"`
	Incident int64       `json:"incident,omitempty"` // declared as, or merged into
	Private  bool        `json:"private,omitempty"`  // that incident is private
	Reason   string      `json:"reason,omitempty"`   // a dismissal's reason key
	Comment  string      `json:"comment,omitempty"`  // a dismissal's words

	// Declaring is the request that is declaring it, so that two people
	// declaring it at once make one incident.
	Declaring   string    `json:"declaring,omitempty"`
	DeclaringBy string    `json:"declaring_by,omitempty"`
	DeclaringAt time.Time `json:"declaring_at,omitzero"`

	CardTS   string   `json:"card_ts,omitempty"` // the triage card
	Receipt  bool     `json:"receipt,omitempty"` // the reporter has their receipt
	Told     bool     `json:"told,omitempty"`    // the reporter was told the outcome
	Pinged   bool     `json:"pinged,omitempty"`  // on-call was pinged about the wait
	Requests []string `json:"requests,omitempty"`

	// Count is how many alerts it holds (1 for a person's report), LastAt
	// when the latest came; both are kept beside the report, not in it.
	Count  int64     `json:"-"`
	LastAt time.Time `json:"-"`
}

// maxReportRequests is how many requests' changes a report remembers, so
// a request done again does not change it twice.
const maxReportRequests = 20

// Did reports whether the request changed the report before (by effect,
// as incident.NextEffect names them).
func (r *Report) Did(effect string) bool { return effect != "" && slices.Contains(r.Requests, effect) }

// Touched reports whether any change of the report was the request's.
func (r *Report) Touched(request string) bool {
	return request != "" && slices.ContainsFunc(r.Requests, func(e string) bool { return strings.HasPrefix(e, request+"#") })
}

// declaringFor is how long a reservation to declare holds: far longer
// than a declaration takes, even done again after a crash, so that one
// that never finished does not hold the report for ever.
const declaringFor = 15 * time.Minute

// beingDeclared reports whether a request is declaring it now.
func (r *Report) beingDeclared(at time.Time) bool {
	return r.Declaring != "" && (r.DeclaringAt.IsZero() || at.Sub(r.DeclaringAt) < declaringFor)
}

// Remember notes that the request changed the report.
func (r *Report) Remember(request string) {
	if request == "" {
		return
	}
	r.Requests = append(r.Requests, request)
	if len(r.Requests) > maxReportRequests {
		r.Requests = r.Requests[len(r.Requests)-maxReportRequests:]
	}
}

// Ref is the report's reference, RPT-n.
func (r *Report) Ref() string { return FormatReportRef(r.Number) }

// FormatReportRef is RPT-n.
func FormatReportRef(n int64) string { return "RPT-" + strconv.FormatInt(n, 10) }

// ParseReportRef reads RPT-42, rpt-42 or 42.
func ParseReportRef(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 4 && strings.EqualFold(s[:4], "RPT-") {
		s = s[4:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// Waiting reports whether the report still waits for an outcome.
func (r *Report) Waiting() bool { return r.State == ReportOpen || r.State == ReportAcknowledged }

// Title is a one-line name for the report.
func (r *Report) Title() string {
	line, _, _ := strings.Cut(strings.TrimSpace(r.What), "\n")
	return line
}

// OutcomeError says why a report no longer takes a triage step, naming who
// was first, so the second of two people clicking learns what happened;
// nil while it waits for an outcome.
func (r *Report) OutcomeError() error {
	switch r.State {
	case ReportDeclared:
		return Fail(Conflict, "%s was already declared as %s by %s.", r.Ref(), FormatRef(r.Incident), UserRef(r.DoneBy))
	case ReportMerged:
		return Fail(Conflict, "%s was already merged into %s by %s.", r.Ref(), FormatRef(r.Incident), UserRef(r.DoneBy))
	case ReportDismissed:
		return Fail(Conflict, "%s was already dismissed by %s (%s).", r.Ref(), UserRef(r.DoneBy), DismissReasonName(r.Reason))
	}
	return nil
}

// Acknowledge records that someone is on it.
func (r *Report) Acknowledge(by string, at time.Time) error {
	if err := r.OutcomeError(); err != nil {
		return err
	}
	if r.State == ReportAcknowledged {
		return Fail(Conflict, "%s is already acknowledged by %s.", r.Ref(), UserRef(r.AckBy))
	}
	r.State, r.AckBy, r.AckAt = ReportAcknowledged, by, at
	return nil
}

// acknowledgeWith counts an outcome as the acknowledgement when nobody
// acknowledged first.
func (r *Report) acknowledgeWith(by string, at time.Time) {
	if r.AckAt.IsZero() {
		r.AckBy, r.AckAt = by, at
	}
}

// BeginDeclaring reserves the report for one request's declaration: a
// second person declaring it meanwhile is told who is.
func (r *Report) BeginDeclaring(request, by string, at time.Time) error {
	if err := r.OutcomeError(); err != nil {
		return err
	}
	if r.beingDeclared(at) && r.Declaring != request {
		return Fail(Conflict, "%s is being declared by %s already.", r.Ref(), UserRef(r.DeclaringBy))
	}
	r.Declaring, r.DeclaringBy, r.DeclaringAt = request, by, at
	return nil
}

// MarkDeclared records the incident it was declared as.
func (r *Report) MarkDeclared(by string, at time.Time, n int64, private bool) error {
	if r.State == ReportDeclared && r.Incident == n {
		return nil
	}
	if err := r.OutcomeError(); err != nil {
		return err
	}
	r.acknowledgeWith(by, at)
	r.State, r.DoneBy, r.DoneAt, r.Incident, r.Private = ReportDeclared, by, at, n, private
	return nil
}

// Merge records that it was attached to an open incident.
func (r *Report) Merge(by string, at time.Time, n int64, private bool) error {
	if err := r.OutcomeError(); err != nil {
		return err
	}
	if r.beingDeclared(at) {
		return Fail(Conflict, "%s is being declared by %s.", r.Ref(), UserRef(r.DeclaringBy))
	}
	r.acknowledgeWith(by, at)
	r.Declaring, r.DeclaringBy, r.DeclaringAt = "", "", time.Time{} // a lapsed reservation is void
	r.State, r.DoneBy, r.DoneAt, r.Incident, r.Private = ReportMerged, by, at, n, private
	return nil
}

// Dismiss closes it without an incident, for a reason.
func (r *Report) Dismiss(by string, at time.Time, reason, comment string) error {
	if DismissReasonName(reason) == "" {
		return Errorf("A dismissal needs one of the reasons: false positive, duplicate, expected activity, not security.")
	}
	if err := r.OutcomeError(); err != nil {
		return err
	}
	if r.beingDeclared(at) {
		return Fail(Conflict, "%s is being declared by %s.", r.Ref(), UserRef(r.DeclaringBy))
	}
	r.acknowledgeWith(by, at)
	r.Declaring, r.DeclaringBy, r.DeclaringAt = "", "", time.Time{} // a lapsed reservation is void
	r.State, r.DoneBy, r.DoneAt, r.Reason, r.Comment = ReportDismissed, by, at, reason, comment
	return nil
}

// ReportLink is what an incident keeps of the report it was declared from.
type ReportLink struct {
	Number         int64     `json:"number"`
	ReportedAt     time.Time `json:"reported_at"`
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
}

// Reported records a report on the timeline: the first event of an incident
// declared from it, or a report merged into one. reporter is "" when the
// report is anonymous or came from a tool.
func Reported(at time.Time, reporter string, report int64, what string) TimelineEvent {
	return TimelineEvent{At: at, Actor: reporter, Kind: EventReported, Item: int(report), Text: what, V: typed}
}
