// Package storage keeps incidentbot's state in Redis through
// redis.UniversalClient, so one code path serves a single node, Sentinel and
// Cluster, and the embedded in-process store used when no Redis is configured.
package storage

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/incidentbot/incidentbot/incident"
)

// ErrExists is returned by Create when the incident number is already stored.
var ErrExists = errors.New("incident already exists")

// ErrConflict is returned by Update when other writers kept changing the incident.
var ErrConflict = errors.New("incident changed concurrently too often")

// maxUpdateAttempts bounds the optimistic-locking retries of Update.
const maxUpdateAttempts = 50

// maxEffects is how many effects an incident remembers: far more than the
// requests that can be in flight for it at once.
const maxEffects = 1000

// Store reads and writes incidents.
type Store struct {
	rdb         redis.UniversalClient
	minReplicas int           // replicas that must hold a write before it is confirmed (WAIT)
	replicaWait time.Duration // how long a write waits for them
	channels    sync.Map      // channel ID -> incident number: it never changes, so it is read once
	// afterWrite, when set, runs after each effect is recorded: tests use it
	// to crash a request between its write and its answer.
	afterWrite func(ctx context.Context, effect string)
}

// RequireReplicas makes every write wait, after it is made and before it
// is confirmed, until n replicas hold it (Redis WAIT, for at most
// within, or DefaultReplicaWait when 0); a write too few replicas confirm
// fails with incident.ErrNotDurable. It needs a connection that stays with
// the write: a single node or Sentinel, not Cluster.
func (s *Store) RequireReplicas(n int, within time.Duration) {
	s.minReplicas, s.replicaWait = n, cmp.Or(within, DefaultReplicaWait)
}

// DefaultReplicaWait bounds the wait for replicas, well inside the second
// every Redis call has and the 3 s Slack waits.
const DefaultReplicaWait = 500 * time.Millisecond

// confirm waits for the replicas on c, the connection that made the write.
func (s *Store) confirm(ctx context.Context, c interface {
	Do(ctx context.Context, args ...any) *redis.Cmd
}) error {
	if s.minReplicas == 0 {
		return nil
	}
	got, err := c.Do(ctx, "WAIT", s.minReplicas, s.replicaWait.Milliseconds()).Int()
	if err != nil {
		return err
	}
	if int(got) < s.minReplicas {
		return fmt.Errorf("%w: %d of %d replicas", incident.ErrNotDurable, got, s.minReplicas)
	}
	return nil
}

// AfterWrite sets a function to run after each recorded effect.
func (s *Store) AfterWrite(fn func(ctx context.Context, effect string)) { s.afterWrite = fn }

func (s *Store) wrote(ctx context.Context, effect string) {
	if effect != "" && s.afterWrite != nil {
		s.afterWrite(ctx, effect)
	}
}

// effectMember is how an effect is kept: a digest of 96 bits, a third of
// the size of a request ID from Slack and, among the 1,000 an incident
// keeps, as unique.
func effectMember(effect string) string {
	if effect == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(effect))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// recordEffect adds an effect to the incident's, in the caller's transaction.
func recordEffect(ctx context.Context, p redis.Pipeliner, n int64, effect string) {
	if effect == "" {
		return
	}
	p.ZAdd(ctx, effectsKey(n), redis.Z{Score: float64(time.Now().UnixMilli()), Member: effectMember(effect)})
	p.ZRemRangeByRank(ctx, effectsKey(n), 0, -maxEffects-1)
}

// Applied reports whether an incident holds an effect: whether a request
// done again had written before its first run ended.
func (s *Store) Applied(ctx context.Context, n int64, effect string) (bool, error) {
	done, err := applied(ctx, s.rdb, n, effect)
	if err != nil {
		return false, fmt.Errorf("effects of %s: %w", incident.FormatRef(n), err)
	}
	return done, nil
}

