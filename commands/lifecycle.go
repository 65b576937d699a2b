package commands

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
)

// actor is who asks, as the incident's rules see them.
func (h *core) actor(user string) incident.Actor {
	return incident.Actor{ID: user, Admin: slices.Contains(h.cfg.Admins, user), Legal: slices.Contains(h.cfg.Notifications.Legal, user)}
}

// playbook is each phase's checklist as configured.
func (h *core) playbook(p incident.Phase) []incident.PlaybookItem { return h.cfg.Playbooks[p] }

// --- phases ---

func (h *Response) phaseCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Args) == 0 {
		return incident.Errorf("Which phase? %s Phases: %s.", c.sub.usageHint(), phaseList())
	}
	word := strings.ToLower(c.parsed.Args[0])
	reason := strings.Join(c.parsed.Args[1:], " ")
	if rest := c.parsed.Args[1:]; len(rest) == 1 && strings.EqualFold(rest[0], "because") {
		return incident.Errorf("Give the reason after %s. %s", incident.Literal("because"), c.sub.usageHint())
	} else if len(rest) > 0 && !strings.EqualFold(rest[0], "because") {
		return incident.Errorf("After the phase, give %s, or nothing. %s", incident.Literal("because <reason>"), c.sub.usageHint())
	}
	var target incident.Phase
	if word != "next" {
		p, ok := incident.ParsePhase(word)
		if !ok {
			return incident.Errorf("There is no phase %s. %s Phases: %s.", echo(word), c.sub.usageHint(), phaseList())
		}
		target = p
	}
	inc, told, err := h.movePhase(ctx, c.inc.Number, c.req.UserID, target, reason, "")
	if err != nil {
		return err
	}
	h.answerElsewhere(ctx, c.req, inc, told, incident.Say("%s is now in %s.", inc.Ref(), incident.Strong(inc.Phase.Title())))
	return nil
}

func phaseList() incident.Sentence {
	var names []any
	for _, p := range incident.Phases() {
		names = append(names, incident.Literal(p))
	}
	return incident.Say("%s or %s", incident.Join(", ", names...), incident.Literal("next"))
}

// movePhase moves the incident to target, or to the next phase when target
// is empty. Moving back needs the lead permission and a reason. A non-empty
// from is the phase the asker saw: if the incident has moved on since, it
// is not moved again.
func (h *Response) movePhase(ctx context.Context, n int64, actor string, target incident.Phase, reason string, from incident.Phase) (*incident.Incident, bool, error) {
	now := h.now()
	var events []incident.TimelineEvent
	inc, err := h.store.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		var err error
		events, err = inc.Move(now, h.actor(actor), target, reason, from, h.playbook)
		return events, err
	})
	if err != nil {
		return nil, false, err
	}
	// The change first, then what it brings: the new phase's checklist.
	told := h.tell(ctx, inc, events, incident.Say(""), incident.EventPhase, incident.EventGate)
	// A phase's checklist is posted the first time the phase begins. A phase
	// entered again keeps its checklist and its message, which ticks still
	// update: posting it again would leave the first copy behind, stale.
	// Done again after a crash, it is the phase this request entered, which
	// a later move may have left since.
	entered := inc.Phase
	if incident.IsRedo(ctx) {
		for _, ev := range h.ownEvents(ctx, n, []incident.EventKind{incident.EventPhase}) {
			entered = incident.Phase(ev.To)
		}
	}
	if inc.ChecklistTS[entered] == "" {
		h.postChecklist(ctx, inc, entered)
	}
	h.refresh(ctx, n)
	h.reschedule(ctx, inc) // an inject may wait for this phase; a phase target starts with it
	return inc, told, nil
}

// postChecklist posts a phase's checklist in the incident channel and remembers the message.
func (h *core) postChecklist(ctx context.Context, inc *incident.Incident, p incident.Phase) {
	if len(inc.Checklists[p]) == 0 || inc.ChannelID == "" {
		return
	}
	if incident.IsRedo(ctx) && inc.ChecklistTS[p] != "" {
		return // posted before the request's first run ended
	}
	ts, err := h.chat.Post(ctx, inc.ChannelID, about(inc, ChecklistMessage(inc, p)))
	if err != nil {
		h.log.Error("could not post the checklist", "incident", inc.Number, "phase", p, "err", err)
		return
	}
	if _, err := h.record(ctx, inc.Number, func(i *incident.Incident) {
		if i.ChecklistTS == nil {
			i.ChecklistTS = map[incident.Phase]string{}
		}
		i.ChecklistTS[p] = ts
	}); err != nil {
		h.log.Error("could not remember the checklist", "incident", inc.Number, "err", err)
	}
}

