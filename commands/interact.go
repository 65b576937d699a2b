package commands

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// Kinds of interaction.
const (
	InteractionAction     = "block_actions"
	InteractionSubmission = "view_submission"
	InteractionShortcut   = "message_action" // a message shortcut
)

// Interaction is a click on one of the bot's messages, or a modal submitted.
type Interaction struct {
	Kind        string
	UserID      string
	ChannelID   string
	TriggerID   string
	ResponseURL string

	// block_actions
	ActionID string
	BlockID  string
	Value    string
	Selected []string // checkboxes: the values of all options now ticked

	// message_action: the message the shortcut was used on
	MessageTS   string
	MessageText string
	MessageUser string

	// view_submission
	ViewID          string
	ViewHash        string
	CallbackID      string
	PrivateMetadata string
	Values          map[string]string // input block ID -> text, selected option or selected user
}

// Interact checks an interaction at once and returns either the errors to
// show on a modal's fields (Slack keeps the modal open) or the work to do
// after the acknowledgement. Checks read the store but write nothing.
//
// Every button and form is a row of the interaction table and stands for a
// subcommand: it is authorized by that subcommand's rules, exactly as the
// command would be, so a click cannot do what typing could not.
func (h *Handler) Interact(ctx context.Context, in Interaction) (map[string]string, work.Work) {
	row, ok := h.interactionRow(in)
	if !ok {
		h.log.Warn("an interaction no row of the table handles", "kind", in.Kind, "action", in.ActionID, "view", in.CallbackID, "user", in.UserID)
		return nil, nil
	}
	name := "action:" + row.id
	switch in.Kind {
	case InteractionSubmission:
		name = "view:" + row.id
	case InteractionShortcut:
		name = "shortcut:" + row.id
	}
	sub, _ := h.lookup(row.as)
	log := h.log.With("interaction", name, "user", in.UserID)
	if row.form != nil {
		inc, err := h.interactionIncident(ctx, row, sub, in)
		if err != nil {
			outcome := work.OutcomeUserError
			if logFault(ctx, log, err) {
				outcome = work.OutcomeError
			}
			// Refused (it may not be theirs to see): on its log all the same.
			h.audit(ctx, nil, h.tried(ctx, row, in), in.UserID, "form "+row.id, outcome, false)
			return map[string]string{FirstInput(in.Values): render.SayLabel(incident.ErrorMessage(err, incident.RequestID(ctx)))}, nil
		}
		errs, do := row.form(ctx, in, inc)
		if len(errs) > 0 || do == nil {
			// Turned down (a field wrong, or not theirs to do): on the log too.
			h.audit(ctx, inc, 0, in.UserID, "form "+row.id, work.OutcomeUserError, false)
			return errs, nil
		}
		if inc != nil {
			in.ChannelID = inc.ChannelID // answers go to the incident channel
		}
		tell := h.teller(in)
		if row.tell != nil {
			tell = row.tell(h, in)
		}
		return nil, func(ctx context.Context) work.Result {
			res := work.Result{Name: name, Outcome: h.report(ctx, log, guarded(func() error { return do(ctx) }), tell(ctx))}
			h.audit(ctx, inc, 0, in.UserID, "form "+row.id, res.Outcome, false)
			return res
		}
	}
	return nil, func(ctx context.Context) work.Result {
		inc, err := h.interactionIncident(ctx, row, sub, in)
		if err == nil {
			err = guarded(func() error { return row.click(ctx, in, inc) })
		}
		res := work.Result{Name: name, Outcome: h.report(ctx, log, err, h.teller(in)(ctx))}
		if inc != nil {
			res.Incident = inc.Number
		}
		tried := int64(0)
		if inc == nil {
			tried = h.tried(ctx, row, in)
		}
		h.audit(ctx, inc, tried, in.UserID, "button "+row.id, res.Outcome, false)
		return res
	}
}

// tried is the incident an interaction names, when one by that number
// exists: an attempt refused on it is written on its log.
func (h *Handler) tried(ctx context.Context, row interactionRow, in Interaction) int64 {
	if row.target == nil {
		return 0
	}
	n, err := row.target(in)
	if err != nil {
		return 0
	}
	if _, err := h.store.Get(ctx, n); err != nil {
		return 0
	}
	return n
}

