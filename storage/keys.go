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
	channelsKey = keyPrefix + "channels" // hash: Slack channel ID -> incident number
	actionsKey  = keyPrefix + "actions"  // sorted set: incidents with open follow-up actions
)

func incidentTag(n int64) string { return keyPrefix + "inc:{" + strconv.FormatInt(n, 10) + "}" }

// incidentKey holds the incident as one JSON document.
func incidentKey(n int64) string { return incidentTag(n) }

// timelineKey is a stream of timeline events (field "event", JSON), oldest first.
func timelineKey(n int64) string { return incidentTag(n) + ":timeline" }

// postmortemKey holds the published postmortem (Markdown).
func postmortemKey(n int64) string { return incidentTag(n) + ":postmortem" }

// seenKey marks a request's identity (trigger ID, event ID, view ID and
// hash) as taken, so a replay, a retry or a double submission runs once.
func seenKey(requestID string) string { return keyPrefix + "seen:" + requestID }
