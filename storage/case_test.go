package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
)

// TestCaseRecordsWithTwoReplicas has two replicas (two clients of one
// Redis) add indicators, evidence and containment actions to one incident
// at once, and hand on and re-hash the same item: every record is kept
// once, with numbers given once each, the indicator count right, every
// custody chain whole, and a timeline entry per change.
func TestCaseRecordsWithTwoReplicas(t *testing.T) {
	for _, srv := range []*redistest.Server{redistest.StartEmbedded(t), redistest.Start(t)} {
		t.Run(srv.String(), func(t *testing.T) {
			ctx := context.Background()
			replicas := []*storage.Store{storage.New(srv.Client(t)), storage.New(srv.Client(t))}
			if err := replicas[0].Create(ctx, newIncident(1, "sev1")); err != nil {
				t.Fatal(err)
			}
			const each = 15
			hash := strings.Repeat("a", 64)
			var wg sync.WaitGroup
			errs := make(chan error, 2*each*4)
			for r, s := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						req := incident.WithRequest(ctx, fmt.Sprintf("R%d-%d", r, i))
						at := t0.Add(time.Duration(i) * time.Second)
						user := fmt.Sprintf("U%d", r)
						// The same indicator from both, and one of each replica's own.
						for _, v := range []string{"203.0.113.7", fmt.Sprintf("198.51.%d.%d", r, i)} {
							if _, err := s.AddIndicator(req, 1, incident.Indicator{Type: incident.IOCIPv4, Value: v, FirstSeen: at, LastSeen: at, AddedBy: user, State: incident.IndicatorSuspected}); err != nil {
								errs <- err
							}
						}
						_, err := s.AddEvidence(req, 1, func(id int) (incident.Evidence, incident.TimelineEvent, error) {
							return incident.NewEvidence(1, id, at, user, fmt.Sprintf("item-%d-%d", r, i), hash, "locker", "")
						})
						if err != nil {
							errs <- err
						}
						_, err = s.Update(req, 1, func(inc *incident.Incident) ([]incident.TimelineEvent, error) {
							_, evs, err := inc.AddContainment(at, user, incident.ContainBlock, fmt.Sprintf("host-%d-%d", r, i), "", time.Time{})
							return evs, err
						})
						if err != nil {
							errs <- err
						}
						// Both hand EV-1 on and re-hash it, interleaved.
						_, _, err = s.ChangeEvidence(req, 1, 1, func(e *incident.Evidence, _ *incident.Incident) (incident.TimelineEvent, error) {
							if i%3 == 2 {
								_, ev, err := e.Verify(at, incident.Actor{ID: user, Admin: true}, strings.Repeat("b", 64), nil)
								return ev, err
							}
							return e.Transfer(at, incident.Actor{ID: user, Admin: true}, fmt.Sprintf("UHOLD%d%d", r, i), "", nil)
						})
						if err != nil && !errors.Is(err, incident.ErrNotFound) && incident.ErrorCode(err) != incident.NotFound {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			inc, err := replicas[1].Get(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			inds, err := replicas[1].Indicators(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(inds) != 2*each+1 || inc.IndicatorCount != len(inds) {
				t.Errorf("%d indicators, counted %d; want %d", len(inds), inc.IndicatorCount, 2*each+1)
			}
			for _, ind := range inds {
				if ind.Value == "203.0.113.7" && ind.Sightings != 2*each {
					t.Errorf("the shared indicator was seen %d times, want %d", ind.Sightings, 2*each)
				}
			}
			evidence, err := replicas[0].Evidence(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(evidence) != 2*each || inc.EvidenceCount != 2*each || len(inc.Actions) != 2*each {
				t.Errorf("%d items of evidence (counted %d) and %d actions, want %d each", len(evidence), inc.EvidenceCount, len(inc.Actions), 2*each)
			}
			if len(inc.Mismatched) != 1 || inc.Mismatched[0] != 1 {
				t.Errorf("the incident notes mismatches of %v, want EV-1's", inc.Mismatched)
			}
			for k, e := range evidence {
				if e.ID != k+1 {
					t.Errorf("evidence numbered %d at place %d", e.ID, k+1)
				}
				if brk, ok := inc.VerifyEvidence(e, nil); !ok {
					t.Errorf("%s: chain broken: %+v", e.Ref(), brk)
				}
			}
			for k, a := range inc.Actions {
				if a.ID != k+1 {
					t.Errorf("action numbered %d at place %d", a.ID, k+1)
				}
			}
			tl, err := replicas[0].Timeline(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			steps := 0
			for _, ev := range tl {
				if ev.Kind == incident.EventEvidence && ev.Item == 1 {
					steps++
				}
			}
			if steps != len(evidence[0].Custody) {
				t.Errorf("the timeline has %d custody steps of EV-1, its log %d", steps, len(evidence[0].Custody))
			}
			// A request done again after a crash changes nothing, and finds what it added.
			add := func(ctx context.Context, name string) (incident.Evidence, error) {
				return replicas[1].AddEvidence(ctx, 1, func(id int) (incident.Evidence, incident.TimelineEvent, error) {
					return incident.NewEvidence(1, id, t0, "U1", name, hash, "locker", "")
				})
			}
			first, err := add(incident.WithRequest(ctx, "RX"), "item-x")
			if err != nil {
				t.Fatal(err)
			}
			// Another replica adds one meanwhile: the request done again still finds its own.
			if _, err := replicas[0].AddEvidence(incident.WithRequest(ctx, "RY"), 1, func(id int) (incident.Evidence, incident.TimelineEvent, error) {
				return incident.NewEvidence(1, id, t0, "U0", "item-y", hash, "locker", "")
			}); err != nil {
				t.Fatal(err)
			}
			again, err := add(incident.WithRedo(ctx, "RX"), "item-x")
			if err != nil || again.ID != first.ID || again.Name != "item-x" {
				t.Errorf("evidence added again = %s %q, %v; want %s, the item that request added", again.Ref(), again.Name, err, first.Ref())
			}
			if n, _ := replicas[1].Evidence(ctx, 1); len(n) != 2*each+2 {
				t.Errorf("%d items after a request was done again, want %d", len(n), 2*each+2)
			}
			redo := incident.WithRedo(ctx, "R0-0")
			if _, err := replicas[1].AddIndicator(redo, 1, incident.Indicator{Type: incident.IOCIPv4, Value: "203.0.113.7", FirstSeen: t0, LastSeen: t0, AddedBy: "U0"}); err != nil {
				t.Fatal(err)
			}
			after, _ := replicas[1].Indicators(ctx, 1)
			for _, ind := range after {
				if ind.Value == "203.0.113.7" && ind.Sightings != 2*each {
					t.Errorf("after a request was done again the shared indicator was seen %d times, want %d", ind.Sightings, 2*each)
				}
			}
		})
	}
}