// interactionRow is one button (by action ID, or a family of them by a
// prefix ending in ":") or one form (by callback ID).
type interactionRow struct {
	kind string // InteractionAction or InteractionSubmission
	id   string
	as   string // the subcommand it stands for: its access and open rules apply
	// target is the incident the interaction names; nil for none.
	target func(in Interaction) (int64, error)
	// click is a button's work, after the acknowledgement.
	click func(ctx context.Context, in Interaction, inc *incident.Incident) error
	// form checks a submission before the acknowledgement and returns field
	// errors, or the work to do after it.
	form func(ctx context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error)
	// tell overrides where a form's answers go (the declare form answers by direct message).
	tell func(h *Handler, in Interaction) func(ctx context.Context) func(render.Message)
}

// interactions is the interaction table.
func (h *Handler) interactions() []interactionRow {
	openView := func(view func(inc *incident.Incident) render.View) func(ctx context.Context, in Interaction, inc *incident.Incident) error {
		return func(ctx context.Context, in Interaction, inc *incident.Incident) error {
			return h.chat.OpenView(ctx, in.TriggerID, view(inc))
		}
	}
	return []interactionRow{
		{kind: InteractionAction, id: ActionNextPhase, as: "phase", target: valueNumber, click: h.response.nextPhaseClick},
		{kind: InteractionAction, id: ActionAssignRole, as: "assign", target: valueNumber,
			click: openView(func(inc *incident.Incident) render.View { return assignModal(h.cfg, inc) })},
		{kind: InteractionAction, id: ActionPostUpdate, as: "update", target: valueNumber, click: openView(updateModal)},
		{kind: InteractionAction, id: ActionAddNote, as: "note", target: valueNumber, click: openView(noteModal)},
		{kind: InteractionAction, id: ActionAddLesson, as: "lesson", target: valueNumber, click: h.retro.addLessonClick},
		{kind: InteractionAction, id: ActionClose, as: "close", target: valueNumber, click: h.retro.closeClick},
		// Ticking a playbook item is recorded on the timeline, as a note is,
		// and stays possible in the retro (lessons learned has a checklist).
		{kind: InteractionAction, id: ActionChecklist + ":", as: "note", target: checklistNumber, click: h.response.checklistClick},
		{kind: InteractionAction, id: ActionFollowUpDone, as: "lesson", target: followUpNumber, click: h.retro.followUpDone},

		{kind: InteractionSubmission, id: ModalDeclare, as: "declare", form: h.declareSubmission, tell: byDirectMessage},
		{kind: InteractionSubmission, id: ModalUpdate, as: "update", target: metadataNumber, form: h.response.updateSubmission},
		{kind: InteractionSubmission, id: ModalNote, as: "note", target: metadataNumber, form: h.response.noteSubmission},
		{kind: InteractionSubmission, id: ModalLesson, as: "lesson", target: metadataNumber, form: h.retro.lessonSubmission},
		{kind: InteractionSubmission, id: ModalAssign, as: "assign", target: metadataNumber, form: h.response.assignSubmission},
		{kind: InteractionSubmission, id: ModalClose, as: "close", target: closeNumber, form: h.retro.closeSubmission},

		{kind: InteractionSubmission, id: ModalDrill, as: "drill", form: h.response.drillSubmission, tell: byDirectMessage},

		// The Home tab's buttons open the forms the commands open alone.
		{kind: InteractionAction, id: ActionHomeDeclare, as: "declare", click: h.home.openForm(func() render.View { return declareModal(h.cfg) })},
		{kind: InteractionAction, id: ActionHomeReport, as: "report", click: h.home.openForm(func() render.View { return reportModal(h.cfg, flagged{}) })},
		{kind: InteractionAction, id: ActionHomeDrill, as: "drill", click: h.home.openForm(func() render.View { return drillModal(h.cfg) })},

		// Case records: the same rules as /incident ioc and /incident evidence.
		{kind: InteractionShortcut, id: ShortcutIOC, as: "ioc", click: h.response.iocShortcut},
		{kind: InteractionSubmission, id: ModalIOC, as: "ioc", target: metadataNumber, form: h.response.iocSubmission},
		{kind: InteractionSubmission, id: ModalIOC + "_picked", as: "ioc", form: h.response.iocPickedSubmission, tell: byDirectMessage},
		{kind: InteractionSubmission, id: ModalEvidence, as: "evidence", target: metadataNumber, form: h.response.evidenceSubmission},
		{kind: InteractionSubmission, id: ModalDecide, as: "decide", target: metadataNumber, form: h.response.decideSubmission},

		// Reports: anyone reports; the triage buttons and forms are the
		// security team's, in the triage channel (Triage.mayTriage).
		{kind: InteractionShortcut, id: ShortcutReport, as: "report", click: h.triage.shortcutClick},
		{kind: InteractionSubmission, id: ModalReport, as: "report", form: h.triage.reportSubmission, tell: byDirectMessage},
		{kind: InteractionAction, id: ActionReportAck, as: "reports", click: h.triage.ackClick},
		{kind: InteractionAction, id: ActionReportDeclare, as: "reports", click: h.triage.declareClick},
		{kind: InteractionAction, id: ActionReportMerge, as: "reports", click: h.triage.mergeClick},
		{kind: InteractionAction, id: ActionReportDismiss, as: "reports", click: h.triage.dismissClick},
		{kind: InteractionSubmission, id: ModalMerge, as: "reports", form: h.triage.mergeSubmission, tell: byDirectMessage},
		{kind: InteractionSubmission, id: ModalDismiss, as: "reports", form: h.triage.dismissSubmission, tell: byDirectMessage},
	}
}

