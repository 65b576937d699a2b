package commands_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// env is the command handler wired to real parts: the store on Redis, and
// the Slack adapter calling the fake Slack through slack-go.
type env struct {
	slack   *fakeslack.Server
	store   *storage.Store
	h       *commands.Handler
	general string
}

func newEnv(t *testing.T, cfg config.File) *env {
	t.Helper()
	return newEnvAt(t, cfg, time.Now)
}

// newEnvAt is newEnv on the clock now.
func newEnvAt(t *testing.T, cfg config.File, now func() time.Time) *env {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	store := storage.New(redistest.Start(t).Client(t))
	metrics := bot.NewMetrics("test")
	api := bot.NewSlackClient(fs.BotToken, "", fs.APIURL(), metrics)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := commands.New(cfg, store, bot.NewChat(api, metrics, clocktest.Instant{}, log), log, fs.BotUserID, now, nil)
	return &env{slack: fs, store: store, h: h, general: fs.CreateChannel("general", false, "UALICE", "UBOB", "UCAROL")}
}

// run runs a command as user in channel and returns what the user was shown.
func (e *env) run(t *testing.T, user, channel, text string) (work.Result, string) {
	t.Helper()
	before, told := len(e.slack.Ephemerals(user)), e.told(channel)
	cmd := e.slack.NewCommand(user, channel, text)
	res := e.h.Handle(context.Background(), commands.Request{UserID: user, ChannelID: channel, Text: cmd.Text, ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID})
	shown, nowTold := e.slack.Ephemerals(user), e.told(channel)
	switch {
	case len(shown) == before+1 && len(nowTold) == len(told):
		return res, shown[len(shown)-1].Visible()
	case len(shown) == before && len(nowTold) == len(told)+1:
		return res, nowTold[len(nowTold)-1].Visible() // a change, told to the channel
	}
	t.Fatalf("/incident %s: %d answers shown to %s and %d told to the channel, want 1", text, len(shown)-before, user, len(nowTold)-len(told))
	return res, ""
}

