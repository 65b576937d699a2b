package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
)

// Kinds of interaction.
const (
	InteractionAction     = "block_actions"
	InteractionSubmission = "view_submission"
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

	// view_submission
	CallbackID      string
	PrivateMetadata string
	Values          map[string]string // input block ID -> text, selected option or selected user
}

// Work is what remains to do after Slack has been answered.
type Work func(ctx context.Context) Result

// Interact checks an interaction at once and returns either the errors to
// show on a modal's fields (Slack keeps the modal open) or the work to do
// after the acknowledgement. Checks read the store but write nothing.
func (h *Handler) Interact(ctx context.Context, in Interaction) (map[string]string, Work) {
	switch in.Kind {
	case InteractionAction:
		return nil, h.actionWork(in)
	case InteractionSubmission:
		return h.submission(ctx, in)
	}
	return nil, nil
}

func (h *Handler) actionWork(in Interaction) Work {
	name := "action:" + in.ActionID
	if strings.HasPrefix(in.ActionID, ActionChecklist+":") {
		name = "action:" + ActionChecklist
	}
	return func(ctx context.Context) Result {
		err := h.action(ctx, in)
		return Result{Subcommand: name, Outcome: h.report(ctx, h.log.With("action", in.ActionID, "user", in.UserID), err, h.teller(ctx, in))}
	}
}

// teller shows a message to the user who interacted.
func (h *Handler) teller(ctx context.Context, in Interaction) func(Message) {
	return func(m Message) {
		var err error
		switch {
		case in.ResponseURL != "":
			err = h.chat.Respond(ctx, in.ResponseURL, m)
		case in.ChannelID != "":
			err = h.chat.Ephemeral(ctx, in.ChannelID, in.UserID, m)
		}
		if err != nil {
			h.log.Error("could not answer the user", "user", in.UserID, "err", err)
		}
	}
}

func (h *Handler) action(ctx context.Context, in Interaction) error {
	if strings.HasPrefix(in.ActionID, ActionChecklist+":") {
		return h.checklistAction(ctx, in)
	}
	if in.ActionID == ActionFollowUpDone {
		return h.followUpDone(ctx, in)
	}
	n, err := strconv.ParseInt(in.Value, 10, 64)
	if err != nil {
		return fmt.Errorf("action %s with value %q: %w", in.ActionID, in.Value, err)
	}
	inc, err := h.store.Get(ctx, n)
	if err != nil {
		return err
	}
	switch in.ActionID {
	case ActionNextPhase:
		_, err = h.movePhase(ctx, n, in.UserID, "", "")
		return err
	case ActionAssignRole:
		return h.chat.OpenView(ctx, in.TriggerID, assignModal(h.cfg, inc))
	case ActionPostUpdate:
		return h.chat.OpenView(ctx, in.TriggerID, updateModal(inc))
	case ActionAddNote:
		return h.chat.OpenView(ctx, in.TriggerID, noteModal(inc))
	case ActionAddLesson:
		if inc.Status == incident.Closed {
			return incident.Errorf("The postmortem of %s is already published.", inc.Ref())
		}
		return h.chat.OpenView(ctx, in.TriggerID, lessonModal(inc))
	}
	return fmt.Errorf("unknown action %q", in.ActionID)
}

func (h *Handler) checklistAction(ctx context.Context, in Interaction) error {
	// Block ID checklist:<number>:<phase>; action ID checklist:<group of ten>.
	parts := strings.Split(in.BlockID, ":")
	if len(parts) != 3 {
		return fmt.Errorf("checklist block %q", in.BlockID)
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return fmt.Errorf("checklist block %q: %w", in.BlockID, err)
	}
	phase, ok := incident.ParsePhase(parts[2])
	if !ok {
		return fmt.Errorf("checklist block %q: unknown phase", in.BlockID)
	}
	g, err := strconv.Atoi(strings.TrimPrefix(in.ActionID, ActionChecklist+":"))
	if err != nil {
		return fmt.Errorf("checklist action %q: %w", in.ActionID, err)
	}
	group := make([]int, 0, maxOptions)
	for i := g * maxOptions; i < (g+1)*maxOptions; i++ {
		group = append(group, i)
	}
	var selected []int
	for _, v := range in.Selected {
		if i, err := strconv.Atoi(v); err == nil {
			selected = append(selected, i)
		}
	}
	return h.tick(ctx, n, phase, in.UserID, group, selected)
}