// byDirectMessage answers a form by direct message: a form has no channel to answer in.
func byDirectMessage(h *Handler, in Interaction) func(ctx context.Context) func(render.Message) {
	return h.directTeller(in.UserID)
}

func (h *Handler) interactionRow(in Interaction) (interactionRow, bool) {
	id := in.ActionID
	if in.Kind == InteractionSubmission || in.Kind == InteractionShortcut {
		id = in.CallbackID
	}
	for _, r := range h.itable {
		if r.kind != in.Kind {
			continue
		}
		if r.id == id || (strings.HasSuffix(r.id, ":") && strings.HasPrefix(id, r.id)) {
			return r, true
		}
	}
	return interactionRow{}, false
}

// interactionIncident finds the incident an interaction names and checks
// that the user may act on it, by the rules of the subcommand it stands for.
func (h *Handler) interactionIncident(ctx context.Context, row interactionRow, sub subcommand, in Interaction) (*incident.Incident, error) {
	if row.target == nil {
		return nil, nil
	}
	n, err := row.target(in)
	if err != nil {
		return nil, incident.Fail(incident.Invalid, "This button or form is not one I made; nothing was done.")
	}
	inc, err := h.visibleIncident(ctx, n, in.UserID, in.ChannelID)
	if err != nil {
		return nil, err
	}
	return inc, h.checkOpen(ctx, sub, inc)
}

func valueNumber(in Interaction) (int64, error) {
	num, _, _ := strings.Cut(in.Value, ":")
	return positive(num)
}

func metadataNumber(in Interaction) (int64, error) { return positive(in.PrivateMetadata) }

// closeNumber reads the close form's "<number>:<actions then>".
func closeNumber(in Interaction) (int64, error) {
	num, _, _ := strings.Cut(in.PrivateMetadata, ":")
	return positive(num)
}

// checklistNumber reads block ID checklist:<number>:<phase>.
func checklistNumber(in Interaction) (int64, error) {
	parts := strings.Split(in.BlockID, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("checklist block %q", in.BlockID)
	}
	return positive(parts[1])
}

// followUpNumber reads the value <number>:<follow-up ID>.
func followUpNumber(in Interaction) (int64, error) {
	num, _, ok := strings.Cut(in.Value, ":")
	if !ok {
		return 0, fmt.Errorf("follow-up %q", in.Value)
	}
	return positive(num)
}

func positive(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("incident number %q", s)
	}
	return n, nil
}

// teller shows a message to the user who interacted.
func (h *core) teller(in Interaction) func(ctx context.Context) func(render.Message) {
	return func(ctx context.Context) func(render.Message) {
		return func(m render.Message) {
			var err error
			switch {
			case in.ResponseURL != "":
				err = h.chat.Respond(ctx, in.ResponseURL, m)
			case in.ChannelID != "":
				// Someone not in the channel (a form sent from elsewhere) is told by direct message.
				err = h.tellPrivately(ctx, in.ChannelID, in.UserID, m)
			default: // a button of the Home tab: no channel to answer in
				_, err = h.chat.Post(ctx, in.UserID, m)
			}
			if err != nil {
				h.log.Error("could not answer the user", "user", in.UserID, "err", err)
			}
		}
	}
}

