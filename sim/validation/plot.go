package validation

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/sim"
)

// Curve is one line of the utilization plot: utilization (a fraction) against channels.
type Curve struct {
	Name string    `json:"name"`
	X    []float64 `json:"channels"`
	Y    []float64 `json:"utilization"`
}

// Curves sweeps GridConv(kernel, c, spatial) over channels c = from…to at batch 1 on a rows×cols
// version of base and returns its utilization by the exact model and the simulator settings (at every
// integer c) and by the paper's and the tight smooth ceilings (at steps of 1/8 channel, which shows
// how they round between integers).
func Curves(base *accel.Accelerator, rows, cols, kernel, spatial, from, to int, sims []sim.Options) ([]Curve, error) {
	if from <= 0 || to < from || kernel <= 0 || spatial <= 0 {
		return nil, fmt.Errorf("utilization curves: want 0 < from ≤ to and positive kernel and size, got %d..%d, k %d, size %d", from, to, kernel, spatial)
	}
	a := *base
	a.Rows, a.Cols, a.Batch = rows, cols, 1
	exact := Curve{Name: "exact (systolic)"}
	simulated := make([]Curve, len(sims))
	for i, so := range sims {
		simulated[i].Name = "simulated (" + SimName(so) + ")"
	}
	for c := from; c <= to; c++ {
		layers := []accel.Layer{GridConv(kernel, c, spatial)}
		r, err := cost.Systolic().Estimate(&a, layers)
		if err != nil {
			return nil, err
		}
		exact.X, exact.Y = append(exact.X, float64(c)), append(exact.Y, r.Total.Utilization)
		for i, so := range sims {
			r, err := cost.NewSimulator(so).Estimate(&a, layers)
			if err != nil {
				return nil, err
			}
			simulated[i].X, simulated[i].Y = append(simulated[i].X, float64(c)), append(simulated[i].Y, r.Total.Utilization)
		}
	}
	curves := []Curve{exact}
	for _, ceil := range []cost.Ceiling{cost.PaperCeil, cost.TightCeil} {
		s := Curve{Name: "smooth (" + string(ceil) + " ceiling)"}
		for x := float64(from); x <= float64(to); x += 0.125 {
			m := float64(spatial * spatial)
			d := cost.Dims[float64]{M: m, K: float64(kernel*kernel) * x, N: x, Count: 1}
			cycles := cost.Cycles(cost.Float{}, cost.KindSystolic, ceil, &a, d)
			s.X = append(s.X, x)
			s.Y = append(s.Y, cost.MACs(cost.Float{}, d)/(cycles*float64(a.AllPEs())))
		}
		curves = append(curves, s)
	}
	return append(curves, simulated...), nil
}

// WriteSVG draws the curves (utilization in percent against channels) as an SVG document.
func WriteSVG(w io.Writer, title string, curves []Curve) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "channels (in = out)"
	p.Y.Label.Text = "utilization (%)"
	p.Y.Min = 0
	p.Y.Max = 140 // headroom above 100% for the legend
	p.Legend.Top = true
	colors := []color.RGBA{{0, 0, 0, 255}, {31, 119, 180, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {255, 127, 14, 255}, {148, 103, 189, 255}}
	for i, c := range curves {
		xy := make(plotter.XYs, len(c.X))
		for j := range c.X {
			xy[j].X, xy[j].Y = c.X[j], 100*c.Y[j]
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("curve %q: %w", c.Name, err)
		}
		line.Color = colors[i%len(colors)]
		line.Width = vg.Points(1)
		if i >= 3 {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(line)
		p.Legend.Add(c.Name, line)
	}
	wt, err := p.WriterTo(9*vg.Inch, 5*vg.Inch, "svg")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}
