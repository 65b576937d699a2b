package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/storage/redistest"
)

func TestSchedule(t *testing.T) {
	for _, srv := range []*redistest.Server{redistest.StartEmbedded(t), redistest.Start(t)} {
		t.Run(srv.String(), func(t *testing.T) {
			ctx := context.Background()
			s := storage.New(srv.Client(t))
			at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
			for n, due := range map[int64]int{1: 10, 2: 20, 3: 30} {
				if err := s.Schedule(ctx, n, at(due)); err != nil {
					t.Fatal(err)
				}
			}
			claims, err := s.Claim(ctx, at(20), time.Minute, 10)
			if err != nil || len(claims) != 2 || claims[0].Number != 1 || claims[1].Number != 2 || !claims[0].Due.Equal(at(10)) {
				t.Fatalf("Claim at 20s = %+v, %v", claims, err)
			}
			if again, _ := s.Claim(ctx, at(25), time.Minute, 10); len(again) != 0 {
				t.Fatalf("claimed items were claimed again within the lease: %+v", again)
			}
			// Incident 1 is done and due next at 100s; incident 2's claimer dies.
			if ok, err := s.Ack(ctx, claims[0], at(100)); !ok || err != nil {
				t.Fatalf("Ack = %v, %v", ok, err)
			}
			late, _ := s.Claim(ctx, at(81), time.Minute, 10) // 2's lease ended at 80s; 3 is due
			if len(late) != 2 || late[0].Number != 3 || late[1].Number != 2 || !late[1].Due.Equal(at(20)) {
				t.Fatalf("after the lease: %+v", late)
			}
			if ok, _ := s.Ack(ctx, claims[1], at(500)); ok {
				t.Error("the dead claimer's late ack was taken")
			}
			if ok, _ := s.Ack(ctx, late[1], time.Time{}); !ok {
				t.Error("the new claimer's ack was refused")
			}
			if _, found, _ := s.Scheduled(ctx, 2); found {
				t.Error("a dropped item is still scheduled")
			}
			if due, found, _ := s.Scheduled(ctx, 1); !found || !due.Equal(at(100)) {
				t.Errorf("incident 1 due %v %v", due, found)
			}
			if err := s.ScheduleMissing(ctx, map[int64]time.Time{1: at(5), 9: at(9)}); err != nil {
				t.Fatal(err)
			}
			if due, _, _ := s.Scheduled(ctx, 1); !due.Equal(at(100)) {
				t.Errorf("ScheduleMissing moved an existing item to %v", due)
			}
			if due, found, _ := s.Scheduled(ctx, 9); !found || !due.Equal(at(9)) {
				t.Errorf("ScheduleMissing did not add a missing item: %v %v", due, found)
			}
			if err := s.Unschedule(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if _, found, _ := s.Scheduled(ctx, 1); found {
				t.Error("Unschedule left the item")
			}
			first, _ := s.Once(ctx, "digest 2026-11-27T09:00", time.Hour)
			second, _ := s.Once(ctx, "digest 2026-11-27T09:00", time.Hour)
			if !first || second {
				t.Errorf("Once = %v then %v", first, second)
			}
			if err := s.Release(ctx, "digest 2026-11-27T09:00"); err != nil {
				t.Fatal(err)
			}
			if again, _ := s.Once(ctx, "digest 2026-11-27T09:00", time.Hour); !again {
				t.Error("Once after Release = false, want the name free again")
			}
		})
	}
}

func TestConcurrentClaimsTakeEachItemOnce(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	s := storage.New(srv.Client(t))
	for n := int64(1); n <= 200; n++ {
		if err := s.Schedule(ctx, n, t0); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	got := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				claims, err := s.Claim(ctx, t0.Add(time.Second), time.Minute, 7)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, c := range claims {
					got[c.Number]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != 200 {
		t.Errorf("%d of 200 items claimed", len(got))
	}
	for n, times := range got {
		if times != 1 {
			t.Errorf("item %d claimed %d times", n, times)
		}
	}
}

// BenchmarkClaim measures one runner tick that finds 100 due items among
// many scheduled ones: it should cost in proportion to the 100.
func BenchmarkClaim(b *testing.B) {
	srv := redistest.Start(b)
	ctx := context.Background()
	rdb := srv.Client(b)
	s := storage.New(rdb)
	for _, open := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("open=%d/due=100", open), func(b *testing.B) {
			rdb.FlushAll(ctx)
			now := t0
			// All but 100 incidents are due in the future.
			dues := make(map[int64]time.Time, open)
			for n := int64(1); n <= int64(open); n++ {
				dues[n] = now.Add(time.Hour)
				if n <= 100 {
					dues[n] = now.Add(-time.Second)
				}
			}
			if err := s.ScheduleMissing(ctx, dues); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				claims, err := s.Claim(ctx, now, time.Minute, 100)
				if err != nil || len(claims) != 100 {
					b.Fatalf("claimed %d, %v", len(claims), err)
				}
				b.StopTimer()
				for _, c := range claims { // make them due again for the next round
					if _, err := s.Ack(ctx, c, now.Add(-time.Second)); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
		})
	}
}
