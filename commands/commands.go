// Package commands parses and handles the /incident slash command. It talks
// to Slack only through the narrow Chat interface and to the store through
// Store, so the transport and the storage stay replaceable.
package commands

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// Chat is what commands needs of Slack.
type Chat interface {
	// CreateChannel returns the new channel's ID, or ErrNameTaken.
	CreateChannel(ctx context.Context, name string, private bool) (string, error)
	Invite(ctx context.Context, channelID string, userIDs []string) error
	// Remove takes someone out of a channel; one not in it is no error.
	Remove(ctx context.Context, channelID, userID string) error
	Outsider(ctx context.Context, userID string) (string, error)
	Post(ctx context.Context, channelID string, msg render.Message) (ts string, err error)
	Update(ctx context.Context, channelID, ts string, msg render.Message) error
	Pin(ctx context.Context, channelID, ts string) error
	React(ctx context.Context, channelID, ts, name string) error
	SetTopic(ctx context.Context, channelID, topic string) error
	// Respond answers a command through its response URL, visible only to the person who ran it.
	Respond(ctx context.Context, responseURL string, msg render.Message) error
	// Ephemeral shows a message in a channel to one of its members only.
	Ephemeral(ctx context.Context, channelID, userID string, msg render.Message) error
	// OpenView opens a modal for the user whose click or command gave the trigger ID.
	OpenView(ctx context.Context, triggerID string, view render.View) error
	// MessageAt returns a message of a channel, with a permalink to it.
	MessageAt(ctx context.Context, channelID, ts string) (ChatMessage, error)
	// Permalink returns a link to a message.
	Permalink(ctx context.Context, channelID, ts string) (string, error)
	// IsMember reports whether a user is a member of a channel.
	IsMember(ctx context.Context, channelID, userID string) (bool, error)
	// Upload shares a file in a channel and returns its permalink.
	Upload(ctx context.Context, channelID, filename, title string, content []byte) (string, error)
	Archive(ctx context.Context, channelID string) error
	UserName(ctx context.Context, userID string) (string, error)
	PublishHome(ctx context.Context, userID string, view render.View) error
}

// ChatMessage is a message someone posted in Slack.
type ChatMessage struct {
	User      string
	Text      string
	Permalink string
}

// ErrNameTaken is what Chat.CreateChannel returns when the name is in use.
var ErrNameTaken = errors.New("channel name taken")

