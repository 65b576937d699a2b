package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// A short run of the load tool against the real binary prints every figure.
func TestLoadToolPrintsItsFigures(t *testing.T) {
	bin := buildBot(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-bot", bin, "-rate", "20", "-duration", "2s", "-incidents", "2", "-open", "50"}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		`bot ready \S+ after start, with 50 open incidents stored; RSS [0-9.]+ MB`,
		`/metrics with 50 open: \S+`,
		`a note: [0-9.]+ Redis commands \(.*xadd 1\.0.*\)`,
		`Redis memory of an incident with 100 notes: [0-9.]+ KB`,
		`open loop: \d+ commands at 20/s for 2s \(status, note, list\); 0 failed, 0 acknowledged after 3 s`,
		`acknowledgement: p50 \S+  p90 \S+  p99 \S+  max \S+`,
		`bot CPU: [0-9.]+ ms a command; Redis: [0-9.]+ commands a command`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("no line like %q in:\n%s", want, out.String())
		}
	}
}

// The scheduled-update measure, small and quick.
func TestLoadToolMeasuresScheduledUpdates(t *testing.T) {
	bin := buildBot(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-bot", bin, "-updates", "4", "-every", "2s"}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		`scheduled updates: 8 of 8 sent in 4 incident channels, the last \S+ after the first was due`,
		`stakeholder channel: \d+ messages telling of 8 updates`,
		`Slack's pace: 0 posts answered 429; shortest gap between two posts in one channel \d+(\.\d+)?s`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("no line like %q in:\n%s", want, out.String())
		}
	}
}

// buildBot builds the binary the tool measures, once redis-server is there.
func buildBot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed, and CI requires it")
		}
		t.Skip("the load tool needs redis-server (apt-get install -y redis-server)")
	}
	bin := filepath.Join(t.TempDir(), "incidentbot")
	if out, err := exec.Command("go", "build", "-o", bin, "../incidentbot").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
