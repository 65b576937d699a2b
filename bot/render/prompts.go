package render

import (
	"fmt"
	"time"
)

// NudgeView asks the comms lead (or the commander) for an update before a
// scheduled one goes out.
type NudgeView struct {
	Ref     string
	Who     string // "" when nobody is comms lead or commander
	Due     time.Time
	Overdue bool // sent after the update was due (the scheduler ran late)
	BlockID string
	Action  Action // the button that opens the update form
}

// Nudge draws the reminder with its Post update button.
func Nudge(v NudgeView) Message {
	// A clock time stays true as the message ages; "in 5 minutes" would not
	// read right once it had passed.
	due := "is due at " + Date(v.Due, "{time}")
	if v.Overdue {
		due = "was due at " + Date(v.Due, "{time}") + " and is overdue"
	}
	text := fmt.Sprintf(":bell: %s a stakeholder update for *%s* %s, and nothing has been posted since the last one. Post one now and it replaces the scheduled one.",
		User(v.Who), v.Ref, due)
	if v.Who == "" {
		text = fmt.Sprintf(":bell: A stakeholder update for *%s* %s; nobody is comms lead or commander.", v.Ref, due)
	}
	return Message{Text: fmt.Sprintf("A stakeholder update for %s is due soon", v.Ref), Blocks: []Block{
		Section(text), actions(v.BlockID, v.Action)}}
}

// RetroPromptView asks for lessons learned: in the channel, or (Personal)
// by direct message to someone who took part, or (Reminder) again to
// someone who has not added anything.
type RetroPromptView struct {
	Ref, Title string
	Deadline   time.Time
	Personal   bool
	Reminder   bool
	BlockID    string
	Action     Action // the button that opens the lessons form
}

// RetroPrompt draws the ask with its Add lessons learned button.
func RetroPrompt(v RetroPromptView) Message {
	var text string
	switch {
	case v.Reminder:
		text = fmt.Sprintf(":hourglass_flowing_sand: A reminder: the retro of *%s* closes at %s and you have not added anything yet. A line is enough.",
			v.Ref, Date(v.Deadline, "{date_short_pretty} {time}"))
	default:
		lead := fmt.Sprintf(":mag: *The retro of %s is open.* What we write down now is how the next incident goes better.", v.Ref)
		if v.Personal {
			lead = fmt.Sprintf(":mag: You took part in *%s: %s*. What we write down now is how the next incident goes better.", v.Ref, Text(Truncate(v.Title, 200)))
		}
		text = lead + fmt.Sprintf("\nAdd what went well, what went wrong, what to improve and follow-up actions by %s, when the postmortem is published.",
			Date(v.Deadline, "{date_short_pretty} {time}"))
	}
	return Message{Text: "The retro of " + v.Ref + " is open", Blocks: []Block{Section(text), actions(v.BlockID, v.Action)}}
}

func actions(blockID string, as ...Action) Block {
	buttons := make([]any, len(as))
	for i, a := range as {
		style := ""
		if a.Primary {
			style = "primary"
		}
		buttons[i] = Button(a.ID, a.Label, a.Value, style)
	}
	return Block{"type": "actions", "block_id": blockID, "elements": buttons}
}
