package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
)

// The same suite runs against the embedded store and a real redis-server:
// production uses both, through one implementation.
func TestStore(t *testing.T) {
	backends := []struct {
		name  string
		start func(testing.TB) *redistest.Server
	}{
		{"embedded", redistest.StartEmbedded},
		{"redis-server", redistest.Start},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range suite {
				t.Run(tc.name, func(t *testing.T) {
					srv := b.start(t)
					tc.run(t, storage.New(srv.Client(t)))
				})
			}
		})
	}
}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newIncident(n int64, sev string) *incident.Incident {
	return &incident.Incident{
		Number: n, Title: "Ransomware", Severity: sev, Phase: incident.Identification,
		Status: incident.Open, DeclaredBy: "U1", DeclaredAt: t0,
		Roles: map[string]string{"commander": "U1"}, Members: []string{"U1"},
	}
}

var suite = []struct {
	name string
	run  func(t *testing.T, s *storage.Store)
}{
	{"numbers count up", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for want := int64(1); want <= 3; want++ {
			n, err := s.NextNumber(ctx)
			if err != nil || n != want {
				t.Fatalf("NextNumber = %d, %v; want %d", n, err, want)
			}
		}
	}},
	{"stakeholder updates wait in order and go out in batches, once", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for n, due := range map[int64]time.Duration{5: 3, 9: 1, 2: 2, 7: 4} {
			if err := s.QueueStakeholderUpdate(ctx, n, t0.Add(due*time.Second), fmt.Sprintf("update:%d:%d", n, due)); err != nil {
				t.Fatal(err)
			}
		}
		// Queued again, later: it keeps its place.
		if err := s.QueueStakeholderUpdate(ctx, 9, t0.Add(time.Hour), "update:9:3600"); err != nil {
			t.Fatal(err)
		}
		id, ns, err := s.TakeStakeholderBatch(ctx, "A", 3, time.Minute)
		if err != nil || id == "" || !slices.Equal(ns, []int64{9, 2, 5}) {
			t.Fatalf("first batch = %q %v, %v; want the three longest waiting, in order", id, ns, err)
		}
		// Held by A: another poster gets nothing; A gets it again, as it was.
		if other, _, err := s.TakeStakeholderBatch(ctx, "B", 3, time.Minute); err != nil || other != "" {
			t.Fatalf("a batch held by A went to B: %q, %v", other, err)
		}
		again, ns2, err := s.TakeStakeholderBatch(ctx, "A", 3, time.Minute)
		if err != nil || again != id || !slices.Equal(ns2, ns) {
			t.Fatalf("A's batch taken again = %q %v, %v; want %q %v", again, ns2, err, id, ns)
		}
		// A's lease runs out (it died): B takes the same batch.
		if _, _, err := s.TakeStakeholderBatch(ctx, "A", 3, time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if taken, ns3, err := s.TakeStakeholderBatch(ctx, "B", 3, time.Minute); err != nil || taken != id || !slices.Equal(ns3, ns) {
			t.Fatalf("after A's lease, B took %q %v, %v; want %q %v", taken, ns3, err, id, ns)
		}
		if err := s.FinishStakeholderBatch(ctx, id); err != nil {
			t.Fatal(err)
		}
		next, ns, err := s.TakeStakeholderBatch(ctx, "B", 3, time.Minute)
		if err != nil || next == "" || next == id || !slices.Equal(ns, []int64{7}) {
			t.Fatalf("second batch = %q %v, %v; want a new one with INC-7", next, ns, err)
		}
		if err := s.FinishStakeholderBatch(ctx, id); err != nil { // an old batch's finish ends nothing
			t.Fatal(err)
		}
		if still, _, _ := s.TakeStakeholderBatch(ctx, "B", 3, time.Minute); still != next {
			t.Fatalf("finishing an old batch ended the current one")
		}
		if err := s.FinishStakeholderBatch(ctx, next); err != nil {
			t.Fatal(err)
		}
		// The same occasion queued again (a run done again) is not queued twice.
		if err := s.QueueStakeholderUpdate(ctx, 5, t0, "update:5:3"); err != nil {
			t.Fatal(err)
		}
		if none, ns, err := s.TakeStakeholderBatch(ctx, "B", 3, time.Minute); none != "" || len(ns) != 0 || err != nil {
			t.Fatalf("empty queue gave %q %v, %v", none, ns, err)
		}
	}},
	{"open listings follow the incidents", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		pub := newIncident(1, "sev2")
		pub.ChannelID = "C1"
		priv := newIncident(2, "sev1")
		priv.Private, priv.Members, priv.Roles = true, []string{"U2", "U3"}, map[string]string{"commander": "U9"}
		for _, inc := range []*incident.Incident{pub, priv} {
			if err := s.Create(ctx, inc); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.OpenListings(ctx)
		if err != nil || len(got) != 2 {
			t.Fatalf("OpenListings = %+v, %v", got, err)
		}
		if want := pub.Listing(); !reflect.DeepEqual(got[0], want) {
			t.Errorf("listing = %+v\nwant      %+v", got[0], want)
		}
		if !got[1].VisibleTo("U9", "") || !got[1].VisibleTo("U3", "") || got[1].VisibleTo("U1", "") || got[0].Members != nil {
			t.Errorf("private listing = %+v", got[1])
		}
		if _, err := s.Update(ctx, 1, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
			i.Status = incident.Resolved
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.OpenListings(ctx); err != nil || len(got) != 1 || got[0].Number != 2 {
			t.Errorf("after closing INC-1: %+v, %v", got, err)
		}
	}},
	{"create then get, by number and by channel", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		inc := newIncident(7, "sev1")
		inc.ChannelID = "C7"
		ev := incident.TimelineEvent{At: t0, Actor: "U1", Kind: incident.EventDeclared, Text: "declared"}
		if err := s.Create(ctx, inc, ev); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, 7)
		if err != nil || got.Title != "Ransomware" || got.Roles["commander"] != "U1" || !got.DeclaredAt.Equal(t0) {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		byCh, err := s.ByChannel(ctx, "C7")
		if err != nil || byCh.Number != 7 {
			t.Fatalf("ByChannel = %+v, %v", byCh, err)
		}
		tl, err := s.Timeline(ctx, 7)
		if err != nil || len(tl) != 1 || tl[0].Kind != incident.EventDeclared || !tl[0].At.Equal(t0) {
			t.Fatalf("Timeline = %+v, %v", tl, err)
		}
	}},
	{"create refuses a duplicate and leaves the first intact", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Create(ctx, newIncident(1, "sev1"), incident.TimelineEvent{Kind: incident.EventDeclared}); err != nil {
			t.Fatal(err)
		}
		dup := newIncident(1, "sev4")
		if err := s.Create(ctx, dup, incident.TimelineEvent{Kind: incident.EventNote}); !errors.Is(err, storage.ErrExists) {
			t.Fatalf("duplicate Create error = %v, want ErrExists", err)
		}
		got, _ := s.Get(ctx, 1)
		tl, _ := s.Timeline(ctx, 1)
		if got.Severity != "sev1" || len(tl) != 1 {
			t.Fatalf("duplicate changed the first: %+v, timeline %d", got, len(tl))
		}
	}},
	{"missing incidents are ErrNotFound", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if _, err := s.Get(ctx, 99); !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("Get: %v", err)
		}
		if _, err := s.ByChannel(ctx, "CNOPE"); !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("ByChannel: %v", err)
		}
		_, err := s.Update(ctx, 99, func(*incident.Incident) ([]incident.TimelineEvent, error) { return nil, nil })
		if !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("Update: %v", err)
		}
	}},
	{"update changes state, records events and indexes the channel", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Create(ctx, newIncident(3, "sev2")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Update(ctx, 3, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
			inc.ChannelID, inc.ChannelName = "C3", "inc-3-ransomware"
			return []incident.TimelineEvent{{At: t0, Kind: incident.EventChannel, Text: "#inc-3-ransomware"}}, nil
		})
		if err != nil || got.ChannelID != "C3" {
			t.Fatalf("Update = %+v, %v", got, err)
		}
		if byCh, err := s.ByChannel(ctx, "C3"); err != nil || byCh.ChannelName != "inc-3-ransomware" {
			t.Fatalf("ByChannel after update = %+v, %v", byCh, err)
		}
		if tl, _ := s.Timeline(ctx, 3); len(tl) != 1 || tl[0].Text != "#inc-3-ransomware" {
			t.Fatalf("timeline = %+v", tl)
		}
	}},
	{"a failing update changes nothing", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Create(ctx, newIncident(4, "sev2")); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("refused")
		_, err := s.Update(ctx, 4, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
			inc.Severity = "sev1"
			return []incident.TimelineEvent{{Kind: incident.EventNote}}, boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
		got, _ := s.Get(ctx, 4)
		tl, _ := s.Timeline(ctx, 4)
		if got.Severity != "sev2" || len(tl) != 0 {
			t.Fatalf("failed update left %+v, timeline %d", got, len(tl))
		}
	}},
	{"concurrent updates are all kept", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Create(ctx, newIncident(5, "sev2")); err != nil {
			t.Fatal(err)
		}
		const writers = 8
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				_, err := s.Update(ctx, 5, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
					inc.Members = append(inc.Members, "W"+string(rune('A'+i)))
					return nil, nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, _ := s.Get(ctx, 5)
		if len(got.Members) != writers+1 {
			t.Fatalf("members = %v: an update was lost", got.Members)
		}
	}},
	{"list open leaves out closed incidents", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for n := int64(1); n <= 3; n++ {
			if err := s.Create(ctx, newIncident(n, "sev3")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Update(ctx, 2, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
			inc.Status = incident.Closed
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		open, err := s.ListOpen(ctx)
		if err != nil || len(open) != 2 || open[0].Number != 1 || open[1].Number != 3 {
			t.Fatalf("ListOpen = %v, %v", open, err)
		}
	}},
	{"incidents with regulatory clocks running are listed until notified, and not after a purge", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for n := int64(1); n <= 3; n++ {
			inc := newIncident(n, "sev2")
			inc.ClocksRunning = n != 2
			if err := s.Create(ctx, inc); err != nil {
				t.Fatal(err)
			}
		}
		numbers := func() []int64 {
			incs, err := s.WithRunningClocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, i := range incs {
				out = append(out, i.Number)
			}
			return out
		}
		if got := numbers(); !slices.Equal(got, []int64{1, 3}) {
			t.Fatalf("running clocks in %v, want [1 3]", got)
		}
		if _, err := s.Update(ctx, 1, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
			inc.ClocksRunning, inc.Status = false, incident.Closed // the last notification made
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Purge(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if got := numbers(); len(got) != 0 {
			t.Errorf("running clocks in %v after the notification and the purge, want none", got)
		}
	}},
	{"purge deletes every trace of a closed incident", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for n := int64(1); n <= 2; n++ {
			inc := newIncident(n, "sev2")
			inc.ChannelID = fmt.Sprintf("C%d", n)
			if err := s.Create(ctx, inc, incident.Noted(t0, "U1", "a note")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
				inc.Status, inc.ClosedAt = incident.Closed, t0.Add(time.Duration(n)*time.Hour)
				return nil, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SavePostmortem(ctx, 1, "# Postmortem"); err != nil {
			t.Fatal(err)
		}
		old, err := s.ClosedBefore(ctx, t0.Add(90*time.Minute))
		if err != nil || len(old) != 1 || old[0] != 1 {
			t.Fatalf("ClosedBefore = %v, %v", old, err)
		}
		if err := s.Purge(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, 1); !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("get after purge: %v", err)
		}
		if _, err := s.ByChannel(ctx, "C1"); !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("by channel after purge: %v", err)
		}
		if tl, _ := s.Timeline(ctx, 1); len(tl) != 0 {
			t.Errorf("timeline after purge: %v", tl)
		}
		if md, _ := s.Postmortem(ctx, 1); md != "" {
			t.Errorf("postmortem after purge: %q", md)
		}
		if left, _ := s.ClosedBefore(ctx, t0.Add(24*time.Hour)); len(left) != 1 || left[0] != 2 {
			t.Errorf("closed after purge: %v (want INC-2 only)", left)
		}
	}},
	{"open counts follow every change", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		for n, sev := range map[int64]string{1: "sev1", 2: "sev1", 3: "sev2"} {
			if err := s.Create(ctx, newIncident(n, sev)); err != nil {
				t.Fatal(err)
			}
		}
		change := func(n int64, fn func(inc *incident.Incident)) {
			if _, err := s.Update(ctx, n, func(inc *incident.Incident) ([]incident.TimelineEvent, error) { fn(inc); return nil, nil }); err != nil {
				t.Fatal(err)
			}
		}
		change(1, func(inc *incident.Incident) { inc.Phase = incident.Containment })
		change(2, func(inc *incident.Incident) { inc.Severity = "sev2" })
		change(3, func(inc *incident.Incident) { inc.Status = incident.Resolved })
		got, err := s.OpenCounts(ctx)
		want := map[[2]string]int{{"sev1", "containment"}: 1, {"sev2", "identification"}: 1}
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("OpenCounts = %v, %v; want %v", got, err, want)
		}
	}},
	{"indicators are deduplicated per incident and counted, once per request", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		if err := s.Create(ctx, newIncident(1, "sev1")); err != nil {
			t.Fatal(err)
		}
		ind := incident.Indicator{Type: incident.IOCIPv4, Value: "203.0.113.7", FirstSeen: t0, LastSeen: t0, AddedBy: "U1", State: incident.IndicatorSuspected}
		req := incident.WithRequest(ctx, "T1")
		if got, err := s.AddIndicator(req, 1, ind); err != nil || got.Sightings != 1 {
			t.Fatalf("first add = %+v, %v", got, err)
		}
		if got, err := s.AddIndicator(incident.WithRedo(ctx, "T1"), 1, ind); err != nil || got.Sightings != 1 {
			t.Fatalf("the same request again = %+v, %v; want it counted once", got, err)
		}
		later := ind
		later.LastSeen, later.AddedBy = t0.Add(time.Hour), "U2"
		if got, err := s.AddIndicator(incident.WithRequest(ctx, "T2"), 1, later); err != nil || got.Sightings != 2 || !got.LastSeen.Equal(t0.Add(time.Hour)) || got.AddedBy != "U1" {
			t.Fatalf("seen again = %+v, %v", got, err)
		}
		other := incident.Indicator{Type: incident.IOCDomain, Value: "evil.example", FirstSeen: t0.Add(time.Minute), LastSeen: t0.Add(time.Minute), AddedBy: "U1"}
		if _, err := s.AddIndicator(ctx, 1, other); err != nil {
			t.Fatal(err)
		}
		all, err := s.Indicators(ctx, 1)
		if err != nil || len(all) != 2 || all[0].Value != "203.0.113.7" || all[1].Value != "evil.example" {
			t.Fatalf("Indicators = %+v, %v", all, err)
		}
		if inc, err := s.Get(ctx, 1); err != nil || inc.IndicatorCount != 2 {
			t.Errorf("the incident counts %d indicators (%v); want 2, each once", inc.IndicatorCount, err)
		}
		if _, err := s.AddIndicator(ctx, 99, other); !errors.Is(err, incident.ErrNotFound) {
			t.Errorf("an indicator for a missing incident: %v; want ErrNotFound", err)
		}
		tl, err := s.Timeline(ctx, 1)
		if err != nil || len(tl) != 3 || tl[0].Kind != incident.EventIndicator {
			t.Errorf("timeline = %+v, %v; want an entry per sighting", tl, err)
		}
		if ns, err := s.IndicatorSeenIn(ctx, incident.IOCIPv4, "203.0.113.7"); err != nil || !slices.Equal(ns, []int64{1}) {
			t.Errorf("IndicatorSeenIn = %v, %v; want INC-1", ns, err)
		}
		if err := s.Purge(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if ns, err := s.IndicatorSeenIn(ctx, incident.IOCIPv4, "203.0.113.7"); err != nil || len(ns) != 0 {
			t.Errorf("after the purge IndicatorSeenIn = %v, %v; want none", ns, err)
		}
	}},
	{"a report is made once per request, numbered RPT-1, RPT-2", func(t *testing.T, s *storage.Store) {
		ctx := incident.WithRequest(context.Background(), "T1")
		r := &incident.Report{Source: incident.SourcePerson, Reporter: "U1", What: "odd login", ReportedAt: t0, State: incident.ReportOpen}
		first, err := s.CreateReport(ctx, r)
		if err != nil || first != 1 {
			t.Fatalf("CreateReport = %d, %v; want 1", first, err)
		}
		again, err := s.CreateReport(incident.WithRedo(context.Background(), "T1"), r)
		if err != nil || again != 1 {
			t.Fatalf("CreateReport done again = %d, %v; want 1 again", again, err)
		}
		second, err := s.CreateReport(incident.WithRequest(context.Background(), "T2"), r)
		if err != nil || second != 2 {
			t.Fatalf("second report = %d, %v; want 2", second, err)
		}
		got, err := s.Report(ctx, 1)
		if err != nil || got.Number != 1 || got.What != "odd login" || got.Count != 1 || !got.ReportedAt.Equal(t0) {
			t.Fatalf("Report(1) = %+v, %v", got, err)
		}
		if _, err := s.Report(ctx, 9); !errors.Is(err, storage.ErrReportNotFound) {
			t.Errorf("Report(9) err = %v; want ErrReportNotFound", err)
		}
		waiting, err := s.WaitingReports(ctx)
		if err != nil || len(waiting) != 2 || waiting[0].Number != 1 {
			t.Fatalf("WaitingReports = %v, %v; want RPT-1 and RPT-2", waiting, err)
		}
	}},
	{"alerts with one dedup key inside the window are one report, counted", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		alert := func() *incident.Report {
			return &incident.Report{Source: incident.SourceAlert, What: "EDR: ransomware", DedupKey: "edr-42", ReportedAt: t0, State: incident.ReportOpen}
		}
		var wg sync.WaitGroup
		numbers := make([]int64, 50)
		var dedups int
		var mu sync.Mutex
		for i := range numbers {
			wg.Go(func() {
				n, dedup, _, err := s.IntakeAlert(ctx, alert(), time.Hour)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				numbers[i] = n
				if dedup {
					dedups++
				}
			})
		}
		wg.Wait()
		for _, n := range numbers {
			if n != 1 {
				t.Fatalf("alert went to RPT-%d; want all 50 on RPT-1", n)
			}
		}
		got, err := s.Report(ctx, 1)
		if err != nil || got.Count != 50 || dedups != 49 {
			t.Fatalf("RPT-1 count = %d (%v), %d deduplicated; want 50, 49", got.Count, err, dedups)
		}
		// The same request again is a replay: refused, nothing counted.
		once := incident.WithRequest(ctx, "alert:sig-1")
		if _, _, _, err := s.IntakeAlert(once, alert(), time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := s.IntakeAlert(once, alert(), time.Hour); !errors.Is(err, incident.ErrReplayed) {
			t.Errorf("the same request again: %v; want ErrReplayed", err)
		}
		if got, _ := s.Report(ctx, 1); got.Count != 51 {
			t.Errorf("RPT-1 count = %d after a replay; want 51", got.Count)
		}
		// Once it has an outcome, the next alert starts a new report.
		if _, err := s.UpdateReport(ctx, 1, func(r *incident.Report) error { return r.Dismiss("U2", t0, "false_positive", "") }); err != nil {
			t.Fatal(err)
		}
		n, dedup, count, err := s.IntakeAlert(ctx, alert(), time.Hour)
		if err != nil || n != 2 || dedup || count != 1 {
			t.Fatalf("alert after the dismissal = RPT-%d dedup %v count %d, %v; want a new RPT-2", n, dedup, count, err)
		}
		// Without a dedup key every alert is its own report.
		other := alert()
		other.DedupKey = ""
		if n, dedup, _, err := s.IntakeAlert(ctx, other, time.Hour); err != nil || n != 3 || dedup {
			t.Fatalf("alert without a key = RPT-%d dedup %v, %v; want RPT-3", n, dedup, err)
		}
		if n, dedup, _, err := s.IntakeAlert(ctx, other, time.Hour); err != nil || n != 4 || dedup {
			t.Fatalf("second alert without a key = RPT-%d dedup %v, %v; want RPT-4", n, dedup, err)
		}
	}},
	{"a report takes one outcome; the second is told who was first", func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		n, err := s.CreateReport(ctx, &incident.Report{Source: incident.SourcePerson, Reporter: "U1", What: "phish", ReportedAt: t0, State: incident.ReportOpen})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateReport(incident.WithRequest(ctx, "A"), n, func(r *incident.Report) error { return r.Acknowledge("U2", t0.Add(time.Minute)) }); err != nil {
			t.Fatal(err)
		}
		// Done again, the same request changes nothing and is not refused.
		if _, err := s.UpdateReport(incident.WithRedo(ctx, "A"), n, func(r *incident.Report) error { return r.Acknowledge("U2", t0.Add(time.Minute)) }); err != nil {
			t.Fatalf("acknowledge done again: %v", err)
		}
		if _, err := s.UpdateReport(ctx, n, func(r *incident.Report) error {
			return r.Dismiss("U3", t0.Add(2*time.Minute), "expected", "backup job")
		}); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateReport(ctx, n, func(r *incident.Report) error { return r.Merge("U4", t0, 7, false) })
		if incident.ErrorCode(err) != incident.Conflict || !strings.Contains(err.Error(), "already dismissed by @U3") {
			t.Fatalf("merge after the dismissal: %v; want a conflict naming U3", err)
		}
		got, err := s.Report(ctx, n)
		if err != nil || got.State != incident.ReportDismissed || got.AckBy != "U2" || got.Comment != "backup job" {
			t.Fatalf("report = %+v, %v", got, err)
		}
		if waiting, _ := s.WaitingReports(ctx); len(waiting) != 0 {
			t.Errorf("a dismissed report still waits: %v", waiting)
		}
	}},
}

