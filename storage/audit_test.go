package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
)

// Two replicas append to one incident's audit log at once: every entry is
// kept once, in one chain that verifies; a request done again is not
// written twice.
func TestAuditLogWithTwoReplicas(t *testing.T) {
	for _, srv := range []*redistest.Server{redistest.StartEmbedded(t), redistest.Start(t)} {
		t.Run(srv.String(), func(t *testing.T) {
			ctx := context.Background()
			key := []byte("0123456789abcdef-audit")
			replicas := []*storage.Store{storage.New(srv.Client(t)), storage.New(srv.Client(t))}
			const each = 20
			var wg sync.WaitGroup
			for r, s := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						e := incident.AuditEntry{At: t0, Actor: fmt.Sprintf("U%d", r), What: "command note", Outcome: incident.AuditOK, Request: fmt.Sprintf("R%d-%d", r, i)}
						if err := s.AppendAudit(ctx, 1, e, key); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			// The newest entry, done again: which replica wrote it last is
			// the scheduler's choice, and a redo is looked for among the
			// newest entries only.
			written, _, err := replicas[0].Audit(ctx, 1)
			if err != nil || len(written) == 0 {
				t.Fatalf("%d entries, %v", len(written), err)
			}
			last := written[len(written)-1]
			again := incident.AuditEntry{At: t0, Actor: last.Actor, What: last.What, Outcome: incident.AuditOK, Request: last.Request}
			if err := replicas[0].AppendAudit(ctx, 1, again, key); err != nil {
				t.Fatal(err)
			}
			log, head, err := replicas[1].Audit(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(log) != 2*each {
				t.Errorf("%d entries, want %d", len(log), 2*each)
			}
			if brk, ok := incident.VerifyAudit(1, log, head, key); !ok {
				t.Errorf("the chain written by two replicas breaks: %+v", brk)
			}
		})
	}
}