// tick sets the items of one checkbox group of a phase's checklist to what
// the user's click left selected.
func (h *Response) tick(ctx context.Context, n int64, p incident.Phase, actor string, group []int, selected []int) error {
	now := h.now()
	var held []incident.ContainmentAction // items that only undoing or keeping their action ticks
	inc, err := h.store.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		items := inc.Checklists[p]
		var events []incident.TimelineEvent
		held = nil
		for _, idx := range group {
			if idx < 0 || idx >= len(items) {
				continue
			}
			want := slices.Contains(selected, idx)
			if items[idx].Done == want {
				continue
			}
			if a, ok := inc.ActionOf(p, items[idx].Text); ok {
				if a.Open() {
					held = append(held, a) // ticked by undoing or keeping it
				}
				continue // and, once it was, never unticked by hand
			}
			items[idx].Done, items[idx].By, items[idx].At = want, actor, now
			events = append(events, incident.ChecklistTicked(now, actor, p, items[idx].Text, want))
		}
		if len(events) == 0 {
			return nil, errNoChange
		}
		return events, nil
	})
	if errors.Is(err, errNoChange) && len(held) == 0 {
		return nil
	}
	if errors.Is(err, errNoChange) {
		inc, err = h.store.Get(ctx, n) // to show the boxes as they are
	}
	if err != nil {
		return err
	}
	if ts := inc.ChecklistTS[p]; ts != "" {
		if err := h.chat.Update(ctx, inc.ChannelID, ts, about(inc, ChecklistMessage(inc, p))); err != nil {
			h.log.Error("could not update the checklist", "incident", n, "err", err)
		}
	}
	h.refresh(ctx, n)
	if len(held) > 0 {
		a := held[0]
		return incident.Fail(incident.Conflict, "%s is still open, so its item stays unticked: %s or %s, and it is ticked then.",
			a.Ref(), incident.Literal("/incident action undo "+a.Ref()), incident.Literal("/incident action keep "+a.Ref()+" <reason>"))
	}
	return nil
}

// record stores bookkeeping of the incident (message timestamps, the topic
// set, the scheduler's flags) that belongs on no timeline.
func (h *core) record(ctx context.Context, n int64, fn func(*incident.Incident)) (*incident.Incident, error) {
	return h.store.Update(incident.Untracked(ctx), n, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		fn(i)
		return nil, nil
	})
}

// errNoChange aborts an update that would change nothing.
var errNoChange = errors.New("no change")

// --- severity ---

func (h *Response) severityCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Severities) == 0 && len(c.parsed.Args) == 1 {
		// One word that is no severity ("critical"): name it, as for "sev7".
		return incident.Errorf("There is no severity %s. Choose one of: %s.", echo(c.parsed.Args[0]), h.severityList())
	}
	if len(c.parsed.Severities) != 1 || len(c.parsed.Args) > 0 {
		return incident.Errorf("Give one severity. %s Severities: %s.", c.sub.usageHint(), h.severityList())
	}
	sev, ok := h.cfg.Severity(c.parsed.Severities[0])
	if !ok {
		return incident.Errorf("There is no severity %s. Choose one of: %s.", echo(c.parsed.Severities[0]), h.severityList())
	}
	now := h.now()
	var events []incident.TimelineEvent
	inc, err := h.store.Update(ctx, c.inc.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		var err error
		events, err = inc.SetSeverity(now, h.actor(c.req.UserID), sev.Name)
		return events, err
	})
	if err != nil {
		return err
	}
	if len(events) == 0 && incident.IsRedo(ctx) {
		events = h.ownEvents(ctx, inc.Number, []incident.EventKind{incident.EventSeverity})
	}
	// What is told is the severity this request set: done again after a
	// crash, the incident may have changed again since.
	set := *inc
	for _, ev := range events {
		if ev.Kind == incident.EventSeverity && ev.To != "" {
			set.Severity = ev.To
		}
	}
	h.tellStakeholdersSeverity(ctx, inc, events)
	h.reschedule(ctx, inc) // the new cadence applies from the last update
	h.refresh(ctx, inc.Number)
	told := h.tell(ctx, inc, events, h.cadenceNote(&set), incident.EventSeverity)
	h.answerElsewhere(ctx, c.req, inc, told, incident.Say("%s is now %s.", inc.Ref(), incident.Literal(set.Severity)))
	return nil
}

