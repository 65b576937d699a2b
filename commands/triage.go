package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// Triage takes what may be an incident (a person's report, a flagged
// message, another tool's alert) into the triage channel, where the
// security team gives each one outcome: declared as an incident, merged
// into one, or dismissed for a reason. The reporter is told which.
type Triage struct {
	*core
	store    triageStore
	chat     triageChat
	response *Response
	meter    ReportMeter

	refreshMu  sync.Mutex
	refreshing map[int64]bool // cards being refreshed here: true when another refresh is wanted after
}

type triageStore interface {
	CreateReport(ctx context.Context, r *incident.Report) (int64, error)
	IntakeAlert(ctx context.Context, r *incident.Report, window time.Duration) (n int64, deduplicated bool, count int64, err error)
	Report(ctx context.Context, n int64) (*incident.Report, error)
	UpdateReport(ctx context.Context, n int64, fn func(*incident.Report) error) (*incident.Report, error)
	WaitingReports(ctx context.Context) ([]*incident.Report, error)
	OpenListings(ctx context.Context) ([]incident.Listing, error)
	AddEvents(ctx context.Context, n int64, events ...incident.TimelineEvent) error
	NextNumber(ctx context.Context) (int64, error)
	RequestedNumber(ctx context.Context) (int64, bool, error)
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	Purge(ctx context.Context, n int64) error
}

type triageChat interface {
	coreChat
	OpenView(ctx context.Context, triggerID string, view render.View) error
	Permalink(ctx context.Context, channelID, ts string) (string, error)
	IsMember(ctx context.Context, channelID, userID string) (bool, error)
}

// ReportMeter counts reports and how fast they were triaged.
type ReportMeter interface {
	// ReportCounted counts a report by its source and what became of it:
	// received, deduplicated (an alert counted on an earlier report),
	// declared, merged, dismissed.
	ReportCounted(source, outcome string)
	ReportAcknowledged(after time.Duration)
	ReportDeclared(after time.Duration)
}

type noMeter struct{}

func (noMeter) ReportCounted(string, string)     {}
func (noMeter) ReportAcknowledged(time.Duration) {}
func (noMeter) ReportDeclared(time.Duration)     {}

// Action IDs of the triage card's buttons (value: the report number), the
// message shortcut's callback ID, and the triage forms.
const (
	ActionReportAck     = "report_ack"
	ActionReportDeclare = "report_declare"
	ActionReportMerge   = "report_merge"
	ActionReportDismiss = "report_dismiss"
	ShortcutReport      = "report_to_security"

	ModalReport  = "report"
	ModalMerge   = "report_merge"
	ModalDismiss = "report_dismiss"

	InputWhat      = "what"
	InputWhen      = "when"
	InputSystems   = "systems"
	InputUrgency   = "urgency"
	InputAnonymous = "anonymous"
	InputIncident  = "incident"
	InputReason    = "reason"
	InputComment   = "comment"

	reportMetadataPrefix = "rpt:" // the declare form, opened from a report
)

// maxWaitingPerReporter bounds the reports one person has waiting at once:
// the triage channel takes a message a second, and one person's flood
// must not hold back everyone else's cards.
const maxWaitingPerReporter = 5

// Limits of what a report keeps.
const (
	maxReportLine    = 300
	maxFlaggedText   = 2000
	maxAlertFields   = 50
	maxAlertKey      = 100
	maxAlertValue    = 1000
	maxAlertDedupKey = 200
)

func (h *Triage) triageOn() error {
	if h.cfg.TriageChannel == "" {
		return incident.Fail(incident.Conflict, "Reports are not set up here yet: an admin sets %s in the configuration. Until then, tell the security team directly.", incident.Literal("triage_channel"))
	}
	return nil
}

// mayTriage reports whether a person acts from the triage channel (whose
// members Slack vouches for: the security team) or is an admin.
func (h *Triage) mayTriage(user, channel string) bool {
	return (channel != "" && channel == h.cfg.TriageChannel) || slices.Contains(h.cfg.Admins, user)
}

// stillTriages checks, when a triage form is done, that the person who
// sent it may still triage: an admin, or a member of the triage channel now
// (they may have left it since the form was opened).
func (h *Triage) stillTriages(ctx context.Context, user string) error {
	if slices.Contains(h.cfg.Admins, user) {
		return nil
	}
	member, err := h.chat.IsMember(ctx, h.cfg.TriageChannel, user)
	if err != nil {
		return err
	}
	if !member {
		return incident.Fail(incident.Forbidden, "Triage is for the security team, in %s; nothing was done.", incident.ChannelRef(h.cfg.TriageChannel))
	}
	return nil
}

