package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/work"
)

// Pinger is the store as readiness sees it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ServerConfig is what the HTTP server needs.
type ServerConfig struct {
	// SigningSecret enables the Slack request URLs (HTTP mode); empty in Socket Mode.
	SigningSecret string
	Store         Pinger
	API           *slack.Client
	// Gate takes Slack's requests. Gates, when set, is used instead: the
	// server then listens before the gate exists (see GateSlot).
	Gate    *Gate
	Gates   *GateSlot
	Metrics *Metrics
	Log     *slog.Logger
	// Ready answers /readyz; nil makes one. Keep it to mark the bot draining on shutdown.
	Ready *Readiness
	// Mount adds more routes, such as the playground's page.
	Mount func(mux *http.ServeMux)
	// Limits bound slow and large requests; zero fields take DefaultLimits.
	Limits Limits
	// AlertsSecret enables POST /alerts (both modes); empty: it answers 404.
	AlertsSecret string
}

// NewHandler returns the HTTP handler: health, readiness and metrics in both
// modes, and the Slack request URLs in HTTP mode.
func NewHandler(cfg ServerConfig) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	ready := cfg.Ready
	if ready == nil {
		ready = NewReadiness(cfg.Store, cfg.API, cfg.Log)
	}
	mux.Handle("GET /readyz", ready)
	mux.Handle("GET /metrics", cfg.Metrics.Handler())
	gates := cfg.Gates
	if gates == nil {
		gates = new(GateSlot)
		gates.Set(cfg.Gate)
	}
	l := cfg.Limits.orDefaults()
	v := &verifier{secret: cfg.SigningSecret, metrics: cfg.Metrics, log: cfg.Log, maxBody: l.MaxBody, bodyWithin: l.Body,
		bodies: &bodies{budget: l.BodyBudget}, inFlight: &gauge{max: l.MaxInFlight}}
	if cfg.SigningSecret != "" {
		mux.Handle("POST /slack/commands", v.wrap(commandsEndpoint(gates, cfg.Log)))
		mux.Handle("POST /slack/events", v.wrap(eventsEndpoint(gates, cfg.Log)))
		mux.Handle("POST /slack/interactions", v.wrap(interactionsEndpoint(gates, cfg.Log)))
	}
	if cfg.AlertsSecret != "" {
		mux.Handle("POST /alerts", alertsEndpoint(cfg.AlertsSecret, gates, v, time.Now, cfg.Log))
	}
	if cfg.Mount != nil {
		cfg.Mount(mux)
	}
	return mux
}

// GateSlot is where the gate arrives once the bot is connected to Slack
// (the app needs the bot's user ID from auth.test). The server listens
// before that, so orchestrators see a live process while Slack cannot be
// reached; until Set, Slack's requests and alerts are not taken and are
// answered so that they are sent again.
type GateSlot struct{ p atomic.Pointer[Gate] }

// Set puts the gate in place: from now on requests go to it.
func (s *GateSlot) Set(g *Gate) { s.p.Store(g) }

func (s *GateSlot) get() *Gate { return s.p.Load() }

// notConnected answers 503 to a request that came before the gate: Slack
// delivers events again, and a person clicks again.
func notConnected(w http.ResponseWriter) {
	http.Error(w, "incidentbot is starting: not connected to Slack yet", http.StatusServiceUnavailable)
}

// startingText is the answer to a slash command that came before the gate.
// Slack does not send a command again and shows a person only "failed" for
// a 503: an acknowledgement that says so reaches them, even while the bot
// itself cannot reach Slack.
const startingText = "incidentbot is starting and not connected to Slack yet; run the command again in a moment."

type verifier struct {
	secret     string
	metrics    *Metrics
	log        *slog.Logger
	maxBody    int64
	bodyWithin time.Duration
	bodies     *bodies
	inFlight   *gauge
	unsigned   sampled
}

// wrap lets through only requests signed with the signing secret within the
// last five minutes; everything else gets 401 and touches nothing. A body
// too large is refused before it is read, and while the bodies being read
// or the signed requests being handled are at their limit, Slack is told
// to retry.
func (v *verifier) wrap(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > v.maxBody {
			v.metrics.requestsDeny.WithLabelValues("too_large").Inc()
			refuse(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		// Slack sends a body at once; one that stalls holds the budget for
		// everyone, so it gets little time.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(v.bodyWithin))
		body, err := v.bodies.read(r.Body, v.maxBody)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, errBusy):
			v.metrics.requestsDeny.WithLabelValues("busy").Inc()
			tooBusy(w)
			return
		case errors.As(err, &tooLarge):
			v.metrics.requestsDeny.WithLabelValues("too_large").Inc()
			refuse(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		case err != nil:
			refuse(w, "could not read the request", http.StatusBadRequest)
			return
		}
		defer v.bodies.release(len(body))
		sv, err := slack.NewSecretsVerifier(r.Header, v.secret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			v.metrics.requestsDeny.WithLabelValues("signature").Inc()
			v.unsigned.log(v.log, "rejected a request that is not signed by Slack", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		if !v.inFlight.enter() {
			v.metrics.requestsDeny.WithLabelValues("busy").Inc()
			tooBusy(w)
			return
		}
		defer v.inFlight.leave()
		next(w, r, body)
	})
}

func commandsEndpoint(gates *GateSlot, log *slog.Logger) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		d := gates.get()
		if d == nil {
			writeEphemeral(w, startingText)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		req := commands.Request{
			UserID: form.Get("user_id"), ChannelID: form.Get("channel_id"), Text: form.Get("text"),
			ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
		}
		answer, err := d.Command(req)
		if err != nil {
			writeEphemeral(w, notTaken(err))
			return
		}
		if body := answerBody(answer, log); body != nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		// An empty 200 acknowledges; the answer follows on the response URL.
		w.WriteHeader(http.StatusOK)
	}
}