// Store is the incident store as the services need it all: each service
// is given only its own small part of it (coreStore, responseStore…).
type Store interface {
	NextNumber(ctx context.Context) (int64, error)
	LastNumber(ctx context.Context) (int64, error)
	RequestedNumber(ctx context.Context) (int64, bool, error)
	Create(ctx context.Context, inc *incident.Incident, events ...incident.TimelineEvent) error
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	ByChannel(ctx context.Context, channelID string) (*incident.Incident, error)
	Update(ctx context.Context, n int64, fn func(*incident.Incident) ([]incident.TimelineEvent, error)) (*incident.Incident, error)
	ListOpen(ctx context.Context) ([]*incident.Incident, error)
	OpenListings(ctx context.Context) ([]incident.Listing, error)
	Timeline(ctx context.Context, n int64) ([]incident.TimelineEvent, error)
	TimelinePage(ctx context.Context, n int64, page, size int) ([]incident.TimelineEvent, int, error)
	ClosedBefore(ctx context.Context, t time.Time) ([]int64, error)
	Purge(ctx context.Context, n int64) error
	AddEvents(ctx context.Context, n int64, events ...incident.TimelineEvent) error
	Schedule(ctx context.Context, n int64, due time.Time) error
	ScheduleMissing(ctx context.Context, dues map[int64]time.Time) error
	Unschedule(ctx context.Context, n int64) error
	WithOpenFollowUps(ctx context.Context) ([]*incident.Incident, error)
	WithRunningClocks(ctx context.Context) ([]*incident.Incident, error)
	SavePostmortem(ctx context.Context, n int64, markdown string) error
	Postmortem(ctx context.Context, n int64) (string, error)
	AddIndicator(ctx context.Context, n int64, ind incident.Indicator) (incident.Indicator, error)
	Indicators(ctx context.Context, n int64) ([]incident.Indicator, error)
	AddEvidence(ctx context.Context, n int64, fn func(id int) (incident.Evidence, incident.TimelineEvent, error)) (incident.Evidence, error)
	ChangeEvidence(ctx context.Context, n int64, id int, fn func(e *incident.Evidence, inc *incident.Incident) (incident.TimelineEvent, error)) (incident.Evidence, incident.CustodyEntry, error)
	Evidence(ctx context.Context, n int64) ([]incident.Evidence, error)
	IndicatorSeenIn(ctx context.Context, t incident.IndicatorType, value string) ([]int64, error)
	MarkIndicator(ctx context.Context, n int64, t incident.IndicatorType, value, state, marking string, a incident.Actor, at time.Time) (incident.Indicator, error)
	AppendAudit(ctx context.Context, n int64, e incident.AuditEntry, key []byte) error
	Audit(ctx context.Context, n int64) ([]incident.AuditEntry, *incident.AuditHead, error)
	SaveDrillScore(ctx context.Context, score incident.DrillScore) error
	DrillScores(ctx context.Context) ([]incident.DrillScore, error)
	CreateReport(ctx context.Context, r *incident.Report) (int64, error)
	IntakeAlert(ctx context.Context, r *incident.Report, window time.Duration) (n int64, deduplicated bool, count int64, err error)
	Report(ctx context.Context, n int64) (*incident.Report, error)
	UpdateReport(ctx context.Context, n int64, fn func(*incident.Report) error) (*incident.Report, error)
	WaitingReports(ctx context.Context) ([]*incident.Report, error)
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	Applied(ctx context.Context, n int64, effect string) (bool, error)
	Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error)
	Taken(ctx context.Context, name string) (bool, error)
	QueueStakeholderUpdate(ctx context.Context, n int64, due time.Time, occasion string) error
	TakeStakeholderBatch(ctx context.Context, poster string, limit int, lease time.Duration) (id string, numbers []int64, err error)
	FinishStakeholderBatch(ctx context.Context, id string) error
	HomeChanged(ctx context.Context, users []string, at time.Time) error
	HomeTriagers(ctx context.Context) ([]string, error)
	NoteHomeTriager(ctx context.Context, user string, triager bool) error
	SawHome(ctx context.Context, user string, within time.Duration) error
	TakeChangedHomes(ctx context.Context, before time.Time, limit int) ([]string, error)
	ClosedIncidentsSince(ctx context.Context, t time.Time) ([]*incident.Incident, error)
}

// Request is one /incident command as a user typed it.
type Request struct {
	UserID      string
	ChannelID   string
	Text        string
	ResponseURL string
	TriggerID   string
}

// Handler takes every request: it finds the subcommand, button or form in
// its tables, checks it by the rules declared there and hands it to the
// service it belongs to.
type Handler struct {
	*core
	store handlerStore
	chat  interface {
		OpenView(ctx context.Context, triggerID string, view render.View) error
	}
	response *Response
	retro    *Retro
	cadence  *Cadence
	triage   *Triage
	home     *Home
	table    []subcommand
	itable   []interactionRow
}

// handlerStore is what the Handler reads to find a request's incident.
type handlerStore interface {
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	ByChannel(ctx context.Context, channelID string) (*incident.Incident, error)
}

// New returns a Handler and its services. botUserID is the bot's own user,
// never invited to channels it created; meter counts reports (nil: not counted).
func New(cfg config.File, store Store, chat Chat, log *slog.Logger, botUserID string, now func() time.Time, meter ReportMeter) *Handler {
	if meter == nil {
		meter = noMeter{}
	}
	c := &core{cfg: cfg, store: store, chat: chat, log: log, now: now, botUserID: botUserID, cardLocks: map[int64]*sync.Mutex{}}
	retro := &Retro{core: c, store: store, chat: chat}
	response := &Response{core: c, store: store, chat: chat}
	triage := &Triage{core: c, store: store, chat: chat, response: response, meter: meter, refreshing: map[int64]bool{}}
	h := &Handler{core: c, store: store, chat: chat, response: response, retro: retro, triage: triage,
		cadence: &Cadence{core: c, store: store, retro: retro, poster: posterName(), triage: triage},
		home:    &Home{core: c, store: store, chat: chat}}
	h.table = h.subcommands()
	h.itable = h.interactions()
	return h
}