func (h *Triage) triageOnly(user, channel string) error {
	if err := h.triageOn(); err != nil {
		return err
	}
	if !h.mayTriage(user, channel) {
		return incident.Fail(incident.Forbidden, "Triage is for the security team, in %s.", incident.ChannelRef(h.cfg.TriageChannel))
	}
	return nil
}

// --- reporting ---

// reportCmd is /incident report <what you saw>; alone, it opens the form.
func (h *Triage) reportCmd(ctx context.Context, c *call) error {
	if err := h.triageOn(); err != nil {
		return err
	}
	what := strings.TrimSpace(c.parsed.Raw)
	if what == "" {
		return h.chat.OpenView(ctx, c.req.TriggerID, reportModal(h.cfg, flagged{}))
	}
	if err := incident.TooLong("the report", what, incident.MaxTextChars); err != nil {
		return err
	}
	if err := h.underCap(ctx, c.req.UserID); err != nil {
		return err
	}
	r := &incident.Report{Source: incident.SourcePerson, Reporter: c.req.UserID, What: what, ReportedAt: h.now(), State: incident.ReportOpen}
	n, err := h.store.CreateReport(ctx, r)
	if err != nil {
		return err
	}
	h.meter.ReportCounted(r.Source, "received")
	h.respond(ctx, c.req, render.Done(incident.Say("Reported as %s. Thank you: the security team has it, and your receipt is in your direct messages with incidentbot.", incident.Strong(incident.FormatReportRef(n)))))
	h.deliver(ctx, n)
	return nil
}

// underCap refuses a report from someone who has maxWaitingPerReporter
// reports waiting already.
func (h *Triage) underCap(ctx context.Context, user string) error {
	if incident.IsRedo(ctx) {
		return nil // checked the first time; the report may be its own
	}
	waiting, err := h.store.WaitingReports(ctx)
	if err != nil {
		return err
	}
	mine := 0
	for _, r := range waiting {
		if r.Reporter == user {
			mine++
		}
	}
	if mine >= maxWaitingPerReporter {
		return incident.Fail(incident.Conflict, "You have %d reports waiting for the security team already; they will get to them. If it is urgent, tell them directly in Slack or by phone.", mine)
	}
	return nil
}

// flagged is a message carried into a report by the shortcut: kept in the
// form's private metadata, which only the bot writes.
type flagged struct {
	Channel string `json:"c,omitempty"`
	TS      string `json:"s,omitempty"`
	Author  string `json:"a,omitempty"`
	Text    string `json:"t,omitempty"`
	Link    string `json:"l,omitempty"`
}

// shortcutClick is the message shortcut "Report to security": the report
// form, with the message in it.
func (h *Triage) shortcutClick(ctx context.Context, in Interaction, _ *incident.Incident) error {
	if err := h.triageOn(); err != nil {
		return err
	}
	f := flagged{Channel: in.ChannelID, TS: in.MessageTS, Author: in.MessageUser, Text: render.Truncate(render.Plain(in.MessageText), maxFlaggedText)}
	if link, err := h.chat.Permalink(ctx, in.ChannelID, in.MessageTS); err == nil {
		f.Link = link
	} else {
		h.log.Info("no permalink for a flagged message; reported without it", "channel", in.ChannelID, "err", err)
	}
	return h.chat.OpenView(ctx, in.TriggerID, reportModal(h.cfg, f))
}

// reportSubmission takes the report form; the receipt is the answer.
func (h *Triage) reportSubmission(ctx context.Context, in Interaction, _ *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	if h.cfg.TriageChannel == "" {
		return map[string]string{InputWhat: "Reports are not set up here yet: tell the security team directly."}, nil
	}
	what := strings.TrimSpace(in.Values[InputWhat])
	switch {
	case what == "":
		return map[string]string{InputWhat: "Say what you saw."}, nil
	case incident.TooLong("the report", what, incident.MaxTextChars) != nil:
		return map[string]string{InputWhat: fmt.Sprintf("Keep it under %d characters.", incident.MaxTextChars)}, nil
	}
	when, systems := strings.TrimSpace(in.Values[InputWhen]), strings.TrimSpace(in.Values[InputSystems])
	for id, v := range map[string]string{InputWhen: when, InputSystems: systems} {
		if len([]rune(v)) > maxReportLine {
			return map[string]string{id: fmt.Sprintf("Keep it under %d characters.", maxReportLine)}, nil
		}
	}
	urgency := in.Values[InputUrgency]
	if _, ok := h.cfg.Severity(urgency); !ok && urgency != "" {
		return map[string]string{InputUrgency: "Choose one from the list."}, nil
	}
	if err := h.underCap(ctx, in.UserID); err != nil {
		return map[string]string{InputWhat: render.SayLabel(incident.ErrorMessage(err, incident.RequestID(ctx)))}, nil
	}
	r := &incident.Report{Source: incident.SourcePerson, Reporter: in.UserID, What: what, When: when, Systems: systems,
		Urgency: urgency, Anonymous: strings.Contains(in.Values[InputAnonymous], "anonymous"), State: incident.ReportOpen}
	var f flagged
	if in.PrivateMetadata != "" && json.Unmarshal([]byte(in.PrivateMetadata), &f) == nil && (f.TS != "" || f.Text != "") {
		r.Source, r.MessageAuthor, r.MessageText, r.MessageLink = incident.SourceMessage, f.Author, f.Text, f.Link
	}
	return nil, func(ctx context.Context) error {
		r.ReportedAt = h.now()
		n, err := h.store.CreateReport(ctx, r)
		if err != nil {
			return err
		}
		h.meter.ReportCounted(r.Source, "received")
		h.deliver(ctx, n)
		return nil
	}
}

