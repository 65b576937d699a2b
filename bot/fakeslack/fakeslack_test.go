package fakeslack_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
)

// Slack's published example of a signed request.
func TestSignMatchesSlacksExample(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	got := fakeslack.Sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", []byte(body))
	want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func client(fs *fakeslack.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(fs.APIURL()), slack.OptionAppLevelToken(fs.AppToken))
}

func TestWebAPIBehavesLikeSlack(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	ctx := context.Background()
	api := client(fs, fs.BotToken)

	if _, err := client(fs, "xoxb-wrong").AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("wrong token: %v", err)
	}
	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.UserID != fs.BotUserID {
		t.Fatalf("auth.test = %+v, %v", auth, err)
	}

	ch, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-1-test", IsPrivate: true})
	if err != nil || ch.ID == "" || !ch.IsPrivate {
		t.Fatalf("create = %+v, %v", ch, err)
	}
	if _, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "inc-1-test"}); err == nil || err.Error() != "name_taken" {
		t.Errorf("second create: %v, want name_taken", err)
	}
	if _, err := api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: "Has Spaces"}); err == nil || err.Error() != "invalid_name_specials" {
		t.Errorf("bad name: %v", err)
	}

	if _, err := api.InviteUsersToConversationContext(ctx, ch.ID, "UALICE", "UBOB"); err != nil {
		t.Fatalf("invite: %v", err)
	}
	if _, err := api.InviteUsersToConversationContext(ctx, ch.ID, "UNOBODY"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("invite unknown user: %v", err)
	}
	_, ts, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*hello*", false, false), nil, nil)))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	if err := api.AddPinContext(ctx, ch.ID, slack.NewRefToMessage(ch.ID, ts)); err != nil {
		t.Fatalf("pin: %v", err)
	}
	if _, err := api.SetTopicOfConversationContext(ctx, ch.ID, "INC-1"); err != nil {
		t.Fatalf("topic: %v", err)
	}
	got, _ := fs.Channel(ch.ID)
	if len(got.Members) != 3 || got.Topic != "INC-1" || len(got.Pinned()) != 1 || got.Pinned()[0].Visible() != "*hello*" {
		t.Errorf("channel state: %+v", got)
	}

	other := fs.CreateChannel("general", false, "UALICE")
	if _, _, err := api.PostMessageContext(ctx, other, slack.MsgOptionText("hi", false)); err == nil || err.Error() != "not_in_channel" {
		t.Errorf("post outside: %v, want not_in_channel", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "CNOPE", slack.MsgOptionText("hi", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("post nowhere: %v, want channel_not_found", err)
	}
	tooMany := make([]slack.Block, 51)
	for i := range tooMany {
		tooMany[i] = slack.NewDividerBlock()
	}
	if _, _, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionBlocks(tooMany...)); err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("51 blocks: %v, want invalid_blocks", err)
	}
	if calls := fs.Calls("chat.postMessage"); len(calls) != 4 {
		t.Errorf("recorded %d chat.postMessage calls, want 4", len(calls))
	}
	// A checkbox option's text is at most 75 characters, as sent (escapes count).
	option := func(text string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject("0", slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil)
	}
	for text, want := range map[string]string{strings.Repeat("&amp;", 15): "", strings.Repeat("&amp;", 15) + "x": "invalid_blocks"} {
		boxes := slack.NewActionBlock("b", slack.NewCheckboxGroupsBlockElement("a", option(text)))
		_, _, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionBlocks(boxes))
		if got := fmt.Sprint(err); (want == "" && err != nil) || (want != "" && got != want) {
			t.Errorf("an option of %d characters: %v, want %q", len(text), err, want)
		}
	}
}

func TestInjectedFailures(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	ctx := context.Background()
	api := client(fs, fs.BotToken)

	fs.Fail("auth.test",
		fakeslack.Failure{Status: http.StatusTooManyRequests, RetryAfter: 7},
		fakeslack.Failure{Status: http.StatusServiceUnavailable},
		fakeslack.Failure{Error: "account_inactive"})
	_, err := api.AuthTestContext(ctx)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Errorf("first call: %v, want a RateLimitedError of 7s", err)
	}
	_, err = api.AuthTestContext(ctx)
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Errorf("second call: %v, want a 503", err)
	}
	if _, err = api.AuthTestContext(ctx); err == nil || err.Error() != "account_inactive" {
		t.Errorf("third call: %v", err)
	}
	if _, err = api.AuthTestContext(ctx); err != nil {
		t.Errorf("fourth call should succeed: %v", err)
	}
}

