// Package bot is incidentbot's Slack transport: Socket Mode and signed HTTP
// requests in, Web API calls out, and the health and metrics endpoints. It is
// the only package that imports slack-go.
package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/render"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/work"
)

// NewSlackClient returns a Web API client. It does not retry by itself:
// Chat's calls go through the Outbound path, which does, on an injectable
// clock. Every call is counted in the metrics by the transport.
func NewSlackClient(botToken, appToken, apiURL string, m *Metrics) *slack.Client {
	opts := []slack.Option{
		slack.OptionAPIURL(apiURL),
		slack.OptionHTTPClient(&http.Client{Transport: m.instrument(http.DefaultTransport), Timeout: 30 * time.Second}),
	}
	if appToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(appToken))
	}
	return slack.New(botToken, opts...)
}

// Chat posts to Slack for the commands package, every call through the outbound path.
type Chat struct {
	log  *slog.Logger
	api  *slack.Client
	out  *Outbound
	http *http.Client // for response URLs, which are not Web API methods

	teamMu sync.Mutex
	team   string // the workspace's own team ID, once asked
}

// NewChat returns the Slack side of commands.Chat, with its outbound path on clock.
func NewChat(api *slack.Client, m *Metrics, clock work.Clock, log *slog.Logger) *Chat {
	c := &Chat{log: log, api: api, http: &http.Client{Transport: m.instrument(http.DefaultTransport), Timeout: 30 * time.Second}}
	c.out = NewOutbound(clock, m, log, func(ctx context.Context, channelID string) error {
		_, _, _, err := api.JoinConversationContext(ctx, channelID)
		return err
	})
	return c
}

var _ commands.Chat = (*Chat)(nil)

// CreateChannel creates a public or private channel.
func (c *Chat) CreateChannel(ctx context.Context, name string, private bool) (string, error) {
	var ch *slack.Channel
	err := c.out.Do(ctx, "", "conversations.create", func() (err error) {
		ch, err = c.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: private})
		return err
	})
	if isSlackError(err, "name_taken") {
		return "", fmt.Errorf("conversations.create %s: %w", name, commands.ErrNameTaken)
	}
	if err != nil {
		return "", fmt.Errorf("conversations.create %s: %w", name, err)
	}
	return ch.ID, nil
}

// Invite adds people to a channel; people already in it are fine.
func (c *Chat) Invite(ctx context.Context, channelID string, userIDs []string) error {
	if len(userIDs) == 0 {
		return nil
	}
	err := c.out.Do(ctx, channelID, "conversations.invite", func() error {
		_, err := c.api.InviteUsersToConversationContext(ctx, channelID, userIDs...)
		return err
	})
	if err != nil && !isSlackError(err, "already_in_channel") {
		return fmt.Errorf("conversations.invite %s: %w", channelID, err)
	}
	return nil
}

// Remove takes someone out of a channel (conversations.kick); someone not
// in it is no error.
func (c *Chat) Remove(ctx context.Context, channelID, userID string) error {
	err := c.out.Do(ctx, channelID, "conversations.kick", func() error {
		return c.api.KickUserFromConversationContext(ctx, channelID, userID)
	})
	if err != nil && !isSlackError(err, "not_in_channel") {
		return fmt.Errorf("conversations.kick %s: %w", channelID, err)
	}
	return nil
}

// Post posts a message and returns its timestamp.
func (c *Chat) Post(ctx context.Context, channelID string, msg render.Message) (string, error) {
	msg = c.guard("chat.postMessage", msg)
	opts, err := msgOptions(msg)
	if err != nil {
		return "", err
	}
	var ts string
	err = c.out.Do(ctx, channelID, "chat.postMessage", func() (err error) {
		_, ts, err = c.api.PostMessageContext(ctx, channelID, opts...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("chat.postMessage %s: %w", channelID, err)
	}
	return ts, nil
}

// Update edits a message in place.
func (c *Chat) Update(ctx context.Context, channelID, ts string, msg render.Message) error {
	msg = c.guard("chat.update", msg)
	opts, err := msgOptions(msg)
	if err != nil {
		return err
	}
	if err := c.out.Do(ctx, channelID, "chat.update", func() error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channelID, ts, opts...)
		return err
	}); err != nil {
		return fmt.Errorf("chat.update %s %s: %w", channelID, ts, err)
	}
	return nil
}

