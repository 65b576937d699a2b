package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/storage"
	"github.com/incidentbot/incidentbot/work"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Usage:
  incidentbot                run the bot (configured by environment variables)
  incidentbot check-config   validate the environment and configuration file, connecting nowhere
  incidentbot playground     try the bot without Slack: a local web page on HTTP_ADDR (127.0.0.1:8080)
                             [--demo] starts with a short scripted incident
  incidentbot --version      print the version
`

const noSlackHelp = `
No Slack variables are set. To try incidentbot without Slack, run:

  incidentbot playground

To run it for real, create the Slack app from slack-app-manifest.yaml (Socket Mode) or
slack-app-manifest-http.yaml (HTTP mode) as the README shows, then set SLACK_BOT_TOKEN and
either SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode).
`

// drainTimeout is how long SIGTERM waits for acknowledged work to finish.
const drainTimeout = 25 * time.Second

// run is main without the process: tests call it with their own
// environment, output and context, and get the exit code back.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWithClocks(ctx, args, getenv, stdout, stderr, clocks{now: time.Now, outbound: work.RealClock{}})
}

// clocks are the bot's sources of time, injected so tests can move time on:
// now for what the bot records and schedules, outbound for the waits of the
// Slack outbound path (Retry-After, backoff, one post a second).
type clocks struct {
	now      func() time.Time
	outbound work.Clock
	// journal dates acknowledged requests and tells which are stale enough
	// to redo; nil is Redis's clock, shared by all replicas. A test that moves now does not make
	// requests in flight look abandoned.
	journal func() time.Time
	// afterWrite runs after each effect a request records: tests crash a
	// request there, between its write and its answer.
	afterWrite func(ctx context.Context, effect string)
	// triageEvery is how often the waiting reports are looked over; 0 is every 15 s.
	triageEvery time.Duration
}

func runWithClocks(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, cl clocks) int {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, "incidentbot", version)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "playground":
		return runPlayground(ctx, args[1:], getenv, stdout, stderr, cl)
	case "", "check-config":
	default:
		fmt.Fprintf(stderr, "incidentbot: unknown command %q\n\n%s", sub, usage)
		return 2
	}

	cfg, err := config.Load(getenv, os.ReadFile)
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot: the configuration has problems:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		if getenv("SLACK_BOT_TOKEN") == "" && getenv("SLACK_APP_TOKEN") == "" {
			fmt.Fprint(stderr, noSlackHelp)
		}
		return 1
	}
	if sub == "check-config" {
		mode := "HTTP mode"
		if cfg.SocketMode() {
			mode = "Socket Mode"
		}
		fmt.Fprintf(stdout, "configuration OK (%s)\n", mode)
		return 0
	}

	log := newLogger(cfg, stderr)
	if err := serve(ctx, cfg, log, serveOptions{clocks: cl}); err != nil {
		log.Error("incidentbot stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// serve runs the bot until ctx ends, then finishes acknowledged work.
// serveOptions are what differs between the bot and the playground.
type serveOptions struct {
	clocks
	mount   func(mux *http.ServeMux)               // more routes on the HTTP server
	onReady func(ctx context.Context, addr string) // runs once the bot listens and is connected
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, opts serveOptions) error {
	cl := opts.clocks
	rdb, closeStore, err := storage.Open(ctx, storage.Options{
		URL: cfg.RedisURL, SentinelAddrs: cfg.RedisSentinelAddrs, SentinelMaster: cfg.RedisSentinelMaster,
		ClusterAddrs: cfg.RedisClusterAddrs, Password: cfg.RedisPassword,
	}, log)
	if err != nil {
		return err
	}
	defer closeStore()
	store := storage.New(rdb)
	store.RequireReplicas(cfg.RedisMinReplicas, 0)
	if cl.afterWrite != nil {
		store.AfterWrite(cl.afterWrite)
	}

	metrics := bot.NewMetrics(version)
	rdb.AddHook(metrics.RedisHook())
	metrics.RegisterOpenIncidents(store, log)
	api := bot.NewSlackClient(cfg.SlackBotToken, cfg.SlackAppToken, cfg.SlackAPIURL, metrics)

	// Listen before asking Slack who the bot is: while Slack cannot be
	// reached, orchestrators see a live process (/healthz) that is not
	// ready (/readyz names SLACK_API_URL), and Slack's requests are
	// answered "not yet" until the gate is in place.
	secret := cfg.SlackSigningSecret
	if cfg.SocketMode() {
		secret = "" // no request URLs: Slack reaches us over the WebSocket
	}
	ready := bot.NewReadiness(store, api, log)
	ready.Connecting(cfg.SlackAPIURL)
	gates := new(bot.GateSlot)
	srv := bot.NewServer(bot.ServerConfig{SigningSecret: secret, Store: store, API: api,
		Gates: gates, Metrics: metrics, Log: log, Ready: ready, Mount: opts.mount, AlertsSecret: cfg.AlertsSigningSecret})
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	ln = bot.LimitListener(ln, bot.DefaultLimits())
	errc := make(chan error, 2)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	log.Info("listening; connecting to Slack", "addr", ln.Addr().String())
	botUserID, err := bot.WhoAmI(ctx, api, cfg.SlackAPIURL, log)
	if err != nil {
		// Nothing was taken yet: only the HTTP server to close.
		ready.Drain()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			log.Warn("http shutdown", "err", err)
		}
		if ctx.Err() != nil {
			log.Info("incidentbot stopped before connecting to Slack")
			return nil
		}
		return err
	}

	chat := bot.NewChat(api, metrics, cl.outbound, log)
	chat.ShareWith(store) // one post a second per channel across replicas
	handler := commands.New(cfg.File, store, chat, log, botUserID, cl.now, metrics)
	// The journal is dated by Redis's clock, which every replica shares, so a
	// replica whose own clock runs ahead does not take over requests that
	// another is still working on.
	journalNow := cl.journal
	var shared *work.SharedClock
	if journalNow == nil {
		shared = work.NewSharedClock(store.Time)
		shared.Sync(ctx)
		journalNow = shared.Now
	}
	gate := bot.NewGate(handler, func(redo map[string]work.Redo) *work.Dispatcher {
		return work.NewDispatcher(store, redo, metrics, log, journalNow)
	}, log)
	dispatcher := gate.Dispatcher()
	gates.Set(gate)
	ready.Connected()

	mode := "http"
	socketCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	if cfg.SocketMode() {
		mode = "socket"
		go func() {
			if err := bot.RunSocketMode(socketCtx, api, gate, log); err != nil {
				errc <- err
			}
		}()
	}
	scheduler := work.NewScheduler(store, handler, work.SchedulerConfig{Now: cl.now, DigestCron: cfg.File.DigestCron}, metrics, log)
	// Requests a dead replica acknowledged but did not finish: at start, then every minute.
	go dispatcher.Recover(ctx)
	if shared != nil {
		scheduler.Also("@every 1m", shared.Sync)
	}
	scheduler.Also("@every 1m", dispatcher.Recover)
	triageEvery := cmp.Or(cl.triageEvery, 15*time.Second)
	scheduler.Also("@every "+triageEvery.String(), func(ctx context.Context) {
		if err := handler.TriageSweep(ctx); err != nil {
			log.Warn("could not look over the waiting reports", "err", err)
		}
	})
	scheduler.Also("@every 1s", handler.PublishChangedHomes) // Home tabs, a few seconds after a change
	scheduler.Also("@every 1h", func(ctx context.Context) {
		if err := handler.Purge(ctx); err != nil {
			log.Error("could not delete the incidents past their retention", "err", err)
		}
		if err := store.Reconcile(ctx); err != nil {
			log.Warn("could not reconcile the open index", "err", err)
		}
	})
	if err := scheduler.Start(ctx); err != nil {
		return fmt.Errorf("start the scheduler: %w", err)
	}
	log.Info("incidentbot started", "version", version, "mode", mode, "addr", ln.Addr().String(), "bot_user", botUserID)
	if opts.onReady != nil {
		go opts.onReady(ctx, ln.Addr().String())
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing acknowledged work")
	case runErr = <-errc:
	}
	// Stop taking new work, then finish what was acknowledged: not ready
	// (so load balancers move away), the Socket Mode connection closed, no
	// new scheduled work, the acknowledged work done; /healthz and /metrics
	// answer until the end.
	ready.Drain()
	stopSocket()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	scheduler.Stop(shutdownCtx)
	if err := dispatcher.Drain(shutdownCtx); err != nil {
		log.Error("gave up waiting for acknowledged work", "err", err)
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	log.Info("incidentbot stopped")
	return runErr
}
