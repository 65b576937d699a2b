package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/exports"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/work"
)

// Retro interactions.
const (
	ActionAddLesson    = "retro_add_lesson"
	ActionClose        = "incident_close" // opens the close form, which confirms it
	ModalClose         = "incident_close"
	ActionFollowUpDone = "follow_up_done" // value <number>:<follow-up ID>
	ModalLesson        = "incident_lesson"

	InputWentWell  = "went_well"
	InputWentWrong = "went_wrong"
	InputImprove   = "improve"

	// followUpSlots is how many follow-up actions the lessons form takes at once.
	followUpSlots = 3
)

// InputAction, InputOwner and InputDue name the inputs of follow-up slot i (1-based).
func InputAction(i int) string { return "action_" + strconv.Itoa(i) }
func InputOwner(i int) string  { return "owner_" + strconv.Itoa(i) }
func InputDue(i int) string    { return "due_" + strconv.Itoa(i) }

// --- close ---

func (h *Retro) closeCmd(ctx context.Context, c *call) error {
	words, opts, err := options(c.parsed.Raw, "confirm")
	if err != nil {
		return incident.Errorf("%s. %s", err.Error(), c.sub.usageHint())
	}
	confirmed := false
	if v, ok := opts["confirm"]; ok {
		confirmed, words = true, append(words, v)
	}
	summary := strings.TrimSpace(strings.Join(words, " "))
	if !confirmed {
		summary = strings.TrimSpace(c.parsed.Raw)
	}
	if err := incident.TooLong("the summary", summary, incident.MaxTextChars); err != nil {
		return incident.Errorf("%s %s", incident.ErrorMessage(err, ""), c.sub.usageHint())
	}
	if open := c.inc.OpenContainment(); len(open) > 0 && !confirmed && c.inc.Status == incident.Open && c.inc.MayLead(h.actor(c.req.UserID)) && !h.wroteBefore(ctx, c.inc.Number) {
		list := make([]any, 0, 5)
		for _, a := range open[:min(len(open), 5)] {
			list = append(list, incident.Say("%s %s %s", incident.Strong(a.Ref()), string(a.Kind), incident.Literal(render.Truncate(a.Shown(), 60))))
		}
		more := incident.Say("")
		if len(open) > len(list) {
			more = incident.Say(" and %d more", len(open)-len(list))
		}
		confirm := strings.TrimSpace("/incident close --confirm " + render.Truncate(summary, 200))
		return incident.Fail(incident.Conflict, "To close %s with %s, run %s: each becomes a follow-up of the retro, owned by whoever took it. Or undo or keep each first (%s or %s). Open: %s%s.",
			c.inc.Ref(), plural(len(open), "open containment action"), incident.Literal(confirm),
			incident.Literal("/incident action undo "+open[0].Ref()), incident.Literal("/incident action keep "+open[0].Ref()+" <reason>"), incident.Join(", ", list...), more)
	}
	inc, then, told, err := h.closeIncident(ctx, c.inc, c.req.UserID, summary)
	if err != nil {
		return err
	}
	h.answerElsewhere(ctx, c.req, inc, told, incident.Say("Closed %s. %s", inc.Ref(), then))
	return nil
}

// closeClick opens the close form: the button's confirmation, with what
// closing does and room for a summary. Whoever may not close it is told
// at once, not after filling it in.
func (h *Retro) closeClick(ctx context.Context, in Interaction, inc *incident.Incident) error {
	if err := inc.RequireLead(h.actor(in.UserID), "close the incident"); err != nil {
		return err
	}
	return h.chat.OpenView(ctx, in.TriggerID, closeModal(inc))
}

// closeModal asks to confirm the close, saying what it does.
func closeModal(inc *incident.Incident) render.View {
	hint := "Stakeholder updates stop and the retro begins: everyone who took part is asked for lessons learned."
	if n := len(inc.OpenContainment()); n > 0 {
		become := " will become follow-ups of the retro."
		if n == 1 {
			become = " will become a follow-up of the retro."
		}
		hint += " " + plural(n, "open containment action") + become
	}
	// The metadata keeps how many actions the form was written for: one
	// recorded since would become a follow-up its submitter never saw counted.
	metadata := strconv.FormatInt(inc.Number, 10) + ":" + strconv.Itoa(len(inc.Actions))
	return render.Modal(render.Form{CallbackID: ModalClose, Title: "Close " + inc.Ref(), Submit: "Close incident", Metadata: metadata,
		Fields: []render.Field{{ID: InputText, Kind: render.TextArea, Label: "Summary (optional)", Hint: hint, Optional: true, MaxLength: incident.MaxTextChars}}})
}

