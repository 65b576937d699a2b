// Package clocktest has clocks for tests: one that never waits and one that
// moves only when told, so tests fast-forward instead of sleeping.
package clocktest

import (
	"sync"
	"time"
)

// Instant reads the wall clock but never waits: After fires at once.
type Instant struct{}

func (Instant) Now() time.Time { return time.Now() }

func (Instant) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Now()
	return ch
}

// Manual is a clock that moves only when Advance is called.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewManual returns a Manual clock reading start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now is the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock on and fires the waits that are over.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
	m.waiters, _ = fire(m.waiters, m.now)
}

// fire fires the waits that are over at now and returns the others and how many fired.
func fire(waiters []waiter, now time.Time) ([]waiter, int) {
	kept, fired := waiters[:0], 0
	for _, w := range waiters {
		if w.at.After(now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- now
		fired++
	}
	return kept, fired
}

// After fires once the clock has been advanced by d.
func (m *Manual) After(d time.Duration) <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- m.now
		return ch
	}
	m.waiters = append(m.waiters, waiter{at: m.now.Add(d), ch: ch})
	return ch
}

// Steps is a discrete-event clock for a known set of goroutines (actors):
// time stands still while any actor runs, and moves, straight to the
// earliest wake-up, only once every actor is waiting in After or has said
// Done. What an actor does between two waits therefore happens at one
// instant, so a test can read exact times without sleeping, whatever the
// machine's load.
type Steps struct {
	mu       sync.Mutex
	now      time.Time
	actors   int
	sleeping int
	waiters  []waiter
}

// NewSteps returns a Steps clock reading start, for actors goroutines.
func NewSteps(start time.Time, actors int) *Steps { return &Steps{now: start, actors: actors} }

// Now is the clock's time.
func (s *Steps) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// After fires once every actor waits and this wait is the earliest.
func (s *Steps) After(d time.Duration) <-chan time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- s.now
		return ch
	}
	s.waiters = append(s.waiters, waiter{at: s.now.Add(d), ch: ch})
	s.sleeping++
	s.stepLocked()
	return ch
}

// Done says an actor has finished and will wait no more.
func (s *Steps) Done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actors--
	s.stepLocked()
}

func (s *Steps) stepLocked() {
	if s.sleeping < s.actors || len(s.waiters) == 0 {
		return
	}
	next := s.waiters[0].at
	for _, w := range s.waiters[1:] {
		if w.at.Before(next) {
			next = w.at
		}
	}
	s.now = next
	var fired int
	s.waiters, fired = fire(s.waiters, next)
	s.sleeping -= fired
}
