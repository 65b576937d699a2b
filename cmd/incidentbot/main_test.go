package main

import (
	"flag"
	"os"
	"testing"
)

// waitingTests is how many parallel tests run at once unless -parallel
// says otherwise. The end-to-end tests here spend most of their time
// waiting on the fake Slack and the scheduler, not on the CPU, so more of
// them than there are cores (go test's default) keeps a 2-core machine busy.
const waitingTests = "4"

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", waitingTests)
	}
	os.Exit(m.Run())
}
