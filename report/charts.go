package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BarPart is one layer of a bar stack: a name for the legend and one value per bar.
type BarPart struct {
	Name   string
	Values []float64
}

// BarSpec describes a bar plot with one bar per label (per-layer utilization, say). With several
// parts the bars are stacked, bottom part first (a PE-cycle breakdown: active, weight_stall, ...).
type BarSpec struct {
	Frame
	Labels []string
	Parts  []BarPart
	// MaxLabel shortens longer labels to this many characters, keeping head and tail around an ellipsis
	// ("layer4.1…conv2"); 0 means 16.
	MaxLabel int
}

// abbreviate shortens s to at most n runes, keeping its start and end, which tell layers apart best.
func abbreviate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 3 {
		return s
	}
	tail := (n - 1) / 2
	head := n - 1 - tail
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// BarPlot draws the bars (stacked when there are several parts, with a legend naming them) with the
// labels under them, rotated when there are many, and returns the SVG document. Unless the frame fixes a width, the plot widens by
// 11 points per bar beyond 36 bars so that every label stays legible.
func BarPlot(s BarSpec) ([]byte, error) {
	if err := checkFrame(&s.Frame); err != nil {
		return nil, err
	}
	n := len(s.Labels)
	if n == 0 || len(s.Parts) == 0 {
		return nil, fmt.Errorf("bar plot %q: %w", s.Title, errNoData)
	}
	for _, part := range s.Parts {
		if len(part.Values) != n {
			return nil, fmt.Errorf("bar plot %q: part %q: %d values for %d labels", s.Title, part.Name, len(part.Values), n)
		}
		if err := checkValues("Values", part.Values, s.LogY); err != nil {
			return nil, fmt.Errorf("bar plot %q: part %q: %w", s.Title, part.Name, err)
		}
	}
	width := s.Width
	if width == 0 {
		width = max(DefaultWidth, 80+11*float64(n))
	}
	maxLabel := s.MaxLabel
	if maxLabel == 0 {
		maxLabel = 16
	}
	p := newPlot(&s.Frame)
	// Bars fill 80% of their slot; the plot area is the width less room for the Y axis and a margin.
	barWidth := vg.Length(0.8 * (width - 70) / float64(n))
	var below *plotter.BarChart
	for i, part := range s.Parts {
		bars, err := plotter.NewBarChart(plotter.Values(part.Values), barWidth)
		if err != nil {
			return nil, fmt.Errorf("bar plot %q: part %q: %w", s.Title, part.Name, err)
		}
		bars.Color = colorOf(i)
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		if part.Name != "" && len(s.Parts) > 1 {
			p.Legend.Add(part.Name, bars)
		}
	}
	labels := make([]string, n)
	for i, l := range s.Labels {
		labels[i] = abbreviate(l, maxLabel)
	}
	p.NominalX(labels...)
	if n > 8 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		p.X.Tick.Label.Font.Size = vg.Points(8)
	}
	finish(p, &s.Frame)
	f := s.Frame
	f.Width = width
	return render(p, &f, width, DefaultHeight)
}

// ScatterGroup is one method's points in the accuracy–runtime plane, with optional ± errors per point
// (std over seeds) and an optional Pareto staircase through its front.
type ScatterGroup struct {
	Name   string
	Points []Point
	// RuntimeErr and AccuracyErr, when set, hold one ± error per point.
	RuntimeErr, AccuracyErr []float64
	// Front draws the group's Pareto front (ParetoFront) as a staircase: from each front point
	// across at its accuracy to the next point's runtime, then up.
	Front bool
}

// ScatterSpec describes an accuracy (y) against runtime (x) scatter plot of several methods. Empty axis
// labels default to "runtime (ms)" and "accuracy (%)".
type ScatterSpec struct {
	Frame
	Groups []ScatterGroup
	// ShowLabels writes each point's Label beside it.
	ShowLabels bool
}