// Reacted is the Response service's: a pushpin puts a message on the timeline.
func (h *Handler) Reacted(ctx context.Context, r Reaction) work.Result {
	return h.response.Reacted(ctx, r)
}

// RunScheduled is the Cadence service's.
func (h *Handler) RunScheduled(ctx context.Context, n int64) (work.Ran, error) {
	return h.cadence.RunScheduled(ctx, n)
}

// Digest is the Cadence service's.
func (h *Handler) Digest(ctx context.Context) error { return h.cadence.Digest(ctx) }

// StakeholderUpdates posts the scheduled updates queued for the stakeholder channel.
func (h *Handler) StakeholderUpdates(ctx context.Context) error {
	return h.cadence.StakeholderUpdates(ctx)
}

// Purge deletes the closed incidents past their retention (retro.keep_for).
func (h *Handler) Purge(ctx context.Context) error { return h.cadence.Purge(ctx) }

// TakeAlert is the Triage service's: an alert from another tool, stored.
func (h *Handler) TakeAlert(ctx context.Context, a Alert) (n int64, deduplicated bool, err error) {
	return h.triage.TakeAlert(ctx, a)
}

// DeliverReport is the Triage service's: a stored report's card and receipt.
func (h *Handler) DeliverReport(ctx context.Context, n int64) work.Result {
	return h.triage.Deliver(ctx, n)
}

// TriageSweep is the Triage service's: cards never posted, and reports waiting too long.
func (h *Handler) TriageSweep(ctx context.Context) error { return h.triage.Sweep(ctx) }

// Reconcile is the Cadence service's.
func (h *Handler) Reconcile(ctx context.Context) error { return h.cadence.Reconcile(ctx) }

// call is one command being handled.
type call struct {
	sub    subcommand
	req    Request
	parsed Parsed
	inc    *incident.Incident // for subcommands that act on an incident
	tried  int64              // the incident it named, also when it may not see it
	read   bool               // it only showed the asker something (a list, a log)
	// sensitive: a read written on the audit log whoever may see the incident.
	sensitive bool
}

// Handle runs one command and answers the user. It returns once the work is
// done; the transport acknowledges Slack before calling it.
func (h *Handler) Handle(ctx context.Context, req Request) work.Result {
	p := Parse(req.Text, func(w string) bool { _, ok := h.cfg.Severity(w); return ok })
	log := h.log.With("user", req.UserID, "channel", req.ChannelID, "subcommand", p.Name)
	sub, ok := h.lookup(p.Name)
	res := work.Result{Name: p.Name, Outcome: work.OutcomeOK}
	if !ok {
		res.Name = "unknown"
		res.Outcome = work.OutcomeUserError
		h.respond(ctx, req, render.Refusal(incident.Say("I don't know %s. %s", incident.Literal("/incident "+p.Name), h.helpHint())))
		return res
	}
	if p.Name == "" {
		res.Name = "none"
	}
	if sub.run == nil {
		res.Outcome = work.OutcomeUnavailable
		h.respond(ctx, req, render.Info(incident.Say("%s is not available yet. %s", incident.Literal("/incident "+sub.name), h.helpHint())))
		return res
	}
	c := &call{sub: sub, req: req, parsed: p}
	err := guarded(func() error {
		if err := h.validate(ctx, sub, c); err != nil {
			return err
		}
		return sub.run(ctx, c)
	})
	res.Outcome = h.report(ctx, log, err, func(m render.Message) { h.respond(ctx, req, m) })
	if c.inc != nil {
		res.Incident = c.inc.Number
	}
	what, read := "command "+sub.name, sub.shows || c.read
	if read {
		what = "read " + sub.name
	}
	h.audit(ctx, c.inc, c.tried, req.UserID, what, res.Outcome, read && !c.sensitive)
	return res
}