// Alert is an alert from another tool, as POST /alerts takes it.
type Alert struct {
	Title, Source, Severity string
	ObservedAt              time.Time
	DedupKey                string
	Fields                  [][2]string
}

// CheckAlert says what is wrong with an alert, for the 400 answer.
func CheckAlert(a Alert) error {
	switch {
	case strings.TrimSpace(a.Title) == "":
		return errors.New("title is required")
	case len([]rune(a.Title)) > incident.MaxTitleChars:
		return fmt.Errorf("title is longer than %d characters", incident.MaxTitleChars)
	case len([]rune(a.Source)) > maxReportLine, len([]rune(a.Severity)) > maxReportLine:
		return fmt.Errorf("source and severity take at most %d characters", maxReportLine)
	case len(a.DedupKey) > maxAlertDedupKey:
		return fmt.Errorf("dedup_key is longer than %d characters", maxAlertDedupKey)
	case len(a.Fields) > maxAlertFields:
		return fmt.Errorf("fields has more than %d entries", maxAlertFields)
	}
	for _, f := range a.Fields {
		if len([]rune(f[0])) > maxAlertKey || len([]rune(f[1])) > maxAlertValue {
			return fmt.Errorf("a field name takes at most %d characters and a value %d", maxAlertKey, maxAlertValue)
		}
	}
	return nil
}

// TakeAlert stores an alert as a report, or counts it on the waiting
// report of its dedup key; its card follows with Deliver.
func (h *Triage) TakeAlert(ctx context.Context, a Alert) (n int64, deduplicated bool, err error) {
	if err := h.triageOn(); err != nil {
		return 0, false, err
	}
	urgency := strings.TrimSpace(a.Severity)
	if s, ok := h.severityForHint(urgency); ok {
		urgency = s
	}
	r := &incident.Report{Source: incident.SourceAlert, Tool: strings.TrimSpace(a.Source), What: strings.TrimSpace(a.Title),
		Urgency: urgency, ObservedAt: a.ObservedAt, DedupKey: a.DedupKey, ReportedAt: h.now(), State: incident.ReportOpen}
	if len(a.Fields) > 0 {
		r.Fields = map[string]string{}
		for _, f := range a.Fields {
			r.Fields[f[0]] = f[1]
		}
	}
	n, deduplicated, _, err = h.store.IntakeAlert(ctx, r, h.cfg.Triage.DedupWindow)
	if err != nil {
		return 0, false, err
	}
	outcome := "received"
	if deduplicated {
		outcome = "deduplicated"
	}
	h.meter.ReportCounted(incident.SourceAlert, outcome)
	return n, deduplicated, nil
}

// severityForHint maps an alert's severity word to a configured severity:
// its name, or critical/high/medium/low for the first four.
func (h *Triage) severityForHint(hint string) (string, bool) {
	if s, ok := h.cfg.Severity(hint); ok {
		return s.Name, true
	}
	i := slices.Index([]string{"critical", "high", "medium", "low"}, strings.ToLower(hint))
	if i < 0 || len(h.cfg.Severities) == 0 {
		return "", false
	}
	return h.cfg.Severities[min(i, len(h.cfg.Severities)-1)].Name, true
}

// Deliver is a report's delivery after it is stored: its card in the
// triage channel, and the reporter's receipt. Done again, each is done once.
func (h *Triage) Deliver(ctx context.Context, n int64) work.Result {
	h.deliver(ctx, n)
	return work.Result{Name: "report", Outcome: work.OutcomeOK}
}