// scatterXY is a group's points as gonum/plot reads them, with optional errors on both axes.
type scatterXY struct {
	pts        []Point
	xerr, yerr []float64
}

func (s scatterXY) Len() int                    { return len(s.pts) }
func (s scatterXY) XY(i int) (float64, float64) { return s.pts[i].Runtime, s.pts[i].Accuracy }
func (s scatterXY) XError(i int) (float64, float64) {
	return s.xerr[i], s.xerr[i]
}
func (s scatterXY) YError(i int) (float64, float64) {
	return s.yerr[i], s.yerr[i]
}

// staircase returns the polyline of a front sorted by runtime: each point, then a corner at the next
// point's runtime and this point's accuracy.
func staircase(front []Point) plotter.XYs {
	var xy plotter.XYs
	for i, p := range front {
		if i > 0 {
			xy = append(xy, plotter.XY{X: p.Runtime, Y: front[i-1].Accuracy})
		}
		xy = append(xy, plotter.XY{X: p.Runtime, Y: p.Accuracy})
	}
	return xy
}

// ScatterPlot draws each group's points in its own colour and glyph, with error bars and Pareto
// staircases where asked, and returns the SVG document.
func ScatterPlot(s ScatterSpec) ([]byte, error) {
	if s.XLabel == "" {
		s.XLabel = "runtime (ms)"
	}
	if s.YLabel == "" {
		s.YLabel = "accuracy (%)"
	}
	if err := checkFrame(&s.Frame); err != nil {
		return nil, err
	}
	if len(s.Groups) == 0 {
		return nil, fmt.Errorf("scatter plot %q: %w", s.Title, errNoData)
	}
	p := newPlot(&s.Frame)
	for i, g := range s.Groups {
		x := make([]float64, len(g.Points))
		y := make([]float64, len(g.Points))
		for j, pt := range g.Points {
			x[j], y[j] = pt.Runtime, pt.Accuracy
		}
		if err := checkSeries(g.Name, x, y, g.AccuracyErr, &s.Frame); err != nil {
			return nil, fmt.Errorf("scatter plot %q: %w", s.Title, err)
		}
		if g.RuntimeErr != nil && len(g.RuntimeErr) != len(g.Points) {
			return nil, fmt.Errorf("scatter plot %q: group %q: %d runtime errors for %d points", s.Title, g.Name, len(g.RuntimeErr), len(g.Points))
		}
		if err := checkValues("RuntimeErr", g.RuntimeErr, false); err != nil {
			return nil, fmt.Errorf("scatter plot %q: group %q: %w", s.Title, g.Name, err)
		}
		if len(g.Points) == 0 {
			continue
		}
		data := scatterXY{pts: g.Points, xerr: g.RuntimeErr, yerr: g.AccuracyErr}
		sc, err := plotter.NewScatter(data)
		if err != nil {
			return nil, fmt.Errorf("scatter plot %q: group %q: %w", s.Title, g.Name, err)
		}
		sc.Color = colorOf(i)
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(3.5)
		p.Add(sc)
		thumbs := []plot.Thumbnailer{sc}
		if g.Front {
			line, err := plotter.NewLine(staircase(ParetoFront(g.Points)))
			if err != nil {
				return nil, fmt.Errorf("scatter plot %q: group %q: front: %w", s.Title, g.Name, err)
			}
			line.Color = colorOf(i)
			line.Width = vg.Points(1.2)
			p.Add(line)
			thumbs = append(thumbs, line)
		}
		if g.AccuracyErr != nil {
			eb, err := plotter.NewYErrorBars(data)
			if err != nil {
				return nil, fmt.Errorf("scatter plot %q: group %q: %w", s.Title, g.Name, err)
			}
			eb.Color = colorOf(i)
			p.Add(eb)
		}
		if g.RuntimeErr != nil {
			eb, err := plotter.NewXErrorBars(data)
			if err != nil {
				return nil, fmt.Errorf("scatter plot %q: group %q: %w", s.Title, g.Name, err)
			}
			eb.Color = colorOf(i)
			p.Add(eb)
		}
		if s.ShowLabels {
			names := make([]string, len(g.Points))
			for j, pt := range g.Points {
				names[j] = pt.Label
			}
			xys, err := plotter.CopyXYs(data)
			if err != nil {
				return nil, fmt.Errorf("scatter plot %q: group %q: %w", s.Title, g.Name, err)
			}
			labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: names})
			if err != nil {
				return nil, fmt.Errorf("scatter plot %q: group %q: %w", s.Title, g.Name, err)
			}
			for k := range labels.TextStyle {
				labels.TextStyle[k].Font.Variant = "Sans"
				labels.TextStyle[k].Font.Size = vg.Points(8)
				labels.TextStyle[k].Color = colorOf(i)
			}
			labels.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(2)}
			p.Add(labels)
		}
		if g.Name != "" {
			p.Legend.Add(g.Name, thumbs...)
		}
	}
	finish(p, &s.Frame)
	return render(p, &s.Frame, DefaultWidth, DefaultHeight)
}