// Incidents stored by a version that kept no open counts are counted too:
// the counts are rebuilt from the incidents the first time they disagree.
func TestOpenCountsAreRebuiltForOlderData(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := storage.New(rdb)
	ctx := context.Background()
	for n := int64(1); n <= 3; n++ {
		if err := s.Create(ctx, newIncident(n, "sev3")); err != nil {
			t.Fatal(err)
		}
	}
	rdb.Del(ctx, "ib:openinfo") // as the previous version left it
	got, err := s.OpenCounts(ctx)
	if want := map[[2]string]int{{"sev3", "identification"}: 3}; err != nil || !maps.Equal(got, want) {
		t.Errorf("OpenCounts = %v, %v; want %v", got, err, want)
	}
	if n, _ := rdb.HLen(ctx, "ib:openinfo").Result(); n != 3 {
		t.Errorf("the counts were not rebuilt: %d entries", n)
	}
	rdb.Del(ctx, "ib:openlist") // as versions before the listings left it
	if got, err := s.OpenListings(ctx); err != nil || len(got) != 3 || got[2].Title != "Ransomware" {
		t.Errorf("OpenListings = %+v, %v", got, err)
	}
	if n, _ := rdb.HLen(ctx, "ib:openlist").Result(); n != 3 {
		t.Errorf("the listings were not rebuilt: %d entries", n)
	}
}