func (h *Triage) deliver(ctx context.Context, n int64) {
	if err := h.refreshCard(ctx, n); err != nil {
		h.log.Error("could not post the triage card", "report", n, "err", err)
	}
	r, err := h.store.Report(ctx, n)
	if err != nil || r.Reporter == "" || r.Receipt {
		return
	}
	if err := h.postFor(ctx, "report-receipt:"+strconv.FormatInt(n, 10), r.Reporter, receipt(r)); err != nil {
		h.log.Error("could not send the reporter their receipt", "report", n, "err", err)
		return
	}
	if _, err := h.store.UpdateReport(incident.Untracked(ctx), n, func(r *incident.Report) error { r.Receipt = true; return nil }); err != nil {
		h.log.Warn("could not note the receipt", "report", n, "err", err)
	}
}

func receipt(r *incident.Report) render.Message {
	anon := incident.Say("")
	if r.Anonymous {
		anon = incident.Say(" Only the security team knows it came from you.")
	}
	return render.Done(incident.Say("Thank you for reporting. The security team has it as %s and will look at it shortly; you will hear here what comes of it.%s\n> %s",
		incident.Strong(r.Ref()), anon, render.Truncate(r.What, 500)))
}

// --- the card ---

// refreshCard posts the report's triage card, or edits it to the stored
// state. Edits of one card are serialised across replicas and read the
// state under the lock; a burst of changes (an alert firing fifty times)
// is folded into a few edits.
func (h *Triage) refreshCard(ctx context.Context, n int64) error {
	h.refreshMu.Lock()
	if _, running := h.refreshing[n]; running {
		h.refreshing[n] = true // the running refresh goes again when done
		h.refreshMu.Unlock()
		return nil
	}
	h.refreshing[n] = false
	h.refreshMu.Unlock()
	for {
		err := h.refreshCardOnce(ctx, n)
		h.refreshMu.Lock()
		again := h.refreshing[n]
		if !again || err != nil {
			delete(h.refreshing, n)
			h.refreshMu.Unlock()
			return err
		}
		h.refreshing[n] = false
		h.refreshMu.Unlock()
	}
}

func (h *Triage) refreshCardOnce(ctx context.Context, n int64) error {
	unlock, err := h.core.store.Lock(ctx, "report-card:"+strconv.FormatInt(n, 10), cardLockFor)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := h.store.Report(ctx, n)
	if err != nil {
		return err
	}
	h.reportsChanged(ctx) // the triage team's Home tabs list it
	card := h.triageCard(r)
	if r.CardTS != "" {
		return h.chat.Update(ctx, h.cfg.TriageChannel, r.CardTS, card)
	}
	ts, err := h.chat.Post(ctx, h.cfg.TriageChannel, card)
	if err != nil {
		return err
	}
	_, err = h.store.UpdateReport(incident.Untracked(ctx), n, func(r *incident.Report) error { r.CardTS = ts; return nil })
	return err
}

func (h *Triage) triageCard(r *incident.Report) render.Message {
	num := strconv.FormatInt(r.Number, 10)
	v := render.ReportView{
		Ref: r.Ref(), Source: r.Source, Tool: r.Tool, Reporter: r.Reporter, Anonymous: r.Anonymous,
		What: r.What, When: r.When, Systems: r.Systems, Urgency: r.Urgency, ReportedAt: r.ReportedAt,
		MessageAuthor: r.MessageAuthor, MessageText: r.MessageText, MessageLink: r.MessageLink,
		ObservedAt: r.ObservedAt, DedupKey: r.DedupKey, Count: r.Count, LastAt: r.LastAt,
		State: r.State, AckBy: r.AckBy, AckAt: r.AckAt, DoneBy: r.DoneBy, DoneAt: r.DoneAt,
		Reason: incident.DismissReasonName(r.Reason), Comment: r.Comment, DeclaringBy: r.DeclaringBy,
		ActionsBlockID: "report:" + num,
	}
	if r.Incident != 0 {
		v.IncidentRef = incident.FormatRef(r.Incident)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Fields)) {
		v.Fields = append(v.Fields, [2]string{k, r.Fields[k]})
	}
	if r.Waiting() {
		if r.State == incident.ReportOpen {
			v.Actions = append(v.Actions, render.Action{ID: ActionReportAck, Label: "Acknowledge", Value: num})
		}
		v.Actions = append(v.Actions,
			render.Action{ID: ActionReportDeclare, Label: "Declare", Value: num, Primary: true},
			render.Action{ID: ActionReportMerge, Label: "Merge into incident", Value: num},
			render.Action{ID: ActionReportDismiss, Label: "Dismiss", Value: num})
	}
	return render.TriageCard(v)
}

// --- triage ---

