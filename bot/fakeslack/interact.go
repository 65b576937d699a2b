package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// View is a modal the app opened.
type View struct {
	ID              string
	User            string
	CallbackID      string
	PrivateMetadata string
	Blocks          []map[string]any
	JSON            json.RawMessage
}

// Delivered is the app's answer to something the fake sent it: the HTTP
// response in HTTP mode, the ack in Socket Mode.
type Delivered struct {
	Status  int // HTTP mode only
	Body    json.RawMessage
	Elapsed time.Duration
}

// UseRequestURLs makes the fake send to the app's request URLs
// (baseURL + /slack/commands, /slack/interactions, /slack/events), signed
// with secret, as in HTTP mode. Without it the fake uses Socket Mode.
func (s *Server) UseRequestURLs(baseURL, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requestURL, s.signingSecret = strings.TrimSuffix(baseURL, "/"), secret
}

// deliver sends an envelope of a kind (slash_commands, interactive, events_api) the way the app is connected.
func (s *Server) deliver(ctx context.Context, kind string, payload any) (Delivered, error) {
	s.mu.Lock()
	base, secret := s.requestURL, s.signingSecret
	s.mu.Unlock()
	if base == "" {
		s.mu.Lock()
		s.last = lastDelivery{kind: kind, payload: payload}
		s.mu.Unlock()
		ack, err := s.SendEnvelope(ctx, kind, payload)
		return Delivered{Body: ack.Payload, Elapsed: ack.Elapsed}, err
	}
	var path, contentType string
	var body []byte
	switch kind {
	case "slash_commands":
		path, contentType, body = "/slack/commands", "application/x-www-form-urlencoded", payload.(SlashCommand).Form()
	case "interactive":
		raw, _ := json.Marshal(payload)
		path, contentType, body = "/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(raw)}}.Encode())
	case "events_api":
		raw, _ := json.Marshal(payload)
		path, contentType, body = "/slack/events", "application/json", raw
	default:
		return Delivered{}, fmt.Errorf("unknown delivery kind %q", kind)
	}
	req, err := SignedRequest(ctx, base+path, secret, contentType, body, time.Now())
	if err != nil {
		return Delivered{}, err
	}
	d := lastDelivery{kind: kind, payload: payload, url: base + path, contentType: contentType, body: body,
		timestamp: req.Header.Get("X-Slack-Request-Timestamp"), signature: req.Header.Get("X-Slack-Signature")}
	s.mu.Lock()
	s.last = d
	s.mu.Unlock()
	return s.post(ctx, d)
}

// post sends one delivery as it was signed.
func (s *Server) post(ctx context.Context, d lastDelivery) (Delivered, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return Delivered{}, err
	}
	req.Header.Set("Content-Type", d.contentType)
	req.Header.Set("X-Slack-Request-Timestamp", d.timestamp)
	req.Header.Set("X-Slack-Signature", d.signature)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Delivered{}, err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return Delivered{Status: resp.StatusCode, Body: bytes.TrimSpace(got), Elapsed: time.Since(start)}, nil
}

// Command runs `/incident <text>` as a user in a channel.
// What the acknowledgement carries (or Slack's error when it came after
// AckDeadline) is shown to the user, as Slack does.
func (s *Server) Command(ctx context.Context, userID, channelID, text string) (Delivered, error) {
	cmd := s.NewCommand(userID, channelID, text)
	d, err := s.deliver(ctx, "slash_commands", cmd)
	if err == nil {
		s.ShowAck(cmd, d)
	}
	return d, err
}

// Click clicks the button with actionID in a message, as userID. With a
// value, it is the button of that action ID carrying that value.
func (s *Server) Click(ctx context.Context, userID, channelID, ts, actionID string, value ...string) (Delivered, error) {
	return s.act(ctx, userID, channelID, ts, actionID, func(el map[string]any) map[string]any {
		return map[string]any{"type": "button", "value": el["value"], "text": el["text"]}
	}, value...)
}