// audit writes a request on its incident's audit log: every change, every
// refused or failed attempt (also on an incident the person may not see),
// and every read of a private or TLP:RED incident. A failure to write is
// logged: the request itself is done.
func (h *core) audit(ctx context.Context, inc *incident.Incident, tried int64, user, what, outcome string, read bool) {
	n := tried
	if inc != nil {
		n = inc.Number
	}
	if n == 0 {
		return
	}
	result := incident.AuditOK
	switch outcome {
	case work.OutcomeOK:
	case work.OutcomeUserError:
		result = incident.AuditRefused
	default:
		result = incident.AuditFailed
	}
	if read && result == incident.AuditOK && inc != nil && !inc.Private && inc.Marking() != "TLP:RED" {
		return // a read of what anyone may see
	}
	if result == incident.AuditRefused {
		known := inc
		if known == nil {
			known, _ = h.store.Get(ctx, n)
		}
		if known != nil && known.IsSuspect(user) {
			defer h.reportSuspect(ctx, known, user, what)
		}
	}
	e := incident.AuditEntry{At: h.now(), Actor: user, What: what, Outcome: result, Request: incident.RequestID(ctx)}
	if err := h.store.AppendAudit(ctx, n, e, h.cfg.CustodyKey); err != nil {
		h.log.Error("could not write the audit log", "incident", n, "what", what, "err", err)
	}
}

// posterName names this replica as a poster of stakeholder batches.
func posterName() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// answerKey holds, in the context of a request answered in its
// acknowledgement, where its answer goes instead of the response URL.
type answerKey struct{}

// AnswersAtOnce reports whether a command only shows the asker something
// (the card, a list, the timeline, the help, or why it cannot be run), so
// that it can be answered in its acknowledgement: it changes nothing, so
// there is nothing to journal or redo.
func (h *Handler) AnswersAtOnce(req Request) bool {
	p := Parse(req.Text, func(w string) bool { _, ok := h.cfg.Severity(w); return ok })
	sub, ok := h.lookup(p.Name)
	return !ok || sub.run == nil || sub.shows
}

// Answer runs a command that AnswersAtOnce and returns its answer.
func (h *Handler) Answer(ctx context.Context, req Request) (render.Message, work.Result) {
	var answer render.Message
	res := h.Handle(context.WithValue(ctx, answerKey{}, &answer), req)
	return answer, res
}

// report tells the user what went wrong, if anything, and returns the
// outcome. A domain error's message is shown as it is; anything else shows a
// message that names no cause, with the request's reference, and the cause
// goes to the log under the same reference.
func (h *core) report(ctx context.Context, log *slog.Logger, err error, tell func(render.Message)) string {
	if err == nil {
		return work.OutcomeOK
	}
	msg := incident.ErrorMessage(err, incident.RequestID(ctx))
	if !logFault(ctx, log, err) {
		tell(render.Refusal(msg))
		return work.OutcomeUserError
	}
	tell(render.Failure(msg))
	return work.OutcomeError
}

// guarded runs fn, turning a panic into an error: the asker is told it
// failed (with its reference) and the attempt is logged, as for any fault.
func guarded(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("unexpected failure: %v", p)
		}
	}()
	return fn()
}

// isFault: an error that is not the asker's to fix.
func isFault(err error) bool {
	switch incident.ErrorCode(err) {
	case incident.Invalid, incident.NotFound, incident.Forbidden, incident.Conflict:
		return false
	}
	return true
}

// logFault logs an error that is not the asker's to fix, under the
// request's reference, and reports whether it was one.
func logFault(ctx context.Context, log *slog.Logger, err error) bool {
	ref := incident.RequestID(ctx)
	switch incident.ErrorCode(err) {
	case incident.Invalid, incident.NotFound, incident.Forbidden, incident.Conflict:
		return false
	case incident.Unavailable:
		log.Warn("request failed: a dependency is down", "ref", ref, "err", err)
	default:
		log.Error("request failed", "ref", ref, "err", err)
	}
	return true
}

