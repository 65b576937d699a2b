// Package fakeslack is a stand-in for Slack that the real slack-go client
// talks to: the Web API methods incidentbot uses, response URLs, and a real
// Socket Mode WebSocket. It keeps state (users, channels, members, messages,
// pins, topics), records every call, and can be told to answer a call with one
// of Slack's errors, an HTTP 429 with Retry-After, or a 5xx. Tests use it in
// place of Slack, and it is meant to back a local playground as well.
package fakeslack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// User is a workspace member.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Guest is a guest account (is_restricted); TeamID, when set, is the
	// user's own organisation, another than the workspace's for someone
	// in through Slack Connect.
	Guest  bool   `json:"-"`
	TeamID string `json:"-"`
}

// Channel is a conversation and everything in it.
type Channel struct {
	ID       string
	Name     string
	Private  bool
	Archived bool
	DM       string // for a direct-message channel: the user the bot talks to
	Creator  string
	Created  time.Time
	Members  []string
	Topic    string
	Messages []Message
	Pins     []string // timestamps of pinned messages
}

// Message is a message as a member of the channel would see it.
type Message struct {
	TS     string
	User   string // author
	Text   string
	Blocks json.RawMessage
	// VisibleTo is set for ephemeral messages: only that user sees them.
	VisibleTo string
	Edited    bool
	Files     []string // IDs of files shared with the message
	Reactions []string // the bot's reactions, by name
}

// Visible returns the text a person sees: the text, or the text in the blocks.
func (m Message) Visible() string {
	if len(m.Blocks) == 0 {
		return m.Text
	}
	var doc any
	if err := json.Unmarshal(m.Blocks, &doc); err != nil {
		return m.Text
	}
	var parts []string
	collectText(doc, &parts)
	return strings.Join(parts, "\n")
}

func collectText(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["text"].(string); ok {
			*out = append(*out, t)
		}
		for k, child := range x {
			if k != "text" || !isString(child) {
				collectText(child, out)
			}
		}
	case []any:
		for _, child := range x {
			collectText(child, out)
		}
	}
}

func isString(v any) bool { _, ok := v.(string); return ok }

// Call is one request the fake received.
type Call struct {
	Method string
	Params url.Values
	At     time.Time
	Error  string // the Slack error code answered, if any
}

// Failure is how the fake answers a call it was told to fail. The zero
// Failure (Pass) lets the call through, to space failures out in a queue.
type Failure struct {
	Error      string // a Slack error code such as name_taken; answered with HTTP 200 and ok:false
	Status     int    // an HTTP status such as 429 or 503
	RetryAfter int    // seconds, sent with a 429
}

// Pass is a queued non-failure: the call it meets goes through.
var Pass = Failure{}

// Ack is a Socket Mode acknowledgement the app sent back.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
	Elapsed    time.Duration
}

// Server is the fake Slack. Create it with New; it is safe for concurrent use.
type Server struct {
	BotToken  string
	AppToken  string
	BotUserID string
	TeamID    string
	// PingInterval is how often the Socket Mode connection is pinged; Slack pings every few seconds.
	PingInterval time.Duration

	srv *listener

	mu        sync.Mutex
	now       func() time.Time // stamps calls; the wall clock unless SetClock
	changed   chan struct{}
	seq       int
	users     map[string]*User
	channels  map[string]*Channel
	calls     []Call
	failures  map[string][]Failure
	responses map[string]responseTarget
	sockets   []*socket
	acks      map[string]chan Ack
	triggers  map[string]string // trigger ID -> user it was issued to
	views     map[string]View
	homes     map[string]View // user -> the Home tab the app published for them
	events    map[string]map[string]any
	files     map[string]*File

	requestURL, signingSecret string // set: HTTP mode deliveries
	last                      lastDelivery

	postRate  bool                 // EnforcePostRate: one post a second per channel
	lastPosts map[string]time.Time // channel -> when its last post was taken

	run      string // SetRun: put in every ID, so another stand-in's IDs differ
	runNum   int64
	linkBase string // SetLinkBase: where the links the fake hands out point
}

type responseTarget struct{ user, channel string }