// BenchmarkOpenCounts is a /metrics scrape's read with 10,000 open incidents.
func BenchmarkOpenCounts(b *testing.B) {
	srv := redistest.Start(b)
	s := storage.New(srv.Client(b))
	ctx := context.Background()
	for n := int64(1); n <= 10000; n++ {
		if err := s.Create(ctx, newIncident(n, []string{"sev1", "sev2", "sev3", "sev4"}[n%4])); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if counts, err := s.OpenCounts(ctx); err != nil || len(counts) != 4 {
			b.Fatal(counts, err)
		}
	}
}

// BenchmarkNoteMemory is what an incident with 100 notes takes in Redis,
// each note added by its own request (Slack-sized IDs), as the
// "incident-bytes" metric: the target is 16 KB.
func BenchmarkNoteMemory(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	s := storage.New(rdb)
	var bytes int64
	n := int64(0)
	for b.Loop() {
		n++
		ctx := incident.WithRequest(context.Background(), fmt.Sprintf("cmd:%012d.47445629121.%032x", n, n))
		if err := s.Create(ctx, newIncident(n, "sev2"), incident.Declared(t0, "U07ALICE0001", "Ransomware", "sev2")); err != nil {
			b.Fatal(err)
		}
		for i := range 100 {
			ctx := incident.WithRequest(context.Background(), fmt.Sprintf("cmd:%012d.47445629121.%032x", n, i+1000))
			note := incident.Noted(t0.Add(time.Duration(i)*time.Second), "U07BOB000002", fmt.Sprintf("finding %d: host ws-%03d isolated", i, i))
			if err := s.AddEvents(ctx, n, note); err != nil {
				b.Fatal(err)
			}
		}
		bytes = 0
		for _, key := range []string{"", ":timeline", ":effects"} {
			m, err := rdb.MemoryUsage(context.Background(), fmt.Sprintf("ib:inc:{%d}%s", n, key), 0).Result()
			if err != nil {
				b.Fatal(err)
			}
			bytes += m
		}
	}
	b.ReportMetric(float64(bytes), "incident-bytes")
}

func TestCountersSurviveRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	if !srv.Real() {
		t.Skip("needs a real redis-server to restart; CI always has one")
	}
	ctx := context.Background()
	rdb := srv.Client(t)
	s := storage.New(rdb)
	for range 3 {
		if _, err := s.NextNumber(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, newIncident(3, "sev1")); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	n, err := s.NextNumber(ctx)
	if err != nil || n != 4 {
		t.Fatalf("after restart NextNumber = %d, %v; want 4", n, err)
	}
	if inc, err := s.Get(ctx, 3); err != nil || inc.Severity != "sev1" {
		t.Fatalf("after restart Get = %+v, %v", inc, err)
	}
}

func TestTimelineAndDeliveries(t *testing.T) {
	for _, srv := range []*redistest.Server{redistest.StartEmbedded(t), redistest.Start(t)} {
		t.Run(srv.String(), func(t *testing.T) {
			ctx := context.Background()
			s := storage.New(srv.Client(t))
			if err := s.Create(ctx, newIncident(1, "sev1"), incident.TimelineEvent{At: t0, Kind: incident.EventDeclared}); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				ev := incident.TimelineEvent{At: t0.Add(time.Duration(i+1) * time.Minute), Kind: incident.EventPhase, Phase: incident.Containment, Text: "n"}
				if err := s.AddEvents(ctx, 1, ev); err != nil {
					t.Fatal(err)
				}
			}
			tl, err := s.Timeline(ctx, 1)
			if err != nil || len(tl) != 4 || tl[0].Kind != incident.EventDeclared || tl[3].Phase != incident.Containment || !tl[3].At.Equal(t0.Add(3*time.Minute)) {
				t.Fatalf("timeline = %+v, %v", tl, err)
			}
			e := storage.InboxEntry{At: t0, Kind: "reaction", Payload: []byte(`{}`)}
			first, err := s.Accept(ctx, "evt:Ev1", e)
			again, _ := s.Accept(ctx, "evt:Ev1", e)
			other, _ := s.Accept(ctx, "evt:Ev2", e)
			if err != nil || !first || again || !other {
				t.Errorf("Accept = %v %v %v, %v", first, again, other, err)
			}
			if err := s.Done(ctx, "evt:Ev1"); err != nil {
				t.Fatal(err)
			}
			if again, _ := s.Accept(ctx, "evt:Ev1", e); again {
				t.Error("a request was accepted again once its work was done")
			}
		})
	}
}

