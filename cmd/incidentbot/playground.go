package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/incidentbot/incidentbot/bot/fakeslack"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/playground"
	"github.com/incidentbot/incidentbot/storage"
)

// runPlayground runs the real bot against the in-repo Slack stand-in, over
// its Web API and its Socket Mode WebSocket, and serves a page to use it.
func runPlayground(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, cl clocks) int {
	flags := flag.NewFlagSet("playground", flag.ContinueOnError)
	flags.SetOutput(stderr)
	demo := flags.Bool("demo", false, "start with a short scripted incident")
	reuse := flags.Bool("reuse-store", false, "run on a REDIS_URL that holds an earlier run's incidents")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	fs := fakeslack.New()
	defer fs.Close()
	// A store that outlives the run (REDIS_URL) keeps the IDs of earlier
	// runs' channels and requests; this run's never repeat them.
	fs.SetRun(time.Now().UnixMilli())
	everyone := []string{fs.BotUserID, "UALICE", "UBOB", "UCAROL", "UDAVE"}
	general := fs.CreateChannel("general", false, everyone...)
	stakeholders := fs.CreateChannel("security-incidents", false, everyone...)
	// The security team (Bob and Carol) triages reports in a private channel.
	triage := fs.CreateChannel("security-triage", true, fs.BotUserID, "UBOB", "UCAROL")

	env := map[string]string{
		"SLACK_BOT_TOKEN": fs.BotToken, "SLACK_APP_TOKEN": fs.AppToken, "SLACK_API_URL": fs.APIURL(),
		"HTTP_ADDR": "127.0.0.1:8080", "LOG_FORMAT": "text",
	}
	for _, k := range []string{"REDIS_URL", "HTTP_ADDR", "INCIDENT_CONFIG", "LOG_LEVEL", "LOG_FORMAT", "ALERTS_SIGNING_SECRET", "CUSTODY_SIGNING_KEY"} {
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, os.ReadFile)
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot playground: %v\n", err)
		return 1
	}
	if cfg.File.StakeholderChannel == "" {
		cfg.File.StakeholderChannel = stakeholders
	}
	// With the demo, a drill to try on the page, its injects sped up to seconds.
	if _, ok := cfg.File.Scenario(playground.QuickDrill.Key); *demo && !ok {
		cfg.File.Drills = append(cfg.File.Drills, config.FitScenario(cfg.File, playground.QuickDrill))
	}
	if cfg.File.TriageChannel == "" {
		cfg.File.TriageChannel = triage
	}
	if len(cfg.File.Responders) == 0 {
		cfg.File.Responders = []string{"UBOB"}
	}
	log := newLogger(cfg, stderr)
	if cfg.RedisURL != "" && !*reuse {
		// The stand-in's workspace is new at every start: an earlier run's
		// incidents would point at channels this one does not have.
		n, err := storedIncidents(ctx, cfg, log)
		if err != nil {
			fmt.Fprintf(stderr, "incidentbot playground: %v\n", err)
			return 1
		}
		if n > 0 {
			fmt.Fprintf(stderr, "incidentbot playground: REDIS_URL holds incidents (up to INC-%d) of an earlier run, whose channels went with its stand-in Slack.\n"+
				"Give the playground an empty Redis database (redis-cli -n 15 flushdb, with REDIS_URL=redis://localhost:6379/15), or pass --reuse-store to run on it anyway.\n", n)
			return 1
		}
	}
	err = serve(ctx, cfg, log, serveOptions{
		clocks: cl,
		mount:  func(mux *http.ServeMux) { playground.Mount(ctx, mux, fs) },
		onReady: func(ctx context.Context, addr string) {
			page := pageURL(addr)
			fs.SetLinkBase(page) // file and message links open on the page
			fmt.Fprintf(stdout, "incidentbot playground: open %s\n", page)
			if *demo {
				if err := playground.Demo(ctx, fs, general); err != nil {
					log.Error("the demo stopped", "err", err)
				}
			}
		},
	})
	if err != nil {
		log.Error("incidentbot playground stopped", "err", err)
		return 1
	}
	return 0
}

// pageURL is where a browser on this machine finds the page listening on
// addr: an address on every interface is reached on loopback.
func pageURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err == nil && (host == "" || ip != nil && ip.IsUnspecified()) {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return "http://" + addr
}

// storedIncidents is how many incidents the configured store has numbered.
func storedIncidents(ctx context.Context, cfg *config.Config, log *slog.Logger) (int64, error) {
	rdb, closeStore, err := storage.Open(ctx, storage.Options{URL: cfg.RedisURL}, log)
	if err != nil {
		return 0, err
	}
	defer closeStore()
	return storage.New(rdb).LastNumber(ctx)
}