// directTeller answers by direct message.
func (h *core) directTeller(user string) func(ctx context.Context) func(render.Message) {
	return func(ctx context.Context) func(render.Message) {
		return func(m render.Message) {
			if _, err := h.chat.Post(ctx, user, m); err != nil {
				h.log.Error("could not answer by direct message", "user", user, "err", err)
			}
		}
	}
}

// nextPhaseClick moves the incident on. The button names the phase it was
// shown in (<number>:<phase>), so a second click on the same card, or a
// click on a card not yet refreshed, does not move it twice.
func (h *Response) nextPhaseClick(ctx context.Context, in Interaction, inc *incident.Incident) error {
	var from incident.Phase
	if _, p, ok := strings.Cut(in.Value, ":"); ok {
		from, _ = incident.ParsePhase(p)
	}
	_, _, err := h.movePhase(ctx, inc.Number, in.UserID, "", "", from)
	return err
}

func (h *Retro) addLessonClick(ctx context.Context, in Interaction, inc *incident.Incident) error {
	if inc.Status == incident.Closed {
		return incident.Fail(incident.Conflict, "The postmortem of %s is already published.", inc.Ref())
	}
	return h.chat.OpenView(ctx, in.TriggerID, lessonModal(inc))
}

func (h *Response) checklistClick(ctx context.Context, in Interaction, inc *incident.Incident) error {
	// render.Block ID checklist:<number>:<phase>; action ID checklist:<group of ten>.
	parts := strings.Split(in.BlockID, ":")
	phase, ok := incident.ParsePhase(parts[2])
	if !ok {
		return incident.Fail(incident.Invalid, "This checklist is not one I made; nothing was done.")
	}
	g, err := strconv.Atoi(strings.TrimPrefix(in.ActionID, ActionChecklist+":"))
	if err != nil || g < 0 || g > 100 {
		return incident.Fail(incident.Invalid, "This checklist is not one I made; nothing was done.")
	}
	group := make([]int, 0, render.MaxOptions)
	for i := g * render.MaxOptions; i < (g+1)*render.MaxOptions; i++ {
		group = append(group, i)
	}
	var selected []int
	for _, v := range in.Selected {
		if i, err := strconv.Atoi(v); err == nil {
			selected = append(selected, i)
		}
	}
	return h.tick(ctx, inc.Number, phase, in.UserID, group, selected)
}

// textSubmission checks the text of the update and note forms.
func textSubmission(in Interaction) (string, map[string]string) {
	text := strings.TrimSpace(in.Values[InputText])
	if text == "" {
		return "", map[string]string{InputText: "Write something first."}
	}
	if err := incident.TooLong("the text", text, incident.MaxTextChars); err != nil {
		return "", map[string]string{InputText: render.SayLabel(incident.ErrorMessage(err, ""))}
	}
	return text, nil
}

func (h *Response) updateSubmission(_ context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	text, errs := textSubmission(in)
	if errs != nil {
		return errs, nil
	}
	marking, text, err := leadingMarking(inc, text)
	if err != nil {
		return map[string]string{InputText: render.SayLabel(incident.ErrorMessage(err, ""))}, nil
	}
	return nil, func(ctx context.Context) error {
		updated, told, err := h.postMarkedUpdate(ctx, inc.Number, in.UserID, text, marking)
		if err == nil && !told {
			in.ChannelID = updated.ChannelID
			h.teller(in)(ctx)(render.Answer(updateNotPosted(updated)))
		}
		return err
	}
}

func (h *Response) noteSubmission(_ context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	text, errs := textSubmission(in)
	if errs != nil {
		return errs, nil
	}
	marking, text, err := leadingMarking(inc, text)
	if err != nil {
		return map[string]string{InputText: render.SayLabel(incident.ErrorMessage(err, ""))}, nil
	}
	return nil, func(ctx context.Context) error { return h.addMarkedNote(ctx, inc.Number, in.UserID, text, marking) }
}