func (h *Handler) submission(ctx context.Context, in Interaction) (map[string]string, Work) {
	if in.CallbackID == ModalDeclare {
		return h.declareSubmission(in)
	}
	n, err := strconv.ParseInt(in.PrivateMetadata, 10, 64)
	if err != nil {
		return map[string]string{firstInput(in.Values): "This form lost track of its incident; close it and start again from the card."}, nil
	}
	inc, err := h.store.Get(ctx, n)
	if err != nil {
		return map[string]string{firstInput(in.Values): "Could not read " + incident.FormatRef(n) + ": " + err.Error()}, nil
	}
	text := strings.TrimSpace(in.Values[InputText])
	var do func(ctx context.Context) error
	switch in.CallbackID {
	case ModalUpdate, ModalNote:
		switch l := utf8.RuneCountInString(text); {
		case l == 0:
			return map[string]string{InputText: "Write something first."}, nil
		case l > maxUpdateChars:
			return map[string]string{InputText: fmt.Sprintf("This is %d characters; keep it to %d.", l, maxUpdateChars)}, nil
		}
		if in.CallbackID == ModalUpdate {
			do = func(ctx context.Context) error { return h.postUpdate(ctx, n, in.UserID, text) }
		} else {
			do = func(ctx context.Context) error { return h.addNote(ctx, n, in.UserID, text) }
		}
	case ModalLesson:
		errs, work := h.lessonSubmission(in)
		if len(errs) > 0 {
			return errs, nil
		}
		do = work
	case ModalAssign:
		roleKey, user := in.Values[InputRole], in.Values[InputUser]
		role, ok := h.cfg.Role(roleKey)
		switch {
		case !ok:
			return map[string]string{InputRole: "Choose one of the roles."}, nil
		case user == "":
			return map[string]string{InputUser: "Choose the person to assign."}, nil
		case inc.Roles[role.Key] == user:
			return map[string]string{InputUser: "They already are the " + role.Name + "."}, nil
		case user == h.botUserID:
			return map[string]string{InputUser: "I can't hold a role myself; choose a person."}, nil
		}
		if role.Key == incident.CommanderRole {
			if err := h.mayLead(inc, in.UserID, "hand over the commander role"); err != nil {
				return map[string]string{InputRole: err.Error()}, nil
			}
		}
		do = func(ctx context.Context) error { _, err := h.assign(ctx, n, in.UserID, role.Key, user); return err }
	default:
		return nil, nil
	}
	in.ChannelID = inc.ChannelID // answers go to the incident channel
	return nil, func(ctx context.Context) Result {
		err := do(ctx)
		return Result{Subcommand: "view:" + in.CallbackID, Outcome: h.report(ctx, h.log.With("view", in.CallbackID, "user", in.UserID), err, h.teller(ctx, in))}
	}
}

// declareSubmission checks the declare form; the confirmation arrives by direct message.
func (h *Handler) declareSubmission(in Interaction) (map[string]string, Work) {
	title := strings.TrimSpace(in.Values[InputTitle])
	sev := in.Values[InputSeverity]
	desc := strings.TrimSpace(in.Values[InputDescription])
	switch l := utf8.RuneCountInString(title); {
	case l == 0:
		return map[string]string{InputTitle: "An incident needs a title."}, nil
	case l > maxTitleChars:
		return map[string]string{InputTitle: fmt.Sprintf("This is %d characters; keep it to %d.", l, maxTitleChars)}, nil
	}
	if _, ok := h.cfg.Severity(sev); !ok {
		return map[string]string{InputSeverity: "Choose one of the severities."}, nil
	}
	if l := utf8.RuneCountInString(desc); l > maxUpdateChars {
		return map[string]string{InputDescription: fmt.Sprintf("This is %d characters; keep it to %d.", l, maxUpdateChars)}, nil
	}
	d := declaration{by: in.UserID, title: title, severity: sev, description: desc,
		private: strings.Contains(in.Values[InputPrivate], "private")}
	return nil, func(ctx context.Context) Result {
		text, err := h.declareIncident(ctx, d)
		tell := func(m Message) {
			if _, err := h.chat.Post(ctx, in.UserID, m); err != nil {
				h.log.Error("could not answer the declarer", "user", in.UserID, "err", err)
			}
		}
		outcome := h.report(ctx, h.log.With("view", ModalDeclare, "user", in.UserID), err, tell)
		if err == nil {
			tell(textMessage(text))
		}
		return Result{Subcommand: "view:" + ModalDeclare, Outcome: outcome}
	}
}

func firstInput(values map[string]string) string {
	for _, k := range []string{InputText, InputRole, InputUser} {
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

// Reacted puts a :pushpin:-ed message of an incident channel on the
// timeline. Slack may deliver an event more than once; each event ID counts once.
func (h *Handler) Reacted(ctx context.Context, r Reaction) Result {
	res := Result{Subcommand: "reaction", Outcome: OutcomeOK}
	if r.Name != PinReaction {
		res.Outcome = "ignored"
		return res
	}
	inc, err := h.store.ByChannel(ctx, r.ChannelID)
	if err != nil {
		res.Outcome = "ignored"
		return res
	}
	first, err := h.store.FirstDelivery(ctx, r.EventID)
	if err != nil {
		h.log.Error("could not de-duplicate an event", "event", r.EventID, "err", err)
		res.Outcome = OutcomeError
		return res
	}
	if !first {
		res.Outcome = "duplicate"
		return res
	}
	msg, err := h.chat.MessageAt(ctx, r.ChannelID, r.TS)
	if err != nil {
		h.log.Error("could not read the pinned message", "incident", inc.Number, "err", err)
		res.Outcome = OutcomeError
		return res
	}
	author := "someone"
	if msg.User != "" {
		author = "<@" + msg.User + ">"
	}
	ev := incident.TimelineEvent{At: h.now(), Actor: r.UserID, Kind: incident.EventPinned,
		Text: truncate(author+": "+msg.Text, 500), Link: msg.Permalink}
	if err := h.store.AddEvents(ctx, inc.Number, ev); err != nil {
		h.log.Error("could not add the pinned message", "incident", inc.Number, "err", err)
		res.Outcome = OutcomeError
	}
	return res
}