// told is what a channel was told of changes made in it (render.Told).
func (e *env) told(channel string) []fakeslack.Message {
	ch, _ := e.slack.Channel(channel)
	var out []fakeslack.Message
	for _, m := range ch.Messages {
		if strings.Contains(string(m.Blocks), `"block_id":"`+render.ToldBlockID+`"`) {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) channelOf(t *testing.T, n int64) string {
	t.Helper()
	inc, err := e.store.Get(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return inc.ChannelID
}

func TestBadInputIsAnsweredAndChangesNothing(t *testing.T) {
	e := newEnv(t, config.Defaults())
	tests := []struct {
		text string
		want []string
	}{
		{"declare", []string{"needs a title", "Usage: `/incident declare &lt;title&gt; [sevN] [--private] [--quiet] [--tlp &lt;marking&gt;] [@people]`, for example `/incident declare Ransomware on file server sev1`."}},
		{"declare   sev1", []string{"needs a title"}},
		{"declare Phish sev9", []string{"no severity `sev9`", "`sev1`", "`sev4`"}},
		{"declare Phish sev1 sev2", []string{"one severity", "sev1 and sev2"}},
		{"declare Phish --secret", []string{"no option `--secret`", "Usage: `/incident declare"}},
		{"declare " + strings.Repeat("a", 501), []string{"501 characters", "keep it to 500"}},
		{"frobnicate", []string{"don't know `/incident frobnicate`", "/incident help"}},
		{"status", []string{"not an incident channel", "`/incident status 42` or `/incident status INC-42`."}},
		{"status 99", []string{"no incident INC-99"}},
		{"status INC-abc", []string{"`INC-abc` is not an incident number: write it as `42` or `INC-42`."}},
		{"status INC-1 extra", []string{"no incident INC-1"}},
		{"list everything", []string{"takes no arguments", "Usage: `/incident list`."}},
		{"phase next", []string{"not an incident channel", "`/incident phase 42 …`"}},
		{"close", []string{"not an incident channel", "/incident close 42"}},
		{"drill nosuch", []string{"no drill scenario `nosuch`", "`ransomware`"}},
		{"drill phishing and more", []string{"a scenario and the people to invite, nothing more", "`and more`"}},
		{"drill end", []string{"in the drill's channel", "/incident close"}},
		{"drill history nosuch more", []string{"takes one scenario at most"}},
		{"actions now", []string{"takes no arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			callsBefore := len(e.slack.Calls(""))
			_, shown := e.run(t, "UALICE", e.general, tt.text)
			for _, want := range tt.want {
				if !strings.Contains(shown, want) {
					t.Errorf("answer lacks %q:\n%s", want, shown)
				}
			}
			// The only call is the answer on the response URL.
			if calls := e.slack.Calls(""); len(calls) != callsBefore+1 || calls[len(calls)-1].Method != "response_url" {
				t.Errorf("bad input reached Slack: %+v", calls[callsBefore:])
			}
		})
	}
	if n, _ := e.store.NextNumber(context.Background()); n != 1 {
		t.Errorf("bad input used incident numbers: next is %d", n)
	}
}

func TestHelpComesFromTheTable(t *testing.T) {
	e := newEnv(t, config.Defaults())
	res, shown := e.run(t, "UBOB", e.general, "help")
	if res.Outcome != work.OutcomeOK {
		t.Errorf("outcome %q", res.Outcome)
	}
	for _, want := range []string{
		"`/incident declare &lt;title&gt; [sevN] [--private] [--quiet] [--tlp &lt;marking&gt;] [@people]`", "`/incident status [number]`", "`/incident list`",
		"`/incident phase &lt;phase|next&gt; [because &lt;reason&gt;]` — Move the incident to another phase; moving back needs a reason.", "`/incident close [--confirm] [summary]` — Close the incident: final broadcast, then the retro (--confirm: with containment actions still open).", "`/incident drill &lt;scenario&gt; [@people] [--private] | end | history [scenario]` — Start a practice incident of a scenario, with scripted injects (never to the stakeholders); end it with a score card; past drills.", "`sev1` Critical",
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("help lacks %q:\n%s", want, shown)
		}
	}
}

func TestStatusAndList(t *testing.T) {
	cfg := config.Defaults()
	e := newEnv(t, cfg)
	for _, text := range []string{"declare Phishing wave sev3", "declare Ransomware sev1", "declare Insider sev2 --private"} {
		if res, shown := e.run(t, "UALICE", e.general, text); res.Outcome != work.OutcomeOK {
			t.Fatalf("%s: %s", text, shown)
		}
	}
	e.slack.AddUser("UERIN", "erin")

	_, shown := e.run(t, "UALICE", e.channelOf(t, 2), "status")
	if !strings.Contains(shown, "INC-2: Ransomware") || !strings.Contains(shown, "`sev1`") {
		t.Errorf("status in the channel:\n%s", shown)
	}
	_, shown = e.run(t, "UALICE", e.channelOf(t, 2), "status 1")
	if !strings.Contains(shown, "INC-1: Phishing wave") {
		t.Errorf("status 1 in INC-2's channel:\n%s", shown)
	}
	_, shown = e.run(t, "UALICE", e.channelOf(t, 2), "note 42 hosts hit")
	if !strings.Contains(shown, "Noted on the timeline of INC-2") {
		t.Errorf("a note starting with a number in INC-2's channel:\n%s", shown)
	}
	_, shown = e.run(t, "UBOB", e.general, "status INC-1")
	if !strings.Contains(shown, "INC-1: Phishing wave") {
		t.Errorf("status INC-1:\n%s", shown)
	}
	// An outsider hears of a private incident exactly what they hear of one
	// that does not exist.
	_, private := e.run(t, "UERIN", e.general, "status 3")
	_, missing := e.run(t, "UERIN", e.general, "status 33")
	if strings.Contains(private, "Insider") || !strings.Contains(private, "There is no incident INC-3 that you can see") ||
		strings.ReplaceAll(private, "INC-3", "INC-n") != strings.ReplaceAll(missing, "INC-33", "INC-n") {
		t.Errorf("a private incident answers an outsider differently from a missing one:\n%s\n%s", private, missing)
	}

	_, shown = e.run(t, "UALICE", e.general, "list")
	i1, i2, i3 := strings.Index(shown, "INC-1"), strings.Index(shown, "INC-2"), strings.Index(shown, "INC-3")
	if !strings.Contains(shown, "Open incidents (3)") || i2 < 0 || i3 < i2 || i1 < i3 {
		t.Errorf("list for a member, want INC-2 (sev1), INC-3 (sev2), INC-1 (sev3):\n%s", shown)
	}
	_, shown = e.run(t, "UERIN", e.general, "list")
	if !strings.Contains(shown, "Open incidents (2)") || strings.Contains(shown, "Insider") {
		t.Errorf("list for an outsider shows the private incident:\n%s", shown)
	}
}

func TestListWhenQuiet(t *testing.T) {
	e := newEnv(t, config.Defaults())
	if _, shown := e.run(t, "UALICE", e.general, "list"); !strings.Contains(shown, "No open incidents") {
		t.Errorf("empty list: %s", shown)
	}
}

func TestDeclareInvitesMentionedPeople(t *testing.T) {
	e := newEnv(t, config.Defaults())
	e.run(t, "UALICE", e.general, "declare Lateral movement <@UCAROL|carol> sev2")
	ch, _ := e.slack.Channel(e.channelOf(t, 1))
	if ch.Name != "inc-1-lateral-movement" {
		t.Errorf("the mention leaked into the name: %q", ch.Name)
	}
	if !slices.Contains(ch.Members, "UCAROL") || !slices.Contains(ch.Members, "UALICE") {
		t.Errorf("members %v", ch.Members)
	}
}

func TestDeclareThroughSlackTrouble(t *testing.T) {
	e := newEnv(t, config.Defaults())

	// Slack pushes back with 429 and a 503: slack-go waits and retries, the user sees a normal declare.
	e.slack.Fail("conversations.create", fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 1})
	e.slack.Fail("chat.postMessage", fakeslack.Failure{Status: http.StatusServiceUnavailable})
	res, shown := e.run(t, "UALICE", e.general, "declare Credential stuffing sev2")
	if res.Outcome != work.OutcomeOK || !strings.Contains(shown, "Declared *INC-1*") || strings.Contains(shown, "could not") {
		t.Fatalf("declare through 429 and 503: %s", shown)
	}
	ch, _ := e.slack.Channel(e.channelOf(t, 1))
	if len(ch.Pinned()) != 1 {
		t.Errorf("card not pinned after the retry")
	}

	// A refusal Slack will not change its mind about: the user hears it, the incident stays recorded.
	e.slack.Fail("conversations.create", fakeslack.Failure{Error: "restricted_action"})
	res, shown = e.run(t, "UALICE", e.general, "declare Another one")
	if res.Outcome != work.OutcomeError || !strings.Contains(shown, "INC-2 is recorded") || !strings.Contains(shown, "(ref ") {
		t.Errorf("declare with channel creation refused: %s", shown)
	}
	if inc, err := e.store.Get(context.Background(), 2); err != nil || inc.ChannelID != "" {
		t.Errorf("INC-2 = %+v, %v", inc, err)
	}

	// The card cannot be pinned: the declare still completes and says what is missing.
	e.slack.Fail("pins.add", fakeslack.Failure{Error: "not_pinnable"})
	_, shown = e.run(t, "UALICE", e.general, "declare Third")
	if !strings.Contains(shown, "Declared *INC-3*") || !strings.Contains(shown, "could not pin the card") {
		t.Errorf("declare with pin refused: %s", shown)
	}
	tl, _ := e.store.Timeline(context.Background(), 3)
	if len(tl) != 4 || tl[0].Kind != incident.EventDeclared || tl[1].Kind != incident.EventChecklist || tl[2].Kind != incident.EventChannel || tl[3].Kind != incident.EventInvite {
		t.Errorf("timeline = %+v", tl)
	}
}

// Closed incidents are deleted once retro.keep_for has passed since their
// postmortem; younger ones, open ones and those with a containment action
// still open stay; with keep_for 0 nothing goes.
func TestRetentionDeletesOldClosedIncidents(t *testing.T) {
	for _, keep := range []time.Duration{0, 30 * 24 * time.Hour} {
		cfg := config.Defaults()
		cfg.Retro.KeepFor = keep
		e := newEnv(t, cfg)
		ctx := context.Background()
		now := time.Now()
		for n, closedAgo := range map[int64]time.Duration{1: 40 * 24 * time.Hour, 2: 10 * 24 * time.Hour, 3: -1, 4: 40 * 24 * time.Hour} {
			inc := &incident.Incident{Number: n, Title: "Old one", Severity: "sev3", Phase: incident.Lessons, Status: incident.Open,
				DeclaredBy: "UALICE", DeclaredAt: now.Add(-60 * 24 * time.Hour), Roles: map[string]string{"commander": "UALICE"}}
			if err := e.store.Create(ctx, inc); err != nil {
				t.Fatal(err)
			}
			if closedAgo > 0 {
				if _, err := e.store.Update(ctx, n, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
					i.Status, i.ClosedAt = incident.Closed, now.Add(-closedAgo)
					if n == 4 {
						_, events, err := i.AddContainment(now, "UBOB", incident.ContainIsolate, "host-12", "", time.Time{})
						return events, err
					}
					return nil, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := e.h.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := e.store.Get(ctx, 1)
		if gone := errors.Is(err, incident.ErrNotFound); gone != (keep > 0) {
			t.Errorf("keep_for %s: INC-1, closed 40 days ago, deleted: %v", keep, gone)
		}
		for _, n := range []int64{2, 3, 4} {
			if _, err := e.store.Get(ctx, n); err != nil {
				t.Errorf("keep_for %s: INC-%d was deleted: %v", keep, n, err)
			}
		}
	}
}