// Pin pins a message.
func (c *Chat) Pin(ctx context.Context, channelID, ts string) error {
	err := c.out.Do(ctx, channelID, "pins.add", func() error {
		return c.api.AddPinContext(ctx, channelID, slack.NewRefToMessage(channelID, ts))
	})
	if err != nil && !isSlackError(err, "already_pinned") {
		return fmt.Errorf("pins.add %s: %w", channelID, err)
	}
	return nil
}

// React adds the bot's reaction to a message; one already there is fine.
func (c *Chat) React(ctx context.Context, channelID, ts, name string) error {
	err := c.out.Do(ctx, channelID, "reactions.add", func() error {
		return c.api.AddReactionContext(ctx, name, slack.NewRefToMessage(channelID, ts))
	})
	if err != nil && !isSlackError(err, "already_reacted") {
		return fmt.Errorf("reactions.add %s: %w", channelID, err)
	}
	return nil
}

// SetTopic sets a channel's topic.
func (c *Chat) SetTopic(ctx context.Context, channelID, topic string) error {
	if t, changed := render.Neutralize(topic); changed {
		c.log.Error("neutralized live markup in a topic; some user text was not escaped")
		topic = t
	}
	if err := c.out.Do(ctx, channelID, "conversations.setTopic", func() error {
		_, err := c.api.SetTopicOfConversationContext(ctx, channelID, topic)
		return err
	}); err != nil {
		return fmt.Errorf("conversations.setTopic %s: %w", channelID, err)
	}
	return nil
}

// ShareWith makes posts keep Slack's one a second per channel across
// every replica that shares p.
func (c *Chat) ShareWith(p Pacer) { c.out.ShareWith(p) }

// Respond answers a command ephemerally through its response URL.
func (c *Chat) Respond(ctx context.Context, responseURL string, msg render.Message) error {
	body, err := ephemeralJSON(guard(c.log, "response_url", msg))
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	if err := c.out.Do(ctx, "", "response_url", func() error { return c.postJSON(ctx, responseURL, body) }); err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	return nil
}

// postJSON posts to a response URL; an answer other than 200 is an error
// of slack-go's kind, so the outbound path retries it as it would a Web
// API call (a 429 after its Retry-After, a 5xx with backoff).
func (c *Chat) postJSON(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &slack.RateLimitedError{RetryAfter: time.Duration(wait) * time.Second}
	case resp.StatusCode != http.StatusOK:
		return slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	return nil
}

// guard neutralizes any broadcast or display-reordering control that
// reached an outgoing message alive (render.Neutralize), and says so in
// the log: user text got past render.Text somewhere, which is a bug.
func (c *Chat) guard(method string, msg render.Message) render.Message {
	return guard(c.log, method, msg)
}

// guard is the last line of defence of every message the bot sends.
func guard(log *slog.Logger, method string, msg render.Message) render.Message {
	msg, changed := render.NeutralizeMessage(msg)
	if changed {
		log.Error("neutralized live markup in an outgoing message; some user text was not escaped", "method", method)
	}
	return render.PlaceCall(msg)
}

// ephemeralJSON is an answer to one person, as a response URL or an
// acknowledgement carries it. Our blocks are already Slack's JSON shape:
// encoded once, as they are.
func ephemeralJSON(msg render.Message) ([]byte, error) {
	return json.Marshal(struct {
		ResponseType string         `json:"response_type"`
		Text         string         `json:"text"`
		Blocks       []render.Block `json:"blocks,omitempty"`
	}{slack.ResponseTypeEphemeral, msg.Text, msg.Blocks})
}

// answerBody is an acknowledgement's body for an answer given at once; nil
// for none (the answer follows on the response URL, or there is none).
func answerBody(msg render.Message, log *slog.Logger) []byte {
	if msg.Text == "" && len(msg.Blocks) == 0 {
		return nil
	}
	body, err := ephemeralJSON(guard(log, "acknowledgement", msg))
	if err != nil {
		log.Error("could not encode an answer", "err", err)
		return nil
	}
	return body
}

func msgOptions(msg render.Message) ([]slack.MsgOption, error) {
	// No parsing and no linked names: only the markup the bot wrote comes alive.
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionParse(false), slack.MsgOptionLinkNames(false)}
	if len(msg.Blocks) > 0 {
		blocks := make([]slack.Block, len(msg.Blocks))
		for i, b := range msg.Blocks {
			blocks[i] = rawBlock(b)
		}
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	return opts, nil
}

