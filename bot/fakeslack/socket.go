package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socket is one Socket Mode connection from the app.
type socket struct {
	conn    *websocket.Conn
	writeMu sync.Mutex // gorilla/websocket allows one writer at a time
	done    chan struct{}
	once    sync.Once
}

func (so *socket) writeJSON(v any) error {
	so.writeMu.Lock()
	defer so.writeMu.Unlock()
	_ = so.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return so.conn.WriteJSON(v)
}

func (so *socket) close() {
	so.once.Do(func() {
		close(so.done)
		_ = so.conn.Close()
	})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	so := &socket{conn: conn, done: make(chan struct{})}
	defer so.close()
	hello := map[string]any{
		"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "AFAKE"},
		"debug_info":      map[string]any{"host": "fakeslack", "approximate_connection_time": 3600},
	}
	if err := so.writeJSON(hello); err != nil {
		return
	}
	s.mu.Lock()
	s.sockets = append(s.sockets, so)
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.sockets = slices.DeleteFunc(s.sockets, func(x *socket) bool { return x == so })
		s.notify()
		s.mu.Unlock()
	}()

	go func() { // Slack pings; slack-go reconnects when pings stop.
		t := time.NewTicker(s.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-so.done:
				return
			case <-t.C:
				so.writeMu.Lock()
				err := so.conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second))
				so.writeMu.Unlock()
				if err != nil {
					so.close()
					return
				}
			}
		}
	}()

	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		ch := s.acks[ack.EnvelopeID]
		delete(s.acks, ack.EnvelopeID)
		s.notify()
		s.mu.Unlock()
		if ch != nil {
			ch <- Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload}
		}
	}
}

// SocketConnected reports whether an app holds a Socket Mode connection.
func (s *Server) SocketConnected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sockets) > 0
}

// ErrNoAck is returned when the app does not acknowledge an envelope in time.
var ErrNoAck = errors.New("socket mode envelope not acknowledged")

// SendEnvelope pushes a Socket Mode envelope (type slash_commands,
// interactive or events_api) to the connected app and waits for its ack. It
// waits for a connection first.
func (s *Server) SendEnvelope(ctx context.Context, envelopeType string, payload any) (Ack, error) {
	if err := s.WaitFor(ctx, s.SocketConnected); err != nil {
		return Ack{}, fmt.Errorf("no socket mode connection: %w", err)
	}
	s.mu.Lock()
	id := s.nextID("E")
	so := s.sockets[len(s.sockets)-1]
	acked := make(chan Ack, 1)
	s.acks[id] = acked
	s.mu.Unlock()
	start := time.Now()
	env := map[string]any{"envelope_id": id, "type": envelopeType, "payload": payload,
		"accepts_response_payload": envelopeType != "events_api", "retry_attempt": 0, "retry_reason": ""}
	if err := so.writeJSON(env); err != nil {
		return Ack{}, fmt.Errorf("send envelope: %w", err)
	}
	select {
	case a := <-acked:
		a.Elapsed = time.Since(start)
		return a, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.acks, id)
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("%w: %s", ErrNoAck, id)
	}
}

// DisconnectSockets drops every Socket Mode connection, as Slack does on a refresh.
func (s *Server) DisconnectSockets() {
	s.mu.Lock()
	socks := slices.Clone(s.sockets)
	s.mu.Unlock()
	for _, so := range socks {
		so.close()
	}
}

// SlashCommand is what Slack sends when a user runs a slash command; the
// field names are Slack's, in the form and in the Socket Mode payload.
type SlashCommand struct {
	Token       string `json:"token"`
	TeamID      string `json:"team_id"`
	TeamDomain  string `json:"team_domain"`
	ChannelID   string `json:"channel_id"`
	ChannelName string `json:"channel_name"`
	UserID      string `json:"user_id"`
	UserName    string `json:"user_name"`
	Command     string `json:"command"`
	Text        string `json:"text"`
	ResponseURL string `json:"response_url"`
	TriggerID   string `json:"trigger_id"`
	APIAppID    string `json:"api_app_id"`
}

var slackMarkup = regexp.MustCompile(`<(?:[@#!][^<>]*|(?:https?|mailto):[^<>]*)>`)