// Timeline events are stored compactly (the time in the entry ID) and come
// back whole, in the order they were added, whatever their dates; entries
// stored in the earlier form still read.
func TestTimelineEventsRoundTrip(t *testing.T) {
	for _, srv := range []*redistest.Server{redistest.StartEmbedded(t), redistest.Start(t)} {
		t.Run(srv.String(), func(t *testing.T) {
			ctx := context.Background()
			rdb := srv.Client(t)
			s := storage.New(rdb)
			full := incident.TimelineEvent{At: t0.Add(1500 * time.Millisecond), Actor: "UALICE", Kind: incident.EventPhase,
				Text: "why <!channel>", Phase: incident.Containment, From: "identification", To: "containment", Role: "commander",
				Users: []string{"UBOB", "UCAROL"}, Reason: "rolled back", Item: 3, Done: true, Link: "https://x.slack.com/archives/C1/p1", V: 1}
			legacy := incident.TimelineEvent{At: t0.Add(time.Minute), Kind: incident.EventNote, Text: "<@UBOB> wrote"}
			early := incident.Noted(t0.Add(-time.Hour), "UDAVE", "dated before the newest: another replica's clock")
			// An entry as the bot wrote them before the compact form.
			old, _ := json.Marshal(incident.Noted(t0, "UERIN", "stored the old way"))
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "ib:inc:{7}:timeline", ID: "1-1", Values: []any{"event", string(old)}}).Err(); err != nil {
				t.Fatal(err)
			}
			if err := s.Create(ctx, newIncident(7, "sev2"), full); err != nil {
				t.Fatal(err)
			}
			if err := s.AddEvents(ctx, 7, legacy, early); err != nil {
				t.Fatal(err)
			}
			tl, err := s.Timeline(ctx, 7)
			if err != nil || len(tl) != 4 {
				t.Fatalf("timeline = %+v, %v", tl, err)
			}
			if tl[0].Text != "stored the old way" || tl[0].Actor != "UERIN" || !tl[0].At.Equal(t0) {
				t.Errorf("entry of the earlier form = %+v", tl[0])
			}
			if !reflect.DeepEqual(tl[1], withUTC(full)) {
				t.Errorf("event = %+v\nwant    %+v", tl[1], withUTC(full))
			}
			if !reflect.DeepEqual(tl[2], withUTC(legacy)) || tl[2].V != 0 {
				t.Errorf("untyped event = %+v, want %+v", tl[2], legacy)
			}
			if tl[3].Text != early.Text || !tl[3].At.Equal(early.At) {
				t.Errorf("an event dated before the newest = %+v; want it last, with its own time %s", tl[3], early.At)
			}
			page, total, err := s.TimelinePage(ctx, 7, 1, 2)
			if err != nil || total != 4 || len(page) != 2 || !reflect.DeepEqual(page[0], tl[2]) || page[1].Text != early.Text {
				t.Errorf("page = %+v, %d, %v", page, total, err)
			}
		})
	}
}