// applied reports whether the incident already holds an effect, read
// through the client or inside a transaction.
func applied(ctx context.Context, r interface {
	ZScore(ctx context.Context, key, member string) *redis.FloatCmd
}, n int64, effect string) (bool, error) {
	if effect == "" {
		return false, nil
	}
	// The digest, or the effect itself as versions before the digests kept it.
	for _, member := range []string{effectMember(effect), effect} {
		err := r.ZScore(ctx, effectsKey(n), member).Err()
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, redis.Nil) {
			return false, err
		}
	}
	return false, nil
}

// New returns a Store on an open client.
func New(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

// Ping checks that the store answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// NextNumber allocates the next incident number. Within a request it is
// the request's number: a declare done again gets the one it got first.
func (s *Store) NextNumber(ctx context.Context) (int64, error) {
	req := incident.RequestID(ctx)
	if req != "" {
		n, err := s.rdb.Get(ctx, requestNumberKey(req)).Int64()
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("allocate incident number: %w", err)
		}
	}
	n, err := s.rdb.Incr(ctx, counterKey).Result()
	if err != nil {
		return 0, fmt.Errorf("allocate incident number: %w", err)
	}
	if req == "" {
		return n, nil
	}
	// Two runs of one request racing: the first to remember its number wins.
	if ok, err := s.rdb.SetNX(ctx, requestNumberKey(req), n, 24*time.Hour).Result(); err != nil {
		return 0, fmt.Errorf("allocate incident number: %w", err)
	} else if !ok {
		return s.rdb.Get(ctx, requestNumberKey(req)).Int64()
	}
	return n, nil
}

// LastNumber is the last incident number given (0 before any).
func (s *Store) LastNumber(ctx context.Context) (int64, error) {
	n, err := s.rdb.Get(ctx, counterKey).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the last incident number: %w", err)
	}
	return n, nil
}

// RequestedNumber is the incident number the request took with
// NextNumber, if it took one.
func (s *Store) RequestedNumber(ctx context.Context) (int64, bool, error) {
	req := incident.RequestID(ctx)
	if req == "" {
		return 0, false, nil
	}
	n, err := s.rdb.Get(ctx, requestNumberKey(req)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("the number request %s took: %w", req, err)
	}
	return n, true, nil
}

// Create stores a new incident and its first timeline events in one transaction.
func (s *Store) Create(ctx context.Context, inc *incident.Incident, events ...incident.TimelineEvent) error {
	doc, err := marshal(inc)
	if err != nil {
		return fmt.Errorf("create %s: %w", inc.Ref(), err)
	}
	key := incidentKey(inc.Number)
	effect := incident.NextEffect(ctx)
	done := false
	err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		exists, err := tx.Exists(ctx, key).Result()
		if err != nil {
			return err
		}
		if exists > 0 {
			if done, err = applied(ctx, tx, inc.Number, effect); err != nil || done {
				return err // this request created it before
			}
			return ErrExists
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, doc, 0)
			appendEvents(ctx, p, inc.Number, events)
			recordEffect(ctx, p, inc.Number, effect)
			return nil
		})
		if err != nil {
			return err
		}
		return s.confirm(ctx, tx)
	}, key) // an effect of Create or Update is written with the incident: watching it is enough
	if errors.Is(err, redis.TxFailedErr) {
		err = ErrExists // another writer created it between our check and EXEC
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", inc.Ref(), err)
	}
	if done {
		return nil
	}
	if err := s.index(ctx, inc); err != nil {
		return err
	}
	s.wrote(ctx, effect)
	return nil
}