// actionsSince are the open containment actions recorded after the close
// form was written (its metadata "<number>:<actions then>").
func actionsSince(inc *incident.Incident, metadata string) []incident.ContainmentAction {
	_, seen, ok := strings.Cut(metadata, ":")
	then, err := strconv.Atoi(seen)
	if !ok || err != nil || then < 0 {
		then = 0 // a form without the count: every open action is unseen
	}
	var unseen []incident.ContainmentAction
	for _, a := range inc.Actions[min(then, len(inc.Actions)):] {
		if a.Open() {
			unseen = append(unseen, a)
		}
	}
	return unseen
}

// unseenRefusal refuses a close form that did not count the open actions
// unseen. It names the first five, their targets cut short, and how many
// more, as /incident close does: it is shown under one field, and a
// hundred actions of long targets made it thousands of characters.
func unseenRefusal(unseen []incident.ContainmentAction) incident.Sentence {
	var list []any
	for _, a := range unseen[:min(len(unseen), 5)] {
		list = append(list, incident.Say("%s (%s %s)", a.Ref(), a.Kind, render.Truncate(a.Shown(), 60)))
	}
	more := incident.Say("")
	if len(unseen) > len(list) {
		more = incident.Say(" and %d more", len(unseen)-len(list))
	}
	return incident.Say("Recorded since this form opened, and still open: %s%s. Closing would make them follow-ups too, and this form did not count them: cancel and click Close… again.",
		incident.Join(", ", list...), more)
}

// closeSubmission closes the incident, as /incident close --confirm does:
// the form is the confirmation.
func (h *Retro) closeSubmission(ctx context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	summary := strings.TrimSpace(in.Values[InputText])
	if err := incident.TooLong("the summary", summary, incident.MaxTextChars); err != nil {
		return map[string]string{InputText: render.SayLabel(incident.ErrorMessage(err, ""))}, nil
	}
	if !h.wroteBefore(ctx, inc.Number) {
		if err := inc.RequireLead(h.actor(in.UserID), "close the incident"); err != nil {
			return map[string]string{InputText: render.SayLabel(incident.ErrorMessage(err, ""))}, nil
		}
		if unseen := actionsSince(inc, in.PrivateMetadata); len(unseen) > 0 {
			return map[string]string{InputText: render.SayLabel(unseenRefusal(unseen))}, nil
		}
	}
	return nil, func(ctx context.Context) error {
		_, _, _, err := h.closeIncident(ctx, inc, in.UserID, summary)
		return err
	}
}

// closeIncident closes an incident, tells its channel and its stakeholders,
// and opens the retro. then is what follows, for whoever closed it; told,
// whether the channel was told.
func (h *Retro) closeIncident(ctx context.Context, was *incident.Incident, actor, summary string) (*incident.Incident, incident.Sentence, bool, error) {
	none := incident.Sentence{}
	if was.Drill {
		unlock, err := h.drillLock(ctx, was.Number) // an inject being posted lands before the end
		if err != nil {
			return nil, none, false, err
		}
		defer unlock()
	}
	now := h.now()
	beganLessons := false
	var events []incident.TimelineEvent
	inc, err := h.store.Update(ctx, was.Number, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		var err error
		events, beganLessons, err = inc.Close(now, h.actor(actor), summary, h.cfg.Retro.Deadline, h.playbook)
		return events, err
	})
	if err != nil {
		return nil, none, false, err
	}
	became := incident.Say("")
	var ids []any
	for _, a := range inc.Actions {
		if a.Open() && a.FollowUp > 0 {
			ids = append(ids, incident.Say("%s as #%d", a.Ref(), a.FollowUp))
		}
	}
	if len(ids) > 0 {
		became = incident.Say(" Open containment actions became follow-ups of the retro: %s.", incident.Join(", ", ids...))
	}
	then := incident.Say("Open for %s. The retro is open until %s; then the postmortem is published (or now, with %s).%s",
		shortDur(inc.ResolvedAt.Sub(inc.DeclaredAt)), incident.Moment(inc.RetroDeadline), incident.Literal("/incident postmortem"), became)
	// The close first, then what it brings: the lessons checklist, the retro's prompt.
	told := h.tell(ctx, inc, events, then, incident.EventClosed)
	h.reschedule(ctx, inc) // updates stop; the retro's reminder and deadline take their place
	if h.cfg.StakeholderChannel != "" && !inc.Unannounced() {
		if err := h.postOnce(ctx, "resolved", h.cfg.StakeholderChannel, render.Resolved(h.stakeholderNotice(ctx, inc))); err != nil {
			h.log.Error("could not announce the resolution", "incident", inc.Number, "err", err)
		}
	}
	if beganLessons {
		h.postChecklist(ctx, inc, incident.Lessons)
	}
	h.refresh(ctx, inc.Number)
	if inc.Drill {
		h.scoreDrill(ctx, inc)
	}
	h.promptRetro(ctx, inc)
	return inc, then, told, nil
}