func withUTC(ev incident.TimelineEvent) incident.TimelineEvent {
	ev.At = ev.At.UTC()
	return ev
}

// A request done again (its replica died after writing) finds its effects
// recorded and makes none of them twice: not the incident, its number, a
// change, nor timeline events; another request still makes its own.
func TestEffectsOncePerRequest(t *testing.T) {
	for _, srv := range []*redistest.Server{redistest.StartEmbedded(t), redistest.Start(t)} {
		t.Run(srv.String(), func(t *testing.T) {
			s := storage.New(srv.Client(t))
			t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
			run := func(ctx context.Context) {
				t.Helper()
				n, err := s.NextNumber(ctx)
				if err != nil || n != 1 {
					t.Fatalf("number %d, %v", n, err)
				}
				inc := &incident.Incident{Number: n, Title: "x", Status: incident.Open, DeclaredAt: t0}
				if err := s.Create(ctx, inc, incident.TimelineEvent{At: t0, Kind: incident.EventDeclared, Text: "declared"}); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Update(ctx, n, func(i *incident.Incident) ([]incident.TimelineEvent, error) {
					i.Severity += "!"
					return []incident.TimelineEvent{{At: t0, Kind: incident.EventSeverity, Text: "sev"}}, nil
				}); err != nil {
					t.Fatal(err)
				}
				if err := s.AddEvents(ctx, n, incident.TimelineEvent{At: t0, Kind: incident.EventNote, Text: "note"}); err != nil {
					t.Fatal(err)
				}
			}
			run(incident.WithRequest(context.Background(), "cmd:T1"))
			run(incident.WithRedo(context.Background(), "cmd:T1"))
			inc, _ := s.Get(context.Background(), 1)
			tl, _ := s.Timeline(context.Background(), 1)
			if inc.Severity != "!" || len(tl) != 3 {
				t.Errorf("after a redo: severity %q, %d events; want one change and 3 events", inc.Severity, len(tl))
			}
			other := incident.WithRequest(context.Background(), "cmd:T2")
			if err := s.AddEvents(other, 1, incident.TimelineEvent{At: t0, Kind: incident.EventNote, Text: "another"}); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.NextNumber(other); n != 2 {
				t.Errorf("another request got number %d, want 2", n)
			}
			tl, _ = s.Timeline(context.Background(), 1)
			if len(tl) != 4 {
				t.Fatalf("another request's note: %d events, want 4", len(tl))
			}
			// Each event keeps the tag of the request that wrote it: a
			// redo finds its own events by it.
			first, second := incident.RequestTag(incident.WithRequest(context.Background(), "cmd:T1")), incident.RequestTag(other)
			for i, want := range []string{first, first, first, second} {
				if tl[i].Request != want || want == "" {
					t.Errorf("event %d (%s) tagged %q, want %q", i, tl[i].Kind, tl[i].Request, want)
				}
			}
		})
	}
}

