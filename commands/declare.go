package commands

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

const (
	maxChannelName  = 80
	channelAttempts = 5 // the base name, then -2 … -5 on name_taken
)

func (h *Response) declare(ctx context.Context, c *call) error {
	p := c.parsed
	usage := c.sub.usageHint()
	marking := h.cfg.TLP.Default
	if slices.Contains(p.Flags, "tlp") {
		// --tlp takes the word after it, which Parse took for the title:
		// parse again without the two.
		word, at, flags := "", -1, 0
		toks := tokenize(c.req.Text) // as Slack sent it: decoded once, by Parse
		toks = toks[min(1, len(toks)):]
		for i, tok := range toks {
			if isFlag(tok) && strings.EqualFold(strings.TrimLeft(tok, "-—–"), "tlp") {
				flags++
				if i+1 < len(toks) && at < 0 {
					word, at = render.Plain(toks[i+1]), i
				}
			}
		}
		if flags > 1 {
			return incident.Errorf("Give --tlp once. %s", usage)
		}
		m, ok := incident.ParseMarking(word)
		switch {
		case word == "":
			return incident.Errorf("Give a TLP marking after --tlp: clear, green, amber, amber+strict or red. %s", usage)
		case !ok:
			return incident.Errorf("There is no marking %s: give clear, green, amber, amber+strict or red after --tlp, as in %s.", echo(word), incident.Literal("/incident declare Payroll fraud sev2 --tlp amber"))
		}
		marking = m
		p = Parse("declare "+strings.Join(slices.Delete(slices.Clone(toks), at, at+2), " "), func(w string) bool { _, ok := h.cfg.Severity(w); return ok })
	}
	title := strings.TrimSpace(p.Text())
	if title == "" {
		return incident.Errorf("An incident needs a title. %s", usage)
	}
	if err := incident.TooLong("the title", title, incident.MaxTitleChars); err != nil {
		return incident.Errorf("%s %s", incident.ErrorMessage(err, ""), usage)
	}
	sev := h.cfg.DefaultSeverity
	if len(p.Severities) > 0 {
		sev = p.Severities[0]
		for _, other := range p.Severities[1:] {
			if other != sev {
				return incident.Errorf("Give one severity, not %s and %s. %s", sev, other, usage)
			}
		}
		if _, ok := h.cfg.Severity(sev); !ok {
			return incident.Errorf("There is no severity %s. Choose one of: %s.", incident.Literal(sev), h.severityList())
		}
	}

	mentioned := make([]string, len(p.Mentions))
	for i, m := range p.Mentions {
		mentioned[i] = m.UserID
	}
	answer, err := h.declareIncident(ctx, declaration{
		by: c.req.UserID, title: title, severity: sev, private: slices.Contains(p.Flags, "private"), invite: mentioned, marking: marking,
		quiet: slices.Contains(p.Flags, "quiet"),
	})
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, render.DeclaredMessage(answer))
	return nil
}

// declareForm opens the declare form: `/incident` on its own.
func (h *Response) declareForm(ctx context.Context, c *call) error {
	return h.chat.OpenView(ctx, c.req.TriggerID, declareModal(h.cfg))
}

// declaration is what a declare needs, from the command or the form.
type declaration struct {
	by, title, severity, description string
	private                          bool
	quiet                            bool   // compromise-aware: a codename channel, private
	marking                          string // TLP; "" is the configured default
	invite                           []string
	report                           *incident.Report   // declared from this report
	drill                            *incident.Scenario // a drill of this scenario
}