func TestSocketModeWithTheRealClient(t *testing.T) {
	fs := fakeslack.New()
	fs.PingInterval = 50 * time.Millisecond
	defer fs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	sm := socketmode.New(client(fs, fs.BotToken), socketmode.OptionPingInterval(time.Second))
	go func() { _ = sm.RunContext(ctx) }()
	go func() {
		for evt := range sm.Events {
			if evt.Type == socketmode.EventTypeSlashCommand {
				cmd := evt.Data.(slack.SlashCommand)
				_ = sm.Ack(*evt.Request, map[string]any{"text": "got " + cmd.Text})
			}
		}
	}()

	cmd := fs.NewCommand("UALICE", "CANY", "status 4")
	ack, err := fs.SendEnvelope(ctx, "slash_commands", cmd)
	if err != nil {
		t.Fatal(err)
	}
	if string(ack.Payload) != `{"text":"got status 4"}` {
		t.Errorf("ack payload = %s", ack.Payload)
	}
	// The pings keep the connection: it is still the first one after several intervals.
	time.Sleep(300 * time.Millisecond)
	if n := len(fs.Calls("apps.connections.open")); n != 1 || !fs.SocketConnected() {
		t.Errorf("connections opened = %d, connected %v", n, fs.SocketConnected())
	}
}

// Two runs of the stand-in hand out different IDs, requests included, so a
// store that outlives one run takes nothing of the next for its own.
func TestRunsHandOutDistinctIDs(t *testing.T) {
	ids := func(run int64) []string {
		fs := fakeslack.New()
		defer fs.Close()
		if run != 0 {
			fs.SetRun(run)
		}
		ch := fs.CreateChannel("general", false, fs.BotUserID, "UALICE")
		cmd := fs.NewCommand("UALICE", ch, "list")
		created, err := client(fs, fs.BotToken).CreateConversationContext(context.Background(), slack.CreateConversationParams{ChannelName: "inc-1-x"})
		if err != nil {
			t.Fatal(err)
		}
		return []string{ch, created.ID, cmd.TriggerID, cmd.ResponseURL[strings.LastIndex(cmd.ResponseURL, "/")+1:]}
	}
	plain, first, second := ids(0), ids(1_780_000_000), ids(1_780_000_001)
	if plain[0] != "C0000001" {
		t.Errorf("without a run the first channel is %s, want C0000001 as before", plain[0])
	}
	for i := range first {
		if first[i] == second[i] || first[i] == plain[i] {
			t.Errorf("ID %d is the same across runs: %s, %s, %s", i, plain[i], first[i], second[i])
		}
	}
	if !strings.HasPrefix(first[0], "C") || strings.ToUpper(first[0]) != first[0] || len(first[0]) > 21 {
		t.Errorf("a run's channel ID %q is not shaped like Slack's", first[0])
	}
}

// With a link base, file and message permalinks point there.
func TestLinksPointAtTheLinkBase(t *testing.T) {
	fs := fakeslack.New()
	defer fs.Close()
	fs.SetLinkBase("http://127.0.0.1:8080/")
	ctx := context.Background()
	api := client(fs, fs.BotToken)
	ch := fs.CreateChannel("general", false, fs.BotUserID, "UALICE")
	ts := fs.PostAs("UALICE", ch, "hello")
	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: ch, Ts: ts})
	if want := "http://127.0.0.1:8080/archives/" + ch + "/p" + strings.ReplaceAll(ts, ".", ""); err != nil || link != want {
		t.Errorf("permalink = %q, %v; want %q", link, err, want)
	}
	up, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "notes.md", FileSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Filename: "notes.md", Content: "hello"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: up.FileID, Title: "Notes"}}, Channel: ch}); err != nil {
		t.Fatal(err)
	}
	file, _, _, err := api.GetFileInfoContext(ctx, up.FileID, 0, 0)
	if want := "http://127.0.0.1:8080/files/" + up.FileID + "/notes.md"; err != nil || file.Permalink != want {
		t.Errorf("file permalink = %q, %v; want %q", file.Permalink, err, want)
	}
}