// HistGroup is one method's values (channel widths of its searched layers, say).
type HistGroup struct {
	Name   string
	Values []float64
}

// HistSpec describes a histogram of several groups drawn side by side in shared bins. Bins are centred
// on multiples of BinWidth (0 means 1, one bin per integer): the bin of v is round(v/BinWidth), so with
// BinWidth 8 the widths 120 and 124 count as 120 and 128. An empty YLabel defaults to "count".
// Frame.VLines mark reference values such as multiples of the array size.
type HistSpec struct {
	Frame
	Groups   []HistGroup
	BinWidth float64
}

// Histogram counts each group's values into the shared bins and draws, per bin, one bar per group side
// by side, and returns the SVG document.
func Histogram(s HistSpec) ([]byte, error) {
	if s.YLabel == "" {
		s.YLabel = "count"
	}
	if err := checkFrame(&s.Frame); err != nil {
		return nil, err
	}
	w := s.BinWidth
	if w == 0 {
		w = 1
	}
	if !(w > 0) || math.IsInf(w, 0) {
		return nil, fmt.Errorf("histogram %q: field %q: want a positive width, got %g", s.Title, "BinWidth", s.BinWidth)
	}
	if len(s.Groups) == 0 {
		return nil, fmt.Errorf("histogram %q: %w", s.Title, errNoData)
	}
	p := newPlot(&s.Frame)
	g := float64(len(s.Groups))
	for i, grp := range s.Groups {
		if err := checkValues("Values", grp.Values, s.LogX); err != nil {
			return nil, fmt.Errorf("histogram %q: group %q: %w", s.Title, grp.Name, err)
		}
		centres, counts := histogramBins(grp.Values, w)
		h := &plotter.Histogram{
			FillColor: colorOf(i),
			LineStyle: draw.LineStyle{Color: color.Black, Width: vg.Points(0.3)},
			Width:     w / g,
			LogY:      s.LogY,
		}
		for k, c := range centres {
			lo := c - w/2 + float64(i)*w/g
			h.Bins = append(h.Bins, plotter.HistogramBin{Min: lo, Max: lo + w/g, Weight: counts[k]})
		}
		if len(h.Bins) == 0 {
			continue
		}
		p.Add(h)
		if grp.Name != "" {
			p.Legend.Add(grp.Name, h)
		}
	}
	finish(p, &s.Frame)
	return render(p, &s.Frame, DefaultWidth, DefaultHeight)
}

// histogramBins counts values into bins of width w centred on multiples of w and returns the occupied
// bins' centres in increasing order with their counts.
func histogramBins(values []float64, w float64) (centres, counts []float64) {
	byBin := map[float64]float64{}
	for _, v := range values {
		byBin[math.Round(v/w)]++
	}
	keys := make([]float64, 0, len(byBin))
	for k := range byBin {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		centres = append(centres, k*w)
		counts = append(counts, byBin[k])
	}
	return centres, counts
}