// clickedReport reads the report a triage button names, for someone who may triage.
func (h *Triage) clickedReport(ctx context.Context, in Interaction) (*incident.Report, error) {
	if err := h.triageOnly(in.UserID, in.ChannelID); err != nil {
		return nil, err
	}
	n, err := positive(in.Value)
	if err != nil {
		return nil, incident.Fail(incident.Invalid, "This button is not one I made; nothing was done.")
	}
	return h.report(ctx, n)
}

func (h *Triage) report(ctx context.Context, n int64) (*incident.Report, error) {
	r, err := h.store.Report(ctx, n)
	if errors.Is(err, incident.ErrNotFound) {
		return nil, incident.Fail(incident.NotFound, "There is no report %s.", incident.FormatReportRef(n))
	}
	return r, err
}

func (h *Triage) ackClick(ctx context.Context, in Interaction, _ *incident.Incident) error {
	r, err := h.clickedReport(ctx, in)
	if err != nil {
		return err
	}
	at := h.now()
	if _, err := h.store.UpdateReport(ctx, r.Number, func(r *incident.Report) error { return r.Acknowledge(in.UserID, at) }); err != nil {
		return err
	}
	h.meter.ReportAcknowledged(at.Sub(r.ReportedAt))
	return h.refreshCard(ctx, r.Number)
}

// declareClick opens the declare form filled in from the report.
func (h *Triage) declareClick(ctx context.Context, in Interaction, _ *incident.Incident) error {
	r, err := h.clickedReport(ctx, in)
	if err != nil {
		return err
	}
	if !r.Waiting() {
		return r.OutcomeError()
	}
	sev := h.cfg.DefaultSeverity
	if s, ok := h.cfg.Severity(r.Urgency); ok {
		sev = s.Name
	}
	view := declareModalFor(h.cfg, declareDraft{
		title: render.Truncate(r.Title(), incident.MaxTitleChars), severity: sev, description: reportSummary(r),
		metadata: reportMetadataPrefix + strconv.FormatInt(r.Number, 10), fromReport: true,
	})
	return h.chat.OpenView(ctx, in.TriggerID, view)
}

// reportSummary is the report as the incident's first note.
func reportSummary(r *incident.Report) string {
	var b strings.Builder
	b.WriteString(r.What)
	observed := ""
	if !r.ObservedAt.IsZero() {
		observed = r.ObservedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, kv := range [][2]string{{"Alert from", r.Tool}, {"Observed", observed}, {"Urgency", r.Urgency}, {"When", r.When},
		{"Systems or accounts", r.Systems}, {"Flagged message", r.MessageText}, {"Link", r.MessageLink}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "\n%s: %s", kv[0], kv[1])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Fields)) {
		fmt.Fprintf(&b, "\n%s: %s", k, r.Fields[k])
	}
	return render.Truncate(b.String(), incident.MaxTextChars)
}

// declareReport declares an incident from a report: the report is
// reserved for this request first, so two people declaring it at once
// make one incident, and the second is told who did.
func (h *Triage) declareReport(ctx context.Context, n int64, d declaration) (render.Declared, error) {
	var none render.Declared
	if err := h.triageOn(); err != nil {
		return none, err
	}
	if err := h.stillTriages(ctx, d.by); err != nil {
		return none, err
	}
	req := incident.RequestID(ctx)
	r, err := h.store.UpdateReport(ctx, n, func(r *incident.Report) error { return r.BeginDeclaring(req, d.by, h.now()) })
	if err != nil {
		return none, err
	}
	if r.Declaring != req {
		// Done again so late that its reservation lapsed and someone else
		// took the report on: this request makes no incident, and removes
		// the record its first run left before Slack had a channel for it.
		h.dropOrphan(ctx, n)
		if err := r.OutcomeError(); err != nil {
			return none, err
		}
		return none, incident.Fail(incident.Conflict, "%s is being declared by %s.", r.Ref(), incident.UserRef(r.DeclaringBy))
	}
	_ = h.refreshCard(ctx, n)
	d.report = r
	d.quiet = false // the triage channel and the reporter know of it: never quiet
	// The request's incident number, which the declaration takes too: when
	// it fails half way, the report stays with the incident it recorded.
	num, err := h.store.NextNumber(ctx)
	if err != nil {
		return none, err
	}
	answer, err := h.response.declareIncident(ctx, d)
	if err != nil {
		if inc, gerr := h.store.Get(ctx, num); gerr == nil && inc.Report != nil && inc.Report.Number == n {
			if r, merr := h.store.UpdateReport(ctx, n, func(r *incident.Report) error { return r.MarkDeclared(d.by, h.now(), num, d.private) }); merr == nil {
				h.finish(ctx, r, inc.ChannelID)
			}
			return none, err
		}
	}
	if err != nil {
		// Free the report for another try; an incident recorded half way is in the answer.
		if _, uerr := h.store.UpdateReport(incident.Untracked(ctx), n, func(r *incident.Report) error {
			if r.Declaring == req {
				r.Declaring, r.DeclaringBy, r.DeclaringAt = "", "", time.Time{}
			}
			return nil
		}); uerr != nil {
			h.log.Warn("could not free a report after a failed declaration", "report", n, "err", uerr)
		}
		_ = h.refreshCard(ctx, n)
		return none, err
	}
	at := h.now()
	private := d.private
	if inc, gerr := h.store.Get(ctx, num); gerr == nil {
		private = inc.Private // a TLP:RED one is private however it was declared
	}
	r, err = h.store.UpdateReport(ctx, n, func(r *incident.Report) error { return r.MarkDeclared(d.by, at, num, private) })
	if err != nil {
		return none, err
	}
	h.meter.ReportCounted(r.Source, string(incident.ReportDeclared))
	h.meter.ReportDeclared(at.Sub(r.ReportedAt))
	if r.AckAt.Equal(at) {
		h.meter.ReportAcknowledged(at.Sub(r.ReportedAt))
	}
	h.finish(ctx, r, answer.ChannelID)
	return answer, nil
}