// promptRetro asks everyone who took part for lessons learned, in the channel and by direct message.
func (h *Retro) promptRetro(ctx context.Context, inc *incident.Incident) {
	msg := retroPrompt(inc, "", false)
	if err := h.postOnce(ctx, "retro", inc.ChannelID, about(inc, msg)); err != nil {
		h.log.Error("could not post the retro prompt", "incident", inc.Number, "err", err)
	}
	events, err := h.store.Timeline(ctx, inc.Number)
	if err != nil {
		h.log.Error("could not read the timeline for the retro", "incident", inc.Number, "err", err)
	}
	people := h.participants(inc, events)
	// Whoever is asked for lessons may see the incident (a private one, or
	// a drill, is shown to its members): its button works for them.
	if _, err := h.record(ctx, inc.Number, func(i *incident.Incident) {
		for _, u := range people {
			i.Members = appendUnique(i.Members, u)
		}
	}); err != nil {
		h.log.Warn("could not add the retro's participants to the incident's members", "incident", inc.Number, "err", err)
	}
	for _, u := range people {
		if err := h.postOnce(ctx, "retro:"+u, u, about(inc, retroPrompt(inc, u, false))); err != nil {
			h.log.Warn("could not send the retro prompt", "incident", inc.Number, "user", u, "err", err)
		}
	}
}

func (h *Retro) participants(inc *incident.Incident, events []incident.TimelineEvent) []string {
	return slices.DeleteFunc(inc.Participants(events), func(u string) bool { return u == h.botUserID })
}

func retroPrompt(inc *incident.Incident, to string, reminder bool) render.Message {
	num := strconv.FormatInt(inc.Number, 10)
	return render.RetroPrompt(render.RetroPromptView{Ref: inc.Ref(), Title: inc.Outward(), Deadline: inc.RetroDeadline,
		Personal: to != "", Reminder: reminder, BlockID: "retro:" + num,
		Action: render.Action{ID: ActionAddLesson, Label: "Add lessons learned", Value: num, Primary: true}})
}

// --- lessons ---

func (h *Retro) lessonCmd(ctx context.Context, c *call) error {
	words := strings.Fields(c.parsed.Raw)
	kind := ""
	if len(words) > 0 {
		kind = strings.ToLower(strings.TrimSuffix(words[0], ":"))
	}
	switch {
	case len(words) == 0:
		return incident.Errorf("A lesson needs its kind and text. %s", c.sub.usageHint())
	case kind != "well" && kind != "wrong" && kind != "improve":
		// Guessing would file "sideways …" under a kind nobody chose.
		return incident.Errorf("Say first what kind of lesson it is: %s (went well), %s (went wrong) or %s (to improve), not %s. %s",
			incident.Literal("well"), incident.Literal("wrong"), incident.Literal("improve"), echo(words[0]), c.sub.usageHint())
	case len(words) == 1:
		return incident.Errorf("A lesson needs text after its kind. %s", c.sub.usageHint())
	}
	text := strings.Join(words[1:], " ")
	if err := incident.TooLong("the lesson", text, incident.MaxTextChars); err != nil {
		return err
	}
	l := incident.Lesson{Author: c.req.UserID}
	switch kind {
	case "well":
		l.WentWell = text
	case "wrong":
		l.WentWrong = text
	default:
		l.Improve = text
	}
	if err := h.addLessons(ctx, c.inc.Number, l, nil); err != nil {
		return err
	}
	h.respond(ctx, c.req, render.Answer(incident.Say("Thanks: your lesson is recorded for the postmortem of %s.", c.inc.Ref())))
	return nil
}