// Check sets the ticked options of a checkboxes element in a message, as userID.
func (s *Server) Check(ctx context.Context, userID, channelID, ts, actionID string, values ...string) (Delivered, error) {
	return s.act(ctx, userID, channelID, ts, actionID, func(el map[string]any) map[string]any {
		var selected []any
		opts, _ := el["options"].([]any)
		for _, o := range opts {
			if om, _ := o.(map[string]any); om != nil && slices.Contains(values, fmt.Sprint(om["value"])) {
				selected = append(selected, om)
			}
		}
		return map[string]any{"type": "checkboxes", "selected_options": selected}
	})
}

// act sends a block_actions payload for one element of a message.
func (s *Server) act(ctx context.Context, userID, channelID, ts, actionID string, shape func(el map[string]any) map[string]any, value ...string) (Delivered, error) {
	s.mu.Lock()
	ch, ok := s.channels[channelID]
	if !ok {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no channel %s", channelID)
	}
	if ch.Private && ch.DM != userID && !slices.Contains(ch.Members, userID) {
		s.mu.Unlock() // Slack shows a private channel's messages to its members only
		return Delivered{}, fmt.Errorf("%s cannot see %s: channel_not_found", userID, channelID)
	}
	i := slices.IndexFunc(ch.Messages, func(m Message) bool { return m.TS == ts })
	if i < 0 {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no message %s in %s", ts, channelID)
	}
	msg := ch.Messages[i]
	var blocks []map[string]any
	_ = json.Unmarshal(msg.Blocks, &blocks)
	blockID, el := findElement(blocks, actionID, value...)
	if el == nil {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no element %s in message %s", actionID, ts)
	}
	action := shape(el)
	action["action_id"], action["block_id"], action["action_ts"] = actionID, blockID, s.nextTS()
	respID, trigger := s.nextID("R"), s.nextTrigger()
	s.responses[respID] = responseTarget{user: userID, channel: channelID}
	s.triggers[trigger] = userID
	payload := map[string]any{
		"type": "block_actions", "token": "deprecated-verification-token", "api_app_id": "AFAKE",
		"team":       map[string]any{"id": s.TeamID},
		"user":       s.userJSON(userID),
		"channel":    map[string]any{"id": ch.ID, "name": ch.Name},
		"container":  map[string]any{"type": "message", "message_ts": ts, "channel_id": ch.ID, "is_ephemeral": msg.VisibleTo != ""},
		"message":    map[string]any{"type": "message", "ts": ts, "text": msg.Text, "user": msg.User, "blocks": blocks},
		"trigger_id": trigger, "response_url": s.srv.URL + "/hooks/response/" + respID,
		"actions": []any{action},
	}
	s.mu.Unlock()
	return s.deliver(ctx, "interactive", payload)
}

// ClickHome clicks a button of the Home tab the app published for userID:
// a block_actions from a view, with no channel and no response URL.
func (s *Server) ClickHome(ctx context.Context, userID, actionID string, value ...string) (Delivered, error) {
	s.mu.Lock()
	home, ok := s.homes[userID]
	if !ok {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no Home tab published for %s", userID)
	}
	blockID, el := findElement(home.Blocks, actionID, value...)
	if el == nil {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no element %s on the Home tab of %s", actionID, userID)
	}
	action := map[string]any{"type": "button", "value": el["value"], "text": el["text"], "action_id": actionID, "block_id": blockID, "action_ts": s.nextTS()}
	trigger := s.nextTrigger()
	s.triggers[trigger] = userID
	payload := map[string]any{
		"type": "block_actions", "token": "deprecated-verification-token", "api_app_id": "AFAKE",
		"team":       map[string]any{"id": s.TeamID},
		"user":       s.userJSON(userID),
		"container":  map[string]any{"type": "view", "view_id": home.ID},
		"view":       map[string]any{"id": home.ID, "type": "home", "blocks": home.Blocks},
		"trigger_id": trigger,
		"actions":    []any{action},
	}
	s.mu.Unlock()
	return s.deliver(ctx, "interactive", payload)
}

func findElement(blocks []map[string]any, actionID string, value ...string) (string, map[string]any) {
	for _, b := range blocks {
		els, _ := b["elements"].([]any)
		if acc, ok := b["accessory"].(map[string]any); ok {
			els = append(els, acc)
		}
		for _, e := range els {
			if em, _ := e.(map[string]any); em != nil && em["action_id"] == actionID && (len(value) == 0 || em["value"] == value[0]) {
				id, _ := b["block_id"].(string)
				return id, em
			}
		}
	}
	return "", nil
}