// dropOrphan removes the incident a declaration from report n recorded
// before it died, when it has no channel yet: nobody was told of it.
func (h *Triage) dropOrphan(ctx context.Context, n int64) {
	num, ok, err := h.store.RequestedNumber(ctx)
	if err != nil || !ok {
		return
	}
	inc, err := h.store.Get(ctx, num)
	if err != nil || inc.ChannelID != "" || inc.Report == nil || inc.Report.Number != n {
		return
	}
	if err := h.store.Purge(ctx, num); err != nil {
		h.log.Warn("could not remove an incident recorded by a declaration that lost its report", "incident", num, "err", err)
		return
	}
	h.log.Info("removed an incident recorded by a declaration that lost its report", "incident", num, "report", n)
}

// finish shows a report's outcome on its card and tells the reporter.
func (h *Triage) finish(ctx context.Context, r *incident.Report, channelID string) {
	if err := h.refreshCard(ctx, r.Number); err != nil {
		h.log.Error("could not update the triage card", "report", r.Number, "err", err)
	}
	if r.Reporter == "" {
		return
	}
	msg := outcomeMessage(r, channelID)
	if inc, err := h.store.Get(ctx, r.Incident); err == nil && r.Incident != 0 && !r.Private {
		msg = about(inc, msg) // it names the incident: with its marking
	}
	if err := h.postFor(ctx, "report-outcome:"+strconv.FormatInt(r.Number, 10), r.Reporter, msg); err != nil {
		h.log.Error("could not tell the reporter the outcome", "report", r.Number, "err", err)
	}
}

// outcomeMessage thanks the reporter and says what came of the report; of
// a private incident, only that it is being handled.
func outcomeMessage(r *incident.Report, channelID string) render.Message {
	thanks := incident.Say("Thank you for reporting %s.", incident.Strong(r.Ref()))
	switch {
	case r.State == incident.ReportDismissed:
		return render.Info(incident.Say("%s The security team looked into it and closed it: %s. Nothing more is needed from you; please keep reporting anything that looks odd.",
			thanks, strings.ToLower(incident.DismissReasonName(r.Reason))))
	case r.Private || channelID == "":
		return render.Done(incident.Say("%s The security team is handling it. They will contact you if they need anything more.", thanks))
	case r.State == incident.ReportDeclared:
		return render.Done(incident.Say("%s The security team declared it an incident, %s: %s. Reporting it early made a difference.",
			thanks, incident.Strong(incident.FormatRef(r.Incident)), incident.ChannelRef(channelID)))
	default:
		return render.Done(incident.Say("%s It belongs to an incident the security team is already handling, %s (%s), and was added to it.",
			thanks, incident.Strong(incident.FormatRef(r.Incident)), incident.ChannelRef(channelID)))
	}
}

