package fakeslack

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Block Kit limits Slack enforces on messages.
const (
	maxBlocks         = 50
	maxSectionText    = 3000
	maxHeaderText     = 150
	maxTopicLength    = 250
	maxChannelNameLen = 80
	maxOptionText     = 75 // an option's text and its description
	maxOptions        = 10 // of a checkboxes element
)

var channelNameChars = regexp.MustCompile(`^[a-z0-9_-]+$`)

type apiError string

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	params, err := readParams(r)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = params.Get("token")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Method: method, Params: params, At: s.now()})
	defer s.notify()

	want := s.BotToken
	if method == "apps.connections.open" {
		want = s.AppToken
	}
	switch {
	case token == "":
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "not_authed"})
		return
	case token != want:
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}

	if queue := s.failures[method]; len(queue) > 0 && queue[0] == Pass {
		s.failures[method] = queue[1:]
	} else if len(queue) > 0 {
		f := queue[0]
		s.failures[method] = queue[1:]
		switch {
		case f.Status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", fmt.Sprint(f.RetryAfter))
			writeJSON(w, f.Status, map[string]any{"ok": false, "error": "ratelimited"})
		case f.Status != 0:
			http.Error(w, "upstream connect error", f.Status)
		default:
			s.calls[len(s.calls)-1].Error = f.Error
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": f.Error})
		}
		return
	}

	if s.postRate && method == "chat.postMessage" {
		ch, now := params.Get("channel"), time.Now()
		if last, ok := s.lastPosts[ch]; ok && now.Sub(last) < time.Second {
			s.calls[len(s.calls)-1].Error = "ratelimited"
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
			return
		}
		defer func() {
			if s.calls[len(s.calls)-1].Error == "" {
				s.lastPosts[ch] = now
			}
		}()
	}

	handler, ok := s.methods()[method]
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	resp, errCode := handler(params)
	s.calls[len(s.calls)-1].Error = string(errCode)
	if errCode != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": string(errCode)})
		return
	}
	if resp == nil {
		resp = map[string]any{}
	}
	resp["ok"] = true
	writeJSON(w, http.StatusOK, resp)
}

type methodFunc func(p url.Values) (map[string]any, apiError)

func (s *Server) methods() map[string]methodFunc {
	return map[string]methodFunc{
		"auth.test":                    s.authTest,
		"apps.connections.open":        s.connectionsOpen,
		"conversations.create":         s.conversationsCreate,
		"conversations.invite":         s.conversationsInvite,
		"conversations.kick":           s.conversationsKick,
		"conversations.info":           s.conversationsInfo,
		"conversations.join":           s.conversationsJoin,
		"conversations.setTopic":       s.conversationsSetTopic,
		"conversations.archive":        s.conversationsArchive,
		"chat.postMessage":             s.chatPostMessage,
		"chat.update":                  s.chatUpdate,
		"chat.postEphemeral":           s.chatPostEphemeral,
		"pins.add":                     s.pinsAdd,
		"reactions.add":                s.reactionsAdd,
		"users.info":                   s.usersInfo,
		"conversations.members":        s.conversationsMembers,
		"conversations.unarchive":      s.conversationsUnarchive,
		"conversations.history":        s.conversationsHistory,
		"chat.getPermalink":            s.chatGetPermalink,
		"views.open":                   s.viewsOpen,
		"views.publish":                s.viewsPublish,
		"files.getUploadURLExternal":   s.filesGetUploadURLExternal,
		"files.completeUploadExternal": s.filesCompleteUploadExternal,
		"files.info":                   s.filesInfo,
	}
}

func (s *Server) authTest(url.Values) (map[string]any, apiError) {
	return map[string]any{"url": s.srv.URL + "/", "team": "Fake Workspace", "user": "incidentbot",
		"team_id": s.TeamID, "user_id": s.BotUserID, "bot_id": "BFAKE"}, ""
}