func TestServerTime(t *testing.T) {
	for _, srv := range []*redistest.Server{redistest.StartEmbedded(t), redistest.Start(t)} {
		s := storage.New(srv.Client(t))
		got, err := s.Time(context.Background())
		if d := time.Since(got); err != nil || d > 5*time.Second || d < -5*time.Second {
			t.Errorf("%s: server time %s (%v), %s from ours", srv, got, err, d)
		}
	}
}

// With a replica required, a write is confirmed once the replica holds it;
// with the replica gone, the write is reported as not durable, and a
// request is not taken.
func TestWritesWaitForReplicas(t *testing.T) {
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	s := storage.New(master.Client(t))
	// With the replica up, a busy test machine may take more than the
	// bot's half second to confirm; with it down, every wait runs out.
	s.RequireReplicas(1, 5*time.Second)
	ctx := context.Background()
	if err := s.Create(ctx, newIncident(1, "sev2")); err != nil {
		t.Fatalf("create with its replica up: %v", err)
	}
	if got, err := storage.New(replica.Client(t)).Get(ctx, 1); err != nil || got.Number != 1 {
		t.Fatalf("the replica does not hold the confirmed incident: %v", err)
	}
	if err := s.AddEvents(ctx, 1, incident.Noted(t0, "U1", "while the replica is up")); err != nil {
		t.Fatalf("add events with the replica up: %v", err)
	}
	replica.Kill()
	s.RequireReplicas(1, 0)
	_, err := s.Update(ctx, 1, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		inc.Severity = "sev1"
		return nil, nil
	})
	if !errors.Is(err, incident.ErrNotDurable) || incident.ErrorCode(err) != incident.Unavailable {
		t.Errorf("update without the replica: %v", err)
	}
	if err := s.AddEvents(ctx, 1, incident.Noted(t0, "U1", "no replica")); !errors.Is(err, incident.ErrNotDurable) {
		t.Errorf("add events without the replica: %v", err)
	}
	first, err := s.Accept(ctx, "cmd:T1", storage.InboxEntry{At: t0, Kind: "command"})
	if !errors.Is(err, incident.ErrNotDurable) {
		t.Errorf("accept without the replica: %v, %v", first, err)
	}
	if left, _ := s.Stale(ctx, time.Now().Add(time.Hour)); len(left) != 0 {
		t.Errorf("a request not taken is left in the journal: %v", left)
	}
	if msg := incident.ErrorMessage(err, "r1").String(); !strings.Contains(msg, "could not confirm") || !strings.Contains(msg, "ref r1") {
		t.Errorf("the person is told %q", msg)
	}
}