// mergeClick opens the merge form: the open incidents the person can see.
func (h *Triage) mergeClick(ctx context.Context, in Interaction, _ *incident.Incident) error {
	r, err := h.clickedReport(ctx, in)
	if err != nil {
		return err
	}
	if !r.Waiting() {
		return r.OutcomeError()
	}
	listings, err := h.store.OpenListings(ctx)
	if err != nil {
		return err
	}
	var options []render.Option
	for _, l := range listings {
		if l.Drill || l.Quiet || !h.mayList(l, in.UserID, "") {
			continue // a quiet incident is not named in the triage channel
		}
		options = append(options, render.Option{Value: strconv.FormatInt(l.Number, 10), Label: l.Ref() + " " + l.Title})
	}
	if len(options) == 0 {
		return incident.Fail(incident.Conflict, "There is no open incident you can see to merge %s into. Declare it instead, or dismiss it.", r.Ref())
	}
	if len(options) > render.MaxSelectOptions {
		options = options[len(options)-render.MaxSelectOptions:]
	}
	return h.chat.OpenView(ctx, in.TriggerID, mergeModal(r, options))
}

// formReport reads the report a triage form names in its metadata. The
// forms are opened only by a triage button, after the check that the
// person may triage, and Slack sends back only metadata the bot wrote.
func (h *Triage) formReport(ctx context.Context, in Interaction) (*incident.Report, map[string]string) {
	n, err := positive(in.PrivateMetadata)
	if err != nil {
		return nil, map[string]string{FirstInput(in.Values): "This form is not one I made; nothing was done."}
	}
	r, err := h.report(ctx, n)
	if err != nil {
		return nil, map[string]string{FirstInput(in.Values): render.SayLabel(incident.ErrorMessage(err, incident.RequestID(ctx)))}
	}
	// Done again after a crash, a request meets the outcome it gave itself
	// and finishes what it began.
	if !r.Waiting() && !(incident.IsRedo(ctx) && r.Touched(incident.RequestID(ctx))) {
		return nil, map[string]string{FirstInput(in.Values): render.SayLabel(incident.ErrorMessage(r.OutcomeError(), ""))}
	}
	return r, nil
}

func (h *Triage) mergeSubmission(ctx context.Context, in Interaction, _ *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	r, errs := h.formReport(ctx, in)
	if errs != nil {
		return errs, nil
	}
	num, err := positive(in.Values[InputIncident])
	if err != nil {
		return map[string]string{InputIncident: "Choose the incident from the list."}, nil
	}
	inc, err := h.visibleIncident(ctx, num, in.UserID, "")
	if err == nil {
		err = inc.EnsureOpen("merging a report into it")
	}
	if err == nil && inc.Drill {
		err = incident.Fail(incident.Conflict, "%s is a drill: a real report cannot be merged into it.", inc.Ref())
	}
	if err == nil && inc.Quiet {
		err = incident.Fail(incident.Conflict, "%s is run quietly: a report is not merged into it, since the triage channel and the reporter would learn of it. Note the report in its channel instead.", inc.Ref())
	}
	if err != nil {
		return map[string]string{InputIncident: render.SayLabel(incident.ErrorMessage(err, incident.RequestID(ctx)))}, nil
	}
	return nil, func(ctx context.Context) error {
		if err := h.stillTriages(ctx, in.UserID); err != nil {
			return err
		}
		at := h.now()
		r, err := h.store.UpdateReport(ctx, r.Number, func(r *incident.Report) error { return r.Merge(in.UserID, at, inc.Number, inc.Private) })
		if err != nil {
			return err
		}
		if err := h.store.AddEvents(ctx, inc.Number, reportedEvent(r)); err != nil {
			return err
		}
		if err := h.postOnce(ctx, "merged", inc.ChannelID, about(inc, render.Remark(incident.Say("%s merged report %s into this incident: %s",
			incident.UserRef(in.UserID), incident.Strong(r.Ref()), reportSummary(r))))); err != nil {
			h.log.Error("could not tell the incident channel of a merged report", "report", r.Number, "err", err)
		}
		h.meter.ReportCounted(r.Source, string(incident.ReportMerged))
		if r.AckAt.Equal(at) {
			h.meter.ReportAcknowledged(at.Sub(r.ReportedAt))
		}
		h.finish(ctx, r, inc.ChannelID)
		return nil
	}
}

// reportedEvent is the report on an incident's timeline; the reporter is
// named unless they asked not to be.
func reportedEvent(r *incident.Report) incident.TimelineEvent {
	reporter := r.Reporter
	if r.Anonymous {
		reporter = ""
	}
	what := r.What
	if r.Source == incident.SourceAlert && r.Tool != "" {
		what = "alert from " + r.Tool + ": " + what
	}
	return incident.Reported(r.ReportedAt, reporter, r.Number, render.Truncate(what, 500))
}

func (h *Triage) dismissClick(ctx context.Context, in Interaction, _ *incident.Incident) error {
	r, err := h.clickedReport(ctx, in)
	if err != nil {
		return err
	}
	if !r.Waiting() {
		return r.OutcomeError()
	}
	return h.chat.OpenView(ctx, in.TriggerID, dismissModal(r))
}

