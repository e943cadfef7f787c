package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Default plot size in points (1/72 inch).
const (
	DefaultWidth  = 480
	DefaultHeight = 320
)

// Frame holds what every plot shares: titles, size, axis scales and ranges, and reference lines.
type Frame struct {
	Title  string
	XLabel string
	YLabel string
	// Width and Height in points; 0 takes DefaultWidth and DefaultHeight (a bar plot widens itself to
	// fit its bars).
	Width, Height float64
	// LogX and LogY put an axis on a log scale; every value on it must then be positive.
	LogX, LogY bool
	// XMin..XMax and YMin..YMax fix an axis range when Max > Min; otherwise the data decide.
	XMin, XMax float64
	YMin, YMax float64
	// VLines and HLines draw dashed grey reference lines across the plot at these x and y values
	// (multiples of the array size, a latency budget).
	VLines, HLines []float64
}

// Series is one named curve: Y against X, with an optional ± YErr per point drawn as error bars.
type Series struct {
	Name string
	X, Y []float64
	YErr []float64
}

// LineSpec describes a line plot of several named series: training curves, α over epochs,
// utilization against channel count.
type LineSpec struct {
	Frame
	Series []Series
	// Marks draws a glyph at every point as well as the line.
	Marks bool
}

// textStyles returns every text style of a plot, so that they can be set alike.
func textStyles(p *plot.Plot) []*text.Style {
	return []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle}
}

// newPlot starts a plot with the frame's titles and scales. Text uses Liberation Sans, which renderers
// without it replace by a metric-compatible sans-serif (see fontFallback).
func newPlot(f *Frame) *plot.Plot {
	p := plot.New()
	for _, s := range textStyles(p) {
		s.Font.Variant = "Sans"
	}
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	p.X.Tick.Marker = plainTicks{}
	p.Y.Tick.Marker = plainTicks{}
	if f.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if f.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	return p
}

// plainTicks are gonum/plot's default ticks labelled without padding zeros ("75", not "75.00").
type plainTicks struct{}

// Ticks implements plot.Ticker.
func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 6, 64)
		}
	}
	return ticks
}

// finish adds the frame's reference lines and fixed ranges once the data are in.
func finish(p *plot.Plot, f *Frame) {
	if len(f.VLines) > 0 || len(f.HLines) > 0 {
		p.Add(&refLines{xs: f.VLines, ys: f.HLines})
	}
	if f.XMax > f.XMin {
		p.X.Min, p.X.Max = f.XMin, f.XMax
	}
	if f.YMax > f.YMin {
		p.Y.Min, p.Y.Max = f.YMin, f.YMax
	}
}

// checkFrame validates what a frame adds to a plot.
func checkFrame(f *Frame) error {
	if !(f.Width >= 0 && f.Height >= 0) || math.IsInf(f.Width, 0) || math.IsInf(f.Height, 0) {
		return fmt.Errorf("plot %q: size %g×%g: want finite, non-negative points", f.Title, f.Width, f.Height)
	}
	if err := checkValues("VLines", f.VLines, f.LogX); err != nil {
		return fmt.Errorf("plot %q: %w", f.Title, err)
	}
	if err := checkValues("HLines", f.HLines, f.LogY); err != nil {
		return fmt.Errorf("plot %q: %w", f.Title, err)
	}
	if f.LogX && f.XMax > f.XMin && f.XMin <= 0 || f.LogY && f.YMax > f.YMin && f.YMin <= 0 {
		return fmt.Errorf("plot %q: a log axis needs a positive fixed range", f.Title)
	}
	return nil
}

// checkValues reports the first NaN or infinite value, or the first non-positive one on a log axis.
func checkValues(field string, xs []float64, logScale bool) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("field %q: value %d is %g", field, i, x)
		}
		if logScale && x <= 0 {
			return fmt.Errorf("field %q: value %d is %g, want > 0 on a log axis", field, i, x)
		}
	}
	return nil
}

// render draws a finished plot into a standalone SVG document.
func render(p *plot.Plot, f *Frame, defW, defH float64) (svg []byte, err error) {
	w, h := f.Width, f.Height
	if w == 0 {
		w = defW
	}
	if h == 0 {
		h = defH
	}
	// gonum/plot panics on some degenerate inputs the checks above may not foresee (a log axis whose
	// error bars reach 0, say); a report must fail with an error instead.
	defer func() {
		if r := recover(); r != nil {
			svg, err = nil, fmt.Errorf("plot %q: %v", f.Title, r)
		}
	}()
	c := vgsvg.New(vg.Length(w), vg.Length(h))
	drawWithLegend(p, draw.Crop(draw.New(c), pad, -pad, pad, -pad))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("plot %q: %w", f.Title, err)
	}
	return fontFallback(b.Bytes()), nil
}

// pad is the blank margin around a plot, so tick labels at the edges are not cut off.
const pad = vg.Length(8)

// drawWithLegend draws the plot with its legend, if any, in a column to the right of the axes, where
// it never hides data (gonum/plot would draw it over the data area).
func drawWithLegend(p *plot.Plot, c draw.Canvas) {
	leg := p.Legend
	// Room for the legend as measured with Liberation Sans, plus 10% for a wider fallback font.
	width := 1.1 * leg.Rectangle(c).Size().X
	if width == 0 {
		p.Draw(c)
		return
	}
	p.Legend = plot.NewLegend() // no entries: the plot leaves the legend to us
	p.Draw(draw.Crop(c, 0, -(width + 2*pad), 0, 0))
	top := vg.Length(0)
	if p.Title.Text != "" {
		top = p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	}
	leg.Top, leg.Left = true, true
	leg.Draw(draw.Crop(c, c.Size().X-width, 0, 0, -top))
}