// validate checks the words against what the subcommand takes and finds its incident.
func (h *Handler) validate(ctx context.Context, sub subcommand, c *call) error {
	for _, f := range c.parsed.Flags {
		if !slices.Contains(sub.flags, f) {
			return incident.Errorf("%s has no option %s. %s", incident.Literal("/incident "+sub.name), incident.Literal("--"+f), sub.usageHint())
		}
	}
	if !sub.severity && len(c.parsed.Severities) > 0 {
		c.parsed.Args = append(c.parsed.Args, c.parsed.Severities...) // just words here
		c.parsed.Severities = nil
	}
	if !sub.incident {
		return nil
	}
	inChannel, err := h.store.ByChannel(ctx, c.req.ChannelID)
	if err != nil && !errors.Is(err, incident.ErrNotFound) {
		return err
	}
	if len(c.parsed.Args) > 0 {
		// In an incident channel a bare number in text is text ("note 42 hosts hit");
		// there only INC-42 names another incident.
		arg := c.parsed.Args[0]
		n, ok := incident.ParseRef(arg)
		if inChannel != nil && sub.freeText && !strings.HasPrefix(strings.ToUpper(arg), "INC-") {
			ok = false
		}
		if ok {
			c.parsed.Args = c.parsed.Args[1:]
			c.parsed.Raw = strings.TrimSpace(strings.TrimPrefix(c.parsed.Raw, arg))
			inc, err := h.visibleIncident(ctx, n, c.req.UserID, c.req.ChannelID)
			if err != nil {
				// Refused as if it did not exist: if it does, the attempt is logged.
				if _, gerr := h.store.Get(ctx, n); gerr == nil {
					c.tried = n
				}
				return err
			}
			c.inc = inc
			if inc.Quiet && c.req.ChannelID != inc.ChannelID && !sub.anywhere {
				// Whatever it answers may name what must stay in the channel.
				return incident.Fail(incident.Forbidden, "%s is run quietly: use %s in its channel, %s.", inc.Ref(), incident.Literal("/incident "+sub.name), incident.ChannelRef(inc.ChannelID))
			}
			return h.checkOpen(ctx, sub, inc)
		}
	}
	if inChannel != nil && inChannel.IsSuspect(c.req.UserID) {
		c.tried = inChannel.Number
		return incident.Fail(incident.NotFound, "There is no incident %s that you can see. %s shows the open ones.", inChannel.Ref(), incident.Literal("/incident list"))
	}
	if inChannel == nil {
		if len(c.parsed.Args) > 0 && strings.HasPrefix(strings.ToUpper(c.parsed.Args[0]), "INC-") {
			// Meant as a number, and not one ("INC-abc").
			return incident.Errorf("%s is not an incident number: write it as %s or %s. %s", echo(c.parsed.Args[0]), incident.Literal("42"), incident.Literal("INC-42"), sub.usageHint())
		}
		more := " …" // what the subcommand takes after the number
		if sub.args == "" || sub.args == "[number]" {
			more = ""
		}
		return incident.Errorf("This is not an incident channel, so say which incident: %s or %s. %s", incident.Literal("/incident "+sub.name+" 42"+more), incident.Literal("/incident "+sub.name+" INC-42"+more), sub.usageHint())
	}
	c.inc = inChannel
	return h.checkOpen(ctx, sub, inChannel)
}

// visibleIncident reads an incident the user may see. A private incident
// is seen by its members, by admins, and from its own channel (whose
// members Slack vouches for); to anyone else it answers exactly as an
// incident that does not exist, so its existence does not leak.
func (h *core) visibleIncident(ctx context.Context, n int64, user, channel string) (*incident.Incident, error) {
	inc, err := h.store.Get(ctx, n)
	if errors.Is(err, incident.ErrNotFound) || (err == nil && !h.maySee(inc, user, channel)) {
		return nil, incident.Fail(incident.NotFound, "There is no incident %s that you can see. %s shows the open ones.", incident.FormatRef(n), incident.Literal("/incident list"))
	}
	return inc, err
}

// maySee: a suspected account never, even an admin's (a stolen admin
// session is what it guards against).
func (h *core) maySee(inc *incident.Incident, user, channel string) bool {
	return !inc.IsSuspect(user) && (inc.VisibleTo(user, channel) || slices.Contains(h.cfg.Admins, user))
}

// mayList is maySee for an incident's listing.
func (h *core) mayList(l incident.Listing, user, channel string) bool {
	return !slices.Contains(l.Suspects, user) && (l.VisibleTo(user, channel) || slices.Contains(h.cfg.Admins, user))
}

// wroteBefore reports whether the request ctx works for is being done again
// after its first run wrote to the incident: it then meets the state it
// left itself (a close finds the incident closed), and the checks that
// passed the first time are not made again. A request whose first run
// wrote nothing is checked like any other.
func (h *core) wroteBefore(ctx context.Context, n int64) bool {
	if !incident.IsRedo(ctx) {
		return false
	}
	done, err := h.store.Applied(ctx, n, incident.RequestID(ctx)+"#1")
	return err == nil && done
}