func (s *Server) userJSON(id string) map[string]any {
	name := id
	if u := s.users[id]; u != nil {
		name = u.Name
	}
	return map[string]any{"id": id, "username": name, "name": name, "team_id": s.TeamID}
}

// Views returns the modals open for a user, oldest first.
func (s *Server) Views(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.views {
		if v.User == userID {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b View) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Submit submits an open modal with values by input block ID: text, an
// option value, or a user ID, as the input's element takes. Unless the app
// answers with errors, the modal closes.
func (s *Server) Submit(ctx context.Context, userID, viewID string, values map[string]string) (Delivered, error) {
	s.mu.Lock()
	v, ok := s.views[viewID]
	if !ok || v.User != userID {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no view %s open for %s", viewID, userID)
	}
	state := map[string]any{}
	for _, b := range v.Blocks {
		blockID, _ := b["block_id"].(string)
		el, _ := b["element"].(map[string]any)
		if b["type"] != "input" || el == nil {
			continue
		}
		actionID, _ := el["action_id"].(string)
		val, given := values[blockID]
		entry := map[string]any{"type": el["type"]}
		switch el["type"] {
		case "static_select":
			if given {
				entry["selected_option"] = map[string]any{"value": val, "text": map[string]any{"type": "plain_text", "text": val}}
			} else if initial, ok := el["initial_option"]; ok {
				entry["selected_option"] = initial // what the person saw selected
			}
		case "users_select":
			if given {
				entry["selected_user"] = val
			}
		case "multi_users_select": // values: comma-separated user IDs
			users := []string{}
			if given && val != "" {
				users = strings.Split(val, ",")
			}
			entry["selected_users"] = users
		case "datepicker":
			if given {
				entry["selected_date"] = val
			}
		case "multi_static_select": // values: comma-separated option values; not given: the initial options
			selected := []any{}
			opts, _ := el["options"].([]any)
			if !given {
				opts, _ = el["initial_options"].([]any)
			}
			for _, o := range opts {
				if om, _ := o.(map[string]any); om != nil && (!given || slices.Contains(strings.Split(val, ","), fmt.Sprint(om["value"]))) {
					selected = append(selected, om)
				}
			}
			entry["selected_options"] = selected
		case "checkboxes": // values: comma-separated option values
			selected := []any{}
			opts, _ := el["options"].([]any)
			for _, o := range opts {
				if om, _ := o.(map[string]any); om != nil && given && slices.Contains(strings.Split(val, ","), fmt.Sprint(om["value"])) {
					selected = append(selected, om)
				}
			}
			entry["selected_options"] = selected
		default:
			if given {
				entry["value"] = val
			} else if initial, ok := el["initial_value"]; ok {
				entry["value"] = initial // what the person saw filled in
			}
		}
		state[blockID] = map[string]any{actionID: entry}
	}
	var view map[string]any
	_ = json.Unmarshal(v.JSON, &view)
	// Slack's hash changes when a view is updated; the fake never updates one.
	view["id"], view["hash"], view["state"] = v.ID, "hash-"+v.ID, map[string]any{"values": state}
	payload := map[string]any{
		"type": "view_submission", "token": "deprecated-verification-token", "api_app_id": "AFAKE",
		"team": map[string]any{"id": s.TeamID}, "user": s.userJSON(userID), "trigger_id": s.nextTrigger(), "view": view,
	}
	s.mu.Unlock()
	d, err := s.deliver(ctx, "interactive", payload)
	if err == nil && !bytes.Contains(d.Body, []byte(`"response_action":"errors"`)) {
		s.mu.Lock()
		delete(s.views, viewID)
		s.notify()
		s.mu.Unlock()
	}
	return d, err
}

// PostAs posts a message as a person, as if typed in Slack.
func (s *Server) PostAs(userID, channelID, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		// a test's mistake, said plainly (callers check channels first)
		panic("fakeslack: PostAs to a channel that does not exist: " + channelID)
	}
	m := Message{TS: s.nextTS(), User: userID, Text: text}
	ch.Messages = append(ch.Messages, m)
	s.notify()
	return m.TS
}

// React adds a reaction to a message as a person and delivers the
// reaction_added event; it returns the event ID for Redeliver.
func (s *Server) React(ctx context.Context, userID, channelID, ts, name string) (string, Delivered, error) {
	s.mu.Lock()
	id := s.nextID("Ev")
	item := map[string]any{"type": "message", "channel": channelID, "ts": ts}
	itemUser := ""
	if ch := s.channels[channelID]; ch != nil {
		if i := slices.IndexFunc(ch.Messages, func(m Message) bool { return m.TS == ts }); i >= 0 {
			itemUser = ch.Messages[i].User
		}
	}
	payload := map[string]any{
		"token": "deprecated-verification-token", "team_id": s.TeamID, "api_app_id": "AFAKE",
		"type": "event_callback", "event_id": id, "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "reaction_added", "user": userID, "reaction": name, "item": item,
			"item_user": itemUser, "event_ts": s.nextTS()},
	}
	s.events[id] = payload
	s.mu.Unlock()
	d, err := s.deliver(ctx, "events_api", payload)
	return id, d, err
}