// fontFallback adds generic fallbacks to the font names vgsvg writes. The SVG does not embed fonts
// (that would add ~100 kB per plot); naming metric-compatible system fonts keeps the layout gonum/plot
// measured with Liberation fonts on machines that lack them.
func fontFallback(svg []byte) []byte {
	svg = bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	svg = bytes.ReplaceAll(svg, []byte("font-family:Liberation Serif;"),
		[]byte("font-family:'Liberation Serif','Times New Roman',Times,serif;"))
	return svg
}

// colorOf returns the i-th colour of the palette shared by every plot, so a method keeps its colour.
func colorOf(i int) color.Color { return plotutil.Color(i) }

// xyErr is a series as gonum/plot's plotters read it.
type xyErr struct {
	x, y, yerr []float64
}

func (s xyErr) Len() int                    { return len(s.x) }
func (s xyErr) XY(i int) (float64, float64) { return s.x[i], s.y[i] }
func (s xyErr) YError(i int) (float64, float64) {
	return s.yerr[i], s.yerr[i]
}

// checkSeries validates one series' lengths and values.
func checkSeries(name string, x, y, yerr []float64, f *Frame) error {
	if len(x) != len(y) {
		return fmt.Errorf("series %q: %d x values but %d y values", name, len(x), len(y))
	}
	if yerr != nil && len(yerr) != len(y) {
		return fmt.Errorf("series %q: %d error values for %d points", name, len(yerr), len(y))
	}
	if err := checkValues("X", x, f.LogX); err != nil {
		return fmt.Errorf("series %q: %w", name, err)
	}
	if err := checkValues("Y", y, f.LogY); err != nil {
		return fmt.Errorf("series %q: %w", name, err)
	}
	if err := checkValues("YErr", yerr, false); err != nil {
		return fmt.Errorf("series %q: %w", name, err)
	}
	for i := range yerr {
		if f.LogY && y[i]-yerr[i] <= 0 {
			return fmt.Errorf("series %q: field %q: error bar %d reaches %g, want > 0 on a log axis", name, "YErr", i, y[i]-yerr[i])
		}
	}
	return nil
}

// LinePlot draws the series as lines, one colour and dash pattern each, with a legend when any series
// is named, and returns the SVG document.
func LinePlot(s LineSpec) ([]byte, error) {
	if err := checkFrame(&s.Frame); err != nil {
		return nil, err
	}
	if len(s.Series) == 0 {
		return nil, fmt.Errorf("line plot %q: no series", s.Title)
	}
	p := newPlot(&s.Frame)
	for i, ser := range s.Series {
		if err := checkSeries(ser.Name, ser.X, ser.Y, ser.YErr, &s.Frame); err != nil {
			return nil, fmt.Errorf("line plot %q: %w", s.Title, err)
		}
		data := xyErr{x: ser.X, y: ser.Y, yerr: ser.YErr}
		line, err := plotter.NewLine(data)
		if err != nil {
			return nil, fmt.Errorf("line plot %q: series %q: %w", s.Title, ser.Name, err)
		}
		line.Color = colorOf(i)
		line.Width = vg.Points(1.5)
		line.Dashes = plotutil.Dashes(i / 7) // solid for the first palette round, dashed after
		p.Add(line)
		thumbs := []plot.Thumbnailer{line}
		if s.Marks {
			sc, err := plotter.NewScatter(data)
			if err != nil {
				return nil, fmt.Errorf("line plot %q: series %q: %w", s.Title, ser.Name, err)
			}
			sc.Color = colorOf(i)
			sc.Shape = plotutil.Shape(i)
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if ser.YErr != nil {
			eb, err := plotter.NewYErrorBars(data)
			if err != nil {
				return nil, fmt.Errorf("line plot %q: series %q: %w", s.Title, ser.Name, err)
			}
			eb.Color = colorOf(i)
			p.Add(eb)
		}
		if ser.Name != "" {
			p.Legend.Add(ser.Name, thumbs...)
		}
	}
	finish(p, &s.Frame)
	return render(p, &s.Frame, DefaultWidth, DefaultHeight)
}

// refLines draws dashed grey lines across the whole plot area at fixed x and y values.
type refLines struct {
	xs, ys []float64
}

var refStyle = draw.LineStyle{
	Color:  color.Gray{Y: 110},
	Width:  vg.Points(0.8),
	Dashes: []vg.Length{vg.Points(4), vg.Points(3)},
}

// Plot implements plot.Plotter.
func (r *refLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, x := range r.xs {
		c.StrokeLine2(refStyle, trX(x), c.Min.Y, trX(x), c.Max.Y)
	}
	for _, y := range r.ys {
		c.StrokeLine2(refStyle, c.Min.X, trY(y), c.Max.X, trY(y))
	}
}

// DataRange implements plot.DataRanger: the lines widen the axis they cross, so they stay visible, and
// leave the other axis alone (an empty range of +Inf..−Inf).
func (r *refLines) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, x := range r.xs {
		xmin, xmax = min(xmin, x), max(xmax, x)
	}
	for _, y := range r.ys {
		ymin, ymax = min(ymin, y), max(ymax, y)
	}
	return xmin, xmax, ymin, ymax
}

// errNoData is returned by plots given nothing to draw.
var errNoData = errors.New("nothing to plot")