// addLessons stores a contribution to the retro and says so in the channel.
func (h *Retro) addLessons(ctx context.Context, n int64, l incident.Lesson, actions []incident.FollowUp) error {
	now := h.now()
	l.At = now
	hasLesson := l.WentWell != "" || l.WentWrong != "" || l.Improve != ""
	inc, err := h.store.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		if inc.Status == incident.Closed {
			return nil, incident.Errorf("The postmortem of %s is already published; lessons can no longer be added.", inc.Ref())
		}
		var events []incident.TimelineEvent
		if hasLesson {
			inc.Lessons = append(inc.Lessons, l)
			events = append(events, incident.LessonAdded(now, l.Author))
		}
		for _, a := range actions {
			a.ID, a.Author, a.At = len(inc.FollowUps)+1, l.Author, now
			inc.FollowUps = append(inc.FollowUps, a)
			if a.Owner != "" { // an action's owner may see it, and mark it done
				inc.Members = appendUnique(inc.Members, a.Owner)
			}
			events = append(events, incident.FollowUpAdded(now, l.Author, a.ID, a.Text))
		}
		return events, nil
	})
	if err != nil {
		return err
	}
	var parts []any
	for _, p := range []struct {
		text, label string
	}{{l.WentWell, "went well"}, {l.WentWrong, "went wrong"}, {l.Improve, "to improve"}} {
		if p.text != "" {
			parts = append(parts, p.label)
		}
	}
	if len(actions) > 0 {
		parts = append(parts, incident.Say("%s", plural(len(actions), "follow-up action")))
		h.homeChanged(ctx, inc) // their owners' Home tabs list them
	}
	if err := h.postOnce(ctx, "lessons", inc.ChannelID, about(inc, render.Remark(incident.Say("%s added lessons learned: %s.", incident.UserRef(l.Author), incident.Join(", ", parts...))))); err != nil {
		h.log.Warn("could not show the lesson in the channel", "incident", n, "err", err)
	}
	return nil
}

func lessonModal(inc *incident.Incident) render.View {
	fields := []render.Field{
		{ID: InputWentWell, Kind: render.TextArea, Label: "What went well", Hint: "Worth keeping for next time.", Optional: true, MaxLength: incident.MaxTextChars},
		{ID: InputWentWrong, Kind: render.TextArea, Label: "What went wrong", Hint: "No blame: what happened, not who.", Optional: true, MaxLength: incident.MaxTextChars},
		{ID: InputImprove, Kind: render.TextArea, Label: "What to improve", Hint: "What would have made this easier or shorter.", Optional: true, MaxLength: incident.MaxTextChars},
	}
	for i := 1; i <= followUpSlots; i++ {
		fields = append(fields,
			render.Field{ID: InputAction(i), Kind: render.TextLine, Label: fmt.Sprintf("Follow-up action %d", i), Optional: true, MaxLength: 300},
			render.Field{ID: InputOwner(i), Kind: render.Person, Label: "Owner", Placeholder: "Who will do it", Optional: true},
			render.Field{ID: InputDue(i), Kind: render.Day, Label: "Due", Optional: true})
	}
	return render.Modal(render.Form{CallbackID: ModalLesson, Title: "Lessons learned", Submit: "Add", Metadata: strconv.FormatInt(inc.Number, 10), Fields: fields})
}