// --- roles ---

func (h *Response) assignCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Args) != 1 || len(c.parsed.Mentions) != 1 {
		return incident.Errorf("Name one role and one person. %s Roles: %s.", c.sub.usageHint(), h.roleList())
	}
	role, ok := h.cfg.Role(strings.ToLower(c.parsed.Args[0]))
	if !ok {
		return incident.Errorf("There is no role %s. Roles: %s.", echo(c.parsed.Args[0]), h.roleList())
	}
	inc, told, err := h.assign(ctx, c.inc.Number, c.req.UserID, role.Key, c.parsed.Mentions[0].UserID)
	if err != nil {
		return err
	}
	h.answerElsewhere(ctx, c.req, inc, told, incident.Say("%s is now the %s of %s.", incident.UserRef(inc.Roles[role.Key]), role.Name, inc.Ref()))
	return nil
}

// assign gives a role to a user (empty user: takes it back), then invites
// them and tells them what the role expects.
func (h *Response) assign(ctx context.Context, n int64, actor, roleKey, user string) (*incident.Incident, bool, error) {
	role, ok := h.cfg.Role(roleKey)
	if !ok {
		return nil, false, incident.Errorf("There is no role %s. Roles: %s.", incident.Literal(roleKey), h.roleList())
	}
	if user != "" && user == h.botUserID {
		return nil, false, incident.Errorf("I can't hold a role myself; name a person.")
	}
	if user != "" {
		if err := h.withinOrganisation(ctx, n, user, "Give the role to someone of it."); err != nil {
			return nil, false, err
		}
	}
	now := h.now()
	var events []incident.TimelineEvent
	inc, err := h.store.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		var err error
		events, err = inc.Assign(now, h.actor(actor), incident.Role{Key: role.Key, Name: role.Name}, user)
		return events, err
	})
	if err != nil {
		return nil, false, err
	}
	if user != "" {
		if err := h.chat.Invite(ctx, inc.ChannelID, []string{user}); err != nil {
			h.log.Warn("could not invite the assignee", "incident", n, "user", user, "err", err)
		}
		if err := h.postOnce(ctx, "briefing:"+user, user, about(inc, roleBriefing(inc, role.Key, role.Name))); err != nil {
			h.log.Warn("could not brief the assignee", "incident", n, "user", user, "err", err)
		}
	}
	h.refresh(ctx, n)
	told := h.tell(ctx, inc, events, incident.Say(""), incident.EventRole)
	return inc, told, nil
}

// withinOrganisation refuses, on a TLP:AMBER+STRICT incident, to let in a
// guest account or a member of another organisation: the marking keeps it
// within the organisation. A check that cannot be made refuses too.
func (h *Response) withinOrganisation(ctx context.Context, n int64, user, instead string) error {
	inc, err := h.store.Get(ctx, n)
	if err != nil || inc.Marking() != "TLP:AMBER+STRICT" {
		return err
	}
	kind, err := h.chat.Outsider(ctx, user)
	if err != nil {
		return incident.Fail(incident.Unavailable, "%s is TLP:AMBER+STRICT, and Slack did not say whether %s is of the organisation: try again in a moment.", inc.Ref(), incident.UserRef(user))
	}
	if kind != "" {
		return incident.Fail(incident.Forbidden, "%s is %s, and %s is TLP:AMBER+STRICT: it stays within the organisation. %s", incident.UserRef(user), kind, inc.Ref(), instead)
	}
	return nil
}

func (h *Response) unassignCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Args) != 1 || len(c.parsed.Mentions) > 0 {
		return incident.Errorf("Name one role. %s Roles: %s.", c.sub.usageHint(), h.roleList())
	}
	role, ok := h.cfg.Role(strings.ToLower(c.parsed.Args[0]))
	if !ok {
		return incident.Errorf("There is no role %s. Roles: %s.", echo(c.parsed.Args[0]), h.roleList())
	}
	inc, told, err := h.assign(ctx, c.inc.Number, c.req.UserID, role.Key, "")
	if err != nil {
		return err
	}
	h.answerElsewhere(ctx, c.req, inc, told, incident.Say("Nobody is the %s of %s now.", role.Name, inc.Ref()))
	return nil
}

