package commands

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// The services, by concern. Each has the store it needs and no more; all
// share the core: configuration, Slack, the log, the clock, and the few
// steps every change ends with (the card, the topic, the schedule).

// core is what the services share.
type core struct {
	cfg       config.File
	store     coreStore
	chat      coreChat
	log       *slog.Logger
	now       func() time.Time
	botUserID string

	// cardLocks serialises card edits per incident, so edits land in the order of the state they show.
	cardLocksMu sync.Mutex
	cardLocks   map[int64]*sync.Mutex
}

// coreChat is how the core answers people and keeps the card and topic.
type coreChat interface {
	Post(ctx context.Context, channelID string, msg render.Message) (ts string, err error)
	Update(ctx context.Context, channelID, ts string, msg render.Message) error
	SetTopic(ctx context.Context, channelID, topic string) error
	Respond(ctx context.Context, responseURL string, msg render.Message) error
	Ephemeral(ctx context.Context, channelID, userID string, msg render.Message) error
}

type coreStore interface {
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	Update(ctx context.Context, n int64, fn func(*incident.Incident) ([]incident.TimelineEvent, error)) (*incident.Incident, error)
	Timeline(ctx context.Context, n int64) ([]incident.TimelineEvent, error)
	Applied(ctx context.Context, n int64, effect string) (bool, error)
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	Taken(ctx context.Context, name string) (bool, error)
	Lock(ctx context.Context, name string, ttl time.Duration) (unlock func(), err error)
	Schedule(ctx context.Context, n int64, due time.Time) error
	Unschedule(ctx context.Context, n int64) error
	Indicators(ctx context.Context, n int64) ([]incident.Indicator, error) // what notices going outside withhold
	AppendAudit(ctx context.Context, n int64, e incident.AuditEntry, key []byte) error
	Audit(ctx context.Context, n int64) ([]incident.AuditEntry, *incident.AuditHead, error)
	HomeChanged(ctx context.Context, users []string, at time.Time) error
	HomeTriagers(ctx context.Context) ([]string, error)
}

// Response runs an incident while it is open: the declaration and its
// channel, phases and checklists, severity, roles, updates, notes, pins,
// and what people ask to see (the card, the list, the timeline).
type Response struct {
	*core
	store responseStore
	chat  responseChat
}

type responseChat interface {
	coreChat
	CreateChannel(ctx context.Context, name string, private bool) (string, error)
	Invite(ctx context.Context, channelID string, userIDs []string) error
	Remove(ctx context.Context, channelID, userID string) error
	// Outsider says whether a user is a guest or of another organisation ("": neither).
	Outsider(ctx context.Context, userID string) (string, error)
	Pin(ctx context.Context, channelID, ts string) error
	React(ctx context.Context, channelID, ts, name string) error
	OpenView(ctx context.Context, triggerID string, view render.View) error
	MessageAt(ctx context.Context, channelID, ts string) (ChatMessage, error)
	Upload(ctx context.Context, channelID, filename, title string, content []byte) (string, error)
}

type responseStore interface {
	NextNumber(ctx context.Context) (int64, error)
	Create(ctx context.Context, inc *incident.Incident, events ...incident.TimelineEvent) error
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	ByChannel(ctx context.Context, channelID string) (*incident.Incident, error)
	Update(ctx context.Context, n int64, fn func(*incident.Incident) ([]incident.TimelineEvent, error)) (*incident.Incident, error)
	AddEvents(ctx context.Context, n int64, events ...incident.TimelineEvent) error
	ListOpen(ctx context.Context) ([]*incident.Incident, error)
	WithOpenFollowUps(ctx context.Context) ([]*incident.Incident, error)
	OpenListings(ctx context.Context) ([]incident.Listing, error)
	TimelinePage(ctx context.Context, n int64, page, size int) ([]incident.TimelineEvent, int, error)
	Timeline(ctx context.Context, n int64) ([]incident.TimelineEvent, error)
	LastNumber(ctx context.Context) (int64, error)
	AddEvidence(ctx context.Context, n int64, fn func(id int) (incident.Evidence, incident.TimelineEvent, error)) (incident.Evidence, error)
	ChangeEvidence(ctx context.Context, n int64, id int, fn func(e *incident.Evidence, inc *incident.Incident) (incident.TimelineEvent, error)) (incident.Evidence, incident.CustodyEntry, error)
	Evidence(ctx context.Context, n int64) ([]incident.Evidence, error)
	AddIndicator(ctx context.Context, n int64, ind incident.Indicator) (incident.Indicator, error)
	Indicators(ctx context.Context, n int64) ([]incident.Indicator, error)
	IndicatorSeenIn(ctx context.Context, t incident.IndicatorType, value string) ([]int64, error)
	MarkIndicator(ctx context.Context, n int64, t incident.IndicatorType, value, state, marking string, a incident.Actor, at time.Time) (incident.Indicator, error)
}

// Retro closes an incident and learns from it: the close, lessons and
// follow-up actions, reminders, and the postmortem.
type Retro struct {
	*core
	store retroStore
	chat  retroChat
}

type retroChat interface {
	coreChat
	OpenView(ctx context.Context, triggerID string, view render.View) error
	Upload(ctx context.Context, channelID, filename, title string, content []byte) (string, error)
	Archive(ctx context.Context, channelID string) error
	UserName(ctx context.Context, userID string) (string, error)
}

type retroStore interface {
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	Update(ctx context.Context, n int64, fn func(*incident.Incident) ([]incident.TimelineEvent, error)) (*incident.Incident, error)
	Timeline(ctx context.Context, n int64) ([]incident.TimelineEvent, error)
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	SavePostmortem(ctx context.Context, n int64, markdown string) error
	Postmortem(ctx context.Context, n int64) (string, error)
	Indicators(ctx context.Context, n int64) ([]incident.Indicator, error)
	Evidence(ctx context.Context, n int64) ([]incident.Evidence, error)
	WithOpenFollowUps(ctx context.Context) ([]*incident.Incident, error)
	SaveDrillScore(ctx context.Context, score incident.DrillScore) error
	DrillScores(ctx context.Context) ([]incident.DrillScore, error)
}

// Cadence keeps stakeholders told without anyone asking: scheduled
// updates, nudges to the comms lead, the digest, and the retro's clock.
type Cadence struct {
	*core
	store  cadenceStore
	retro  *Retro
	triage *Triage
	poster string // this replica, as the holder of a stakeholder batch
}

type cadenceStore interface {
	Get(ctx context.Context, n int64) (*incident.Incident, error)
	Update(ctx context.Context, n int64, fn func(*incident.Incident) ([]incident.TimelineEvent, error)) (*incident.Incident, error)
	ListOpen(ctx context.Context) ([]*incident.Incident, error)
	WithOpenFollowUps(ctx context.Context) ([]*incident.Incident, error)
	WithRunningClocks(ctx context.Context) ([]*incident.Incident, error)
	ScheduleMissing(ctx context.Context, dues map[int64]time.Time) error
	ClosedBefore(ctx context.Context, t time.Time) ([]int64, error)
	Purge(ctx context.Context, n int64) error
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	QueueStakeholderUpdate(ctx context.Context, n int64, due time.Time, occasion string) error
	TakeStakeholderBatch(ctx context.Context, poster string, limit int, lease time.Duration) (id string, numbers []int64, err error)
	FinishStakeholderBatch(ctx context.Context, id string) error
}
