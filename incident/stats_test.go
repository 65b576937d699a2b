package incident

import (
	"testing"
	"time"
)

func TestSpread(t *testing.T) {
	m := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Minute
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		in          []time.Duration
		median, p90 time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", m(7), 7 * time.Minute, 7 * time.Minute},
		{"odd, unsorted", m(30, 10, 20), 20 * time.Minute, 30 * time.Minute},
		{"even: the mean of the middle two", m(10, 20, 30, 40), 25 * time.Minute, 40 * time.Minute},
		{"ten: the ninth is the 90th percentile", m(1, 2, 3, 4, 5, 6, 7, 8, 9, 100), 5*time.Minute + 30*time.Second, 9 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := spread(tc.in)
			if got.N != len(tc.in) || got.Median != tc.median || got.P90 != tc.p90 {
				t.Errorf("spread = %+v; want median %s, p90 %s", got, tc.median, tc.p90)
			}
		})
	}
}

func TestSummarizeBySeverity(t *testing.T) {
	h := time.Hour
	samples := []Sample{
		{Severity: "sev1", Report: true, Figures: Figures{ToAcknowledge: 5 * time.Minute, ToDeclare: 10 * time.Minute, ToContain: h, ToRecover: 4 * h}},
		{Severity: "sev1", Figures: Figures{ToContain: 3 * h}}, // no report, still open
		{Severity: "sev3", Figures: Figures{ToRecover: 2 * h}},
	}
	got := Summarize(samples, []string{"sev1", "sev2", "sev3"})
	if len(got) != 2 || got[0].Severity != "sev1" || got[1].Severity != "sev3" {
		t.Fatalf("severities %+v", got)
	}
	s1 := got[0]
	if s1.Incidents != 2 || s1.ToAcknowledge.N != 1 || s1.ToContain != (Spread{N: 2, Median: 2 * h, P90: 3 * h}) || s1.ToRecover != (Spread{N: 1, Median: 4 * h, P90: 4 * h}) {
		t.Errorf("sev1 %+v", s1)
	}
}

// BenchmarkSummarize is /incident stats' arithmetic over a year of a busy
// team: 2,000 incidents over four severities.
func BenchmarkSummarize(b *testing.B) {
	sevs := []string{"sev1", "sev2", "sev3", "sev4"}
	samples := make([]Sample, 2000)
	for i := range samples {
		d := time.Duration(i%97+1) * time.Minute
		samples[i] = Sample{Severity: sevs[i%4], Report: i%3 == 0, Figures: Figures{ToAcknowledge: d, ToDeclare: 2 * d, ToContain: 3 * d, ToRecover: 10 * d}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(Summarize(samples, sevs)) != 4 {
			b.Fatal("severities")
		}
	}
}
