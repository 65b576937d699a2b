package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// A reason in any script is read as typed: /incident tlp never panics on
// it (a panic in queued work ends the process, and the journal redoes the
// request on the next replica), and the timeline keeps the reason whole.
func TestAttackTLPReasonInAnyScript(t *testing.T) {
	e := newEnv(t, config.Defaults())
	e.run(t, "UALICE", e.general, "declare Payroll fraud sev2 --tlp red")
	ch := e.channelOf(t, 1)
	handle := func(user, text string) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panicked: %v", p)
			}
		}()
		cmd := e.slack.NewCommand(user, ch, text)
		e.h.Handle(context.Background(), commands.Request{UserID: user, ChannelID: ch, Text: cmd.Text, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
		return nil
	}
	// Anyone in the channel: Ⱥ (2 bytes) lowers to ⱥ (3 bytes).
	if err := handle("UBOB", "tlp amber because"+strings.Repeat("Ⱥ", 8)); err != nil {
		t.Errorf("/incident tlp with a reason of Ⱥ: %v", err)
	}
	const reason = "İİİİ office asked for it"
	if err := handle("UALICE", "tlp amber because "+reason); err != nil {
		t.Fatalf("/incident tlp with a reason of İ: %v", err)
	}
	tl, _ := e.store.Timeline(context.Background(), 1)
	for _, ev := range tl {
		if ev.Kind == incident.EventTLP && ev.Reason != reason {
			t.Errorf("the timeline's reason is %q, want %q", ev.Reason, reason)
		}
	}
}
