// Package exports writes an incident's case records as files for other
// tools: indicators as CSV and as a STIX 2.1 bundle, and evidence custody
// logs as CSV. Values are written in their real (refanged) form, as other
// tools need them; the files are shared only in the incident's channel.
package exports

import (
	"bytes"
	"crypto/sha1"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeCSV(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = csvCell(c)
		}
		_ = w.Write(cells) // into a buffer: cannot fail
	}
	w.Flush()
	return b.Bytes()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// IndicatorsCSV is one row per indicator: the value refanged and defanged.
func IndicatorsCSV(ref string, inds []incident.Indicator) []byte {
	rows := [][]string{{"incident", "type", "value", "defanged", "state", "marking", "first_seen", "last_seen", "sightings", "added_by", "note"}}
	for _, i := range inds {
		rows = append(rows, []string{ref, string(i.Type), i.Value, i.Defanged(), i.State, i.Marking, stamp(i.FirstSeen), stamp(i.LastSeen),
			strconv.Itoa(i.Sightings), i.AddedBy, i.Note})
	}
	return writeCSV(rows)
}

// CustodyCSV is every custody step of every item of evidence, with the
// hashes that chain them and whether each item's chain verifies (with the
// custody key, when one is configured). red takes the incident's TLP:RED
// values out of what people wrote (the zero RedText: none); the hashes that
// chain the entries stay, so the log still verifies against the store.
func CustodyCSV(inc *incident.Incident, items []incident.Evidence, key []byte, red incident.RedText) []byte {
	ref := inc.Ref()
	rows := [][]string{{"incident", "item", "name", "seq", "at", "actor", "step", "from", "to", "sha256", "where", "note", "prev_hash", "entry_hash", "seal", "chain_verifies"}}
	for _, e := range items {
		_, ok := inc.VerifyEvidence(e, key)
		for _, c := range e.Custody {
			rows = append(rows, []string{ref, e.Ref(), red.Apply(e.Name), strconv.Itoa(c.Seq), stamp(c.At), c.Actor, c.Step, c.From, c.To, red.Apply(c.SHA256), red.Apply(c.Where), red.Apply(c.Note),
				c.Prev, c.Hash, c.Seal, strconv.FormatBool(ok)})
		}
	}
	return writeCSV(rows)
}

// uuid5 is a name-based UUID (RFC 9562 version 5), so that an indicator
// exported twice keeps its STIX id.
func uuid5(name string) string {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8} // the URL namespace
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// stixTime is a STIX timestamp: UTC, millisecond precision.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// quote is a STIX pattern string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// patternPaths are the STIX object paths each indicator type is compared on.
var patternPaths = map[incident.IndicatorType]string{
	incident.IOCIPv4: "ipv4-addr:value", incident.IOCIPv6: "ipv6-addr:value", incident.IOCDomain: "domain-name:value",
	incident.IOCURL: "url:value", incident.IOCEmail: "email-addr:value", incident.IOCMD5: "file:hashes.MD5",
	incident.IOCSHA1: "file:hashes.'SHA-1'", incident.IOCSHA256: "file:hashes.'SHA-256'",
}

// Pattern is the STIX 2.1 pattern that matches an indicator ("" for a CVE,
// which is exported as a vulnerability).
func Pattern(t incident.IndicatorType, v string) string {
	if t == incident.IOCPath {
		dir, name := splitPath(v)
		return "[file:name = " + quote(name) + " AND file:parent_directory_ref.path = " + quote(dir) + "]"
	}
	if path, ok := patternPaths[t]; ok {
		return "[" + path + " = " + quote(v) + "]"
	}
	return ""
}

func splitPath(p string) (dir, name string) {
	if strings.Contains(p, `\`) {
		k := strings.LastIndex(p, `\`)
		return p[:max(k, 3)], p[k+1:] // C:\ stays C:\
	}
	return path.Dir(p), path.Base(p)
}

// The STIX 2.1 TLP marking definitions (TLP 1.0 names: CLEAR is WHITE;
// AMBER+STRICT is exported as AMBER, the nearest that STIX 2.1 defines).
var tlpMarkings = map[string]string{
	"TLP:CLEAR":        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
	"TLP:GREEN":        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
	"TLP:AMBER":        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
	"TLP:AMBER+STRICT": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
	"TLP:RED":          "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

// MarkingDefinition is the STIX id of a TLP marking ("" for none).
func MarkingDefinition(marking string) string { return tlpMarkings[marking] }

// STIXBundle is the incident's indicators as a STIX 2.1 bundle: an
// indicator with a pattern for each observable, a vulnerability for each
// CVE. A false positive is left out: it indicates nothing.
func STIXBundle(ref string, inds []incident.Indicator) ([]byte, error) {
	objects := []map[string]any{}
	for _, i := range inds {
		if i.State == incident.IndicatorFalsePositive {
			continue
		}
		created, modified := stixTime(i.FirstSeen), stixTime(i.LastSeen)
		var o map[string]any
		if i.Type == incident.IOCCVE {
			o = map[string]any{"type": "vulnerability", "spec_version": "2.1", "id": "vulnerability--" + uuid5(ref+" "+i.Value),
				"created": created, "modified": modified, "name": i.Value,
				"external_references": []map[string]string{{"source_name": "cve", "external_id": i.Value}}}
		} else {
			kind := "anomalous-activity"
			if i.State == incident.IndicatorMalicious {
				kind = "malicious-activity"
			}
			o = map[string]any{"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uuid5(ref+" "+string(i.Type)+" "+i.Value),
				"created": created, "modified": modified, "name": string(i.Type) + " " + i.Defanged(),
				"description":     strings.TrimSpace(fmt.Sprintf("Seen %s in %s (%s). %s", times(i.Sightings), ref, strings.ReplaceAll(i.State, "_", " "), i.Note)),
				"indicator_types": []string{kind}, "pattern": Pattern(i.Type, i.Value), "pattern_type": "stix", "pattern_version": "2.1",
				"valid_from": created, "labels": []string{strings.ToLower(ref)}}
		}
		if m := MarkingDefinition(i.Marking); m != "" {
			o["object_marking_refs"] = []string{m}
		}
		objects = append(objects, o)
	}
	content, err := json.Marshal(objects)
	if err != nil {
		return nil, fmt.Errorf("stix bundle of %s: %w", ref, err)
	}
	bundle := map[string]any{"type": "bundle", "id": "bundle--" + uuid5("bundle "+string(content)), "objects": objects}
	doc, err := json.MarshalIndent(bundle, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("stix bundle of %s: %w", ref, err)
	}
	return doc, nil
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// AuditCSV is an incident's audit log, one row per entry, with the hashes
// that chain them and whether the whole chain verifies (with the key, when
// one is configured).
func AuditCSV(inc *incident.Incident, entries []incident.AuditEntry, head *incident.AuditHead, key []byte) []byte {
	_, ok := incident.VerifyAudit(inc.Number, entries, head, key)
	rows := [][]string{{"incident", "seq", "at", "actor", "what", "outcome", "request", "prev_hash", "entry_hash", "seal", "chain_verifies"}}
	for _, e := range entries {
		rows = append(rows, []string{inc.Ref(), strconv.Itoa(e.Seq), stamp(e.At), e.Actor, e.What, e.Outcome, e.Request, e.Prev, e.Hash, e.Seal, strconv.FormatBool(ok)})
	}
	return writeCSV(rows)
}