// lessonSubmission checks the lessons form.
func (h *Retro) lessonSubmission(_ context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	l := incident.Lesson{Author: in.UserID, WentWell: strings.TrimSpace(in.Values[InputWentWell]),
		WentWrong: strings.TrimSpace(in.Values[InputWentWrong]), Improve: strings.TrimSpace(in.Values[InputImprove])}
	var actions []incident.FollowUp
	for i := 1; i <= followUpSlots; i++ {
		text, owner, due := strings.TrimSpace(in.Values[InputAction(i)]), in.Values[InputOwner(i)], in.Values[InputDue(i)]
		if text == "" {
			if owner != "" || due != "" {
				return map[string]string{InputAction(i): "Say what the action is, or clear its owner and due date."}, nil
			}
			continue
		}
		if owner != "" && !render.IsUserID(owner) {
			return map[string]string{InputOwner(i): "Choose the owner from the list."}, nil
		}
		if inc != nil && inc.IsSuspect(owner) {
			return map[string]string{InputOwner(i): "They are a suspected account of this incident: choose someone else."}, nil
		}
		if due != "" {
			if _, err := time.Parse(time.DateOnly, due); err != nil {
				return map[string]string{InputDue(i): "Pick a date."}, nil
			}
			if today := h.now().UTC().Format(time.DateOnly); due < today {
				return map[string]string{InputDue(i): "That date has passed: pick today or later."}, nil
			}
		}
		actions = append(actions, incident.FollowUp{Text: text, Owner: owner, Due: due})
	}
	if l.WentWell == "" && l.WentWrong == "" && l.Improve == "" && len(actions) == 0 {
		return map[string]string{InputWentWell: "Add at least one lesson or follow-up action."}, nil
	}
	return nil, func(ctx context.Context) error { return h.addLessons(ctx, inc.Number, l, actions) }
}

// --- the retro's scheduled work ---

func reminderAt(inc *incident.Incident) time.Time {
	return inc.ResolvedAt.Add(inc.RetroDeadline.Sub(inc.ResolvedAt) / 2)
}

func (h *Retro) runRetro(ctx context.Context, inc *incident.Incident, now time.Time) (work.Ran, error) {
	if !now.Before(inc.RetroDeadline) {
		if _, err := h.publish(ctx, inc.Number); err != nil {
			return work.Ran{}, err
		}
		return work.Ran{Sent: work.SentPostmort, Due: inc.RetroDeadline}, nil
	}
	if !inc.Reminded && !now.Before(reminderAt(inc)) {
		events, err := h.store.Timeline(ctx, inc.Number)
		if err != nil {
			return work.Ran{}, err
		}
		contributed := map[string]bool{}
		for _, l := range inc.Lessons {
			contributed[l.Author] = true
		}
		for _, f := range inc.FollowUps {
			contributed[f.Author] = true
		}
		for _, u := range h.participants(inc, events) {
			if contributed[u] {
				continue
			}
			msg := about(inc, retroPrompt(inc, u, true))
			if err := h.postFor(ctx, "reminder:"+strconv.FormatInt(inc.Number, 10)+":"+u, u, msg); err != nil {
				h.log.Warn("could not send a retro reminder", "incident", inc.Number, "user", u, "err", err)
			}
		}
		updated, err := h.record(ctx, inc.Number, func(i *incident.Incident) { i.Reminded = true })
		if err != nil {
			return work.Ran{}, err
		}
		next, _ := h.nextDue(updated)
		return work.Ran{Sent: work.SentReminders, Due: reminderAt(inc), Next: next}, nil
	}
	next, _ := h.nextDue(inc)
	return work.Ran{Next: next}, nil
}

// --- the postmortem ---

func (h *Retro) postmortemCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("%s takes nothing but an incident's number. %s", incident.Literal("/incident postmortem"), c.sub.usageHint())
	}
	switch c.inc.Status {
	case incident.Open:
		return incident.Errorf("%s is still open. Close it with %s; the postmortem follows the retro.", c.inc.Ref(), incident.Literal("/incident close [summary]"))
	case incident.Resolved, incident.Closed:
		if c.inc.Status == incident.Closed && !incident.IsRedo(ctx) {
			break // published: show it (a redo finishes telling and archiving)
		}
		if err := c.inc.RequireLead(h.actor(c.req.UserID), "publish the postmortem before the retro's deadline"); err != nil {
			return err
		}
		if _, err := h.publish(ctx, c.inc.Number); err != nil {
			return err
		}
	}
	inc, err := h.store.Get(ctx, c.inc.Number)
	if err != nil {
		return err
	}
	events, err := h.store.Timeline(ctx, inc.Number)
	if err != nil {
		return err
	}
	h.respond(ctx, c.req, render.PostmortemShown(render.PostmortemSummary{Ref: inc.Ref(), Published: inc.ClosedAt, Link: inc.PostmortemLink,
		Figures: incident.HeadlineFigures(inc, events, inc.ClosedAt), Lessons: inc.LessonCount(), FollowUps: len(inc.FollowUps)}))
	return nil
}