func (h *core) checkOpen(ctx context.Context, sub subcommand, inc *incident.Incident) error {
	if sub.open && inc.Status != incident.Open && !h.wroteBefore(ctx, inc.Number) {
		return incident.Fail(incident.Conflict, "%s is closed, so %s no longer applies. Add lessons with %s until the postmortem is published.", inc.Ref(), incident.Literal("/incident "+sub.name), incident.Literal("/incident lesson"))
	}
	return nil
}

// postMemory is how long the posts of a request are remembered: far
// longer than a request waits in the journal to be done again.
const postMemory = 24 * time.Hour

// postOnce posts msg once per request: the first run notes each post it
// makes (what names it within the request), and a request done again
// after a crash skips those, so nobody is told the same thing twice.
func (h *core) postOnce(ctx context.Context, what, channelID string, msg render.Message) error {
	id := incident.RequestID(ctx)
	if id == "" {
		_, err := h.chat.Post(ctx, channelID, msg)
		return err
	}
	return h.postNoted(ctx, id+":"+what, channelID, msg, incident.IsRedo(ctx))
}

// postFor posts a scheduled message once for its occasion (an incident's
// update due at a time, say), so a run done again because it could not
// record what it sent skips what was posted.
func (h *core) postFor(ctx context.Context, occasion, channelID string, msg render.Message) error {
	return h.postNoted(ctx, occasion, channelID, msg, true)
}

// postNoted posts msg and then notes it under name; when done again
// (again), a post already noted is skipped. A post made in the instant
// before its note is made again: Slack has no way to ask whether a message
// was posted.
func (h *core) postNoted(ctx context.Context, name, channelID string, msg render.Message, again bool) error {
	name = "posted:" + name
	if again {
		if posted, err := h.store.Taken(ctx, name); err == nil && posted {
			return nil
		}
	}
	if _, err := h.chat.Post(ctx, channelID, msg); err != nil {
		return err
	}
	if _, err := h.store.Once(ctx, name, postMemory); err != nil {
		h.log.Warn("could not note a post; if it is done again it is posted again", "post", name, "err", err)
	}
	return nil
}

// about marks a message about an incident as a drill's when it is one,
// and with the incident's TLP marking.
func about(inc *incident.Incident, msg render.Message) render.Message {
	return aboutMarked(inc, "", msg)
}

// aboutMarked is about for a message that carries more than the incident
// does (a marked update): it shows the stricter marking.
func aboutMarked(inc *incident.Incident, marking string, msg render.Message) render.Message {
	if inc == nil {
		return msg
	}
	if inc.Drill {
		msg = render.AsDrill(msg)
	}
	return render.Marked(msg, incident.Stricter(inc.Marking(), cmp.Or(marking, inc.Marking())))
}

// tellPrivately shows a form's answer in the incident's channel to the
// person only, or, when they are not in the channel, by direct message.
func (h *core) tellPrivately(ctx context.Context, channelID, userID string, msg render.Message) error {
	if channelID != "" && h.chat.Ephemeral(ctx, channelID, userID, msg) == nil {
		return nil
	}
	_, err := h.chat.Post(ctx, userID, msg)
	return err
}

func (h *core) respond(ctx context.Context, req Request, msg render.Message) {
	if a, ok := ctx.Value(answerKey{}).(*render.Message); ok {
		*a = msg // answered in the acknowledgement
		return
	}
	if err := h.chat.Respond(ctx, req.ResponseURL, msg); err != nil {
		h.log.Error("could not answer the user", "user", req.UserID, "err", err)
	}
}

func (h *Handler) lookup(name string) (subcommand, bool) {
	for _, s := range h.table {
		if s.name == name {
			return s, true
		}
	}
	return subcommand{}, false
}

func (h *core) helpHint() incident.Sentence {
	return incident.Say("%s lists what you can do.", incident.Literal("/incident help"))
}

// echo shows back a word someone typed, as code and cut short: an answer
// cut at Slack's limit would lose its end (what to type instead) and the
// code's closing backtick.
func echo(word string) incident.Literal { return incident.Literal(render.Truncate(word, 40)) }