func (h *Triage) dismissSubmission(ctx context.Context, in Interaction, _ *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	r, errs := h.formReport(ctx, in)
	if errs != nil {
		return errs, nil
	}
	reason, comment := in.Values[InputReason], strings.TrimSpace(in.Values[InputComment])
	if incident.DismissReasonName(reason) == "" {
		return map[string]string{InputReason: "Choose why it is dismissed."}, nil
	}
	if len([]rune(comment)) > maxReportLine {
		return map[string]string{InputComment: fmt.Sprintf("Keep it under %d characters.", maxReportLine)}, nil
	}
	return nil, func(ctx context.Context) error {
		if err := h.stillTriages(ctx, in.UserID); err != nil {
			return err
		}
		at := h.now()
		r, err := h.store.UpdateReport(ctx, r.Number, func(r *incident.Report) error { return r.Dismiss(in.UserID, at, reason, comment) })
		if err != nil {
			return err
		}
		h.meter.ReportCounted(r.Source, string(incident.ReportDismissed))
		if r.AckAt.Equal(at) {
			h.meter.ReportAcknowledged(at.Sub(r.ReportedAt))
		}
		h.finish(ctx, r, "")
		return nil
	}
}

// reportsCmd lists the reports waiting for an outcome, for the security team.
func (h *Triage) reportsCmd(ctx context.Context, c *call) error {
	if err := h.triageOnly(c.req.UserID, c.req.ChannelID); err != nil {
		return err
	}
	waiting, err := h.store.WaitingReports(ctx)
	if err != nil {
		return err
	}
	lines := make([]render.ReportLine, len(waiting))
	for i, r := range waiting {
		lines[i] = render.ReportLine{Ref: r.Ref(), What: r.What, Urgency: r.Urgency, Source: sourceName(r), ReportedAt: r.ReportedAt, AckBy: r.AckBy, Count: r.Count}
	}
	h.respond(ctx, c.req, render.WaitingReports(lines))
	return nil
}

func sourceName(r *incident.Report) string {
	switch r.Source {
	case incident.SourceAlert:
		return "alert from " + r.Tool
	case incident.SourceMessage:
		return "flagged message"
	}
	return "reported by a person"
}

// --- waiting too long ---

// pingLockFor bounds how long a replica that dies while pinging holds the others back.
const pingLockFor = time.Minute

// Sweep looks over the waiting reports: a card that was never posted (its
// replica died after storing it) is posted, and a report nobody
// acknowledged within triage.ack_within pings on-call once, however many
// replicas sweep.
func (h *Triage) Sweep(ctx context.Context) error {
	if h.cfg.TriageChannel == "" {
		return nil
	}
	waiting, err := h.store.WaitingReports(ctx)
	if err != nil {
		return err
	}
	now := h.now()
	for _, r := range waiting {
		if r.CardTS == "" && now.Sub(r.ReportedAt) > 30*time.Second {
			h.deliver(ctx, r.Number)
		}
		wait := h.cfg.AckWithin(r.Urgency)
		if wait == 0 || r.State != incident.ReportOpen || r.Pinged || now.Sub(r.ReportedAt) < wait {
			continue // 0: never ping for this urgency
		}
		if err := h.ping(ctx, r.Number); err != nil {
			h.log.Error("could not ping on-call about a waiting report", "report", r.Number, "err", err)
		}
	}
	return nil
}

func (h *Triage) ping(ctx context.Context, n int64) error {
	unlock, err := h.core.store.Lock(ctx, "report-ping:"+strconv.FormatInt(n, 10), pingLockFor)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := h.store.Report(ctx, n)
	if err != nil || r.Pinged || r.State != incident.ReportOpen {
		return err
	}
	msg := render.TriagePing(h.cfg.Triage.Oncall, r.Ref(), h.now().Sub(r.ReportedAt))
	if _, err := h.chat.Post(ctx, h.cfg.TriageChannel, msg); err != nil {
		return err
	}
	_, err = h.store.UpdateReport(incident.Untracked(ctx), n, func(r *incident.Report) error { r.Pinged = true; return nil })
	return err
}

// waitingSummary is the digest's line on reports: how many wait, and the
// longest wait; nothing of what they say.
func (h *Triage) waitingSummary(ctx context.Context) (count int, oldest time.Time) {
	if h.cfg.TriageChannel == "" {
		return 0, time.Time{}
	}
	waiting, err := h.store.WaitingReports(ctx)
	if err != nil || len(waiting) == 0 {
		return 0, time.Time{}
	}
	return len(waiting), waiting[0].ReportedAt
}