func (h *Response) assignSubmission(ctx context.Context, in Interaction, inc *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	roleKey, user := in.Values[InputRole], in.Values[InputUser]
	role, ok := h.cfg.Role(roleKey)
	switch {
	case !ok:
		return map[string]string{InputRole: "Choose one of the roles."}, nil
	case user == "":
		return map[string]string{InputUser: "Choose the person to assign."}, nil
	case !render.IsUserID(user):
		return map[string]string{InputUser: "Choose the person from the list."}, nil
	case user == h.botUserID:
		return map[string]string{InputUser: "I can't hold a role myself; choose a person."}, nil
	}
	// Checked again with the change, on the state then, as for the command;
	// here they become field errors. A request done again meets the state
	// it left itself, so it skips them.
	if !h.wroteBefore(ctx, inc.Number) {
		if inc.Roles[role.Key] == user {
			return map[string]string{InputUser: render.SayLabel(incident.Say("They already are the %s.", role.Name))}, nil
		}
		if role.Key == incident.CommanderRole {
			if err := inc.RequireLead(h.actor(in.UserID), "hand over the commander role"); err != nil {
				return map[string]string{InputRole: render.SayLabel(incident.ErrorMessage(err, ""))}, nil
			}
		}
	}
	return nil, func(ctx context.Context) error {
		_, _, err := h.assign(ctx, inc.Number, in.UserID, role.Key, user)
		return err
	}
}

// declareSubmission checks the declare form; the confirmation arrives by
// direct message. Opened from a report, it declares the report.
func (h *Handler) declareSubmission(ctx context.Context, in Interaction, _ *incident.Incident) (map[string]string, func(ctx context.Context) error) {
	d, errs := h.declarationFrom(in)
	if errs != nil {
		return errs, nil
	}
	if num, ok := strings.CutPrefix(in.PrivateMetadata, reportMetadataPrefix); ok {
		n, err := positive(num)
		if err != nil {
			return map[string]string{InputTitle: "This form is not one I made; nothing was done."}, nil
		}
		in.PrivateMetadata = num
		if _, errs := h.triage.formReport(ctx, in); errs != nil {
			return map[string]string{InputTitle: errs[FirstInput(in.Values)]}, nil
		}
		return nil, func(ctx context.Context) error {
			answer, err := h.triage.declareReport(ctx, n, d)
			if err == nil {
				h.directTeller(in.UserID)(ctx)(render.DeclaredMessage(answer))
			}
			return err
		}
	}
	return nil, func(ctx context.Context) error {
		answer, err := h.response.declareIncident(ctx, d)
		if err == nil {
			h.directTeller(in.UserID)(ctx)(render.DeclaredMessage(answer))
		}
		return err
	}
}

// declarationFrom reads the declare form.
func (h *Handler) declarationFrom(in Interaction) (declaration, map[string]string) {
	title := strings.TrimSpace(in.Values[InputTitle])
	sev := in.Values[InputSeverity]
	desc := strings.TrimSpace(in.Values[InputDescription])
	if title == "" {
		return declaration{}, map[string]string{InputTitle: "An incident needs a title."}
	}
	if err := incident.TooLong("the title", title, incident.MaxTitleChars); err != nil {
		return declaration{}, map[string]string{InputTitle: render.SayLabel(incident.ErrorMessage(err, ""))}
	}
	if _, ok := h.cfg.Severity(sev); !ok {
		return declaration{}, map[string]string{InputSeverity: "Choose one of the severities."}
	}
	if err := incident.TooLong("the description", desc, incident.MaxTextChars); err != nil {
		return declaration{}, map[string]string{InputDescription: render.SayLabel(incident.ErrorMessage(err, ""))}
	}
	return declaration{by: in.UserID, title: title, severity: sev, description: desc,
		private: strings.Contains(in.Values[InputPrivate], "private"), quiet: strings.Contains(in.Values[InputPrivate], "quiet")}, nil
}

// FirstInput is the field of a submitted form to show an error about the
// whole form on.
func FirstInput(values map[string]string) string {
	for _, k := range []string{InputText, InputRole, InputUser, InputWentWell, InputTitle, InputWhat, InputIncident, InputReason, InputScenario} {
		if _, ok := values[k]; ok {
			return k
		}
	}
	return InputText
}

// Reaction is a reaction added to a message, as the Events API delivers it.
type Reaction struct {
	EventID   string
	UserID    string
	Name      string
	ChannelID string
	TS        string
}

// PinReaction is the reaction that puts a message on the timeline.
const PinReaction = "pushpin"

// OnTheTimeline is the bot's reaction to a message it put on the timeline:
// whoever pinned it sees it was taken.
const OnTheTimeline = "memo"

