package work_test

import (
	"context"
	"sync"
	"testing"
)

// With the digest's minute given back when it has nothing to tell, three
// replicas run it together many times in one minute, empty and then with
// an incident declared meanwhile: the stakeholders get one digest, not
// one per replica or per run.
func TestAttack18DigestOncePerMinuteAcrossReplicas(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := context.Background()
	run := func(times int) {
		var wg sync.WaitGroup
		for range times {
			for _, r := range c.replicas {
				wg.Go(func() { r.sched.RunDigest(ctx) })
			}
		}
		wg.Wait()
	}
	run(5) // empty: each gives the minute back
	var wg sync.WaitGroup
	wg.Go(func() { run(5) })
	c.declare(t, "Ransomware sev1")
	wg.Wait()
	run(5)
	ch, _ := c.slack.Channel(c.stakeholder)
	if got := countPrefix(ch.Messages, "Digest: "); got != 1 {
		t.Errorf("%d digests in one minute across three replicas, want 1", got)
	}
}
