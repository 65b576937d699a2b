package commands_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// declare declares an incident as alice and returns its channel.
func (e *env) declare(t *testing.T, text string) string {
	t.Helper()
	if res, shown := e.run(t, "UALICE", e.general, "declare "+text); res.Outcome != work.OutcomeOK {
		t.Fatalf("declare %s: %s", text, shown)
	}
	open, _ := e.store.ListOpen(context.Background())
	return open[len(open)-1].ChannelID
}

func TestFiftyConcurrentNotesAllLand(t *testing.T) {
	e := newEnv(t, config.Defaults())
	ch := e.declare(t, "Busy incident")
	before, _ := e.store.Timeline(context.Background(), 1)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			cmd := e.slack.NewCommand("UBOB", ch, fmt.Sprintf("note finding %d", i))
			res := e.h.Handle(context.Background(), commands.Request{UserID: "UBOB", ChannelID: ch, Text: cmd.Text, ResponseURL: cmd.ResponseURL})
			if res.Outcome != work.OutcomeOK {
				t.Errorf("note %d: %s", i, res.Outcome)
			}
		})
	}
	wg.Wait()
	tl, _ := e.store.Timeline(context.Background(), 1)
	seen := map[string]bool{}
	for _, ev := range tl[len(before):] {
		if ev.Kind == incident.EventNote {
			seen[ev.Text] = true
		}
	}
	if len(seen) != 50 {
		t.Errorf("%d of 50 notes landed", len(seen))
	}
}

