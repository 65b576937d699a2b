package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
	"github.com/incidentbot/incidentbot/work/clocktest"
)

// On a Redis Cluster of three masters, a whole incident runs from the
// declaration to the postmortem: every multi-key step stays in one slot.
func TestClusterRunsAWholeIncident(t *testing.T) {
	addrs := redistest.StartCluster(t, 3)
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { _ = cluster.Close() })
	h := &harness{slack: fs, redis: &redistest.Server{Addr: addrs[0]}, store: storage.New(cluster),
		env: map[string]string{"REDIS_CLUSTER_ADDRS": strings.Join(addrs, ","), "ALERTS_SIGNING_SECRET": alertsSecret}}
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	triage := fs.CreateChannel("security-triage", true, fs.BotUserID, "UBOB")
	h.launch(t, false, true, clocks{now: time.Now, outbound: clocktest.Instant{}}, quietSeverities+"triage_channel: "+triage+"\n")
	s := &script{t: t, h: h, ctx: context.Background()}
	general := fs.CreateChannel("general", false, "UALICE", "UBOB")
	s.command("UALICE", general, "declare Cluster drill sev2")
	s.ch = h.declared(t, "UALICE", "INC-1").ID
	for _, step := range []struct{ user, text, want string }{
		{"UALICE", "assign comms <@UBOB|bob>", "Communications Lead: <@UBOB>"},
		{"UALICE", "phase next", "Phase: Identification → Containment"},
		{"UBOB", "note contained on the cluster", "Noted"},
		{"UBOB", "update all shards answer", "Update on INC-1"},
		{"UALICE", "list", "INC-1"},
		{"UALICE", "timeline", "INC-1"},
		{"UALICE", "close Contained", "Closed: Contained"},
		{"UBOB", "lesson well the slots held", "lesson is recorded"},
		{"UALICE", "postmortem", "Postmortem of INC-1"},
	} {
		if got := s.command(step.user, s.ch, step.text); !strings.Contains(got, step.want) {
			t.Fatalf("/incident %s on the cluster answered %q", step.text, got)
		}
	}
	inc, err := h.store.Get(s.ctx, 1)
	if err != nil || inc.Status != incident.Closed || len(fs.Files()) != 3 { // the postmortem, its chart and the audit log
		t.Fatalf("after the postmortem: %+v, %d files, %v", inc, len(fs.Files()), err)
	}
	// Reports: a person's, and an alert sent three times with one dedup key.
	s.command("UALICE", general, "report odd login on the cluster")
	for i := range 3 {
		body := fmt.Appendf(nil, `{"title":"Beacon from a shard","dedup_key":"shard-1","fields":{"n":"%d"}}`, i)
		if status, got := postAlert(t, h.addr, alertsSecret, time.Now(), body); status != 200 || got["report"] != "RPT-2" {
			t.Fatalf("an alert on the cluster: %d %v", status, got)
		}
	}
	tb := &triageBot{harness: h, triage: triage}
	card := tb.card(t, "RPT-2", "Fired *3 times*")
	if _, err := fs.Click(s.ctx, "UBOB", triage, card.TS, "report_ack"); err != nil {
		t.Fatal(err)
	}
	tb.card(t, "RPT-2", "Acknowledged by <@UBOB>")
	if waiting, err := h.store.WaitingReports(s.ctx); err != nil || len(waiting) != 2 {
		t.Errorf("waiting reports on the cluster: %d, %v", len(waiting), err)
	}
	if counts, err := h.store.OpenCounts(s.ctx); err != nil || len(counts) != 0 {
		t.Errorf("open counts on the cluster: %v, %v", counts, err)
	}
	if logs := h.logs.String(); strings.Contains(logs, "CROSSSLOT") || strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("the bot logged errors on the cluster:\n%s", logs)
	}
}