// Default users, so tests and demos have people to work with.
var defaultUsers = []User{
	{ID: "UALICE", Name: "alice"},
	{ID: "UBOB", Name: "bob"},
	{ID: "UCAROL", Name: "carol"},
	{ID: "UDAVE", Name: "dave"},
}

// New starts a fake Slack on a free loopback port.
func New() *Server {
	s := &Server{
		BotToken: "xoxb-fake-bot-token", AppToken: "xapp-fake-app-token",
		BotUserID: "UBOT", TeamID: "TFAKE", PingInterval: 5 * time.Second,
		changed:   make(chan struct{}),
		now:       time.Now,
		users:     map[string]*User{},
		channels:  map[string]*Channel{},
		failures:  map[string][]Failure{},
		responses: map[string]responseTarget{},
		acks:      map[string]chan Ack{},
		triggers:  map[string]string{},
		views:     map[string]View{},
		events:    map[string]map[string]any{},
		files:     map[string]*File{},
	}
	s.users[s.BotUserID] = &User{ID: s.BotUserID, Name: "incidentbot"}
	for _, u := range defaultUsers {
		s.users[u.ID] = &u
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("/socket-mode", s.serveSocket)
	mux.HandleFunc("/hooks/response/{id}", s.serveResponseURL)
	mux.HandleFunc("POST /upload/{id}", s.serveUpload)
	mux.HandleFunc("GET /files/{id}/{name}", s.serveFile)
	s.srv = listen(mux)
	return s
}

// listener serves the fake on a free loopback port. It is not httptest's
// server, so that the playground's binary links no test packages.
type listener struct {
	URL string
	srv *http.Server
}

func listen(h http.Handler) *listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fakeslack: listen on loopback: %v", err))
	}
	l := &listener{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = l.srv.Serve(ln) }()
	return l
}

// Close stops listening and closes open connections.
func (l *listener) Close() { _ = l.srv.Close() }

// Close stops the server and drops Socket Mode connections.
func (s *Server) Close() {
	s.mu.Lock()
	socks := slices.Clone(s.sockets)
	s.mu.Unlock()
	for _, so := range socks {
		so.close()
	}
	s.srv.Close()
}

// SetClock makes the fake stamp the calls it records with now, so a test on
// an injected clock can read when each call arrived in that clock's time.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// APIURL is the Web API base URL, with its trailing slash, for SLACK_API_URL.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// notify wakes everything waiting for a change; call with mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%s%07d", prefix, s.run, s.seq)
}

// SetRun makes every ID this stand-in hands out (channels, files, views,
// events, triggers) carry run, a positive number such as the start time.
// A bot whose store outlives the stand-in (the playground on a real Redis)
// then never takes a channel or request of this run for one of an earlier
// run, whose IDs began again at the same numbers. Call it before anything
// is created.
func (s *Server) SetRun(run int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runNum, s.run = run, strings.ToUpper(strconv.FormatInt(run, 36))
}

// SetLinkBase makes the links the fake hands out (file permalinks, message
// permalinks) point at base, a server that answers them, such as the
// playground's page, instead of the fake itself.
func (s *Server) SetLinkBase(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.linkBase = strings.TrimSuffix(base, "/")
}

// links is where the links the fake hands out point; call with mu held.
func (s *Server) links() string {
	if s.linkBase != "" {
		return s.linkBase
	}
	return s.srv.URL
}

// nextTrigger is a trigger ID shaped and sized like Slack's
// ("398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"): the bot
// stores request identities, so their size counts.
func (s *Server) nextTrigger() string {
	s.seq++
	return fmt.Sprintf("%012d.%011d.%032x", 398738663015+s.seq, 47445629121+s.runNum, s.seq)
}

func (s *Server) nextTS() string {
	s.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq)
}

// AddUser adds a workspace member.
// AddGuest adds a guest account of the workspace.
func (s *Server) AddGuest(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = &User{ID: id, Name: name, Guest: true}
}

// AddExternal adds a member of another organisation, in through Slack Connect.
func (s *Server) AddExternal(id, name, teamID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = &User{ID: id, Name: name, TeamID: teamID}
}

func (s *Server) AddUser(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = &User{ID: id, Name: name}
	s.notify()
}