func TestConcurrentChangesKeepEveryWrite(t *testing.T) {
	e := newEnv(t, config.Defaults())
	ch := e.declare(t, "Contested incident")
	var wg sync.WaitGroup
	// Roles, ticks and updates on one incident at once: each lands, none overwrites another.
	for _, text := range []string{"assign comms <@UCAROL>", "assign tech <@UBOB>", "assign scribe <@UDAVE>", "update Working on it", "severity sev1"} {
		wg.Go(func() {
			cmd := e.slack.NewCommand("UALICE", ch, text)
			if res := e.h.Handle(context.Background(), commands.Request{UserID: "UALICE", ChannelID: ch, Text: text, ResponseURL: cmd.ResponseURL}); res.Outcome != work.OutcomeOK {
				t.Errorf("%s: %s", text, res.Outcome)
			}
		})
	}
	wg.Wait()
	inc, _ := e.store.Get(context.Background(), 1)
	if inc.Roles["comms"] != "UCAROL" || inc.Roles["tech"] != "UBOB" || inc.Roles["scribe"] != "UDAVE" || inc.LastUpdate != "Working on it" || inc.Severity != "sev1" {
		t.Errorf("a write was lost: %+v", inc)
	}
	// The card, edited last, shows all of it.
	for _, call := range e.slack.Calls("") {
		if call.Error != "" {
			t.Errorf("Slack refused %s: %s", call.Method, call.Error)
		}
	}
	c, _ := e.slack.Channel(ch)
	card := c.Pinned()[0].Visible()
	for _, want := range []string{"<@UCAROL>", "<@UBOB>", "<@UDAVE>", "Working on it", "`sev1`"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
}

func TestPhaseRules(t *testing.T) {
	cfg := config.Defaults()
	cfg.Admins = []string{"UDAVE"}
	e := newEnv(t, cfg)
	ch := e.declare(t, "Worm outbreak sev1")
	tests := []struct {
		user, text, want string
		phase            incident.Phase
	}{
		{"UBOB", "phase eradication", "Phase: Identification → Eradication", incident.Eradication},
		{"UBOB", "phase eradication", "already in Eradication", incident.Eradication},
		{"UALICE", "phase containment", "needs a reason: `/incident phase containment because &lt;reason&gt;`", incident.Eradication},
		{"UALICE", "phase containment because", "Give the reason after `because`.", incident.Eradication},
		{"UALICE", "phase containment since reinfection", "After the phase, give `because &lt;reason&gt;`, or nothing.", incident.Eradication},
		{"UBOB", "phase containment because reinfection found", "Only the incident commander (<@UALICE>) or an admin can move the phase back", incident.Eradication},
		{"UDAVE", "phase containment because reinfection found", "Phase moved back: Eradication → Containment (because reinfection found)", incident.Containment},
		{"UBOB", "phase", "Which phase?", incident.Containment},
		{"UBOB", "phase lessons", "Phase: Containment → Lessons learned", incident.Lessons},
		{"UBOB", "phase next", "already in the last phase", incident.Lessons},
	}
	for _, tt := range tests {
		_, shown := e.run(t, tt.user, ch, tt.text)
		if !strings.Contains(shown, tt.want) {
			t.Errorf("%s by %s answered %q, want %q", tt.text, tt.user, shown, tt.want)
		}
		if inc, _ := e.store.Get(context.Background(), 1); inc.Phase != tt.phase {
			t.Errorf("after %s: phase %s, want %s", tt.text, inc.Phase, tt.phase)
		}
	}
	tl, _ := e.store.Timeline(context.Background(), 1)
	var back string
	for _, ev := range tl {
		if ev.Kind == incident.EventPhase && ev.Reason != "" {
			back = fmt.Sprintf("%s → %s (%s) by %s", ev.From, ev.To, ev.Reason, ev.Actor)
		}
	}
	if back != "eradication → containment (because reinfection found) by UDAVE" {
		t.Errorf("the move back is recorded as %q", back)
	}
	// Each phase's checklist was posted once, when the phase first began.
	c, _ := e.slack.Channel(ch)
	posted := map[string]int{}
	for _, m := range c.Messages {
		if strings.Contains(m.Text, " checklist for INC-1") {
			posted[strings.Fields(m.Text)[0]]++
		}
	}
	if posted["Identification"] != 1 || posted["Eradication"] != 1 || posted["Containment"] != 1 || posted["Lessons"] != 1 {
		t.Errorf("checklists posted: %v", posted)
	}
}

func TestRolesAndSeverityErrors(t *testing.T) {
	e := newEnv(t, config.Defaults())
	ch := e.declare(t, "Account takeover")
	tests := []struct{ user, text, want string }{
		{"UBOB", "assign boss <@UCAROL>", "There is no role `boss`. Roles: `commander` (Incident Commander), `comms`"},
		{"UBOB", "assign comms", "Name one role and one person. Usage: `/incident assign &lt;role&gt; &lt;@user&gt;`"},
		{"UBOB", "assign comms <@UCAROL> <@UDAVE>", "Name one role and one person"},
		{"UBOB", "assign commander <@UBOB>", "Only the incident commander (<@UALICE>) or an admin can hand over the commander role"},
		{"UBOB", "assign comms <@UBOT>", "I can't hold a role myself"},
		{"UBOB", "unassign comms", "Nobody is the Communications Lead of INC-1"},
		{"UBOB", "severity", "Give one severity"},
		{"UBOB", "severity sev7", "There is no severity `sev7`"},
		{"UBOB", "severity critical", "There is no severity `critical`. Choose one of: `sev1`"},
		{"UBOB", "severity sev1", "Only the incident commander (<@UALICE>) or an admin can change the severity"},
		{"UALICE", "severity sev3", "already sev3"},
		{"UBOB", "update", "An update needs text"},
		{"UBOB", "note", "A note needs text"},
		{"UBOB", "timeline page x", "`x` is not a page number"},
		{"UBOB", "timeline page 9", "The timeline of INC-1 has 1 page; there is no page 9."},
	}
	before, _ := e.store.Timeline(context.Background(), 1)
	for _, tt := range tests {
		if _, shown := e.run(t, tt.user, ch, tt.text); !strings.Contains(shown, tt.want) {
			t.Errorf("%s by %s answered %q, want %q", tt.text, tt.user, shown, tt.want)
		}
	}
	if after, _ := e.store.Timeline(context.Background(), 1); len(after) != len(before) {
		t.Errorf("refused commands changed the timeline: %d → %d events", len(before), len(after))
	}

	// Handing over command, then the new commander decides.
	if _, shown := e.run(t, "UALICE", ch, "assign commander <@UBOB>"); !strings.Contains(shown, "Incident Commander: <@UALICE> → <@UBOB>") {
		t.Errorf("handover: %s", shown)
	}
	if _, shown := e.run(t, "UBOB", ch, "severity sev1"); !strings.Contains(shown, "Severity: sev3 → sev1") {
		t.Errorf("new commander's severity: %s", shown)
	}
	if _, shown := e.run(t, "UBOB", ch, "unassign commander"); !strings.Contains(shown, "Incident Commander: <@UBOB> stepped down") {
		t.Errorf("step down: %s", shown)
	}
	// Without a commander anyone may lead.
	if _, shown := e.run(t, "UCAROL", ch, "severity sev2"); !strings.Contains(shown, "Severity: sev1 → sev2") {
		t.Errorf("severity without a commander: %s", shown)
	}
	_, shown := e.run(t, "UCAROL", ch, "roles")
	if !strings.Contains(shown, "Incident Commander (`commander`): _unassigned_") {
		t.Errorf("roles: %s", shown)
	}
	tl, _ := e.store.Timeline(context.Background(), 1)
	var handover string
	for _, ev := range tl {
		if ev.Kind == incident.EventRole && ev.From != "" && ev.To != "" {
			handover = fmt.Sprintf("%s: %s → %s", ev.Role, ev.From, ev.To)
		}
	}
	if handover != "commander: UALICE → UBOB" {
		t.Errorf("handover recorded as %q", handover)
	}
}

// Every message the bot posts stays within render.Block Kit's limits, even for the
// longest title allowed and a timeline of 1,000 long events: the fake Slack
// refuses what real Slack would (invalid_blocks), and the answers must arrive.
func TestBlockKitLimitsHold(t *testing.T) {
	cfg := config.Defaults()
	e := newEnv(t, cfg)
	title := strings.Repeat("Exfiltration of customer records via <misconfigured> & exposed bucket ", 8)[:500]
	ch := e.declare(t, title+" sev1")
	inc, _ := e.store.Get(context.Background(), 1)
	if inc.Title != strings.TrimSpace(title) || inc.CardTS == "" {
		t.Fatalf("stored %q, card %q", inc.Title, inc.CardTS)
	}
	long := strings.Repeat("evidence <x> & more ", 200)
	for _, text := range []string{"assign comms <@UCAROL>", "phase next", "update " + long[:2900], "note " + long[:2900]} {
		if res, shown := e.run(t, "UALICE", ch, text); res.Outcome != work.OutcomeOK {
			t.Fatalf("%s: %s", text[:20], shown)
		}
	}
	for i := range 1000 {
		ev := incident.TimelineEvent{At: time.Now(), Actor: "UBOB", Kind: incident.EventNote, Text: fmt.Sprintf("%d %s", i, long)}
		if err := e.store.AddEvents(context.Background(), 1, ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{"timeline", "timeline page 2", "timeline page 26", "status", "list", "roles", "help"} {
		if res, shown := e.run(t, "UALICE", ch, text); res.Outcome != work.OutcomeOK {
			t.Errorf("%s: %s", text, shown)
		}
	}
	for _, call := range e.slack.Calls("") {
		if call.Error != "" {
			t.Errorf("Slack refused %s: %s", call.Method, call.Error)
		}
	}
	c, _ := e.slack.Channel(ch)
	card := c.Pinned()
	if len(card) != 1 || !card[0].Edited {
		t.Fatal("the card was not kept up to date")
	}
	tl, _ := e.store.Timeline(context.Background(), 1)
	first, total, err := e.store.TimelinePage(context.Background(), 1, 1, 40)
	if err != nil || total != len(tl) || len(first) != 40 || !reflect.DeepEqual(first, tl[len(tl)-40:]) {
		t.Fatalf("page 1 of %d events: %d events, total %d, %v", len(tl), len(first), total, err)
	}
	msg, err := commands.TimelineMessage(cfg, inc, first, total, 1)
	if err != nil || len(msg.Blocks) > 50 {
		t.Fatalf("timeline page: %d blocks, %v", len(msg.Blocks), err)
	}
	lastPage := (len(tl) + 39) / 40
	events, _, err := e.store.TimelinePage(context.Background(), 1, lastPage, 40)
	if err != nil || len(events) != len(tl)-(lastPage-1)*40 || !reflect.DeepEqual(events, tl[:len(events)]) {
		t.Fatalf("last page: %d events, %v", len(events), err)
	}
	last, err := commands.TimelineMessage(cfg, inc, events, total, lastPage)
	if err != nil || !strings.Contains(last.Text, fmt.Sprintf("(%d events)", len(tl))) {
		t.Fatalf("last page: %v", err)
	}
}

func TestMentionsInUpdatesStayMentions(t *testing.T) {
	e := newEnv(t, config.Defaults())
	ch := e.declare(t, "Token leak")
	e.run(t, "UALICE", ch, "update <@UBOB|bob> rotated the keys; 3 < 4 & done")
	c, _ := e.slack.Channel(ch)
	card := c.Pinned()[0].Visible()
	if !strings.Contains(card, "<@UBOB> rotated the keys; 3 &lt; 4 &amp; done") {
		t.Errorf("the card's last update: %q", card)
	}
	var update string
	for _, m := range c.SeenBy("") {
		if strings.HasPrefix(m.Text, "Update on INC-1") {
			update = m.Visible()
		}
	}
	if !strings.Contains(update, "<@UBOB> rotated the keys") {
		t.Errorf("the update message: %q", update)
	}
}

// A scheduled update whose run is done again because it could not record
// what it sent (Redis stalled between the post and the record) is not
// posted a second time.
func TestScheduledUpdateDoneAgainIsNotPostedTwice(t *testing.T) {
	cfg := config.Defaults()
	e := newEnv(t, cfg)
	ch := e.declare(t, "Cadence drill sev1")
	ctx := context.Background()
	if _, err := e.store.Update(ctx, 1, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		i.DeclaredAt = i.DeclaredAt.Add(-2 * time.Hour) // the first update is long due
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	posts := func() int {
		c, _ := e.slack.Channel(ch)
		n := 0
		for _, m := range c.Messages {
			if m.VisibleTo == "" && strings.Contains(m.Text, "Scheduled update") {
				n++
			}
		}
		return n
	}
	if _, err := e.h.RunScheduled(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if posts() != 1 {
		t.Fatalf("%d scheduled updates posted, want 1", posts())
	}
	// As if its record had not landed: the same update is due again.
	if _, err := e.store.Update(ctx, 1, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
		i.LastScheduledAt = time.Time{}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.h.RunScheduled(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := posts(); got != 1 {
		t.Errorf("the update run again posted %d in all, want 1", got)
	}
}
