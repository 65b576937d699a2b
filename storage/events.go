package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// A timeline is a stream, one entry per event, and an incident keeps every
// event for ever, so entries are compact. An event's time is its entry's ID
// (milliseconds, as the bot dated it). Every entry has the same four fields,
// which a stream stores once per node rather than in each entry: "k" the
// kind, "a" the actor, "x" the text, and "j" the rest as JSON with short
// names, empty for most events. Entries written before hold the whole event
// as JSON in the field "event".
type eventDetail struct {
	Phase  incident.Phase `json:"p,omitempty"`
	From   string         `json:"f,omitempty"`
	To     string         `json:"t,omitempty"`
	Role   string         `json:"r,omitempty"`
	Users  []string       `json:"u,omitempty"`
	Reason string         `json:"y,omitempty"`
	Item   int            `json:"i,omitempty"`
	Done   bool           `json:"d,omitempty"`
	Link   string         `json:"l,omitempty"`
	// Marking is a note's or update's own TLP marking.
	Marking string `json:"m,omitempty"`
	// Legacy is set for an event whose Text is a sentence written before
	// events were typed (TimelineEvent.V 0): it is shown as it was.
	Legacy bool `json:"o,omitempty"`
	// Request is the tag of the request that wrote it.
	Request string `json:"q,omitempty"`
}

// eventFields is how many arguments encodeEvent gives for one event.
const eventFields = 9

// encodeEvent gives an event's entry ID ("<ms>-*", or "*" for an event
// without a time) and its fields.
func encodeEvent(ev incident.TimelineEvent) []any {
	d := eventDetail{Phase: ev.Phase, From: ev.From, To: ev.To, Role: ev.Role, Users: ev.Users, Reason: ev.Reason,
		Item: ev.Item, Done: ev.Done, Link: ev.Link, Marking: ev.Marking, Legacy: ev.V == 0, Request: ev.Request}
	detail := ""
	if !reflect.ValueOf(d).IsZero() {
		b, _ := json.Marshal(d) // strings, ints and bools: cannot fail
		detail = string(b)
	}
	id := "*"
	if ms := ev.At.UnixMilli(); ms > 0 {
		id = strconv.FormatInt(ms, 10) + "-*"
	}
	return []any{id, "k", string(ev.Kind), "a", ev.Actor, "x", ev.Text, "j", detail}
}

// decodeEntry reads an event back from its stream entry, in either form.
func decodeEntry(m redis.XMessage) (incident.TimelineEvent, error) {
	if kind, ok := m.Values["k"].(string); ok {
		var d eventDetail
		if detail, _ := m.Values["j"].(string); detail != "" {
			if err := json.Unmarshal([]byte(detail), &d); err != nil {
				return incident.TimelineEvent{}, err
			}
		}
		msText, _, _ := strings.Cut(m.ID, "-")
		if own, ok := m.Values["t"].(string); ok && own != "0" {
			msText = own // stored after a newer event: its own time
		}
		ms, err := strconv.ParseInt(msText, 10, 64)
		if err != nil {
			return incident.TimelineEvent{}, fmt.Errorf("entry ID %q: %w", m.ID, err)
		}
		actor, _ := m.Values["a"].(string)
		text, _ := m.Values["x"].(string)
		ev := incident.TimelineEvent{At: time.UnixMilli(ms).UTC(), Kind: incident.EventKind(kind), Actor: actor, Text: text,
			Phase: d.Phase, From: d.From, To: d.To, Role: d.Role, Users: d.Users, Reason: d.Reason, Item: d.Item,
			Done: d.Done, Link: d.Link, Marking: d.Marking, Request: d.Request, V: 1}
		if d.Legacy {
			ev.V = 0
		}
		return ev, nil
	}
	var ev incident.TimelineEvent
	doc, _ := m.Values["event"].(string)
	return ev, json.Unmarshal([]byte(doc), &ev)
}

// addEventsScript appends events to a timeline (KEYS[1]) unless the
// effect ARGV[1] is already among the incident's effects (KEYS[2]), and
// records it: one atomic step, with nothing to watch or retry. Events
// follow from ARGV[5], each as its entry ID and four fields with their
// values; ARGV[4] is the effect as versions before the digests kept it. An
// event dated before the newest entry (replicas' clocks differ a little)
// goes just after it, with its own time in a fifth field, "t".
var addEventsScript = redis.NewScript(`
if ARGV[1] ~= "" and (redis.call("ZSCORE", KEYS[2], ARGV[1]) or redis.call("ZSCORE", KEYS[2], ARGV[4])) then return 0 end
for i = 5, #ARGV, 9 do
  local id = ARGV[i]
  local fields = {unpack(ARGV, i + 1, i + 8)}
  local ms = string.match(id, "^(%d+)-")
  if ms then
    ms = tonumber(ms)
    local top = redis.call("XREVRANGE", KEYS[1], "+", "-", "COUNT", 1)[1]
    local last = top and tonumber((string.match(top[1], "^%d+")))
    if last and last > ms then
      -- Its own time goes with it, as "t" (ms).
      id = last .. "-*"
      fields[#fields + 1] = "t"
      fields[#fields + 1] = tostring(ms)
    end
  end
  redis.call("XADD", KEYS[1], id, unpack(fields))
end
if ARGV[1] ~= "" then
  redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
  redis.call("ZREMRANGEBYRANK", KEYS[2], 0, tonumber(ARGV[3]))
end
return 1`)

// eventArgs are addEventsScript's arguments for an effect and events,
// each tagged with ctx's request.
func eventArgs(ctx context.Context, effect string, events []incident.TimelineEvent) []any {
	args := make([]any, 0, 4+eventFields*len(events))
	args = append(args, effectMember(effect), time.Now().UnixMilli(), -maxEffects-1, effect)
	tag := incident.RequestTag(ctx)
	for _, ev := range events {
		if ev.Request == "" {
			ev.Request = tag
		}
		args = append(args, encodeEvent(ev)...)
	}
	return args
}

// appendEvents appends events in the caller's transaction; the caller
// records the effect.
func appendEvents(ctx context.Context, p redis.Pipeliner, n int64, events []incident.TimelineEvent) {
	if len(events) == 0 {
		return
	}
	// Eval, not EvalSha: inside MULTI a missing script would fail alone
	// and the rest of the transaction would still be applied.
	addEventsScript.Eval(ctx, p, []string{timelineKey(n), effectsKey(n)}, eventArgs(ctx, "", events)...)
}