func (s *Server) connectionsOpen(url.Values) (map[string]any, apiError) {
	return map[string]any{"url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/socket-mode?ticket=" + s.nextID("T")}, ""
}

func (s *Server) conversationsCreate(p url.Values) (map[string]any, apiError) {
	name := p.Get("name")
	switch {
	case name == "":
		return nil, "invalid_name_required"
	case utf8.RuneCountInString(name) > maxChannelNameLen:
		return nil, "invalid_name_maxlength"
	case !channelNameChars.MatchString(name):
		return nil, "invalid_name_specials"
	}
	for _, ch := range s.channels {
		if ch.Name == name {
			return nil, "name_taken"
		}
	}
	ch := &Channel{ID: s.nextID("C"), Name: name, Private: p.Get("is_private") == "true",
		Creator: s.BotUserID, Created: time.Now(), Members: []string{s.BotUserID}}
	s.channels[ch.ID] = ch
	return map[string]any{"channel": s.channelJSON(ch)}, ""
}

// memberChannel finds a channel the bot can act in. A user ID stands for
// the bot's direct-message channel with that user, as in chat.postMessage.
func (s *Server) memberChannel(id string) (*Channel, apiError) {
	if u := s.users[id]; u != nil && id != s.BotUserID {
		return s.dmWith(u.ID), ""
	}
	ch, ok := s.channels[id]
	switch {
	case !ok:
		return nil, "channel_not_found"
	case ch.Private && !slices.Contains(ch.Members, s.BotUserID):
		return nil, "channel_not_found" // a private channel the bot is not in does not exist for it
	case ch.Archived:
		return nil, "is_archived"
	case !slices.Contains(ch.Members, s.BotUserID):
		return nil, "not_in_channel"
	}
	return ch, ""
}

func (s *Server) dmWith(userID string) *Channel {
	for _, ch := range s.channels {
		if ch.DM == userID {
			return ch
		}
	}
	ch := &Channel{ID: s.nextID("D"), Name: "dm-" + userID, Private: true, DM: userID, Created: time.Now(),
		Members: []string{s.BotUserID, userID}}
	s.channels[ch.ID] = ch
	return ch
}

func (s *Server) conversationsHistory(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" && errCode != "is_archived" {
		return nil, errCode
	}
	latest, oldest, inclusive := p.Get("latest"), p.Get("oldest"), p.Get("inclusive") == "true" || p.Get("inclusive") == "1"
	var msgs []any
	for i := len(ch.Messages) - 1; i >= 0; i-- {
		m := ch.Messages[i]
		if m.VisibleTo != "" ||
			(latest != "" && (m.TS > latest || (!inclusive && m.TS == latest))) ||
			(oldest != "" && (m.TS < oldest || (!inclusive && m.TS == oldest))) {
			continue
		}
		msgs = append(msgs, map[string]any{"type": "message", "ts": m.TS, "user": m.User, "text": m.Text})
	}
	if limit, _ := strconv.Atoi(p.Get("limit")); limit > 0 && len(msgs) > limit {
		msgs = msgs[:limit]
	}
	return map[string]any{"messages": msgs, "has_more": false}, ""
}

func (s *Server) chatGetPermalink(p url.Values) (map[string]any, apiError) {
	ch, ok := s.channels[p.Get("channel")]
	if !ok {
		return nil, "channel_not_found"
	}
	ts := p.Get("message_ts")
	if !slices.ContainsFunc(ch.Messages, func(m Message) bool { return m.TS == ts }) {
		return nil, "message_not_found"
	}
	return map[string]any{"channel": ch.ID, "permalink": s.links() + "/archives/" + ch.ID + "/p" + strings.ReplaceAll(ts, ".", "")}, ""
}