// rawBlock hands one of our blocks, already in Slack's JSON shape, to
// slack-go as it is: encoded once, with no round trip through slack-go's
// types (which cost a third of the bot's CPU per command).
type rawBlock render.Block

func (b rawBlock) BlockType() slack.MessageBlockType {
	t, _ := b["type"].(string)
	return slack.MessageBlockType(t)
}

func (b rawBlock) ID() string {
	id, _ := b["block_id"].(string)
	return id
}

func (b rawBlock) MarshalJSON() ([]byte, error) { return json.Marshal(map[string]any(b)) }

func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err == code
	}
	return err != nil && err.Error() == code
}

// Ephemeral shows a message to one member of a channel.
func (c *Chat) Ephemeral(ctx context.Context, channelID, userID string, msg render.Message) error {
	msg = c.guard("chat.postEphemeral", msg)
	opts, err := msgOptions(msg)
	if err != nil {
		return err
	}
	if err := c.out.Do(ctx, channelID, "chat.postEphemeral", func() error {
		_, err := c.api.PostEphemeralContext(ctx, channelID, userID, opts...)
		return err
	}); err != nil {
		return fmt.Errorf("chat.postEphemeral %s: %w", channelID, err)
	}
	return nil
}

// OpenView opens a modal.
func (c *Chat) OpenView(ctx context.Context, triggerID string, view render.View) error {
	if render.NeutralizeView(view) {
		c.log.Error("neutralized live markup in a modal; some user text was not escaped")
	}
	raw, err := json.Marshal(view)
	if err != nil {
		return fmt.Errorf("encode view: %w", err)
	}
	var req slack.ModalViewRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return fmt.Errorf("decode view: %w", err)
	}
	if err := c.out.Do(ctx, "", "views.open", func() error {
		_, err := c.api.OpenViewContext(ctx, triggerID, req)
		return err
	}); err != nil {
		return fmt.Errorf("views.open: %w", err)
	}
	return nil
}

// PublishHome publishes a person's Home tab (views.publish).
func (c *Chat) PublishHome(ctx context.Context, userID string, view render.View) error {
	if render.NeutralizeView(view) {
		c.log.Error("neutralized live markup in a Home tab; some user text was not escaped")
	}
	raw, err := json.Marshal(view)
	if err != nil {
		return fmt.Errorf("encode view: %w", err)
	}
	var req slack.HomeTabViewRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return fmt.Errorf("decode view: %w", err)
	}
	if err := c.out.Do(ctx, "", "views.publish", func() error {
		_, err := c.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: req})
		return err
	}); err != nil {
		return fmt.Errorf("views.publish: %w", err)
	}
	return nil
}

// MessageAt reads one message of a channel and its permalink.
// IsMember reports whether a user is a member of a channel (conversations.members, every page).
func (c *Chat) IsMember(ctx context.Context, channelID, userID string) (bool, error) {
	cursor := ""
	for {
		var members []string
		err := c.out.Do(ctx, "", "conversations.members", func() (err error) {
			members, cursor, err = c.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channelID, Cursor: cursor, Limit: 1000})
			return err
		})
		if err != nil {
			return false, fmt.Errorf("conversations.members %s: %w", channelID, err)
		}
		if slices.Contains(members, userID) {
			return true, nil
		}
		if cursor == "" {
			return false, nil
		}
	}
}

// Permalink is a link to a message. It needs no membership of a public
// channel, so it works for a message the bot cannot read.
func (c *Chat) Permalink(ctx context.Context, channelID, ts string) (string, error) {
	var link string
	err := c.out.Do(ctx, "", "chat.getPermalink", func() (err error) {
		link, err = c.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channelID, Ts: ts})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("chat.getPermalink %s %s: %w", channelID, ts, err)
	}
	return link, nil
}

func (c *Chat) MessageAt(ctx context.Context, channelID, ts string) (commands.ChatMessage, error) {
	var hist *slack.GetConversationHistoryResponse
	err := c.out.Do(ctx, "", "conversations.history", func() (err error) {
		hist, err = c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channelID, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1,
		})
		return err
	})
	if err != nil {
		return commands.ChatMessage{}, fmt.Errorf("conversations.history %s %s: %w", channelID, ts, err)
	}
	if len(hist.Messages) == 0 {
		return commands.ChatMessage{}, fmt.Errorf("conversations.history %s %s: no such message", channelID, ts)
	}
	m := hist.Messages[0]
	var link string
	err = c.out.Do(ctx, "", "chat.getPermalink", func() (err error) {
		link, err = c.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channelID, Ts: ts})
		return err
	})
	if err != nil {
		return commands.ChatMessage{}, fmt.Errorf("chat.getPermalink %s %s: %w", channelID, ts, err)
	}
	return commands.ChatMessage{User: m.User, Text: m.Text, Permalink: link}, nil
}