// Get returns an incident by number.
func (s *Store) Get(ctx context.Context, n int64) (*incident.Incident, error) {
	doc, err := s.rdb.Get(ctx, incidentKey(n)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("get %s: %w", incident.FormatRef(n), incident.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", incident.FormatRef(n), err)
	}
	return decode(doc)
}

// ByChannel returns the incident whose channel this is.
func (s *Store) ByChannel(ctx context.Context, channelID string) (*incident.Incident, error) {
	if n, ok := s.channels.Load(channelID); ok {
		inc, err := s.Get(ctx, n.(int64))
		if errors.Is(err, incident.ErrNotFound) {
			s.channels.Delete(channelID) // purged
		}
		return inc, err
	}
	n, err := s.rdb.HGet(ctx, channelsKey, channelID).Int64()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("incident of channel %s: %w", channelID, incident.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("incident of channel %s: %w", channelID, err)
	}
	s.channels.Store(channelID, n)
	return s.Get(ctx, n)
}

// Update changes an incident atomically: fn sees the current state, changes
// it and returns the timeline events to record with the change. If another
// writer changes the incident meanwhile, fn runs again on the new state, so it
// must not have side effects. An error from fn aborts and changes nothing.
//
// Within a request the change is recorded as one of the request's effects,
// in the same transaction: when the request is done again, fn does not run
// and the incident is returned as it is, so the change is made once.
func (s *Store) Update(ctx context.Context, n int64, fn func(*incident.Incident) ([]incident.TimelineEvent, error)) (*incident.Incident, error) {
	key := incidentKey(n)
	effect := incident.NextEffect(ctx)
	var updated *incident.Incident
	done := false
	txn := func(tx *redis.Tx) error {
		doc, err := tx.Get(ctx, key).Bytes()
		if errors.Is(err, redis.Nil) {
			return incident.ErrNotFound
		}
		if err != nil {
			return err
		}
		inc, err := decode(doc)
		if err != nil {
			return err
		}
		if done, err = applied(ctx, tx, n, effect); err != nil || done {
			updated = inc
			return err
		}
		events, err := fn(inc)
		if err != nil {
			return err
		}
		newDoc, err := marshal(inc)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, newDoc, 0)
			appendEvents(ctx, p, n, events)
			recordEffect(ctx, p, n, effect)
			return nil
		})
		updated = inc
		if err != nil {
			return err
		}
		return s.confirm(ctx, tx)
	}
	if err := s.watched(ctx, key, txn); err != nil {
		return nil, fmt.Errorf("update %s: %w", incident.FormatRef(n), err)
	}
	if err := s.index(ctx, updated); err != nil {
		return nil, err
	}
	if !done {
		s.wrote(ctx, effect)
	}
	return updated, nil
}

// watched runs txn watching key, and again while another writer changed
// key first, up to maxUpdateAttempts; then it fails with ErrConflict.
func (s *Store) watched(ctx context.Context, key string, txn func(*redis.Tx) error) error {
	return s.watchedKeys(ctx, txn, key)
}