func (s *Server) viewsOpen(p url.Values) (map[string]any, apiError) {
	user, ok := s.triggers[p.Get("trigger_id")]
	if !ok {
		return nil, "invalid_trigger_id"
	}
	delete(s.triggers, p.Get("trigger_id")) // a trigger opens one view
	raw := p.Get("view")
	var view struct {
		Type            string           `json:"type"`
		CallbackID      string           `json:"callback_id"`
		PrivateMetadata string           `json:"private_metadata"`
		Title           map[string]any   `json:"title"`
		Blocks          []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(raw), &view); err != nil || view.Type != "modal" {
		return nil, "invalid_arguments"
	}
	if t, _ := view.Title["text"].(string); t == "" || utf8.RuneCountInString(t) > 24 || len(view.Blocks) > 100 || len(view.PrivateMetadata) > 3000 {
		return nil, "invalid_arguments"
	}
	v := View{ID: s.nextID("V"), User: user, CallbackID: view.CallbackID, PrivateMetadata: view.PrivateMetadata,
		Blocks: view.Blocks, JSON: json.RawMessage(raw)}
	s.views[v.ID] = v
	return map[string]any{"view": map[string]any{"id": v.ID, "type": "modal", "callback_id": v.CallbackID}}, ""
}

// viewsPublish answers as Slack does: a Home tab of up to 100 blocks for a
// user of the workspace.
func (s *Server) viewsPublish(p url.Values) (map[string]any, apiError) {
	user := p.Get("user_id")
	if s.users[user] == nil {
		return nil, "user_not_found"
	}
	raw := p.Get("view")
	var view struct {
		Type   string           `json:"type"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(raw), &view); err != nil || view.Type != "home" {
		return nil, "invalid_arguments"
	}
	if len(view.Blocks) > 100 {
		return nil, "invalid_blocks"
	}
	if s.homes == nil {
		s.homes = map[string]View{}
	}
	v := View{ID: s.nextID("V"), User: user, Blocks: view.Blocks, JSON: json.RawMessage(raw)}
	s.homes[user] = v
	return map[string]any{"view": map[string]any{"id": v.ID, "type": "home"}}, ""
}

func (s *Server) conversationsInvite(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	ids := strings.Split(p.Get("users"), ",")
	var added []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		switch {
		case id == "":
			return nil, "no_user"
		case s.users[id] == nil:
			return nil, "user_not_found"
		case id == s.BotUserID:
			return nil, "cant_invite_self"
		case slices.Contains(ch.Members, id):
			continue
		}
		added = append(added, id)
	}
	if len(added) == 0 {
		return nil, "already_in_channel"
	}
	ch.Members = append(ch.Members, added...)
	return map[string]any{"channel": s.channelJSON(ch)}, ""
}

// conversationsKick answers as Slack does: not_in_channel for someone not
// in it, cant_kick_self for the bot itself.
func (s *Server) conversationsKick(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	id := p.Get("user")
	switch {
	case s.users[id] == nil:
		return nil, "user_not_found"
	case id == s.BotUserID:
		return nil, "cant_kick_self"
	case !slices.Contains(ch.Members, id):
		return nil, "not_in_channel"
	}
	ch.Members = slices.DeleteFunc(ch.Members, func(m string) bool { return m == id })
	return map[string]any{}, ""
}

func (s *Server) conversationsInfo(p url.Values) (map[string]any, apiError) {
	ch, ok := s.channels[p.Get("channel")]
	if !ok || (ch.Private && !slices.Contains(ch.Members, s.BotUserID)) {
		return nil, "channel_not_found"
	}
	return map[string]any{"channel": s.channelJSON(ch)}, ""
}

func (s *Server) conversationsMembers(p url.Values) (map[string]any, apiError) {
	ch, ok := s.channels[p.Get("channel")]
	if !ok || (ch.Private && !slices.Contains(ch.Members, s.BotUserID)) {
		return nil, "channel_not_found"
	}
	return map[string]any{"members": ch.Members, "response_metadata": map[string]any{"next_cursor": ""}}, ""
}

func (s *Server) conversationsJoin(p url.Values) (map[string]any, apiError) {
	ch, ok := s.channels[p.Get("channel")]
	switch {
	case !ok || ch.Private:
		return nil, "channel_not_found"
	case ch.Archived:
		return nil, "is_archived"
	}
	if !slices.Contains(ch.Members, s.BotUserID) {
		ch.Members = append(ch.Members, s.BotUserID)
	}
	return map[string]any{"channel": s.channelJSON(ch)}, ""
}

func (s *Server) conversationsSetTopic(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	topic := p.Get("topic")
	if utf8.RuneCountInString(topic) > maxTopicLength {
		return nil, "too_long"
	}
	ch.Topic = topic
	return map[string]any{"channel": s.channelJSON(ch)}, ""
}

func (s *Server) conversationsArchive(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode == "is_archived" {
		return nil, "already_archived"
	}
	if errCode != "" {
		return nil, errCode
	}
	ch.Archived = true
	return nil, ""
}

func (s *Server) conversationsUnarchive(p url.Values) (map[string]any, apiError) {
	ch, ok := s.channels[p.Get("channel")]
	if !ok {
		return nil, "channel_not_found"
	}
	if !ch.Archived {
		return nil, "not_archived"
	}
	ch.Archived = false
	return nil, ""
}

func (s *Server) chatPostMessage(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	msg, errCode := messageFrom(p)
	if errCode != "" {
		return nil, errCode
	}
	msg.TS, msg.User = s.nextTS(), s.BotUserID
	ch.Messages = append(ch.Messages, msg)
	return map[string]any{"channel": ch.ID, "ts": msg.TS, "message": map[string]any{"text": msg.Text, "ts": msg.TS}}, ""
}

func (s *Server) chatUpdate(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	i := slices.IndexFunc(ch.Messages, func(m Message) bool { return m.TS == p.Get("ts") && m.VisibleTo == "" })
	if i < 0 {
		return nil, "message_not_found"
	}
	if ch.Messages[i].User != s.BotUserID {
		return nil, "cant_update_message"
	}
	msg, errCode := messageFrom(p)
	if errCode != "" {
		return nil, errCode
	}
	msg.TS, msg.User, msg.Edited = ch.Messages[i].TS, s.BotUserID, true
	ch.Messages[i] = msg
	return map[string]any{"channel": ch.ID, "ts": msg.TS, "text": msg.Text}, ""
}

func (s *Server) chatPostEphemeral(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	user := p.Get("user")
	if !slices.Contains(ch.Members, user) {
		return nil, "user_not_in_channel"
	}
	msg, errCode := messageFrom(p)
	if errCode != "" {
		return nil, errCode
	}
	msg.TS, msg.User, msg.VisibleTo = s.nextTS(), s.BotUserID, user
	ch.Messages = append(ch.Messages, msg)
	return map[string]any{"message_ts": msg.TS}, ""
}

func (s *Server) pinsAdd(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	ts := p.Get("timestamp")
	if !slices.ContainsFunc(ch.Messages, func(m Message) bool { return m.TS == ts && m.VisibleTo == "" }) {
		return nil, "message_not_found"
	}
	if slices.Contains(ch.Pins, ts) {
		return nil, "already_pinned"
	}
	ch.Pins = append(ch.Pins, ts)
	return nil, ""
}

// reactionsAdd adds the bot's reaction to a message of a channel it is in.
func (s *Server) reactionsAdd(p url.Values) (map[string]any, apiError) {
	ch, errCode := s.memberChannel(p.Get("channel"))
	if errCode != "" {
		return nil, errCode
	}
	k := slices.IndexFunc(ch.Messages, func(m Message) bool { return m.TS == p.Get("timestamp") && m.VisibleTo == "" })
	name := p.Get("name")
	switch {
	case k < 0:
		return nil, "message_not_found"
	case name == "":
		return nil, "invalid_name"
	case slices.Contains(ch.Messages[k].Reactions, name):
		return nil, "already_reacted"
	}
	ch.Messages[k].Reactions = append(ch.Messages[k].Reactions, name)
	return nil, ""
}

func (s *Server) usersInfo(p url.Values) (map[string]any, apiError) {
	u, ok := s.users[p.Get("user")]
	if !ok {
		return nil, "user_not_found"
	}
	team := u.TeamID
	if team == "" {
		team = s.TeamID
	}
	return map[string]any{"user": map[string]any{"id": u.ID, "name": u.Name, "real_name": u.Name, "team_id": team,
		"is_restricted": u.Guest, "is_ultra_restricted": false,
		"profile": map[string]any{"display_name": u.Name, "real_name": u.Name}}}, ""
}

// messageFrom reads text and blocks as chat.postMessage takes them, enforcing Block Kit's limits.
func messageFrom(p url.Values) (Message, apiError) {
	msg := Message{Text: p.Get("text")}
	if raw := p.Get("blocks"); raw != "" && raw != "null" {
		var blocks []map[string]any
		if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
			return Message{}, "invalid_blocks_format"
		}
		if len(blocks) > maxBlocks {
			return Message{}, "invalid_blocks"
		}
		for _, b := range blocks {
			if errCode := checkBlock(b); errCode != "" {
				return Message{}, errCode
			}
		}
		if len(blocks) > 0 {
			msg.Blocks = json.RawMessage(raw)
		}
	}
	if msg.Text == "" && len(msg.Blocks) == 0 {
		return Message{}, "no_text"
	}
	return msg, ""
}

func checkBlock(b map[string]any) apiError {
	textOf := func(v any) (string, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		t, ok := m["text"].(string)
		return t, ok
	}
	switch b["type"] {
	case "header":
		t, ok := textOf(b["text"])
		if !ok || utf8.RuneCountInString(t) > maxHeaderText {
			return "invalid_blocks"
		}
	case "section":
		t, hasText := textOf(b["text"])
		fields, _ := b["fields"].([]any)
		if (!hasText && len(fields) == 0) || utf8.RuneCountInString(t) > maxSectionText || len(fields) > 10 {
			return "invalid_blocks"
		}
		for _, f := range fields {
			if ft, ok := textOf(f); !ok || utf8.RuneCountInString(ft) > 2000 {
				return "invalid_blocks"
			}
		}
	case "context", "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 25 {
			return "invalid_blocks"
		}
		for _, el := range els {
			e, _ := el.(map[string]any)
			opts, _ := e["options"].([]any)
			if len(opts) > maxOptions {
				return "invalid_blocks"
			}
			for _, o := range opts {
				om, _ := o.(map[string]any)
				t, ok := textOf(om["text"])
				d, _ := textOf(om["description"])
				if !ok || utf8.RuneCountInString(t) > maxOptionText || utf8.RuneCountInString(d) > maxOptionText {
					return "invalid_blocks"
				}
			}
		}
	case "divider", "image", "input", "rich_text":
	default:
		return "invalid_blocks"
	}
	return ""
}

func (s *Server) channelJSON(ch *Channel) map[string]any {
	return map[string]any{
		"id": ch.ID, "name": ch.Name, "is_channel": !ch.Private, "is_group": false, "is_private": ch.Private,
		"is_archived": ch.Archived, "creator": ch.Creator, "created": ch.Created.Unix(),
		"is_member": slices.Contains(ch.Members, s.BotUserID), "num_members": len(ch.Members),
		"topic": map[string]any{"value": ch.Topic},
	}
}

// readParams reads form or JSON parameters the way Slack accepts them.
func readParams(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		params := url.Values{}
		if len(strings.TrimSpace(string(body))) == 0 {
			return params, nil
		}
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, err
		}
		for k, v := range doc {
			if s, ok := v.(string); ok {
				params.Set(k, s)
			} else {
				b, _ := json.Marshal(v)
				params.Set(k, string(b))
			}
		}
		return params, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.Form, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
