package bot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/work"
)

// The alert intake's own signature headers, and its limits.
const (
	AlertTimestampHeader = "X-Incidentbot-Request-Timestamp"
	AlertSignatureHeader = "X-Incidentbot-Signature"
	maxAlertBody         = 64 << 10
	alertWindow          = 5 * time.Minute
)

// SignAlert is the signature of an alert body sent at ts: what a sender
// puts in X-Incidentbot-Signature.
func SignAlert(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts.Unix())
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// alertJSON is an alert as another tool sends it.
type alertJSON struct {
	Title      string         `json:"title"`
	Source     string         `json:"source"`
	Severity   string         `json:"severity"`
	ObservedAt string         `json:"observed_at"`
	DedupKey   string         `json:"dedup_key"`
	Fields     map[string]any `json:"fields"`
}

// alertsEndpoint is POST /alerts: an alert signed with the alerts secret,
// within five minutes of now, never seen before, at most 64 KB of JSON
// with a title. Anything else is refused with a 4xx that says why, and
// nothing is stored.
// The endpoint shares the Slack request URLs' limits (lim): the memory
// bodies being read may hold, the time to send one, the requests handled at once.
func alertsEndpoint(secret string, gates *GateSlot, lim *verifier, now func() time.Time, log *slog.Logger) http.HandlerFunc {
	var unsigned sampled
	metrics := lim.metrics
	return func(w http.ResponseWriter, r *http.Request) {
		refuse := func(status int, reason, why string) {
			metrics.AlertRejected(reason)
			alertError(w, status, why)
		}
		if r.ContentLength > maxAlertBody {
			refuse(http.StatusRequestEntityTooLarge, "too_large", "the body is over 64 KB")
			return
		}
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(lim.bodyWithin))
		body, err := lim.bodies.read(r.Body, maxAlertBody)
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, errBusy):
			w.Header().Set("Retry-After", "1")
			refuse(http.StatusServiceUnavailable, "busy", "busy: send it again in a second")
			return
		case errors.As(err, &tooLarge):
			refuse(http.StatusRequestEntityTooLarge, "too_large", "the body is over 64 KB")
			return
		case err != nil:
			refuse(http.StatusBadRequest, "bad_request", "could not read the body")
			return
		}
		defer lim.bodies.release(len(body))
		sig := r.Header.Get(AlertSignatureHeader)
		if reason, why := checkAlertSignature(secret, r.Header.Get(AlertTimestampHeader), sig, body, now()); why != "" {
			unsigned.log(log, "rejected an alert", "remote", r.RemoteAddr, "reason", why)
			refuse(http.StatusUnauthorized, reason, why)
			return
		}
		a, err := parseAlert(body)
		if err != nil {
			refuse(http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		if !lim.inFlight.enter() {
			w.Header().Set("Retry-After", "1")
			refuse(http.StatusServiceUnavailable, "busy", "busy: send it again in a second")
			return
		}
		defer lim.inFlight.leave()
		gate := gates.get()
		if gate == nil {
			w.Header().Set("Retry-After", "5")
			alertError(w, http.StatusServiceUnavailable, "incidentbot is starting: not connected to Slack yet; send it again in a moment")
			return
		}
		n, dedup, err := gate.Alert(a, sig)
		switch {
		case errors.Is(err, incident.ErrReplayed):
			refuse(http.StatusUnauthorized, "replay", "this request was received before (a replay): sign it again with a new timestamp to send it again")
			return
		case errors.Is(err, work.ErrClosed):
			alertError(w, http.StatusServiceUnavailable, "incidentbot is restarting; send it again in a moment")
			return
		case err != nil && incident.ErrorCode(err) == incident.Conflict:
			log.Error("an alert came but triage_channel is not configured", "err", err)
			alertError(w, http.StatusServiceUnavailable, "triage is not configured (triage_channel)")
			return
		case err != nil:
			log.Warn("could not store an alert", "err", err)
			alertError(w, http.StatusServiceUnavailable, "could not store the alert; send it again in a moment")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "report": incident.FormatReportRef(n), "deduplicated": dedup})
	}
}

// checkAlertSignature returns why a request is refused (a metric's reason
// and words for the sender), or "" twice.
func checkAlertSignature(secret, timestamp, signature string, body []byte, now time.Time) (reason, why string) {
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return "signature", "missing or bad " + AlertTimestampHeader
	}
	ts := time.Unix(secs, 0)
	if d := now.Sub(ts); d > alertWindow || d < -alertWindow {
		return "stale", "the timestamp is more than 5 minutes from now"
	}
	if !hmac.Equal([]byte(signature), []byte(SignAlert(secret, ts, body))) {
		return "signature", "the signature does not match"
	}
	return "", ""
}

func parseAlert(body []byte) (commands.Alert, error) {
	var raw alertJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // a long number in a field stays as sent
	if err := dec.Decode(&raw); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			if typeErr.Field == "" {
				return commands.Alert{}, errors.New("the body must be a JSON object: {\"title\": …}")
			}
			return commands.Alert{}, fmt.Errorf("%s has the wrong type (title, source, severity, observed_at and dedup_key are strings, fields an object)", typeErr.Field)
		}
		return commands.Alert{}, fmt.Errorf("the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return commands.Alert{}, errors.New("the body is not valid JSON: more follows the alert's object")
	}
	a := commands.Alert{Title: raw.Title, Source: raw.Source, Severity: raw.Severity, DedupKey: raw.DedupKey}
	if raw.ObservedAt != "" {
		t, err := time.Parse(time.RFC3339, raw.ObservedAt)
		if err != nil {
			return commands.Alert{}, fmt.Errorf("observed_at must be an RFC 3339 time such as 2026-12-02T09:40:00Z")
		}
		a.ObservedAt = t
	}
	for _, k := range slices.Sorted(maps.Keys(raw.Fields)) {
		a.Fields = append(a.Fields, [2]string{k, fieldText(raw.Fields[k])})
	}
	if err := commands.CheckAlert(a); err != nil {
		return commands.Alert{}, err
	}
	return a, nil
}

// fieldText is a field's value as text: strings as they are, anything else as JSON.
func fieldText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v) // decoded from JSON: encodes again
	return strings.TrimSpace(string(b))
}

func alertError(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": reason})
}
