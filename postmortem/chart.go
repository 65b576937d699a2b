package postmortem

import (
	"bytes"
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/incidentbot/incidentbot/incident"
)

// Chart sizes, for the golden test.
const (
	ChartWidth  = 10 * vg.Inch
	ChartHeight = 4 * vg.Inch
	ChartDPI    = 96
)

var phaseColors = map[incident.Phase]color.RGBA{
	incident.Identification: {R: 0x4c, G: 0x72, B: 0xb0, A: 0xff},
	incident.Containment:    {R: 0xdd, G: 0x84, B: 0x52, A: 0xff},
	incident.Eradication:    {R: 0xc4, G: 0x4e, B: 0x52, A: 0xff},
	incident.Recovery:       {R: 0x55, G: 0xa8, B: 0x68, A: 0xff},
	incident.Lessons:        {R: 0x81, G: 0x72, B: 0xb2, A: 0xff},
}

// Chart draws the phases on a time axis, one Gantt bar per phase row, with
// markers for severity changes and status updates, as a PNG.
func Chart(in Input) ([]byte, error) {
	p := plot.New()
	p.Title.Text = in.Incident.Ref() + ": phases over time"
	p.X.Label.Text = "time (UTC)"
	span := in.Published.Sub(in.Incident.DeclaredAt)
	if r := in.Incident.ResolvedAt; !r.IsZero() {
		span = r.Sub(in.Incident.DeclaredAt)
	}
	p.X.Tick.Marker = timeTicks(span)
	p.X.Padding = vg.Points(10)
	// Rows from the bottom: the markers, then the phases, identification at the top.
	phases := incident.Phases()
	names := []string{"updates, severity"}
	row := map[incident.Phase]float64{}
	for i := len(phases) - 1; i >= 0; i-- {
		row[phases[i]] = float64(len(names))
		names = append(names, phases[i].Title())
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(names))-0.4

	// The response, from declaration to resolution; the retro after it would dwarf it.
	end := in.Published
	if r := in.Incident.ResolvedAt; !r.IsZero() {
		end = r
	}
	for _, iv := range in.Intervals(end) {
		end := iv.End
		if !end.After(iv.Start) {
			end = iv.Start.Add(time.Second)
		}
		bar, err := plotter.NewLine(plotter.XYs{{X: unix(iv.Start), Y: row[iv.Phase]}, {X: unix(end), Y: row[iv.Phase]}})
		if err != nil {
			return nil, fmt.Errorf("chart bar: %w", err)
		}
		bar.LineStyle.Width = vg.Points(18)
		bar.LineStyle.Color = phaseColors[iv.Phase]
		p.Add(bar)
	}

	legend := plot.NewLegend()
	var sev, upd plotter.XYs
	for _, ev := range in.Timeline {
		switch ev.Kind {
		case incident.EventSeverity:
			sev = append(sev, plotter.XY{X: unix(ev.At), Y: 0})
		case incident.EventUpdate, incident.EventScheduled:
			upd = append(upd, plotter.XY{X: unix(ev.At), Y: 0})
		}
	}
	for _, m := range []struct {
		pts   plotter.XYs
		label string
		shape draw.GlyphDrawer
		color color.RGBA
	}{
		{sev, "severity change", draw.TriangleGlyph{}, color.RGBA{R: 0xb0, A: 0xff}},
		{upd, "status update", draw.CircleGlyph{}, color.RGBA{R: 0x33, G: 0x33, B: 0x33, A: 0xff}},
	} {
		if len(m.pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(m.pts)
		if err != nil {
			return nil, fmt.Errorf("chart markers: %w", err)
		}
		sc.GlyphStyle.Shape, sc.GlyphStyle.Color, sc.GlyphStyle.Radius = m.shape, m.color, vg.Points(5)
		p.Add(sc)
		legend.Add(m.label, sc)
	}
	p.Add(plotter.NewGrid())

	// The legend goes in a margin of its own, right of the plot, so it
	// never covers a bar or a marker.
	img := vgimg.NewWith(vgimg.UseWH(ChartWidth, ChartHeight), vgimg.UseDPI(ChartDPI))
	dc := draw.New(img)
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	legend.Top, legend.Left = true, true
	legend.Draw(draw.Crop(dc, ChartWidth-legendWidth+vg.Points(8), 0, 0, -vg.Points(30)))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}

// legendWidth is the margin the legend takes right of the plot.
const legendWidth = 1.7 * vg.Inch

// timeTicks labels the time axis at a round step that gives a handful of
// ticks over the incident's length, with the date only where it helps: a
// 20-minute incident gets 5-minute ticks, not three "01:17" ones.
func timeTicks(span time.Duration) plot.Ticker {
	steps := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	format := "15:04"
	switch {
	case step >= 24*time.Hour:
		format = "Jan 2"
	case span >= 12*time.Hour:
		format = "Jan 2\n15:04"
	}
	return roundTicks{step: step, format: format}
}

// roundTicks are ticks at multiples of step, in UTC.
type roundTicks struct {
	step   time.Duration
	format string
}

func (r roundTicks) Ticks(lo, hi float64) []plot.Tick {
	sec := int64(r.step / time.Second)
	var ticks []plot.Tick
	for t := (int64(lo)/sec + 1) * sec; float64(t) <= hi; t += sec {
		ticks = append(ticks, plot.Tick{Value: float64(t), Label: time.Unix(t, 0).UTC().Format(r.format)})
	}
	if len(ticks) == 0 { // shorter than a step: its two ends
		for _, v := range []float64{lo, hi} {
			ticks = append(ticks, plot.Tick{Value: v, Label: time.Unix(int64(v), 0).UTC().Format("15:04:05")})
		}
	}
	return ticks
}

func unix(t time.Time) float64 { return float64(t.Unix()) }