func (h *Response) rolesCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("%s takes nothing but an incident's number. %s", incident.Literal("/incident roles"), c.sub.usageHint())
	}
	roles := make([]render.RoleLine, len(h.cfg.Roles))
	keys := make([]string, len(h.cfg.Roles))
	for i, r := range h.cfg.Roles {
		roles[i], keys[i] = render.RoleLine{Name: r.Name, Holder: c.inc.Roles[r.Key]}, r.Key
	}
	h.respond(ctx, c.req, render.RoleHolders(c.inc.Ref(), roles, keys))
	return nil
}

func (h *core) roleList() incident.Sentence {
	keys := make([]any, len(h.cfg.Roles))
	for i, r := range h.cfg.Roles {
		keys[i] = incident.Say("%s (%s)", incident.Literal(r.Key), r.Name)
	}
	return incident.Join(", ", keys...)
}

// roleExpectations says what the built-in roles are for; other roles get a generic line.
var roleExpectations = map[string]incident.Sentence{
	"commander": incident.Say("You lead the response: decide, delegate and keep the incident moving. Changing the severity, moving back a phase and closing are yours."),
	"comms":     incident.Say("You keep stakeholders informed: post %s on the cadence for the severity; I remind you before each update is due.", incident.Literal("/incident update")),
	"tech":      incident.Say("You lead the technical investigation and the fix: scope, containment, eradication and recovery."),
	"scribe":    incident.Say("You keep the record: %s what is decided and found, and pin key messages with :pushpin:.", incident.Literal("/incident note")),
}

func roleBriefing(inc *incident.Incident, key, name string) render.Message {
	expect, ok := roleExpectations[key]
	if !ok {
		expect = incident.Say("The commander will tell you what they need from you.")
	}
	return render.Answer(incident.Say("You are now the %s of %s in %s.\n%s", incident.Strong(name), incident.Strong(inc.Ref()), incident.ChannelRef(inc.ChannelID), expect))
}

// --- updates, notes, pins ---

func (h *Response) updateCmd(ctx context.Context, c *call) error {
	marking, text, err := markedText(c)
	if err != nil {
		return err
	}
	if text == "" {
		return incident.Errorf("An update needs text. %s", c.sub.usageHint())
	}
	inc, told, err := h.postMarkedUpdate(ctx, c.inc.Number, c.req.UserID, text, marking)
	if err != nil {
		return err
	}
	answer := incident.Say("Update posted in %s.", incident.ChannelRef(inc.ChannelID))
	if !told {
		answer = updateNotPosted(inc)
	}
	h.answerElsewhere(ctx, c.req, inc, told, answer)
	return nil
}

// updateNotPosted answers an update stored but not posted in the channel
// (Slack refused it): nothing there to answer with, and not "posted".
func updateNotPosted(inc *incident.Incident) incident.Sentence {
	return incident.Say("Your update is on the timeline of %s, but I could not post it in %s.", inc.Ref(), incident.ChannelRef(inc.ChannelID))
}

// postUpdate stores a status update as the latest, posts it in the incident
// channel and broadcasts it to the stakeholder channel.
func (h *Response) postUpdate(ctx context.Context, n int64, actor, text string) error {
	_, _, err := h.postMarkedUpdate(ctx, n, actor, text, "")
	return err
}

// postMarkedUpdate is postUpdate of an update with its own marking ("":
// the incident's): above what the stakeholder channel takes, it is told
// there only that an update was posted. told is whether the incident's
// channel has it.
func (h *Response) postMarkedUpdate(ctx context.Context, n int64, actor, text, marking string) (*incident.Incident, bool, error) {
	if err := incident.TooLong("the update", text, incident.MaxTextChars); err != nil {
		return nil, false, err
	}
	now := h.now()
	inc, err := h.store.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		if err := inc.EnsureOpen("posting updates"); err != nil {
			return nil, err
		}
		inc.LastUpdate, inc.LastUpdateAt, inc.LastUpdateBy, inc.LastUpdateMarking = text, now, actor, marking
		ev := incident.Updated(now, actor, text)
		ev.Marking = marking
		return []incident.TimelineEvent{ev}, nil
	})
	if err != nil {
		return nil, false, err
	}
	h.reschedule(ctx, inc) // the next scheduled update counts from this one
	// What is posted is this request's update: done again after a crash,
	// the incident's latest may be one someone posted in between.
	mine := *inc
	mine.LastUpdate, mine.LastUpdateBy, mine.LastUpdateMarking = text, actor, marking
	posted := notice(h.cfg, &mine, false)
	posted.Marking = incident.Stricter(inc.Marking(), cmp.Or(marking, inc.Marking())) // the update's own, when it has one
	told := true
	if err := h.postOnce(ctx, "update", inc.ChannelID, aboutMarked(inc, marking, render.UpdateTold(posted))); err != nil {
		told = false
		h.log.Error("could not post the update in the incident channel", "incident", n, "err", err)
	}
	if h.cfg.StakeholderChannel != "" && !inc.Unannounced() {
		n := h.stakeholderNotice(ctx, &mine)
		if marking != "" && !h.cfg.Shareable(marking) && !n.Private && !n.Withheld {
			// The update's own marking keeps it in: told that there was one.
			n = render.Notice{Ref: n.Ref, Severity: n.Severity, Phase: n.Phase, Withheld: true, Marking: marking}
		}
		if err := h.postOnce(ctx, "update:stakeholders", h.cfg.StakeholderChannel, render.UpdatePosted(n)); err != nil {
			h.log.Error("could not broadcast the update", "incident", n, "err", err)
		}
	}
	h.refresh(ctx, n)
	return inc, told, nil
}

