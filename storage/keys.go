package storage

import "strconv"

// Every Redis key is built here. Keys of one incident share the hash tag
// {<number>} so that a multi-key change of that incident (MULTI/EXEC, WATCH)
// lands in one Redis Cluster slot. Keys spanning incidents (the counter and
// the indexes) have no tag and are only ever written on their own.
const (
	keyPrefix   = "ib:"
	counterKey  = keyPrefix + "counter"  // INCR: the next incident number
	openKey     = keyPrefix + "open"     // sorted set: open incident numbers, scored by number
	openInfoKey = keyPrefix + "openinfo" // hash: open incident number -> "severity phase", for the gauge
	openListKey = keyPrefix + "openlist" // hash: open incident number -> its listing (JSON), for lists
	closedKey   = keyPrefix + "closed"   // sorted set: closed incident numbers, scored by when (ms), for retention
	channelsKey = keyPrefix + "channels" // hash: Slack channel ID -> incident number
	actionsKey  = keyPrefix + "actions"  // sorted set: incidents with open follow-up actions
	clocksKey   = keyPrefix + "clocks"   // sorted set: incidents with regulatory clocks running

	// The schedule's keys share the hash tag {sched} so the claim script,
	// which touches both, runs in one Cluster slot.
	dueKey    = keyPrefix + "{sched}:due"    // ZSET incident number -> due (ms)
	claimsKey = keyPrefix + "{sched}:claims" // HASH incident number -> "token due(ms)"

	// The stakeholder channel's queue of scheduled updates, tagged
	// {stakeholders} for the scripts that touch several.
	stakeholderQueueKey = keyPrefix + "{stakeholders}:queue" // ZSET incident number -> due (ms)
	stakeholderBatchKey = keyPrefix + "{stakeholders}:batch" // STRING "id poster until(ms) n1 n2 …": the batch being posted

	inboxKey = keyPrefix + "inbox" // hash: request ID -> InboxEntry (JSON), the journal

	drillScoresKey = keyPrefix + "drillscores" // hash: incident number -> DrillScore (JSON), for comparisons and history

	// Reports share the hash tag {reports}, so the alert intake script,
	// which finds a report by its dedup key and counts on it, runs in one
	// Cluster slot. Reports are few; one slot holds them all.
	reportsTag        = keyPrefix + "{reports}:"
	reportCounterKey  = reportsTag + "counter" // INCR: the next report number
	reportWaitingKey  = reportsTag + "waiting" // ZSET report number -> reported (ms): reports without an outcome
	reportKeyPrefix   = reportsTag + "rpt:"    // + number: STRING the report (JSON)
	reportHitsPrefix  = reportsTag + "hits:"   // + number: HASH count and last (ms) of an alert's occurrences, apart so they never hold up a triage step
	reportDedupPrefix = reportsTag + "dedup:"  // + digest of an alert's dedup key: STRING report number, for the window
	reportReqPrefix   = reportsTag + "req:"    // + request ID: STRING the report number that request made
)

// paceKey holds the next moment a channel may be posted to (ms).
func paceKey(channelID string) string { return keyPrefix + "pace:" + channelID }

// lockKey is a lock shared by the replicas (the card of an incident).
func lockKey(name string) string { return keyPrefix + "lock:" + name }

// onceKey is a lock taken once for a named piece of work (a digest slot, a postmortem).
func onceKey(name string) string { return keyPrefix + "once:" + name }

func incidentTag(n int64) string { return keyPrefix + "inc:{" + strconv.FormatInt(n, 10) + "}" }

// incidentKey holds the incident as one JSON document.
func incidentKey(n int64) string { return incidentTag(n) }

// timelineKey is a stream of timeline events, oldest first (see encodeEvent).
func timelineKey(n int64) string { return incidentTag(n) + ":timeline" }

// indicatorsKey holds an incident's indicators: a hash of "type value" to
// the indicator (JSON), in the incident's slot.
func indicatorsKey(n int64) string { return incidentTag(n) + ":iocs" }

// evidenceKey holds an incident's evidence: a hash of item number to the
// item and its custody log (JSON), in the incident's slot.
func evidenceKey(n int64) string { return incidentTag(n) + ":evidence" }

// auditKey holds an incident's audit log: a list of entries (JSON), only
// ever appended to, in the incident's slot.
func auditKey(n int64) string { return incidentTag(n) + ":audit" }

// auditHeadKey holds where the audit log ends (JSON), written with each entry.
func auditHeadKey(n int64) string { return incidentTag(n) + ":audit:head" }

// indicatorSeenKey is the set of incidents an indicator was added to,
// across incidents (no hash tag: written on its own, after the incident's
// own transaction), for sightings in other incidents.
func indicatorSeenKey(t, value string) string { return keyPrefix + "ioc:" + effectMember(t+" "+value) }

// postmortemKey holds the published postmortem (Markdown).
func postmortemKey(n int64) string { return incidentTag(n) + ":postmortem" }

// effectsKey is a sorted set of the effects (digests of request#n)
// recorded on the incident, scored by when (ms; older versions kept the effects themselves): written in the same transaction as the change,
// so a request done again finds what it already did.
func effectsKey(n int64) string { return incidentTag(n) + ":effects" }

// requestNumberKey holds the incident number a declare request took, so a
// declare done again takes the same one.
func requestNumberKey(requestID string) string { return keyPrefix + "reqnum:" + requestID }

// seenKey marks a request's identity (trigger ID, event ID, view ID and
// hash) as taken, so a replay, a retry or a double submission runs once.
// Its hash tag is the journal's whole name, so both are in one Cluster slot
// and taking a request, which writes both, is one script.
func seenKey(requestID string) string { return keyPrefix + "seen:{" + inboxKey + "}:" + requestID }

// stakeholderQueuedKey notes that an occasion's update was queued for the
// stakeholders (a day), in the queue's slot.
func stakeholderQueuedKey(occasion string) string {
	return keyPrefix + "{stakeholders}:queued:" + occasion
}

// reportKey holds a report (JSON).
func reportKey(n int64) string { return reportKeyPrefix + strconv.FormatInt(n, 10) }

// reportHitsKey counts an alert's occurrences and holds when the last came.
func reportHitsKey(n int64) string { return reportHitsPrefix + strconv.FormatInt(n, 10) }

// reportDedupKey names an alert dedup key by its digest: the key is the
// sender's, of any length.
func reportDedupKey(dedup string) string { return reportDedupPrefix + effectMember("dedup:"+dedup) }

// reportRequestKey remembers the report a request made, so a request done
// again makes none.
func reportRequestKey(requestID string) string { return reportReqPrefix + requestID }