// CreateChannel creates a channel as a person would, with these members; include the bot's user ID to let it post.
func (s *Server) CreateChannel(name string, private bool, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := &Channel{ID: s.nextID("C"), Name: name, Private: private, Created: time.Now(), Members: slices.Clone(members)}
	s.channels[ch.ID] = ch
	s.notify()
	return ch.ID
}

// Archive archives a channel, as a person would.
func (s *Server) Archive(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channels[channelID]; ch != nil {
		ch.Archived = true
	}
	s.notify()
}

// EnforcePostRate makes chat.postMessage keep Slack's limit of one message
// a second per channel: a post less than a second after the channel's last
// one is answered HTTP 429 with Retry-After: 1, and recorded with the
// error "ratelimited". Slack tolerates short bursts; this does not, so a
// test that passes with it keeps the limit.
func (s *Server) EnforcePostRate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.postRate, s.lastPosts = true, map[string]time.Time{}
}

// Fail makes the next call of method fail as f; several calls queue up in order.
func (s *Server) Fail(method string, f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], f...)
}

// Calls returns the calls of a method (all calls when method is empty), in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Channel returns a copy of the channel with that ID.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return copyChannel(ch), true
}

// ChannelByName returns a copy of the channel with that name.
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channels {
		if ch.Name == name {
			return copyChannel(ch), true
		}
	}
	return Channel{}, false
}

// Channels returns copies of all channels, oldest first.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channels))
	for _, ch := range s.channels {
		out = append(out, copyChannel(ch))
	}
	slices.SortFunc(out, func(a, b Channel) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// SeenBy returns the messages of a channel that a user sees: everyone's, and the ephemeral ones for that user.
func (c Channel) SeenBy(userID string) []Message {
	var out []Message
	for _, m := range c.Messages {
		if m.VisibleTo == "" || m.VisibleTo == userID {
			out = append(out, m)
		}
	}
	return out
}

// Pinned returns the pinned messages.
func (c Channel) Pinned() []Message {
	var out []Message
	for _, m := range c.Messages {
		if slices.Contains(c.Pins, m.TS) {
			out = append(out, m)
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages shown to a user, in any channel, oldest first.
func (s *Server) Ephemerals(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, ch := range s.channels {
		for _, m := range ch.Messages {
			if m.VisibleTo == userID {
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return strings.Compare(a.TS, b.TS) })
	return out
}

func copyChannel(ch *Channel) Channel {
	c := *ch
	c.Members = slices.Clone(ch.Members)
	c.Messages = slices.Clone(ch.Messages)
	for i := range c.Messages {
		c.Messages[i].Reactions = slices.Clone(c.Messages[i].Reactions)
	}
	c.Pins = slices.Clone(ch.Pins)
	return c
}

// WaitFor blocks until cond is true or ctx ends. cond may call the Server's accessors.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TB is what Await needs of a test (testing.TB has it), so that the fake
// itself does not import the testing package.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Await is WaitFor for tests: it fails the test after 10 seconds, saying what it waited for.
func (s *Server) Await(t TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waited 10s for %s: %v", what, err)
	}
}

// Sign computes Slack's v0 request signature of a body sent at timestamp.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", timestamp)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest builds a POST like the ones Slack sends to a request URL, signed with secret at time at.
func SignedRequest(ctx context.Context, target, secret, contentType string, body []byte, at time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	ts := fmt.Sprint(at.Unix())
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	return req, nil
}

// Users returns the workspace members, the bot included, by ID.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Changed returns a channel that is closed at the next change of state.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// File returns an uploaded file.
func (s *Server) File(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		return File{}, false
	}
	return *f, true
}

// Select picks an option of a static_select (or a user of a users_select) in a message, as userID.
func (s *Server) Select(ctx context.Context, userID, channelID, ts, actionID, value string) (Delivered, error) {
	return s.act(ctx, userID, channelID, ts, actionID, func(el map[string]any) map[string]any {
		if el["type"] == "users_select" {
			return map[string]any{"type": "users_select", "selected_user": value}
		}
		return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": value}}}
	})
}

// PinReaction is the reaction incidentbot puts on the timeline.
const PinReaction = "pushpin"
