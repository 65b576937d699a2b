// Package stixcheck checks a STIX 2.1 bundle of the objects the bot
// exports (bundle, indicator, vulnerability) against the rules of the
// STIX 2.1 specification for them: required properties, identifiers,
// timestamps, the indicator-type vocabulary, TLP marking definitions and
// the pattern forms the bot writes. Tests use it; so can an operator who
// wants to check a file before importing it elsewhere.
package stixcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	identifier = regexp.MustCompile(`^([a-z][a-z0-9-]+[a-z0-9])--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timestamp  = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?Z$`)
	comparison = `[a-z0-9-]+:[A-Za-z0-9_.'-]+ = '(?:[^'\\]|\\['\\])*'`
	// One comparison, or comparisons joined by AND, of an object path to a string.
	pattern = regexp.MustCompile(`^\[` + comparison + `( AND ` + comparison + `)*\]$`)
	// The TLP marking definitions STIX 2.1 defines (section 7.2.1.4).
	tlpMarkings    = []string{"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}
	indicatorTypes = []string{"anomalous-activity", "anonymization", "benign", "compromised", "malicious-activity", "attribution", "unknown"}
)

// Check returns what is wrong with the bundle; none when it is valid.
func Check(doc []byte) []string {
	var bundle map[string]any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&bundle); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if bundle["type"] != "bundle" {
		bad("type %v, want bundle", bundle["type"])
	}
	if id, _ := bundle["id"].(string); !identifier.MatchString(id) || !strings.HasPrefix(id, "bundle--") {
		bad("bundle id %q is not bundle--<UUID>", id)
	}
	if _, ok := bundle["spec_version"]; ok {
		bad("a STIX 2.1 bundle has no spec_version")
	}
	raw, ok := bundle["objects"].([]any)
	if !ok {
		bad("no objects list")
	}
	str := func(o map[string]any, key string) string { s, _ := o[key].(string); return s }
	for k, r := range raw {
		o, ok := r.(map[string]any)
		if !ok {
			bad("object %d is not an object", k)
			continue
		}
		typ, id := str(o, "type"), str(o, "id")
		if m := identifier.FindStringSubmatch(id); m == nil || m[1] != typ {
			bad("id %q is not %s--<UUID>", id, typ)
		}
		if o["spec_version"] != "2.1" {
			bad("%s: spec_version %v, want 2.1", id, o["spec_version"])
		}
		for _, ts := range []string{"created", "modified"} {
			if !timestamp.MatchString(str(o, ts)) {
				bad("%s: %s %q is not a STIX timestamp", id, ts, str(o, ts))
			}
		}
		if str(o, "modified") < str(o, "created") {
			bad("%s: modified before created", id)
		}
		if refs, ok := o["object_marking_refs"].([]any); ok {
			for _, ref := range refs {
				if s, _ := ref.(string); !slices.Contains(tlpMarkings, s) {
					bad("%s: marking %v is not a TLP marking definition", id, ref)
				}
			}
		}
		switch typ {
		case "indicator":
			if !pattern.MatchString(str(o, "pattern")) {
				bad("%s: pattern %q is not a STIX pattern of the forms exported", id, str(o, "pattern"))
			}
			if str(o, "pattern_type") != "stix" {
				bad("%s: pattern_type %v", id, o["pattern_type"])
			}
			if !timestamp.MatchString(str(o, "valid_from")) {
				bad("%s: valid_from %v", id, o["valid_from"])
			}
			types, _ := o["indicator_types"].([]any)
			for _, it := range types {
				if s, _ := it.(string); !slices.Contains(indicatorTypes, s) {
					bad("%s: indicator type %v is not in the vocabulary", id, it)
				}
			}
		case "vulnerability":
			refs, _ := o["external_references"].([]any)
			first, _ := func() (map[string]any, bool) {
				if len(refs) == 0 {
					return nil, false
				}
				m, ok := refs[0].(map[string]any)
				return m, ok
			}()
			if str(o, "name") == "" || first == nil || first["source_name"] != "cve" || first["external_id"] == nil {
				bad("%s: a CVE vulnerability needs a name and a cve external reference", id)
			}
		default:
			bad("%s: unexpected object type %q", id, typ)
		}
	}
	return problems
}
