package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/render"
)

// What an attacker inside the workspace, or Slack itself, may send a second
// time or from the wrong place: the tests of the bot's request gate use these.

// lastDelivery is the last request the fake sent the app, as it was sent.
type lastDelivery struct {
	kind, url, contentType, timestamp, signature string
	payload                                      any
	body                                         []byte
}

// Replay sends the last delivery again: in HTTP mode byte for byte, with its
// signature and timestamp (inside the five minutes a signature is good for),
// as a replaying attacker or a retrying proxy would; in Socket Mode as a new
// envelope with the same payload, as Slack does when an ack was lost.
func (s *Server) Replay(ctx context.Context) (Delivered, error) {
	s.mu.Lock()
	d := s.last
	s.mu.Unlock()
	if d.kind == "" {
		return Delivered{}, errors.New("nothing was delivered yet")
	}
	if d.url == "" {
		ack, err := s.SendEnvelope(ctx, d.kind, d.payload)
		return Delivered{Body: ack.Payload, Elapsed: ack.Elapsed}, err
	}
	return s.post(ctx, d)
}

// CopyMessage posts a copy of a message (blocks, buttons and all) in
// another channel, as the bot's author, with r applied to its JSON: the
// stand-in for a message a person kept from when they had access, or one
// crafted to name another incident. It returns the copy's timestamp.
func (s *Server) CopyMessage(channelID, ts, toChannelID string, r *strings.Replacer) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, ok := s.channels[channelID]
	to, ok2 := s.channels[toChannelID]
	if !ok || !ok2 {
		return "", fmt.Errorf("no channel %s or %s", channelID, toChannelID)
	}
	i := slices.IndexFunc(from.Messages, func(m Message) bool { return m.TS == ts })
	if i < 0 {
		return "", fmt.Errorf("no message %s in %s", ts, channelID)
	}
	m := from.Messages[i]
	m.TS, m.Edited, m.VisibleTo = s.nextTS(), false, ""
	if r != nil {
		m.Text, m.Blocks = r.Replace(m.Text), json.RawMessage(r.Replace(string(m.Blocks)))
	}
	to.Messages = append(to.Messages, m)
	s.notify()
	return m.TS, nil
}

// CopyView gives another user an open copy of a modal, with r applied to
// its JSON (its private metadata among it): the stand-in for a form kept
// open from when they had access, or one crafted to name another incident.
// It returns the copy's view ID.
func (s *Server) CopyView(viewID, toUser string, r *strings.Replacer) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[viewID]
	if !ok {
		return "", fmt.Errorf("no view %s", viewID)
	}
	raw := string(v.JSON)
	if r != nil {
		raw = r.Replace(raw)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		return "", err
	}
	c := View{ID: s.nextID("V"), User: toUser, JSON: json.RawMessage(raw)}
	c.CallbackID, _ = doc["callback_id"].(string)
	c.PrivateMetadata, _ = doc["private_metadata"].(string)
	blocks, _ := doc["blocks"].([]any)
	for _, b := range blocks {
		if bm, ok := b.(map[string]any); ok {
			c.Blocks = append(c.Blocks, bm)
		}
	}
	s.views[c.ID] = c
	s.notify()
	return c.ID, nil
}

// CloseView closes an open modal, as its Cancel button does.
func (s *Server) CloseView(viewID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.views[viewID]; !ok {
		return fmt.Errorf("no view %s", viewID)
	}
	delete(s.views, viewID)
	s.notify()
	return nil
}

// Live lists, for every message, modal, topic and answer the app sent, what
// Slack would bring alive in it that the app must never send from user
// text (render.Live: broadcasts, links to other hosts than this fake,
// display-reordering controls), with the call it came in.
func (s *Server) Live() []string {
	host := strings.TrimPrefix(strings.TrimPrefix(s.srv.URL, "http://"), "https://")
	var found []string
	for _, c := range s.Calls("") {
		var texts []string
		for _, param := range []string{"text", "topic", "title"} {
			if v := c.Params.Get(param); v != "" {
				texts = append(texts, v)
			}
		}
		for _, param := range []string{"blocks", "view", "payload"} {
			var doc any
			if json.Unmarshal([]byte(c.Params.Get(param)), &doc) == nil {
				collectMrkdwn(doc, &texts, true)
			}
		}
		for _, t := range texts {
			for _, l := range render.Live(t, host) {
				found = append(found, fmt.Sprintf("%s: %q in %q", c.Method, l, t))
			}
		}
	}
	return found
}

// collectMrkdwn gathers the texts Slack parses for markup: mrkdwn text
// objects and a message's own text; plain_text is checked for
// display-reordering controls only, which render.Live also reports.
func collectMrkdwn(v any, out *[]string, top bool) {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["text"].(string); ok {
			switch {
			case x["type"] == "plain_text":
				if strings.ContainsAny(t, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c") {
					*out = append(*out, t)
				}
			case x["type"] == "mrkdwn" || top:
				*out = append(*out, t)
			}
		}
		for _, child := range x {
			collectMrkdwn(child, out, false)
		}
	case []any:
		for _, child := range x {
			collectMrkdwn(child, out, false)
		}
	}
}