// Upload shares a file in a channel with Slack's files upload v2 (get an
// upload URL, send the bytes, complete the upload) and returns its permalink.
// Each step is retried on its own, so a failing completion does not upload twice.
func (c *Chat) Upload(ctx context.Context, channelID, filename, title string, content []byte) (string, error) {
	var target *slack.GetUploadURLExternalResponse
	if err := c.out.Do(ctx, "", "files.getUploadURLExternal", func() (err error) {
		target, err = c.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: filename, FileSize: len(content)})
		return err
	}); err != nil {
		return "", fmt.Errorf("files.getUploadURLExternal %s: %w", filename, err)
	}
	if err := c.out.Do(ctx, "", "upload", func() error {
		return c.api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: target.UploadURL, Filename: filename, Content: string(content)})
	}); err != nil {
		return "", fmt.Errorf("upload %s: %w", filename, err)
	}
	if err := c.out.Do(ctx, channelID, "files.completeUploadExternal", func() error {
		_, err := c.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
			Files: []slack.FileSummary{{ID: target.FileID, Title: title}}, Channel: channelID})
		return err
	}); err != nil {
		return "", fmt.Errorf("files.completeUploadExternal %s: %w", filename, err)
	}
	var file *slack.File
	if err := c.out.Do(ctx, "", "files.info", func() (err error) {
		file, _, _, err = c.api.GetFileInfoContext(ctx, target.FileID, 0, 0)
		return err
	}); err != nil {
		return "", fmt.Errorf("files.info %s: %w", target.FileID, err)
	}
	return file.Permalink, nil
}

// Archive archives a channel; one archived already is fine.
func (c *Chat) Archive(ctx context.Context, channelID string) error {
	err := c.out.Do(ctx, channelID, "conversations.archive", func() error {
		return c.api.ArchiveConversationContext(ctx, channelID)
	})
	if err != nil && !isSlackError(err, "already_archived") {
		return fmt.Errorf("conversations.archive %s: %w", channelID, err)
	}
	return nil
}

// Outsider says whether a user is a guest account or a member of another
// organisation (in through Slack Connect), and which: "" for neither.
func (c *Chat) Outsider(ctx context.Context, userID string) (string, error) {
	u, err := c.userInfo(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.IsRestricted || u.IsUltraRestricted {
		return "a guest account", nil
	}
	team, err := c.ownTeam(ctx)
	if err != nil {
		return "", err
	}
	if u.IsStranger || (u.TeamID != "" && u.TeamID != team) {
		return "a member of another organisation", nil
	}
	return "", nil
}

// ownTeam is the workspace's team ID (auth.test), asked once.
func (c *Chat) ownTeam(ctx context.Context) (string, error) {
	c.teamMu.Lock()
	defer c.teamMu.Unlock()
	if c.team != "" {
		return c.team, nil
	}
	var r *slack.AuthTestResponse
	if err := c.out.Do(ctx, "", "auth.test", func() (err error) {
		r, err = c.api.AuthTestContext(ctx)
		return err
	}); err != nil {
		return "", fmt.Errorf("auth.test: %w", err)
	}
	c.team = r.TeamID
	return c.team, nil
}

// userInfo is users.info of a user.
func (c *Chat) userInfo(ctx context.Context, userID string) (*slack.User, error) {
	var u *slack.User
	if err := c.out.Do(ctx, "", "users.info", func() (err error) {
		u, err = c.api.GetUserInfoContext(ctx, userID)
		return err
	}); err != nil {
		return nil, fmt.Errorf("users.info %s: %w", userID, err)
	}
	return u, nil
}

// UserName returns a user's display name, or their real name.
func (c *Chat) UserName(ctx context.Context, userID string) (string, error) {
	u, err := c.userInfo(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.Profile.DisplayName != "" {
		return u.Profile.DisplayName, nil
	}
	if u.RealName != "" {
		return u.RealName, nil
	}
	return u.Name, nil
}
