package bot

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bound what clients can hold of the HTTP server, so that slow or
// large requests (an attacker needs no signature to send them) cannot
// starve the requests Slack signs.
type Limits struct {
	ReadHeader  time.Duration // to send the headers
	Read        time.Duration // to send the whole request: a slow body is dropped after it
	Body        time.Duration // to send the body to a Slack request URL, once the headers are in: Slack sends it at once
	Write       time.Duration // to read the answer
	Idle        time.Duration // a kept-alive connection with no request
	MaxBody     int64         // bytes of one request to a Slack request URL
	BodyBudget  int64         // bytes of such requests held at once, by all clients
	MaxInFlight int64         // signed requests being handed to the gate at once
	MaxConns    int           // connections open at once; more are closed as they come
}

// DefaultLimits are the limits in production. Slack's requests are a few
// kilobytes and it waits 3 s for an answer.
func DefaultLimits() Limits {
	return Limits{
		ReadHeader: 5 * time.Second, Read: 15 * time.Second, Body: 2 * time.Second, Write: 15 * time.Second, Idle: 60 * time.Second,
		MaxBody: 128 << 10, BodyBudget: 32 << 20, MaxInFlight: 256, MaxConns: 2048,
	}
}

func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	return Limits{
		ReadHeader: orDefault(l.ReadHeader, d.ReadHeader), Read: orDefault(l.Read, d.Read), Body: orDefault(l.Body, d.Body),
		Write: orDefault(l.Write, d.Write), Idle: orDefault(l.Idle, d.Idle),
		MaxBody: orDefault(l.MaxBody, d.MaxBody), BodyBudget: orDefault(l.BodyBudget, d.BodyBudget),
		MaxInFlight: orDefault(l.MaxInFlight, d.MaxInFlight), MaxConns: orDefault(l.MaxConns, d.MaxConns),
	}
}

// orDefault is v, or d where v is not set (zero or less).
func orDefault[T int | int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// NewServer is the bot's HTTP server with its limits. A handler that
// streams (the playground's events) lifts its own deadlines with
// http.ResponseController.
func NewServer(cfg ServerConfig) *http.Server {
	l := cfg.Limits.orDefaults()
	cfg.Limits = l
	return &http.Server{
		Handler:           NewHandler(cfg),
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
	}
}

// LimitListener closes connections beyond l's MaxConns as they arrive, so
// connections held open (headers sent a byte at a time) cannot grow the
// bot's memory without bound.
func LimitListener(ln net.Listener, l Limits) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, l.orDefaults().MaxConns)}
}

type limitListener struct {
	net.Listener
	slots chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.slots })}, nil
		default:
			_ = c.Close()
		}
	}
}

type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// sampled logs at most one line a period for a kind of event anyone can
// cause (a request that is not signed), with how many were not logged.
type sampled struct {
	mu      sync.Mutex
	last    time.Time
	skipped int
}

func (s *sampled) log(log *slog.Logger, msg string, args ...any) {
	s.mu.Lock()
	if time.Since(s.last) < 10*time.Second {
		s.skipped++
		s.mu.Unlock()
		return
	}
	skipped := s.skipped
	s.last, s.skipped = time.Now(), 0
	s.mu.Unlock()
	log.Warn(msg, append(args, "not_logged_since", skipped)...)
}

// errBusy is returned when taking a request would go over a limit shared
// by all clients; Slack is told to come back (it retries).
var errBusy = errors.New("busy")

// bodies counts the bytes of request bodies held at once. Bytes are
// counted as they arrive, so a body that trickles in holds little.
type bodies struct {
	held   atomic.Int64
	budget int64
}

// read reads a body of at most limit bytes within the budget; release
// must be called with len of what it returned once the body is done with.
func (b *bodies) read(r io.Reader, limit int64) ([]byte, error) {
	buf := make([]byte, 0, 4<<10)
	for {
		if int64(len(buf)) > limit {
			b.release(len(buf))
			return nil, &http.MaxBytesError{Limit: limit}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		if n > 0 && b.held.Add(int64(n)) > b.budget {
			b.release(len(buf) + n)
			return nil, errBusy
		}
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			b.release(len(buf))
			return nil, err
		}
	}
}

func (b *bodies) release(n int) { b.held.Add(-int64(n)) }

// gauge admits at most max at once.
type gauge struct {
	n   atomic.Int64
	max int64
}

func (g *gauge) enter() bool {
	if g.n.Add(1) > g.max {
		g.n.Add(-1)
		return false
	}
	return true
}

func (g *gauge) leave() { g.n.Add(-1) }

// tooBusy tells Slack to come back in a second.
func tooBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(1))
	refuse(w, "busy, retry", http.StatusServiceUnavailable)
}

// refuse answers a request whose body was not read whole and closes the
// connection, so the server does not wait to read the rest first.
func refuse(w http.ResponseWriter, msg string, code int) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
}