// A request Redis takes only after its deadline (the script reached a
// stalled server and ran when it woke) is not taken: the person was told
// it was not done, so it must not be done later, and sent again it is new.
func TestAcceptAfterTheDeadlineTakesNothing(t *testing.T) {
	srv := redistest.Start(t)
	// The bot's client options (storage.Open) and the journal's deadline.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true, MaxRetries: 1,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, PoolTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	s := storage.New(rdb)
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil { // a connection ready before the freeze
		t.Fatal(err)
	}
	srv.Freeze(t)
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := s.Accept(short, "cmd:LATE", storage.InboxEntry{At: time.Now(), Kind: "command"}); err == nil {
		t.Fatal("accepted while Redis was frozen")
	}
	time.Sleep(300 * time.Millisecond)
	srv.Thaw()
	time.Sleep(200 * time.Millisecond) // the stalled script runs now
	if left, _ := s.Stale(ctx, time.Now().Add(time.Hour)); len(left) != 0 {
		t.Errorf("the late script journaled %v", left)
	}
	if first, err := s.Accept(ctx, "cmd:LATE", storage.InboxEntry{At: time.Now(), Kind: "command"}); err != nil || !first {
		t.Errorf("sent again, the request was %v, %v; want taken as new", first, err)
	}
}

// A closed incident left in the open index (two changes racing, each
// indexing after its transaction) is taken out by Reconcile, and the
// open counts follow.
func TestReconcileHealsTheOpenIndex(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	s := storage.New(rdb)
	ctx := context.Background()
	for n := int64(1); n <= 2; n++ {
		if err := s.Create(ctx, newIncident(n, "sev2")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Update(ctx, 2, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
		inc.Status = incident.Closed
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	// The racing tick's late index write, as it lands after the close's.
	rdb.ZAdd(ctx, "ib:open", redis.Z{Score: 2, Member: 2})
	rdb.HSet(ctx, "ib:openinfo", 2, "sev2 identification")
	if counts, _ := s.OpenCounts(ctx); counts[[2]string{"sev2", "identification"}] != 2 {
		t.Fatalf("the race was not reproduced: %v", counts)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	counts, err := s.OpenCounts(ctx)
	if want := map[[2]string]int{{"sev2", "identification"}: 1}; err != nil || !maps.Equal(counts, want) {
		t.Errorf("after Reconcile: %v, %v; want %v", counts, err, want)
	}
	if n, _ := rdb.ZCard(ctx, "ib:open").Result(); n != 1 {
		t.Errorf("the open index holds %d, want 1", n)
	}
}