// watchedKeys is watched for a transaction over several keys of one slot.
func (s *Store) watchedKeys(ctx context.Context, txn func(*redis.Tx) error, keys ...string) error {
	for range maxUpdateAttempts {
		if err := s.rdb.Watch(ctx, txn, keys...); !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return ErrConflict
}

// openInfo is what the gauge counts of an open incident; a drill is
// marked so that it is left out of the counts but not taken for missing.
func openInfo(inc *incident.Incident) string {
	info := inc.Severity + " " + string(inc.Phase)
	if inc.Drill {
		info += " drill"
	}
	return info
}

// countInfo adds an open incident's info to the counts; drills are not counted.
func countInfo(counts map[[2]string]int, info string, n int) {
	f := strings.Fields(info)
	if len(f) == 2 {
		counts[[2]string{f[0], f[1]}] += n
	}
}

// OpenCounts counts the open incidents by [severity, phase], from a hash
// kept with the open index as incidents change: a scrape reads one small
// value per open incident, not the incidents. When the two disagree (data
// from a version without the hash), the hash is rebuilt from the incidents.
func (s *Store) OpenCounts(ctx context.Context) (map[[2]string]int, error) {
	var tally *redis.Cmd
	var open *redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		tally, open = tallyScript.Eval(ctx, p, []string{openInfoKey}), p.ZCard(ctx, openKey)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	pairs, err := tally.Slice()
	if err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	counts := map[[2]string]int{}
	total := int64(0)
	for i := 0; i+1 < len(pairs); i += 2 {
		v, _ := pairs[i].(string)
		n, _ := pairs[i+1].(int64)
		countInfo(counts, v, int(n))
		total += n
	}
	if total == open.Val() {
		return counts, nil
	}
	infos, err := s.rebuildOpenInfo(ctx)
	if err != nil {
		return nil, err
	}
	counts = map[[2]string]int{}
	for _, v := range infos {
		countInfo(counts, v, 1)
	}
	return counts, nil
}

// tallyScript counts a hash's values in Redis, so a scrape receives a few
// pairs (value, count) rather than one value per open incident.
var tallyScript = redis.NewScript(`
local counts = {}
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do counts[v] = (counts[v] or 0) + 1 end
local out = {}
for v, n in pairs(counts) do out[#out + 1] = v; out[#out + 1] = n end
return out`)

// OpenListings lists the open incidents as lists show them, in number
// order, from the listings kept with the open index: a list reads one small
// value per open incident, not the incidents. When the two disagree (data
// from a version without the listings), they are rebuilt from the incidents.
func (s *Store) OpenListings(ctx context.Context) ([]incident.Listing, error) {
	var all *redis.MapStringStringCmd
	var open *redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		all, open = p.HGetAll(ctx, openListKey), p.ZCard(ctx, openKey)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	if int64(len(all.Val())) != open.Val() {
		if _, err := s.rebuildOpenInfo(ctx); err != nil {
			return nil, err
		}
		if all = s.rdb.HGetAll(ctx, openListKey); all.Err() != nil {
			return nil, fmt.Errorf("list open incidents: %w", all.Err())
		}
	}
	out := make([]incident.Listing, 0, len(all.Val()))
	for _, doc := range all.Val() {
		l, err := decodeListing(doc)
		if err != nil {
			return nil, fmt.Errorf("list open incidents: %w", err)
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b incident.Listing) int { return cmp.Compare(a.Number, b.Number) })
	return out, nil
}

// Reconcile brings the open index and the open counts in line with the
// incidents. They are written after each change's transaction, so two
// changes racing can leave a closed incident counted as open until its
// next change; run now and then, this heals that.
func (s *Store) Reconcile(ctx context.Context) error {
	_, err := s.rebuildOpenInfo(ctx)
	return err
}

// rebuildOpenInfo brings the counts in line with the incidents without
// wiping anything: an incident declared or closed meanwhile is written by
// its own change, and nothing read before it is allowed to undo that.
func (s *Store) rebuildOpenInfo(ctx context.Context) ([]string, error) {
	counted, err := s.rdb.HKeys(ctx, openInfoKey).Result()
	if err != nil {
		return nil, fmt.Errorf("rebuild the open counts: %w", err)
	}
	listedBefore, err := s.rdb.HKeys(ctx, openListKey).Result()
	if err != nil {
		return nil, fmt.Errorf("rebuild the open listings: %w", err)
	}
	listed, err := s.rdb.ZRange(ctx, openKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("rebuild the open counts: %w", err)
	}
	open, err := s.ListOpen(ctx)
	if err != nil {
		return nil, err
	}
	isOpen := map[string]bool{}
	infos := make([]string, len(open))
	for i, inc := range open {
		isOpen[strconv.FormatInt(inc.Number, 10)] = true
		infos[i] = openInfo(inc)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, inc := range open {
			p.HSet(ctx, openInfoKey, inc.Number, infos[i])
			p.HSet(ctx, openListKey, inc.Number, encodeListing(inc.Listing()))
		}
		for _, n := range counted { // counted before we read the incidents, and not open then
			if !isOpen[n] {
				p.HDel(ctx, openInfoKey, n)
			}
		}
		for _, n := range listedBefore {
			if !isOpen[n] {
				p.HDel(ctx, openListKey, n)
			}
		}
		for _, n := range listed { // indexed as open, but closed or gone
			if !isOpen[n] {
				p.ZRem(ctx, openKey, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rebuild the open counts: %w", err)
	}
	return infos, nil
}

// ListOpen returns the open incidents in number order.
func (s *Store) ListOpen(ctx context.Context) ([]*incident.Incident, error) {
	incs, err := s.listIndexed(ctx, openKey)
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	return slices.DeleteFunc(incs, func(i *incident.Incident) bool { return i.Status != incident.Open }), nil
}

// WithOpenFollowUps returns the incidents that have follow-up actions not done, in number order.
func (s *Store) WithOpenFollowUps(ctx context.Context) ([]*incident.Incident, error) {
	incs, err := s.listIndexed(ctx, actionsKey)
	if err != nil {
		return nil, fmt.Errorf("list open follow-up actions: %w", err)
	}
	return slices.DeleteFunc(incs, func(i *incident.Incident) bool { return !i.HasOpenFollowUps() }), nil
}

// WithRunningClocks returns the incidents with regulatory clocks running, in number order.
func (s *Store) WithRunningClocks(ctx context.Context) ([]*incident.Incident, error) {
	incs, err := s.listIndexed(ctx, clocksKey)
	if err != nil {
		return nil, fmt.Errorf("list running regulatory clocks: %w", err)
	}
	return slices.DeleteFunc(incs, func(i *incident.Incident) bool { return !i.ClocksRunning }), nil
}

// SavePostmortem stores the published postmortem.
func (s *Store) SavePostmortem(ctx context.Context, n int64, markdown string) error {
	if err := s.rdb.Set(ctx, postmortemKey(n), markdown, 0).Err(); err != nil {
		return fmt.Errorf("save the postmortem of %s: %w", incident.FormatRef(n), err)
	}
	return nil
}

// Postmortem returns the published postmortem, or "" when there is none.
func (s *Store) Postmortem(ctx context.Context, n int64) (string, error) {
	md, err := s.rdb.Get(ctx, postmortemKey(n)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the postmortem of %s: %w", incident.FormatRef(n), err)
	}
	return md, nil
}

// listIndexed reads the incidents whose numbers an index holds.
func (s *Store) listIndexed(ctx context.Context, index string) ([]*incident.Incident, error) {
	members, err := s.rdb.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, err
	}
	return s.getMany(ctx, members)
}

// ClosedIncidentsSince are the incidents closed (postmortem published)
// after t, newest first, read in one round trip.
func (s *Store) ClosedIncidentsSince(ctx context.Context, t time.Time) ([]*incident.Incident, error) {
	members, err := s.rdb.ZRevRangeByScore(ctx, closedKey, &redis.ZRangeBy{Min: strconv.FormatInt(t.UnixMilli(), 10), Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("closed incidents: %w", err)
	}
	return s.getMany(ctx, members)
}

// getMany reads the incidents of these numbers, leaving out those gone.
func (s *Store) getMany(ctx context.Context, members []string) ([]*incident.Incident, error) {
	// One GET per incident in a pipeline: MGET would span Cluster slots.
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range members {
			n, _ := strconv.ParseInt(m, 10, 64)
			p.Get(ctx, incidentKey(n))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]*incident.Incident, 0, len(cmds))
	for _, c := range cmds {
		doc, err := c.(*redis.StringCmd).Bytes()
		if errors.Is(err, redis.Nil) {
			continue // indexed but gone: nothing to show
		}
		inc, err := decode(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, nil
}

// Timeline returns an incident's timeline, oldest first.
func (s *Store) Timeline(ctx context.Context, n int64) ([]incident.TimelineEvent, error) {
	raw, err := s.rdb.XRange(ctx, timelineKey(n), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", incident.FormatRef(n), err)
	}
	events := make([]incident.TimelineEvent, 0, len(raw))
	for _, r := range raw {
		ev, err := decodeEntry(r)
		if err != nil {
			return nil, fmt.Errorf("timeline of %s: entry %s: %w", incident.FormatRef(n), r.ID, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// ClosedBefore lists the incidents closed before t, oldest first.
func (s *Store) ClosedBefore(ctx context.Context, t time.Time) ([]int64, error) {
	members, err := s.rdb.ZRangeByScore(ctx, closedKey, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(t.UnixMilli(), 10)}).Result()
	if err != nil {
		return nil, fmt.Errorf("closed incidents: %w", err)
	}
	ns := make([]int64, 0, len(members))
	for _, m := range members {
		if n, err := strconv.ParseInt(m, 10, 64); err == nil {
			ns = append(ns, n)
		}
	}
	return ns, nil
}

// Purge deletes an incident for good: its document, timeline, postmortem
// and effects, and its entries in every index.
func (s *Store) Purge(ctx context.Context, n int64) error {
	inc, err := s.Get(ctx, n)
	if err != nil && !errors.Is(err, incident.ErrNotFound) {
		return err
	}
	num := strconv.FormatInt(n, 10)
	inds, _ := s.Indicators(ctx, n) // best effort: a sighting of a purged incident is skipped when read
	for _, ind := range inds {
		if err := s.rdb.SRem(ctx, indicatorSeenKey(string(ind.Type), ind.Value), num).Err(); err != nil {
			return fmt.Errorf("purge %s: %w", incident.FormatRef(n), err)
		}
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		// The incident's own keys share its slot: one command.
		p.Del(ctx, incidentKey(n), timelineKey(n), postmortemKey(n), effectsKey(n), indicatorsKey(n), evidenceKey(n), auditKey(n), auditHeadKey(n))
		if inc != nil && inc.ChannelID != "" {
			p.HDel(ctx, channelsKey, inc.ChannelID)
			s.channels.Delete(inc.ChannelID)
		}
		p.ZRem(ctx, openKey, num)
		p.ZRem(ctx, actionsKey, num)
		p.ZRem(ctx, clocksKey, num)
		p.HDel(ctx, openInfoKey, num)
		p.HDel(ctx, openListKey, num)
		p.ZRem(ctx, closedKey, num) // last: until it is gone, the next purge tries again
		return nil
	})
	if err != nil {
		return fmt.Errorf("purge %s: %w", incident.FormatRef(n), err)
	}
	return nil
}

// TimelinePage reads one page of a timeline, in time order: page 1 holds
// the newest size events, page 2 the size before them, and so on. Only the
// entries up to that page are read, not the whole timeline. total is the
// number of events in the timeline.
func (s *Store) TimelinePage(ctx context.Context, n int64, page, size int) (events []incident.TimelineEvent, total int, err error) {
	if page < 1 || size < 1 || page > math.MaxInt32/size {
		return nil, 0, fmt.Errorf("timeline of %s: no page %d of %d events", incident.FormatRef(n), page, size)
	}
	var length *redis.IntCmd
	var newest *redis.XMessageSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		length = p.XLen(ctx, timelineKey(n))
		newest = p.XRevRangeN(ctx, timelineKey(n), "+", "-", int64(page*size))
		return nil
	}); err != nil {
		return nil, 0, fmt.Errorf("timeline of %s: %w", incident.FormatRef(n), err)
	}
	raw := newest.Val()
	from := min(len(raw), (page-1)*size)
	raw = raw[from:]
	events = make([]incident.TimelineEvent, len(raw))
	for i, r := range raw {
		if events[len(raw)-1-i], err = decodeEntry(r); err != nil {
			return nil, 0, fmt.Errorf("timeline of %s: entry %s: %w", incident.FormatRef(n), r.ID, err)
		}
	}
	return events, int(length.Val()), nil
}

// AddEvents appends timeline events to an incident without changing it;
// within a request, once.
func (s *Store) AddEvents(ctx context.Context, n int64, events ...incident.TimelineEvent) error {
	if len(events) == 0 {
		return nil
	}
	effect := incident.NextEffect(ctx)
	args := eventArgs(ctx, effect, events)
	keys := []string{timelineKey(n), effectsKey(n)}
	var added int
	var err error
	if s.minReplicas == 0 {
		added, err = addEventsScript.Run(ctx, s.rdb, keys, args...).Int()
	} else {
		added, err = s.thenConfirm(ctx, func(p redis.Pipeliner) *redis.Cmd { return addEventsScript.Eval(ctx, p, keys, args...) })
	}
	done := added == 0
	if err != nil {
		return fmt.Errorf("add to the timeline of %s: %w", incident.FormatRef(n), err)
	}
	if !done {
		s.wrote(ctx, effect)
	}
	return nil
}

// thenConfirm runs a script and the wait for replicas on one connection,
// in one round trip, and returns the script's integer result.
func (s *Store) thenConfirm(ctx context.Context, script func(p redis.Pipeliner) *redis.Cmd) (int, error) {
	var res *redis.Cmd
	var wait *redis.Cmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		res, wait = script(p), p.Do(ctx, "WAIT", s.minReplicas, s.replicaWait.Milliseconds())
		return nil
	})
	if err != nil {
		return 0, err
	}
	n, err := res.Int()
	if err != nil {
		return 0, err
	}
	if got, _ := wait.Int(); got < s.minReplicas {
		return n, fmt.Errorf("%w: %d of %d replicas", incident.ErrNotDurable, got, s.minReplicas)
	}
	return n, nil
}

// index brings the cross-incident indexes in line with the incident. They
// live outside the incident's slot, so they are written after its own keys;
// each write is idempotent, and the next change of the incident repeats it.
func (s *Store) index(ctx context.Context, inc *incident.Incident) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if inc.Status == incident.Open {
			p.ZAdd(ctx, openKey, redis.Z{Score: float64(inc.Number), Member: inc.Number})
			p.HSet(ctx, openInfoKey, inc.Number, openInfo(inc))
			p.HSet(ctx, openListKey, inc.Number, encodeListing(inc.Listing()))
		} else {
			p.ZRem(ctx, openKey, inc.Number)
			p.HDel(ctx, openInfoKey, strconv.FormatInt(inc.Number, 10))
			p.HDel(ctx, openListKey, strconv.FormatInt(inc.Number, 10))
		}
		if inc.ChannelID != "" {
			p.HSet(ctx, channelsKey, inc.ChannelID, inc.Number)
		}
		if inc.Status == incident.Closed {
			p.ZAdd(ctx, closedKey, redis.Z{Score: float64(inc.ClosedAt.UnixMilli()), Member: inc.Number})
		}
		if inc.HasOpenFollowUps() {
			p.ZAdd(ctx, actionsKey, redis.Z{Score: float64(inc.Number), Member: inc.Number})
		} else {
			p.ZRem(ctx, actionsKey, inc.Number)
		}
		if inc.ClocksRunning {
			p.ZAdd(ctx, clocksKey, redis.Z{Score: float64(inc.Number), Member: inc.Number})
		} else {
			p.ZRem(ctx, clocksKey, inc.Number)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index %s: %w", inc.Ref(), err)
	}
	return nil
}

func decode(doc []byte) (*incident.Incident, error) {
	var inc incident.Incident
	if err := json.Unmarshal(doc, &inc); err != nil {
		return nil, fmt.Errorf("decode incident: %w", err)
	}
	return &inc, nil
}

// marshal is JSON as the store keeps it: text a person wrote (<, >, &) is
// kept as it is, not as six-byte escapes, so a record stays the size of
// what is in it.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Time is the Redis server's clock: the one clock every replica shares.
func (s *Store) Time(ctx context.Context) (time.Time, error) {
	t, err := s.rdb.Time(ctx).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("redis time: %w", err)
	}
	return t, nil
}
