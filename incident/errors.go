package incident

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"sync/atomic"
)

// Code classifies an error by what the person who asked can do about it.
type Code string

// The error codes. Only errors carrying a code have a message fit to show;
// anything else is Internal, and its cause goes to the log alone.
const (
	Invalid     Code = "invalid"     // the request is wrong: say what and the right form
	NotFound    Code = "not_found"   // no such thing, or one the asker may not see
	Forbidden   Code = "forbidden"   // it exists and they may see it, but not do this
	Conflict    Code = "conflict"    // the state does not allow it (already done, closed)
	Unavailable Code = "unavailable" // a dependency is down: try again later
	Internal    Code = "internal"    // a fault of ours
)

// Error is a domain error: a code, and a message safe to show the person
// who made the request as it is.
type Error struct {
	Code Code
	Msg  Sentence
}

func (e *Error) Error() string { return e.Msg.String() }

// Errorf builds an Invalid error: the request must be fixed by the asker.
func Errorf(format string, args ...any) error {
	return &Error{Code: Invalid, Msg: Say(format, args...)}
}

// Fail builds an error with a code and a safe message.
func Fail(code Code, format string, args ...any) error {
	return &Error{Code: code, Msg: Say(format, args...)}
}

// ErrNotFound is returned when an incident does not exist.
var ErrNotFound = errors.New("incident not found")

// ErrReplayed is returned for a request that was taken before: a replay
// of a signed request, or a retry of one that was answered.
var ErrReplayed = errors.New("the request was taken before")

// ErrNotDurable is returned when a change was written but too few replicas
// confirmed holding it in time: it may be lost if the store fails over.
var ErrNotDurable = errors.New("too few replicas confirmed the change")

// ErrSlackDown is returned for a Slack call that kept failing in a way
// that passes (rate limits, 5xx, no connection) until it was given up:
// worth trying again later, unlike Slack's refusals.
var ErrSlackDown = errors.New("Slack kept failing")

// ErrorCode is the code of err: its own, NotFound for ErrNotFound,
// Unavailable for a network failure (the store or Slack not answering), and
// Internal for anything else.
func ErrorCode(err error) Code {
	var e *Error
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, ErrNotFound):
		return NotFound
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrNotDurable), errors.Is(err, ErrSlackDown):
		return Unavailable
	}
	return Internal
}

// ErrorMessage is what the asker may read about err: the message of a
// domain error; for anything else a message that names no cause, with the
// request's reference so that the log entry can be found.
func ErrorMessage(err error, ref string) Sentence {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	if errors.Is(err, ErrNotDurable) {
		return Say("incidentbot could not confirm that this was stored safely: too few copies of its store answered in time. Check whether it took effect before doing it again (ref %s).", ref)
	}
	switch ErrorCode(err) {
	case NotFound:
		return Say("That was not found.")
	case Unavailable:
		return Say("incidentbot cannot reach its store or Slack right now; nothing more was changed. Try again in a moment (ref %s).", ref)
	}
	return Say("Something went wrong (ref %s). Nothing more was changed; try again in a moment.", ref)
}

type requestKey struct{}

// request is the request a piece of work is done for.
type request struct {
	id      string
	redo    bool
	effects atomic.Int64
}

// WithRequest tells the work done for a request which request it is: its
// identity names the effects it records, so that doing it again finds them.
func WithRequest(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, &request{id: id})
}

// WithRedo is WithRequest for a request done again after its first run
// ended half way (its replica died): its effects already recorded are not
// recorded again, and the checks that passed the first time are not made
// again against the state its own effects changed.
func WithRedo(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, &request{id: id, redo: true})
}

// RequestID is the identity of the request ctx works for, or "".
func RequestID(ctx context.Context) string {
	if r, ok := ctx.Value(requestKey{}).(*request); ok {
		return r.id
	}
	return ""
}

// RequestTag is a short digest of ctx's request ID, kept with what the
// request writes so that, done again, it can find it; "" outside a
// request.
func RequestTag(ctx context.Context) string {
	id := RequestID(ctx)
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// IsRedo reports whether ctx works for a request being done again.
func IsRedo(ctx context.Context) bool {
	r, ok := ctx.Value(requestKey{}).(*request)
	return ok && r.redo
}

type untrackedKey struct{}

// Untracked marks writes that are bookkeeping (a message's timestamp, the
// topic last set): doing them again is harmless, so they name no effect.
func Untracked(ctx context.Context) context.Context {
	return context.WithValue(ctx, untrackedKey{}, true)
}

// NextEffect names the next effect the request records, "<request>#<n>",
// the n-th of its effects: a request done again takes the same path and
// meets the same names. It is "" outside a request and for bookkeeping.
func NextEffect(ctx context.Context) string {
	r, ok := ctx.Value(requestKey{}).(*request)
	if !ok || r.id == "" || ctx.Value(untrackedKey{}) != nil {
		return ""
	}
	return r.id + "#" + strconv.FormatInt(r.effects.Add(1), 10)
}