// OpenHome is a person opening the app's Home tab: Slack sends
// app_home_opened.
func (s *Server) OpenHome(ctx context.Context, userID string) (Delivered, error) {
	s.mu.Lock()
	id := s.nextID("Ev")
	payload := map[string]any{
		"token": "deprecated-verification-token", "team_id": s.TeamID, "api_app_id": "AFAKE",
		"type": "event_callback", "event_id": id, "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "app_home_opened", "user": userID, "channel": "D" + userID[1:], "tab": "home", "event_ts": s.nextTS()},
	}
	s.events[id] = payload
	s.mu.Unlock()
	return s.deliver(ctx, "events_api", payload)
}

// Home is the Home tab the app last published for a person, and how many
// times it published one.
func (s *Server) Home(userID string) (View, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Method == "views.publish" && c.Params.Get("user_id") == userID && c.Error == "" {
			n++
		}
	}
	return s.homes[userID], n
}

// Redeliver sends an event again, as Slack does when it thinks a delivery failed.
func (s *Server) Redeliver(ctx context.Context, eventID string) (Delivered, error) {
	s.mu.Lock()
	payload, ok := s.events[eventID]
	s.mu.Unlock()
	if !ok {
		return Delivered{}, fmt.Errorf("no event %s", eventID)
	}
	return s.deliver(ctx, "events_api", payload)
}

// Shortcut uses the message shortcut callbackID on a message, as userID:
// Slack sends a message_action payload with the message, a trigger to open
// a form and a response URL.
func (s *Server) Shortcut(ctx context.Context, userID, channelID, ts, callbackID string) (Delivered, error) {
	s.mu.Lock()
	ch, ok := s.channels[channelID]
	if !ok {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no channel %s", channelID)
	}
	if ch.Private && ch.DM != userID && !slices.Contains(ch.Members, userID) {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("%s cannot see %s: channel_not_found", userID, channelID)
	}
	i := slices.IndexFunc(ch.Messages, func(m Message) bool { return m.TS == ts })
	if i < 0 {
		s.mu.Unlock()
		return Delivered{}, fmt.Errorf("no message %s in %s", ts, channelID)
	}
	msg := ch.Messages[i]
	respID, trigger := s.nextID("R"), s.nextTrigger()
	s.responses[respID] = responseTarget{user: userID, channel: channelID}
	s.triggers[trigger] = userID
	payload := map[string]any{
		"type": "message_action", "token": "deprecated-verification-token", "api_app_id": "AFAKE",
		"callback_id": callbackID, "action_ts": s.nextTS(),
		"team":       map[string]any{"id": s.TeamID},
		"user":       s.userJSON(userID),
		"channel":    map[string]any{"id": ch.ID, "name": ch.Name},
		"message":    map[string]any{"type": "message", "ts": msg.TS, "text": msg.Text, "user": msg.User},
		"trigger_id": trigger, "response_url": s.srv.URL + "/hooks/response/" + respID,
	}
	s.mu.Unlock()
	return s.deliver(ctx, "interactive", payload)
}

// DirectMessages are the messages the bot sent a user in their direct
// message channel with it, oldest first.
func (s *Server) DirectMessages(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channels {
		if ch.DM == userID {
			return slices.Clone(ch.Messages)
		}
	}
	return nil
}