// EscapeTyped escapes text as Slack does what people type into a slash
// command: &, < and > become entities, except in Slack's own markup
// (<@U123|name>, <#C123|name>, <!here>), which the client produced.
func EscapeTyped(text string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b strings.Builder
	last := 0
	for _, m := range slackMarkup.FindAllStringIndex(text, -1) {
		b.WriteString(esc.Replace(text[last:m[0]]))
		b.WriteString(text[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(esc.Replace(text[last:]))
	return b.String()
}

// Form encodes the command as Slack posts it to a request URL.
func (c SlashCommand) Form() []byte {
	return []byte(url.Values{
		"token": {c.Token}, "team_id": {c.TeamID}, "team_domain": {c.TeamDomain},
		"channel_id": {c.ChannelID}, "channel_name": {c.ChannelName},
		"user_id": {c.UserID}, "user_name": {c.UserName}, "command": {c.Command}, "text": {c.Text},
		"response_url": {c.ResponseURL}, "trigger_id": {c.TriggerID}, "api_app_id": {c.APIAppID},
	}.Encode())
}

// NewCommand builds `/incident <text>` typed by a user in a channel, with a
// response URL that posts back into this fake as ephemeral messages.
func (s *Server) NewCommand(userID, channelID, text string) SlashCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID("R")
	s.responses[id] = responseTarget{user: userID, channel: channelID}
	name := ""
	if u := s.users[userID]; u != nil {
		name = u.Name
	}
	chName := ""
	if ch := s.channels[channelID]; ch != nil {
		chName = ch.Name
	}
	trigger := s.nextTrigger()
	s.triggers[trigger] = userID
	return SlashCommand{
		Token: "deprecated-verification-token", TeamID: s.TeamID, TeamDomain: "fake",
		ChannelID: channelID, ChannelName: chName, UserID: userID, UserName: name,
		Command: "/incident", Text: EscapeTyped(text), ResponseURL: s.srv.URL + "/hooks/response/" + id,
		TriggerID: trigger, APIAppID: "AFAKE",
	}
}

// serveResponseURL takes what the app posts to a command's response_url.
// Ephemeral responses (the default) are shown to the user who ran the
// command; in_channel ones to everyone.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: "response_url", Params: url.Values{"payload": {string(body)}}, At: s.now()})
	defer s.notify()
	if queue := s.failures["response_url"]; len(queue) > 0 {
		f := queue[0]
		s.failures["response_url"] = queue[1:]
		switch {
		case f == Pass:
		case f.Status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", fmt.Sprint(f.RetryAfter))
			http.Error(w, "rate_limited", f.Status)
			return
		case f.Status != 0:
			http.Error(w, "upstream connect error", f.Status)
			return
		default:
			http.Error(w, f.Error, http.StatusBadRequest)
			return
		}
	}
	target, ok := s.responses[r.PathValue("id")]
	if !ok {
		http.Error(w, "expired_url", http.StatusNotFound)
		return
	}
	params := url.Values{"text": {msg.Text}}
	if len(msg.Blocks) > 0 {
		params.Set("blocks", string(msg.Blocks))
	}
	m, errCode := messageFrom(params)
	if errCode != "" {
		http.Error(w, string(errCode), http.StatusBadRequest)
		return
	}
	s.show(target.user, target.channel, m, !strings.EqualFold(msg.ResponseType, "in_channel"))
	_, _ = io.WriteString(w, "ok")
}

// show adds a message from the bot to a channel, seen by user only when
// ephemeral. The caller holds s.mu.
func (s *Server) show(user, channel string, m Message, ephemeral bool) {
	m.TS, m.User = s.nextTS(), s.BotUserID
	if ephemeral {
		m.VisibleTo = user
	}
	ch, ok := s.channels[channel]
	if !ok { // a DM or a channel the fake was not told about: keep the message somewhere visible
		ch = &Channel{ID: channel, Name: channel, Private: true, Members: []string{user}}
		s.channels[ch.ID] = ch
	}
	ch.Messages = append(ch.Messages, m)
}

// AckDeadline is how long Slack waits for an app to acknowledge a request.
const AckDeadline = 3 * time.Second

// ShowAck shows the person who ran a command what Slack would after the
// acknowledgement: the message it carries, if any, or, when it came too
// late, Slack's own error. Command does it; a test that delivers a command
// itself calls it with what came back.
func (s *Server) ShowAck(cmd SlashCommand, d Delivered) {
	var body struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	var m Message
	switch {
	case d.Elapsed > AckDeadline:
		m = Message{Text: cmd.Command + ` failed with the error "operation_timeout"`}
	case json.Unmarshal(d.Body, &body) == nil && (body.Text != "" || len(body.Blocks) > 0):
		params := url.Values{"text": {body.Text}}
		if len(body.Blocks) > 0 {
			params.Set("blocks", string(body.Blocks))
		}
		var errCode apiError
		if m, errCode = messageFrom(params); errCode != "" {
			m = Message{Text: cmd.Command + ` failed with the error "invalid_blocks"`}
		}
	default:
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify()
	s.show(cmd.UserID, cmd.ChannelID, m, true)
}
