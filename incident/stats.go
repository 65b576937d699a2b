package incident

import (
	"slices"
	"time"
)

// Figures are an incident's headline durations.
type Figures struct {
	ToAcknowledge time.Duration // from the report to the first person on it; 0 when there was no report
	ToDeclare     time.Duration // from the report to the declaration; 0 when there was no report
	ToContain     time.Duration // from the declaration to containment done; 0 when it never was
	ToRecover     time.Duration // from the declaration to the close; 0 while open
	Total         time.Duration // from the declaration to end
}

// HeadlineFigures works an incident's figures out from its timeline, up to end.
func HeadlineFigures(inc *Incident, events []TimelineEvent, end time.Time) Figures {
	f := Figures{Total: end.Sub(inc.DeclaredAt)}
	if r := inc.Report; r != nil {
		f.ToDeclare = inc.DeclaredAt.Sub(r.ReportedAt)
		f.ToAcknowledge = r.AcknowledgedAt.Sub(r.ReportedAt)
	}
	if !inc.ResolvedAt.IsZero() {
		f.ToRecover = inc.ResolvedAt.Sub(inc.DeclaredAt)
	}
	// Containment is done when the incident first moves on from it to a later phase.
	inContainment := false
	for _, ev := range events {
		if ev.Kind != EventPhase {
			continue
		}
		if inContainment && Containment.Before(ev.Phase) {
			f.ToContain = ev.At.Sub(inc.DeclaredAt)
			break
		}
		inContainment = ev.Phase == Containment
	}
	return f
}

// Sample is one incident's figures, for the statistics across incidents.
type Sample struct {
	Severity string
	Report   bool // declared from a report: it has times to acknowledge and declare
	Figures  Figures
}

// Spread is a figure across incidents: how many had it, its median and
// its 90th percentile (nearest rank).
type Spread struct {
	N           int
	Median, P90 time.Duration
}

// SeverityStats are the figures of one severity's incidents.
type SeverityStats struct {
	Severity                                       string
	Incidents                                      int
	ToAcknowledge, ToDeclare, ToContain, ToRecover Spread
}

// Summarize gives the statistics of each severity that has incidents, in
// the order given (most severe first).
func Summarize(samples []Sample, severities []string) []SeverityStats {
	var out []SeverityStats
	for _, sev := range severities {
		var ack, decl, cont, rec []time.Duration
		n := 0
		for _, s := range samples {
			if s.Severity != sev {
				continue
			}
			n++
			if s.Report {
				ack, decl = append(ack, s.Figures.ToAcknowledge), append(decl, s.Figures.ToDeclare)
			}
			if s.Figures.ToContain > 0 {
				cont = append(cont, s.Figures.ToContain)
			}
			if s.Figures.ToRecover > 0 {
				rec = append(rec, s.Figures.ToRecover)
			}
		}
		if n > 0 {
			out = append(out, SeverityStats{Severity: sev, Incidents: n, ToAcknowledge: spread(ack), ToDeclare: spread(decl), ToContain: spread(cont), ToRecover: spread(rec)})
		}
	}
	return out
}

// spread is the median (the mean of the middle two for an even count) and
// the nearest-rank 90th percentile.
func spread(ds []time.Duration) Spread {
	if len(ds) == 0 {
		return Spread{}
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	n := len(ds)
	median := ds[n/2]
	if n%2 == 0 {
		median = (ds[n/2-1] + ds[n/2]) / 2
	}
	rank := (9*n + 9) / 10 // ceil(0.9 n)
	return Spread{N: n, Median: median, P90: ds[rank-1]}
}