func eventsEndpoint(gates *GateSlot, log *slog.Logger) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if ev.Type == slackevents.URLVerification {
			var ch slackevents.ChallengeResponse
			if err := json.Unmarshal(body, &ch); err != nil {
				http.Error(w, "bad challenge", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, ch.Challenge)
			return
		}
		log.Debug("event received", "type", ev.Type, "inner", ev.InnerEvent.Type)
		d := gates.get()
		if d == nil {
			notConnected(w)
			return
		}
		if r, ok := reactionFrom(ev); ok {
			if err := d.Reaction(r); err != nil {
				http.Error(w, "not taken", http.StatusServiceUnavailable) // Slack delivers it again later
				return
			}
		}
		if user, id, ok := homeFrom(ev); ok {
			if err := d.HomeOpened(user, id); err != nil {
				http.Error(w, "not taken", http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	}
}

func interactionsEndpoint(gates *GateSlot, log *slog.Logger) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		d := gates.get()
		if d == nil {
			notConnected(w)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("payload") == "" {
			http.Error(w, "missing payload", http.StatusBadRequest)
			return
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		log.Debug("interaction received", "type", cb.Type, "user", cb.User.ID)
		fieldErrors, err := d.Interact(r.Context(), interactionFrom(cb))
		switch {
		case len(fieldErrors) > 0:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(viewErrors(fieldErrors))
		case err != nil:
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}
}

// notTaken is the answer to a command that was not taken.
func notTaken(err error) string {
	var e *notTakenError
	if errors.Is(err, work.ErrNotJournaled) && errors.As(err, &e) {
		return storeDown(e.ref, err)
	}
	return "incidentbot is restarting; run the command again in a moment."
}

func writeEphemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": text})
}

// Readiness answers /readyz: not draining, connected to Slack, the store
// answers a PING, and Slack accepts the token. auth.test is cached so
// probes do not spend Slack's rate limit; failures are not cached, so it
// recovers by itself.
type Readiness struct {
	store    Pinger
	api      *slack.Client
	log      *slog.Logger
	draining atomic.Bool
	// connecting is SLACK_API_URL as shown, while the bot has not yet
	// been connected to Slack; nil once it is.
	connecting atomic.Pointer[string]

	mu       sync.Mutex
	authOK   time.Time
	cacheFor time.Duration
}

// NewReadiness returns the /readyz handler.
func NewReadiness(store Pinger, api *slack.Client, log *slog.Logger) *Readiness {
	return &Readiness{store: store, api: api, log: log, cacheFor: time.Minute}
}

// Drain makes /readyz fail from now on, so load balancers move away while
// acknowledged work finishes.
func (rd *Readiness) Drain() { rd.draining.Store(true) }

// Connecting makes /readyz fail until Connected, naming SLACK_API_URL
// (apiURL, empty for Slack's own) as where the bot is trying to reach Slack.
func (rd *Readiness) Connecting(apiURL string) {
	shown := shownURL(apiURL)
	rd.connecting.Store(&shown)
}

// Connected ends Connecting. auth.test has just succeeded, so the first
// probes do not ask Slack again.
func (rd *Readiness) Connected() {
	rd.mu.Lock()
	rd.authOK = time.Now()
	rd.mu.Unlock()
	rd.connecting.Store(nil)
}

func (rd *Readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rd.draining.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	// The answer names no cause and no address (the endpoint may be
	// public, as the Slack request URLs are); the log has them. The one
	// exception is SLACK_API_URL, without credentials, while the bot has
	// never reached Slack: an operator looking at a pod that never gets
	// ready needs to see where it is trying.
	if u := rd.connecting.Load(); u != nil {
		http.Error(w, "not connected to Slack yet: retrying auth.test at SLACK_API_URL "+*u, http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second) // probes time out after a few seconds; answer before
	defer cancel()
	if err := rd.store.Ping(ctx); err != nil {
		rd.log.Warn("not ready: the store does not answer", "err", err)
		http.Error(w, "store not answering", http.StatusServiceUnavailable)
		return
	}
	rd.mu.Lock()
	fresh := time.Since(rd.authOK) < rd.cacheFor
	rd.mu.Unlock()
	if !fresh {
		if _, err := rd.api.AuthTestContext(ctx); err != nil {
			rd.log.Warn("not ready: Slack does not accept the token or does not answer", "err", err)
			http.Error(w, "slack not answering", http.StatusServiceUnavailable)
			return
		}
		rd.mu.Lock()
		rd.authOK = time.Now()
		rd.mu.Unlock()
	}
	_, _ = io.WriteString(w, "ready\n")
}

// shownURL is SLACK_API_URL as logs and /readyz show it: Slack's own when
// empty, and without credentials or query, which a proxy's URL may hold.
func shownURL(apiURL string) string {
	if apiURL == "" {
		return slack.APIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil {
		return "(not a URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// WhoAmI asks Slack for the bot's user ID, retrying while Slack is
// unreachable; a token Slack refuses stops start-up. apiURL is
// SLACK_API_URL (empty for Slack's own), named in the log while it retries.
// It returns ctx's error when ctx ends first.
func WhoAmI(ctx context.Context, api *slack.Client, apiURL string, log *slog.Logger) (string, error) {
	shown := shownURL(apiURL)
	wait := time.Second
	for {
		auth, err := api.AuthTestContext(ctx)
		if err == nil {
			return auth.UserID, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		switch err.Error() {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
			return "", fmt.Errorf("slack refused SLACK_BOT_TOKEN (auth.test: %w)", err)
		}
		log.Warn("Slack at SLACK_API_URL did not answer auth.test; retrying", "SLACK_API_URL", shown, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}
