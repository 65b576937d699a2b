package exports_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/exports"
	"github.com/incidentbot/incidentbot/exports/stixcheck"
	"github.com/incidentbot/incidentbot/incident"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

func sample() []incident.Indicator {
	mk := func(typ incident.IndicatorType, v, state, marking string, seen int) incident.Indicator {
		return incident.Indicator{Type: typ, Value: v, FirstSeen: t0, LastSeen: t0.Add(time.Hour), AddedBy: "UALICE", Sightings: seen, State: state, Marking: marking}
	}
	return []incident.Indicator{
		mk(incident.IOCIPv4, "203.0.113.7", incident.IndicatorMalicious, "TLP:AMBER", 2),
		mk(incident.IOCIPv6, "2001:db8::1", incident.IndicatorSuspected, "", 1),
		mk(incident.IOCDomain, "login-example.com", incident.IndicatorSuspected, "TLP:GREEN", 1),
		mk(incident.IOCURL, "https://login-example.com/vpn?u='x'", incident.IndicatorMalicious, "TLP:RED", 1),
		mk(incident.IOCEmail, "it-support@login-example.com", incident.IndicatorSuspected, "TLP:CLEAR", 1),
		mk(incident.IOCMD5, "d41d8cd98f00b204e9800998ecf8427e", incident.IndicatorSuspected, "", 1),
		mk(incident.IOCSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", incident.IndicatorSuspected, "", 1),
		mk(incident.IOCSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", incident.IndicatorMalicious, "TLP:AMBER+STRICT", 3),
		mk(incident.IOCCVE, "CVE-2024-3400", incident.IndicatorSuspected, "", 1),
		mk(incident.IOCPath, `C:\Users\Public\svch0st.exe`, incident.IndicatorSuspected, "", 1),
		mk(incident.IOCPath, "/tmp/.x/run.sh", incident.IndicatorSuspected, "", 1),
		mk(incident.IOCDomain, "cdn.example.net", incident.IndicatorFalsePositive, "", 1),
		mk(incident.IOCDomain, "=cmd|' /C calc'!A0.example.org", incident.IndicatorSuspected, "", 1), // a formula, should a spreadsheet open the file
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestIndicatorsCSV(t *testing.T) {
	got := exports.IndicatorsCSV("INC-7", sample())
	golden(t, "indicators.csv", got)
	rows, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(sample())+1 {
		t.Fatalf("%d rows, want a header and one per indicator", len(rows))
	}
	for _, r := range rows {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q would be read as a formula", cell)
			}
		}
	}
}

func TestCustodyCSV(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	e, _, err := incident.NewEvidence(7, 1, t0, "UALICE", "laptop-image", hash, "locker 3", "seized")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Transfer(t0.Add(time.Hour), incident.Actor{ID: "UALICE"}, "UBOB", "courier", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Verify(t0.Add(2*time.Hour), incident.Actor{ID: "UBOB"}, strings.Repeat("cd", 32), nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "custody.csv", exports.CustodyCSV(&incident.Incident{Number: 7}, []incident.Evidence{e}, nil, incident.RedText{}))
}

func objects(t *testing.T, doc []byte) []map[string]any {
	t.Helper()
	if problems := stixcheck.Check(doc); len(problems) > 0 {
		t.Fatalf("the bundle is not valid STIX 2.1:\n%s", strings.Join(problems, "\n"))
	}
	var bundle struct{ Objects []map[string]any }
	if err := json.Unmarshal(doc, &bundle); err != nil {
		t.Fatal(err)
	}
	return bundle.Objects
}

func TestSTIXBundle(t *testing.T) {
	doc, err := exports.STIXBundle("INC-7", sample())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "indicators.stix.json", doc)
	objects := objects(t, doc)
	if len(objects) != len(sample())-1 {
		t.Fatalf("%d objects, want one per indicator but the false positive", len(objects))
	}
	var patterns []string
	for _, o := range objects {
		if p, ok := o["pattern"].(string); ok {
			patterns = append(patterns, p)
		}
	}
	for _, want := range []string{
		"[ipv4-addr:value = '203.0.113.7']",
		`[url:value = 'https://login-example.com/vpn?u=\'x\'']`,
		"[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
		`[file:name = 'svch0st.exe' AND file:parent_directory_ref.path = 'C:\\Users\\Public']`,
		"[file:name = 'run.sh' AND file:parent_directory_ref.path = '/tmp/.x']",
	} {
		if !slices.Contains(patterns, want) {
			t.Errorf("no pattern %s in %v", want, patterns)
		}
	}
	again, _ := exports.STIXBundle("INC-7", sample())
	if !bytes.Equal(doc, again) {
		t.Error("the same indicators exported twice give different ids")
	}
}

func TestCheckFindsFaults(t *testing.T) {
	bad := []byte(`{"type":"bundle","id":"bundle--x","objects":[{"type":"indicator","spec_version":"2.0","id":"indicator--1","created":"yesterday","modified":"yesterday","pattern":"ipv4 = 1.2.3.4","pattern_type":"stix","valid_from":"now","indicator_types":["evil"]}]}`)
	problems := stixcheck.Check(bad)
	for _, want := range []string{"bundle id", "is not indicator--<UUID>", "spec_version 2.0", "created \"yesterday\"", "pattern \"ipv4", "valid_from", "indicator type evil"} {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("no fault %q found in:\n%s", want, strings.Join(problems, "\n"))
		}
	}
}