func (h *Response) noteCmd(ctx context.Context, c *call) error {
	marking, text, err := markedText(c)
	if err != nil {
		return err
	}
	if text == "" {
		return incident.Errorf("A note needs text. %s", c.sub.usageHint())
	}
	if err := h.addMarkedNote(ctx, c.inc.Number, c.req.UserID, text, marking); err != nil {
		return err
	}
	h.respond(ctx, c.req, render.Answer(incident.Say("Noted on the timeline of %s.", c.inc.Ref())))
	return nil
}

func (h *Response) addNote(ctx context.Context, n int64, actor, text string) error {
	return h.addMarkedNote(ctx, n, actor, text, "")
}

func (h *Response) addMarkedNote(ctx context.Context, n int64, actor, text, marking string) error {
	if err := incident.TooLong("the note", text, incident.MaxTextChars); err != nil {
		return err
	}
	if inc, err := h.store.Get(ctx, n); err != nil {
		return err
	} else if err := inc.StillRecording("a note"); err != nil && !h.wroteBefore(ctx, n) {
		return err
	}
	ev := incident.Noted(h.now(), actor, text)
	ev.Marking = marking
	return h.store.AddEvents(ctx, n, ev)
}

// --- the card ---

// cardLockFor bounds how long a replica that dies while editing a card
// holds the others back: an edit and a topic are a few Slack calls.
const cardLockFor = 30 * time.Second

// refresh edits the pinned card and the topic to match the stored state.
// Edits of one incident are serialised, across replicas too, and each
// renders the state read under the lock, so the last edit always shows the
// latest state.
func (h *core) refresh(ctx context.Context, n int64) {
	mu := h.cardLock(n)
	mu.Lock()
	defer mu.Unlock()
	// Another replica may be editing the same card: the lock is shared, and
	// the state is read inside it, so the last edit shows the latest state.
	unlock, err := h.store.Lock(ctx, "card:"+strconv.FormatInt(n, 10), cardLockFor)
	if err != nil {
		h.log.Error("could not lock the incident card", "incident", n, "err", err)
		return
	}
	defer unlock()
	inc, err := h.store.Get(ctx, n)
	if err != nil {
		h.log.Error("could not read the incident to refresh its card", "incident", n, "err", err)
		return
	}
	h.homeChanged(ctx, inc) // what a Home tab shows of it may have changed too
	if inc.ChannelID == "" {
		return
	}
	if inc.CardTS != "" {
		if err := h.chat.Update(ctx, inc.ChannelID, inc.CardTS, Card(h.cfg, inc)); err != nil {
			h.log.Error("could not update the incident card", "incident", n, "err", err)
		}
	}
	h.syncTopic(ctx, inc)
}

// syncTopic sets the channel topic when the summary it carries has changed.
func (h *core) syncTopic(ctx context.Context, inc *incident.Incident) {
	n := inc.Number
	if t := topic(h.cfg, inc); t != inc.Topic {
		if err := h.chat.SetTopic(ctx, inc.ChannelID, t); err != nil {
			h.log.Error("could not set the topic", "incident", n, "err", err)
			return
		}
		if _, err := h.record(ctx, n, func(i *incident.Incident) { i.Topic = t }); err != nil {
			h.log.Error("could not remember the topic", "incident", n, "err", err)
		}
	}
}