// Reacted puts a :pushpin:-ed message of an incident channel on the
// timeline. Slack may deliver an event more than once; the gate lets each
// event ID through once.
func (h *Response) Reacted(ctx context.Context, r Reaction) work.Result {
	res := work.Result{Name: "reaction", Outcome: work.OutcomeOK}
	if r.Name != PinReaction {
		res.Outcome = "ignored"
		return res
	}
	inc, err := h.store.ByChannel(ctx, r.ChannelID)
	if err != nil {
		res.Outcome = "ignored"
		return res
	}
	if inc.IsSuspect(r.UserID) {
		// Still in the channel (Slack refused to remove them): refused, logged, reported.
		res.Outcome = work.OutcomeUserError
		h.audit(ctx, inc, 0, r.UserID, "reaction "+PinReaction, res.Outcome, false)
		return res
	}
	if err := inc.StillRecording("a pinned message"); err != nil {
		res.Outcome = work.OutcomeUserError
		if err := h.tellPrivately(ctx, r.ChannelID, r.UserID, render.Refusal(incident.ErrorMessage(err, ""))); err != nil {
			h.log.Warn("could not answer a pin after the postmortem", "incident", inc.Number, "err", err)
		}
		return res
	}
	msg, err := h.chat.MessageAt(ctx, r.ChannelID, r.TS)
	if err != nil {
		h.log.Error("could not read the pinned message", "incident", inc.Number, "err", err)
		res.Outcome = work.OutcomeError
		return res
	}
	// Two people pinning at once: one finds the other's pin, across replicas.
	unlock, err := h.core.store.Lock(ctx, "pin:"+strconv.FormatInt(inc.Number, 10), 10*time.Second)
	if err != nil {
		h.log.Error("could not lock the incident's pins", "incident", inc.Number, "err", err)
		res.Outcome = work.OutcomeError
		return res
	}
	defer unlock()
	if h.pinnedBefore(ctx, inc.Number, msg.Permalink) {
		// Someone 📌-ed it before: it is on the timeline once, whoever pins it next.
		res.Outcome = "ignored"
		return res
	}
	ev := incident.Pinned(h.now(), r.UserID, msg.User, render.Truncate(render.Plain(msg.Text), 500), msg.Permalink)
	if err := h.store.AddEvents(ctx, inc.Number, ev); err != nil {
		h.log.Error("could not add the pinned message", "incident", inc.Number, "err", err)
		res.Outcome = work.OutcomeError
	} else if err := h.chat.React(ctx, r.ChannelID, r.TS, OnTheTimeline); err != nil {
		h.log.Warn("could not mark the pinned message as on the timeline", "incident", inc.Number, "err", err)
	}
	h.audit(ctx, inc, 0, r.UserID, "reaction "+PinReaction, res.Outcome, false)
	return res
}

// pinnedBefore reports whether the message at link is on the incident's
// timeline already, put there by an earlier :pushpin:.
func (h *Response) pinnedBefore(ctx context.Context, n int64, link string) bool {
	if link == "" {
		return false
	}
	events, err := h.store.Timeline(ctx, n)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(events, func(ev incident.TimelineEvent) bool {
		return ev.Kind == incident.EventPinned && ev.Link == link
	})
}

// Refused tells a person that a form they sent could not be done: it was
// acknowledged, then done late (its replica died first) and no longer
// passes its checks. The form is gone, so the reasons come by direct message.
func (h *Handler) Refused(ctx context.Context, in Interaction, fieldErrors map[string]string) work.Result {
	reasons := make([]any, 0, len(fieldErrors))
	for _, k := range slices.Sorted(maps.Keys(fieldErrors)) {
		reasons = append(reasons, fieldErrors[k])
	}
	h.directTeller(in.UserID)(ctx)(render.Refusal(incident.Say("What you sent in a form a while ago was not done: %s Nothing was changed.",
		incident.Join(" ", reasons...))))
	return work.Result{Name: "view:refused", Outcome: work.OutcomeUserError}
}

// NotTaken tells a person that what they asked was not done: the store did
// not take it.
func (h *Handler) NotTaken(ctx context.Context, userID, channelID, responseURL string) {
	in := Interaction{UserID: userID, ChannelID: channelID, ResponseURL: responseURL}
	h.teller(in)(ctx)(render.Failure(incident.Say("incidentbot cannot reach its store right now, so that was not done and nothing was changed. Try again in a moment.")))
}

// Repeated tells a person who sent a request again (a replay, a retry, a
// double click) that it ran once already and was not run again.
func (h *Handler) Repeated(ctx context.Context, userID, channelID, responseURL string) {
	in := Interaction{UserID: userID, ChannelID: channelID, ResponseURL: responseURL}
	h.teller(in)(ctx)(render.Info(incident.Say("That request was received before and has been handled; it was not run again.")))
}
