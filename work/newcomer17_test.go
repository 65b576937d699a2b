package work_test

import (
	"context"
	"strings"
	"testing"
)

// With nothing open and digest_when_empty unset, the digest is rightly not
// posted, but the scheduler still logged "digest sent" and counted it in
// incidentbot_digests_sent_total every time.
func TestNewcomer17ASkippedDigestIsNotCountedAsSent(t *testing.T) {
	c := newCluster(t, 1, nil)
	c.replicas[0].sched.RunDigest(context.Background())
	ch, _ := c.slack.Channel(c.stakeholder)
	if got := countPrefix(ch.Messages, "Digest:"); got != 0 {
		t.Fatalf("%d digests posted with nothing open", got)
	}
	if m := c.metrics(t, 0); strings.Contains(m, "incidentbot_digests_sent_total 1") {
		t.Errorf("a digest that was not posted is counted as sent:\n%s", grep(m, "digest"))
	}
}