// errPublishing is returned while another runner publishes the same postmortem.
var errPublishing = errors.New("the postmortem is being published elsewhere")

// publish compiles the postmortem from the stored state, uploads it and its
// chart to the incident channel, tells the stakeholders, closes the incident
// and, when configured, archives the channel once the upload is confirmed.
func (h *Retro) publish(ctx context.Context, n int64) (*incident.Incident, error) {
	first, err := h.store.Once(ctx, "postmortem:"+strconv.FormatInt(n, 10), 2*time.Minute)
	if err != nil {
		return nil, err
	}
	redo := incident.IsRedo(ctx) // the first run published, then died before telling anyone
	if !first && !redo {
		return nil, errPublishing
	}
	inc, err := h.store.Get(ctx, n)
	if err != nil {
		return nil, err
	}
	if inc.Status == incident.Closed && !redo {
		return inc, nil
	}
	if inc.Status != incident.Closed {
		if inc, err = h.compileAndUpload(ctx, inc); err != nil {
			return nil, err
		}
	}
	h.reschedule(ctx, inc)
	if h.cfg.StakeholderChannel != "" && !inc.Unannounced() {
		// Resolved in: from the declaration to the close, the headline figure to recover.
		if err := h.postOnce(ctx, "postmortem", h.cfg.StakeholderChannel, render.PostmortemPublished(h.stakeholderNotice(ctx, inc))); err != nil {
			h.log.Error("could not tell stakeholders about the postmortem", "incident", n, "err", err)
		}
	}
	h.refresh(ctx, n)
	if h.cfg.Retro.ArchiveChannel {
		if err := h.chat.Archive(ctx, inc.ChannelID); err != nil {
			h.log.Error("could not archive the incident channel", "incident", n, "err", err)
		}
	}
	return inc, nil
}

