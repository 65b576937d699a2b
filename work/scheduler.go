package work

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/incidentbot/incidentbot/storage"
)

// ScheduleStore is the schedule as the runner sees it.
type ScheduleStore interface {
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]storage.Claim, error)
	Ack(ctx context.Context, c storage.Claim, next time.Time) (bool, error)
	Once(ctx context.Context, name string, ttl time.Duration) (bool, error)
	Release(ctx context.Context, name string) error
}

// ScheduledApp does the scheduled work.
type ScheduledApp interface {
	RunScheduled(ctx context.Context, n int64) (Ran, error)
	// StakeholderUpdates posts the scheduled updates the runs queued for
	// the stakeholder channel.
	StakeholderUpdates(ctx context.Context) error
	Digest(ctx context.Context) error
	Reconcile(ctx context.Context) error
}

// SchedulerConfig tunes the runner; zero values take the defaults.
type SchedulerConfig struct {
	Now        func() time.Time
	Lease      time.Duration // how long a claim holds before another runner may take the item
	Batch      int           // items claimed per tick
	Workers    int           // items worked on at once
	RetryAfter time.Duration // when failed work is tried again
	DigestCron string        // standard five-field cron spec; empty: no digest
}

// Scheduler runs the scheduled stakeholder updates, nudges and the digest.
// robfig/cron drives it: a tick every second claims what is due, with a
// lease, from the schedule in Redis, so several replicas share the work and
// each item goes out once; the digest runs once per scheduled time,
// whichever replica gets its lock.
type Scheduler struct {
	store   ScheduleStore
	app     ScheduledApp
	cfg     SchedulerConfig
	metrics Meter
	log     *slog.Logger
	cron    *cron.Cron
	also    []job
}

type job struct {
	spec string
	run  func(context.Context)
}

// Also adds a job for the cron to run, before Start.
func (s *Scheduler) Also(spec string, run func(context.Context)) {
	s.also = append(s.also, job{spec: spec, run: run})
}

// NewScheduler returns a runner; Start sets it going.
func NewScheduler(store ScheduleStore, app ScheduledApp, cfg SchedulerConfig, m Meter, log *slog.Logger) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 30 * time.Second
	}
	return &Scheduler{store: store, app: app, cfg: cfg, metrics: m, log: log}
}

// Start puts open incidents missing from the schedule on it, then starts
// the cron jobs.
func (s *Scheduler) Start(ctx context.Context) error {
	if err := s.app.Reconcile(ctx); err != nil {
		s.log.Error("could not reconcile the schedule; the next start tries again", "err", err)
	}
	logger := cron.PrintfLogger(slog.NewLogLogger(s.log.Handler(), slog.LevelDebug))
	s.cron = cron.New(cron.WithSeconds(), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	work := context.WithoutCancel(ctx) // Stop waits for running jobs; they finish their work
	if _, err := s.cron.AddFunc("* * * * * *", func() { s.Tick(work) }); err != nil {
		return err
	}
	if _, err := s.cron.AddFunc("* * * * * *", func() { s.Stakeholders(work) }); err != nil {
		return err
	}
	for _, j := range s.also {
		if _, err := s.cron.AddFunc(j.spec, func() { j.run(work) }); err != nil {
			return err
		}
	}
	if s.cfg.DigestCron != "" {
		spec, err := cron.ParseStandard(s.cfg.DigestCron)
		if err != nil {
			return err
		}
		s.cron.Schedule(spec, cron.FuncJob(func() { s.RunDigest(work) }))
	}
	s.cron.Start()
	return nil
}

// Stop stops the cron jobs and waits for a running tick to finish.
func (s *Scheduler) Stop(ctx context.Context) {
	if s.cron == nil {
		return
	}
	select {
	case <-s.cron.Stop().Done():
	case <-ctx.Done():
	}
}

// Tick claims the work that is due and does it. Tests call it directly.
func (s *Scheduler) Tick(ctx context.Context) {
	claims, err := s.store.Claim(ctx, s.cfg.Now(), s.cfg.Lease, s.cfg.Batch)
	if err != nil {
		s.log.Error("could not claim scheduled work", "err", err)
		return
	}
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	for _, c := range claims {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.work(ctx, c)
		})
	}
	wg.Wait()
}

// Stakeholders posts the updates the ticks queued for the stakeholder
// channel. It runs each second beside the tick, not in it: its posts keep
// Slack's pace of one a second, which must not hold up the incident
// channels' updates. Tests call it directly.
func (s *Scheduler) Stakeholders(ctx context.Context) {
	if err := s.app.StakeholderUpdates(ctx); err != nil {
		s.log.Error("could not post the stakeholder updates; the next run tries again", "err", err)
	}
}

func (s *Scheduler) work(ctx context.Context, c storage.Claim) {
	ran, err := s.app.RunScheduled(ctx, c.Number)
	next := ran.Next
	if err != nil {
		s.metrics.ScheduleFailed()
		s.log.Error("scheduled work failed; trying again later", "incident", c.Number, "err", err)
		next = s.cfg.Now().Add(s.cfg.RetryAfter)
	}
	switch ran.Sent {
	case SentUpdate:
		late := s.cfg.Now().Sub(ran.Due)
		s.metrics.UpdateSent(late)
		if late > 10*time.Second {
			s.log.Warn("scheduled update sent late", "incident", c.Number, "late", late)
		}
		s.log.Info("scheduled update sent", "incident", c.Number, "due", ran.Due)
	case SentNudge:
		s.metrics.NudgeSent()
		s.log.Info("nudged for an update", "incident", c.Number)
	}
	ok, err := s.store.Ack(ctx, c, next)
	switch {
	case err != nil:
		s.log.Error("could not acknowledge scheduled work; it is done again after the lease", "incident", c.Number, "err", err)
	case !ok:
		s.log.Warn("a scheduled claim ran past its lease and was taken over", "incident", c.Number)
	}
}

// DigestSkipped is what App.Digest returns when it sent nothing on purpose
// (no stakeholder channel, or nothing to tell): not an error, and not a
// digest sent.
type DigestSkipped struct{ Reason string }

func (e DigestSkipped) Error() string { return "digest not sent: " + e.Reason }

// RunDigest sends the digest unless another replica has for this minute:
// cron specs are minute-grained, so the minute names the scheduled run.
func (s *Scheduler) RunDigest(ctx context.Context) {
	slot := s.cfg.Now().Truncate(time.Minute).UTC().Format(time.RFC3339)
	lock := "digest:" + strings.ReplaceAll(slot, ":", "")
	first, err := s.store.Once(ctx, lock, time.Hour)
	if err != nil {
		s.log.Error("could not take the digest lock", "err", err)
		return
	}
	if !first {
		return
	}
	var skipped DigestSkipped
	if err := s.app.Digest(ctx); errors.As(err, &skipped) {
		s.log.Info("digest not sent", "slot", slot, "reason", skipped.Reason)
		// Nothing was sent, so the minute is still free: with a spec
		// finer than a minute, a run after an incident opens sends it.
		if err := s.store.Release(ctx, lock); err != nil {
			s.log.Error("could not release the digest lock", "err", err)
		}
		return
	} else if err != nil {
		s.log.Error("could not send the digest", "err", err)
		return
	}
	s.metrics.DigestSent()
	s.log.Info("digest sent", "slot", slot)
}