// declareIncident records a new incident, creates its channel and sets it
// up; it returns what to tell the declarer.
func (h *Response) declareIncident(ctx context.Context, d declaration) (render.Declared, error) {
	now := h.now()
	members := []string{d.by}
	for _, id := range h.cfg.Responders {
		members = appendUnique(members, id)
	}
	for _, id := range d.invite {
		members = appendUnique(members, id)
	}
	members = slices.DeleteFunc(members, func(id string) bool { return id == h.botUserID })
	var kept []incident.Sentence // who was kept out, and why
	if cmp.Or(d.marking, h.cfg.TLP.Default) == "TLP:AMBER+STRICT" {
		// The declarer becomes its commander: they must be of the organisation.
		if kind, err := h.chat.Outsider(ctx, d.by); err != nil {
			return render.Declared{}, incident.Fail(incident.Unavailable, "A TLP:AMBER+STRICT incident stays within the organisation, and Slack did not say whether you are of it: try again in a moment.")
		} else if kind != "" {
			return render.Declared{}, incident.Fail(incident.Forbidden, "You are %s, and a TLP:AMBER+STRICT incident stays within the organisation: ask someone of it to declare it.", kind)
		}
		// Within the organisation only: no guests, no other organisations.
		members = slices.DeleteFunc(members, func(id string) bool {
			if id == d.by {
				return false
			}
			kind, err := h.chat.Outsider(ctx, id)
			switch {
			case err != nil:
				kept = append(kept, incident.Say("tell whether %s is of the organisation, so I did not invite them (TLP:AMBER+STRICT)", incident.UserRef(id)))
				return true
			case kind != "":
				kept = append(kept, incident.Say("invite %s, %s: TLP:AMBER+STRICT keeps the incident within the organisation", incident.UserRef(id), kind))
				return true
			}
			return false
		})
	}

	var none render.Declared
	n, err := h.store.NextNumber(ctx)
	if err != nil {
		return none, err
	}
	inc := &incident.Incident{
		Number: n, Title: d.title, Severity: d.severity, Phase: incident.Identification, Status: incident.Open,
		// A TLP:RED incident's recipients are named: its channel is private too.
		Private: d.private || cmp.Or(d.marking, h.cfg.TLP.Default) == "TLP:RED", TLP: cmp.Or(d.marking, h.cfg.TLP.Default), DeclaredBy: d.by, DeclaredAt: now,
		Roles: map[string]string{incident.CommanderRole: d.by}, Members: members, PhaseStartedAt: now,
	}
	if d.quiet {
		// Private too: someone browsing the workspace finds neither its
		// channel nor its title.
		inc.Quiet, inc.Codename, inc.Private = true, incident.Codename(randomUint32()), true
	}
	if d.drill != nil {
		script := *d.drill
		inc.Drill, inc.Scenario, inc.Script = true, d.drill.Key, &script
	}
	inc.BeginChecklist(incident.Identification, h.cfg.Playbooks[incident.Identification])
	ticked := inc.TickDoneByDeclaring(now, d.by, incident.Identification, h.cfg.Playbooks[incident.Identification])
	var events []incident.TimelineEvent
	if r := d.report; r != nil {
		// The timeline starts with the report.
		inc.Report = &incident.ReportLink{Number: r.Number, ReportedAt: r.ReportedAt, AcknowledgedAt: r.AckAt}
		if inc.Report.AcknowledgedAt.IsZero() {
			inc.Report.AcknowledgedAt = now // declaring it is acknowledging it
		}
		events = append(events, reportedEvent(r))
	}
	events = append(events, incident.Declared(now, d.by, d.title, d.severity))
	if d.description != "" {
		events = append(events, incident.Noted(now, d.by, d.description))
	}
	events = append(events, ticked...)
	if err := h.store.Create(ctx, inc, events...); err != nil {
		return none, err
	}
	// Done again after a crash, the declare finds its incident as the first
	// run left it, and does only what is missing.
	if inc, err = h.store.Get(ctx, n); err != nil {
		return none, err
	}
	channelID, name := inc.ChannelID, inc.ChannelName
	if channelID == "" {
		channelID, name, err = h.createChannel(ctx, inc)
	}
	if err != nil {
		ref := incident.RequestID(ctx)
		h.log.Error("an incident is recorded without a channel", "incident", n, "ref", ref, "err", err)
		return none, incident.Fail(incident.Unavailable, "%s is recorded, but Slack did not create its channel (ref %s). Create one by hand, or declare again.", inc.Ref(), ref)
	}
	inc, err = h.store.Update(ctx, n, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		i.ChannelID, i.ChannelName = channelID, name
		return []incident.TimelineEvent{incident.ChannelCreated(h.now(), name)}, nil
	})
	if err != nil {
		// The incident and its channel exist: the usual "nothing was
		// changed" would not be true.
		ref := incident.RequestID(ctx)
		h.log.Error("an incident's channel was created but not recorded", "incident", n, "channel", channelID, "ref", ref, "err", err)
		return none, incident.Fail(incident.Unavailable, "%s is recorded and its channel %s exists, but incidentbot's store stopped answering before the setup finished (ref %s). Do not declare it again; an admin can finish it from the log.",
			incident.FormatRef(n), incident.ChannelRef(channelID), ref)
	}

	// The incident and its channel exist from here on; what follows is
	// best effort, and anything that fails is reported to the declarer.
	answer := render.Declared{Ref: inc.Ref(), ChannelID: channelID, Role: h.roleName(incident.CommanderRole), Private: inc.Private, Drill: inc.Drill, Codename: inc.Codename, ProblemRef: incident.RequestID(ctx)}
	problem := func(what incident.Sentence, err error) {
		answer.Problems = append(answer.Problems, what)
		h.log.Warn("declare: could not "+what.String(), "incident", n, "ref", answer.ProblemRef, "err", err)
	}
	for _, k := range kept {
		problem(k, nil)
	}
	if err := h.chat.Invite(ctx, channelID, members); err != nil {
		problem(incident.Say("invite %s", incident.Join(", ", userRefs(members)...)), err)
	} else if err := h.store.AddEvents(ctx, n, incident.Invited(h.now(), "", members)); err != nil {
		problem(incident.Say("record the invitations"), err)
	}
	if inc.CardTS != "" {
		// posted and remembered by the first run
	} else if ts, err := h.chat.Post(ctx, channelID, Card(h.cfg, inc)); err != nil {
		problem(incident.Say("post the incident card"), err)
	} else {
		if _, err := h.record(ctx, n, func(i *incident.Incident) { i.CardTS = ts }); err != nil {
			problem(incident.Say("remember the card"), err)
		}
		if err := h.chat.Pin(ctx, channelID, ts); err != nil {
			problem(incident.Say("pin the card"), err)
		}
	}
	if d.description != "" {
		// What the declarer knows, where the team reads first.
		msg := about(inc, render.WhatWeKnow(incident.UserRef(d.by), d.description))
		if err := h.postOnce(ctx, "description", channelID, msg); err != nil {
			problem(incident.Say("post what you know in the channel"), err)
		}
	}
	h.postChecklist(ctx, inc, incident.Identification)
	h.syncTopic(ctx, inc)
	h.reschedule(ctx, inc)
	if h.cfg.StakeholderChannel != "" && !inc.Unannounced() {
		if err := h.postOnce(ctx, "announcement", h.cfg.StakeholderChannel, render.Announcement(h.stakeholderNotice(ctx, inc))); err != nil {
			problem(incident.Say("announce it in %s", incident.ChannelRef(h.cfg.StakeholderChannel)), err)
		}
	}

	return answer, nil
}

