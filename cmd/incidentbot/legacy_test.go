package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// An incident stored by the version before typed timeline events (its
// events' sentences in "text", Slack mentions and all) still reads: the
// timeline shows what happened with its people, and the postmortem keeps
// who held which role.
func TestIncidentStoredBeforeTypedEvents(t *testing.T) {
	h := startBot(t, false)
	s := &script{t: t, h: h, ctx: context.Background()}
	ch := h.slack.CreateChannel("inc-1-old-incident", false, h.slack.BotUserID, "UALICE", "UCAROL")
	rdb := h.redis.Client(t)
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	doc := `{"number":1,"title":"Old incident","severity":"sev2","phase":"containment","status":"open","channel_id":"` + ch +
		`","channel_name":"inc-1-old-incident","declared_by":"UALICE","declared_at":"` + at + `","roles":{"commander":"UALICE","comms":"UCAROL"},"members":["UALICE","UCAROL"]}`
	legacy := []string{
		`{"at":"` + at + `","actor":"UALICE","kind":"declared","text":"Declared \"Old incident\" with severity sev2; <@UALICE> is the commander"}`,
		`{"at":"` + at + `","actor":"UALICE","kind":"role","text":"Communications Lead: <@UCAROL>"}`,
		`{"at":"` + at + `","actor":"UALICE","kind":"phase","text":"Phase: Identification → Containment","phase":"containment"}`,
		`{"at":"` + at + `","actor":"UALICE","kind":"severity","text":"Severity: sev1 → sev2"}`,
	}
	if err := rdb.Set(s.ctx, "ib:inc:{1}", doc, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, ev := range legacy {
		rdb.XAdd(s.ctx, &redis.XAddArgs{Stream: "ib:inc:{1}:timeline", Values: []any{"event", ev}})
	}
	rdb.HSet(s.ctx, "ib:channels", ch, 1)
	rdb.ZAdd(s.ctx, "ib:open", redis.Z{Score: 1, Member: 1})
	rdb.Set(s.ctx, "ib:counter", 1, 0)

	shown := s.command("UCAROL", ch, "timeline")
	for _, want := range []string{"Communications Lead: <@UCAROL>", "Identification → Containment", "Severity: sev1 → sev2", "Declared \"Old incident\""} {
		if !strings.Contains(shown, want) {
			t.Errorf("the old timeline lacks %q:\n%s", want, shown)
		}
	}
	// New events join the old ones, typed.
	s.command("UALICE", ch, "note a new note")
	s.command("UALICE", ch, "close Done")
	s.command("UALICE", ch, "postmortem")
	s.eventually("the postmortem", func() bool { inc, _ := h.store.Get(s.ctx, 1); return inc.Status == incident.Closed })
	var md string
	for _, f := range h.slack.Files() {
		if strings.HasSuffix(f.Name, "-postmortem.md") {
			md = string(f.Content)
		}
	}
	for _, want := range []string{"- Communications Lead: @carol from", "sev1 → sev2 at", "a new note"} {
		if !strings.Contains(md, want) {
			t.Errorf("the postmortem of the old incident lacks %q:\n%s", want, md)
		}
	}
}