func (h *core) cardLock(n int64) *sync.Mutex {
	h.cardLocksMu.Lock()
	defer h.cardLocksMu.Unlock()
	mu, ok := h.cardLocks[n]
	if !ok {
		mu = &sync.Mutex{}
		h.cardLocks[n] = mu
	}
	return mu
}

// --- telling the channel ---

// tell posts a change in the incident's channel, once per request, in the
// timeline's words, so the whole team sees who did what and why. then is
// what follows from it ("" for nothing). A request done again after a
// crash finds its events already stored (the update ran once): it tells
// those its first run wrote.
func (h *core) tell(ctx context.Context, inc *incident.Incident, events []incident.TimelineEvent, then incident.Sentence, kinds ...incident.EventKind) bool {
	if inc.ChannelID == "" {
		return false
	}
	var told []incident.TimelineEvent
	for _, ev := range events {
		if slices.Contains(kinds, ev.Kind) {
			told = append(told, ev)
		}
	}
	if len(told) == 0 && incident.IsRedo(ctx) {
		told = h.ownEvents(ctx, inc.Number, kinds)
	}
	if len(told) == 0 {
		return false
	}
	what := "told:" + string(told[0].Kind)
	if err := h.postOnce(ctx, what, inc.ChannelID, about(inc, render.Told(inc.Ref(), told, h.roleName, then))); err != nil {
		h.log.Warn("could not tell the channel of a change", "incident", inc.Number, "err", err)
		return false
	}
	return true
}

// ownEvents are the events of kinds that this request wrote, from the
// stored timeline (each event keeps its request's tag): a request done
// again after a crash tells what its first run told, all of it (a skipped
// gate and the phase move it let through are one change), and never a
// change someone made in between.
func (h *core) ownEvents(ctx context.Context, n int64, kinds []incident.EventKind) []incident.TimelineEvent {
	tag := incident.RequestTag(ctx)
	if tag == "" {
		return nil
	}
	events, err := h.store.Timeline(ctx, n)
	if err != nil {
		return nil
	}
	var out []incident.TimelineEvent
	for _, ev := range events {
		if ev.Request == tag && slices.Contains(kinds, ev.Kind) {
			out = append(out, ev)
		}
	}
	return out
}

// answerElsewhere answers a change made from outside the incident's
// channel, where the asker would not see what the channel is told, and a
// request that changed nothing, of which the channel is not told.
func (h *core) answerElsewhere(ctx context.Context, req Request, inc *incident.Incident, told bool, s incident.Sentence) {
	if req.ChannelID != inc.ChannelID || !told {
		h.respond(ctx, req, render.Answer(s))
	}
}

// cadenceNote says how often stakeholders now hear, after a severity change.
func (h *core) cadenceNote(inc *incident.Incident) incident.Sentence {
	every := h.cadence(inc)
	if every <= 0 || h.cfg.StakeholderChannel == "" || inc.Unannounced() {
		return incident.Say("")
	}
	return incident.Say("Stakeholder updates are now due every %s.", incident.HumanDuration(every))
}

// tellStakeholdersSeverity tells the stakeholder channel of a severity
// change, as it is told of the declaration: within the incident's privacy
// and marking, and never for a drill or a quiet incident.
func (h *core) tellStakeholdersSeverity(ctx context.Context, inc *incident.Incident, events []incident.TimelineEvent) {
	if h.cfg.StakeholderChannel == "" || inc.Unannounced() {
		return
	}
	if len(events) == 0 && incident.IsRedo(ctx) {
		events = h.ownEvents(ctx, inc.Number, []incident.EventKind{incident.EventSeverity})
	}
	from, to := "", ""
	for _, ev := range events {
		if ev.Kind == incident.EventSeverity {
			from, to = ev.From, ev.To
		}
	}
	if from == "" {
		return
	}
	// The change this request made: done again after a crash, the
	// incident may have moved on since (someone else's change, told by
	// their own request).
	n := h.stakeholderNotice(ctx, inc)
	if to != "" && to != n.Severity {
		described := n.SeverityDescription != "" // not for a notice kept to the number
		n.Severity, n.SeverityDescription = to, ""
		if s, ok := h.cfg.Severity(to); ok && described {
			n.SeverityDescription = s.Description
		}
	}
	if err := h.postOnce(ctx, "severity", h.cfg.StakeholderChannel, render.SeverityChanged(n, from)); err != nil {
		h.log.Error("could not tell stakeholders of the severity change", "incident", inc.Number, "err", err)
	}
}