// createChannel creates <prefix>-<n>-<slug>, adding a suffix while Slack says the name is taken.
func (h *Response) createChannel(ctx context.Context, inc *incident.Incident) (id, name string, err error) {
	for attempt := 1; attempt <= channelAttempts; attempt++ {
		suffix := ""
		if attempt > 1 {
			suffix = "-" + strconv.Itoa(attempt)
		}
		title := inc.Title
		switch {
		case inc.Quiet:
			title = inc.Codename // the name says nothing of it
		case inc.Drill:
			title = "drill " + title // the name says it is a drill
		}
		name = ChannelName(h.cfg.ChannelPrefix, inc.Number, title, suffix)
		id, err = h.chat.CreateChannel(ctx, name, inc.Private)
		if !errors.Is(err, ErrNameTaken) {
			return id, name, err
		}
		h.log.Info("channel name taken, trying another", "incident", inc.Number, "name", name)
	}
	return "", "", fmt.Errorf("every name up to %s was taken: %w", name, err)
}

// ChannelName builds a channel name within Slack's rules: lowercase a-z, 0-9,
// - and _, at most 80 characters. The suffix survives truncation of the slug.
func ChannelName(prefix string, n int64, title, suffix string) string {
	base := prefix + "-" + strconv.FormatInt(n, 10)
	slug := slugify(title)
	room := maxChannelName - len(base) - len(suffix) - 1
	if len(slug) > room {
		slug = strings.TrimRight(slug[:max(room, 0)], "-_")
	}
	if slug != "" {
		base += "-" + slug
	}
	return base + suffix
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// randomUint32 picks a codename.
func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

func appendUnique(list []string, id string) []string {
	if slices.Contains(list, id) {
		return list
	}
	return append(list, id)
}

func userRefs(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = incident.UserRef(id)
	}
	return out
}

func (h *core) roleName(key string) string { return roleNamer(h.cfg)(key) }

// roleNamer names roles by their key as the configuration does now; a role
// no longer configured is shown by its key.
func roleNamer(cfg config.File) func(key string) string {
	return func(key string) string {
		if r, ok := cfg.Role(key); ok {
			return r.Name
		}
		return key
	}
}