// compileAndUpload builds the postmortem, uploads it with its chart and
// closes the incident with a link to it.
func (h *Retro) compileAndUpload(ctx context.Context, inc *incident.Incident) (*incident.Incident, error) {
	n := inc.Number
	events, err := h.store.Timeline(ctx, n)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range h.participants(inc, events) {
		if name, err := h.chat.UserName(ctx, u); err == nil {
			names[u] = name
		}
	}
	for _, f := range inc.FollowUps {
		if f.Owner != "" && names[f.Owner] == "" {
			if name, err := h.chat.UserName(ctx, f.Owner); err == nil {
				names[f.Owner] = name
			}
		}
	}
	now := h.now()
	inds, err := h.store.Indicators(ctx, n)
	if err != nil {
		return nil, err
	}
	inds = inc.AtLeastMarked(inds)
	evidence, err := h.store.Evidence(ctx, n)
	if err != nil {
		return nil, err
	}
	for _, id := range append(caseParticipants(inc, inds, evidence), inc.Suspects...) {
		if names[id] == "" {
			if name, err := h.chat.UserName(ctx, id); err == nil {
				names[id] = name
			}
		}
	}
	in := postmortem.Input{Incident: inc, Timeline: events, Roles: h.cfg.Roles, Names: names, Published: now, Indicators: inds, Evidence: evidence, CustodyKey: h.cfg.CustodyKey, Clocks: h.clocks(inc)}
	if sev, ok := h.cfg.Severity(inc.Severity); ok && !inc.Drill {
		in.Targets = sev.Targets
	}
	md := postmortem.Markdown(in)
	chart, err := postmortem.Chart(in)
	if err != nil {
		return nil, err
	}
	base := strings.ToLower(inc.Ref())
	link, err := h.chat.Upload(ctx, inc.ChannelID, base+"-postmortem.md", "Postmortem "+inc.Ref(), []byte(md))
	if err != nil {
		return nil, fmt.Errorf("upload the postmortem of %s: %w", inc.Ref(), err)
	}
	if _, err := h.chat.Upload(ctx, inc.ChannelID, base+"-phases.png", inc.Ref()+" phases over time", chart); err != nil {
		return nil, fmt.Errorf("upload the chart of %s: %w", inc.Ref(), err)
	}
	if len(evidence) > 0 {
		if _, err := h.chat.Upload(ctx, inc.ChannelID, base+"-custody.csv", inc.Ref()+" evidence custody log", exports.CustodyCSV(inc, evidence, h.cfg.CustodyKey, incident.WithholdRed(inds))); err != nil {
			return nil, fmt.Errorf("upload the custody log of %s: %w", inc.Ref(), err)
		}
	}
	if audit, head, err := h.core.store.Audit(ctx, n); err != nil {
		return nil, err
	} else if len(audit) > 0 {
		if _, err := h.chat.Upload(ctx, inc.ChannelID, base+"-audit.csv", inc.Ref()+" audit log", exports.AuditCSV(inc, audit, head, h.cfg.CustodyKey)); err != nil {
			return nil, fmt.Errorf("upload the audit log of %s: %w", inc.Ref(), err)
		}
	}
	if err := h.store.SavePostmortem(ctx, n, md); err != nil {
		return nil, err
	}
	inc, err = h.store.Update(ctx, n, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		i.Status, i.ClosedAt, i.PostmortemLink = incident.Closed, now, link
		return []incident.TimelineEvent{incident.PostmortemPublished(now, link)}, nil
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

// --- follow-up actions ---

func (h *Retro) actionsCmd(ctx context.Context, c *call) error {
	if len(c.parsed.Args) > 0 {
		return incident.Errorf("%s takes no arguments. %s", incident.Literal("/incident actions"), c.sub.usageHint())
	}
	incs, err := h.store.WithOpenFollowUps(ctx)
	if err != nil {
		return err
	}
	var items []render.FollowUpItem
	var shown []*incident.Incident
	today := h.now().UTC().Format(time.DateOnly)
	for _, inc := range incs {
		if !h.maySee(inc, c.req.UserID, "") {
			continue
		}
		shown = append(shown, inc)
		for _, f := range inc.FollowUps {
			if !f.Done {
				text := f.Text
				if inc.Quiet && c.req.ChannelID != inc.ChannelID {
					text = "(an action of a quiet incident: see it in its channel)"
				}
				items = append(items, render.FollowUpItem{Ref: inc.Ref(), ID: f.ID, Text: text, Owner: f.Owner, Due: f.Due, Overdue: f.Due != "" && f.Due < today,
					MarkDone: render.Action{ID: ActionFollowUpDone, Label: "Mark done", Value: fmt.Sprintf("%d:%d", inc.Number, f.ID)}})
			}
		}
	}
	h.respond(ctx, c.req, render.FollowUps(items))
	for _, inc := range shown {
		if inc.Private || inc.Marking() == "TLP:RED" {
			h.audit(ctx, nil, inc.Number, c.req.UserID, "read actions", work.OutcomeOK, true)
		}
	}
	return nil
}

// followUpDone marks an action done: its owner may, and an admin, and anyone while it has no owner.
func (h *Retro) followUpDone(ctx context.Context, in Interaction, inc *incident.Incident) error {
	_, id, _ := strings.Cut(in.Value, ":")
	fid, err := strconv.Atoi(id)
	if err != nil {
		return incident.Fail(incident.Invalid, "This button is not one I made; nothing was done.")
	}
	n := inc.Number
	now := h.now()
	var done incident.Sentence
	updated, err := h.store.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		f, events, err := inc.MarkFollowUpDone(now, h.actor(in.UserID), fid)
		switch {
		case err != nil:
		case inc.Quiet && in.ChannelID != inc.ChannelID:
			done = incident.Say("%s #%d marked done.", inc.Ref(), fid) // its words stay in its channel
		default:
			done = incident.Say("%s #%d marked done: %s", inc.Ref(), fid, f.Text)
		}
		return events, err
	})
	if err != nil {
		return err
	}
	h.homeChanged(ctx, updated)
	h.teller(in)(ctx)(render.Done(done))
	return nil
}

func shortDur(d time.Duration) string { return incident.HumanDuration(d) }

// caseParticipants are the people the case records name.
func caseParticipants(inc *incident.Incident, inds []incident.Indicator, evidence []incident.Evidence) []string {
	var out []string
	for _, i := range inds {
		out = append(out, i.AddedBy)
	}
	for _, e := range evidence {
		out = append(out, e.Holder)
		for _, c := range e.Custody {
			out = append(out, c.Actor, c.To)
		}
	}
	for _, a := range inc.Actions {
		out = append(out, a.By, a.ClosedBy)
	}
	slices.Sort(out)
	return slices.DeleteFunc(slices.Compact(out), func(s string) bool { return s == "" })
}
