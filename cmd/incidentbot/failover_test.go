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

// Under Sentinel with REDIS_MIN_REPLICAS=1 (a master, a replica, three
// Sentinels), a planned failover loses no note the bot confirmed, and the
// bot confirms notes again once the old master has become the new one's
// replica: Sentinel does that on its next look at it, within about 10 s.
// (With two replicas WAIT 1 would not do: the one not promoted may hold a
// write the promoted one never got, and drops it when it follows the new
// master.)
func TestSentinelFailoverLosesNoConfirmedWrite(t *testing.T) {
	t.Parallel()
	t.Run("planned", func(t *testing.T) {
		sentinelFailover(t, func(t *testing.T, master *redistest.Server, sentinel *redis.SentinelClient) {
			if err := sentinel.Failover(context.Background(), "mymaster").Err(); err != nil {
				t.Fatalf("SENTINEL FAILOVER: %v", err)
			}
		})
	})
	// The README's advice for a planned failover: the operator makes the
	// old master follow the new one as soon as the Sentinels name it.
	t.Run("planned, the old master following at once", func(t *testing.T) {
		sentinelFailover(t, func(t *testing.T, master *redistest.Server, sentinel *redis.SentinelClient) {
			if err := sentinel.Failover(context.Background(), "mymaster").Err(); err != nil {
				t.Fatalf("SENTINEL FAILOVER: %v", err)
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				addr, _ := sentinel.GetMasterAddrByName(context.Background(), "mymaster").Result()
				if len(addr) == 2 && !strings.HasSuffix(master.Addr, ":"+addr[1]) {
					old := redis.NewClient(&redis.Options{Addr: master.Addr})
					defer old.Close()
					if err := old.Do(context.Background(), "REPLICAOF", addr[0], addr[1]).Err(); err != nil {
						t.Fatalf("REPLICAOF on the old master: %v", err)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatal("the Sentinels did not name a new master within 30 s")
				}
			}
		})
	})
	// The master killed: the Sentinels promote the replica once it has
	// been down two seconds; the old master, restarted as the usual Redis
	// charts for Kubernetes do (asking the Sentinels for the master and
	// following it), rejoins as the new one's replica and drops what it had
	// that was never confirmed.
	t.Run("kill -9", func(t *testing.T) {
		sentinelFailover(t, func(t *testing.T, master *redistest.Server, sentinel *redis.SentinelClient) {
			master.Kill()
			deadline := time.Now().Add(30 * time.Second)
			var promoted string
			for {
				// Promoted for good: the Sentinel names another master, and
				// that one says it is a master.
				addr, _ := sentinel.GetMasterAddrByName(context.Background(), "mymaster").Result()
				if len(addr) == 2 && !strings.HasSuffix(master.Addr, ":"+addr[1]) {
					c := redis.NewClient(&redis.Options{Addr: addr[0] + ":" + addr[1]})
					role, _ := c.Do(context.Background(), "ROLE").Slice()
					_ = c.Close()
					if len(role) > 0 && role[0] == "master" {
						promoted = addr[0] + ":" + addr[1]
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatal("the Sentinels did not promote the replica within 30 s of the kill")
				}
				time.Sleep(100 * time.Millisecond)
			}
			master.RestartAsReplicaOf(t, promoted)
		})
	})
}

func sentinelFailover(t *testing.T, fail func(t *testing.T, master *redistest.Server, sentinel *redis.SentinelClient)) {
	master := redistest.Start(t)
	redistest.StartReplica(t, master)
	sentinels := redistest.Sentinels(t, master, 3)
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	failover := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: sentinels})
	t.Cleanup(func() { _ = failover.Close() })
	h := &harness{slack: fs, redis: master, store: storage.New(failover), env: map[string]string{
		"REDIS_SENTINEL_ADDRS": strings.Join(sentinels, ","), "REDIS_SENTINEL_MASTER": "mymaster", "REDIS_MIN_REPLICAS": "1"}}
	h.stakeholder = fs.CreateChannel("security-incidents", false, fs.BotUserID, "UDAVE")
	h.launch(t, false, true, clocks{now: time.Now, outbound: clocktest.Instant{}}, quietSeverities)
	s := &script{t: t, h: h, ctx: context.Background()}
	general := fs.CreateChannel("general", false, "UALICE")
	// On a loaded machine the Sentinels may fail over on their own before
	// the drill; a declare that could not be kept safe is simply sent again.
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		if got := s.command("UALICE", general, "declare Failover drill sev3"); strings.Contains(got, "Declared") {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no declare was confirmed within 40 s: %q", got)
		}
	}
	s.ch = h.declared(t, "UALICE", "INC-1").ID

	sentinel := redis.NewSentinelClient(&redis.Options{Addr: sentinels[0]})
	t.Cleanup(func() { _ = sentinel.Close() })
	var confirmed []string
	var failStart, failedOver, servedAgain time.Time
	oldMaster := master.Addr
	for i := 0; failedOver.IsZero() || (time.Since(failedOver) < 30*time.Second && (servedAgain.IsZero() || time.Since(servedAgain) < 2*time.Second)); i++ {
		if i == 10 {
			failStart = time.Now()
			fail(t, master, sentinel)
			failedOver = time.Now()
		}
		text := fmt.Sprintf("%d written through the failover", i)
		if got := s.command("UALICE", s.ch, "note "+text); strings.Contains(got, "Noted") {
			confirmed = append(confirmed, text)
			// Serving again: a note confirmed by the new master.
			if !failStart.IsZero() && servedAgain.IsZero() {
				if addr, _ := sentinel.GetMasterAddrByName(s.ctx, "mymaster").Result(); len(addr) == 2 && !strings.HasSuffix(oldMaster, ":"+addr[1]) {
					servedAgain = time.Now()
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if servedAgain.IsZero() {
		t.Errorf("no note was confirmed within 30 s of the failover")
	}
	if addr, _ := sentinel.GetMasterAddrByName(s.ctx, "mymaster").Result(); len(addr) == 2 && strings.HasSuffix(master.Addr, ":"+addr[1]) {
		t.Fatalf("the failover did not happen: the master is still %v", addr)
	}
	var events []incident.TimelineEvent
	s.eventually("the timeline on the new master", func() bool {
		var err error
		events, err = h.store.Timeline(s.ctx, 1)
		return err == nil && len(events) > 0
	})
	have := map[string]bool{}
	for _, ev := range events {
		if ev.Kind == incident.EventNote {
			have[ev.Text] = true
		}
	}
	lost := 0
	for _, text := range confirmed {
		if !have[text] {
			lost++
			t.Errorf("confirmed but lost in the failover: %q", text)
		}
	}
	t.Logf("%d notes confirmed, %d lost; confirming again %s after the failover began", len(confirmed), lost, servedAgain.Sub(failStart).Round(100*time.Millisecond))
}
