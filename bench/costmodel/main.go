// Command costmodel computes the figures of docs/COSTMODEL.md: each smooth ceiling's error against ⌈x⌉
// over 0 < x ≤ 8, the output-channel counts where exact and smooth utilization peak, and an SVG of
// utilization against output channels. Run from the repository root:
//
//	go run ./bench/costmodel -svg docs/costmodel-utilization.svg
package main

import (
	"flag"
	"fmt"
	"image/color"
	"log"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/cost"
)

var ceilings = []cost.Ceiling{cost.ExactCeil, cost.PaperCeil, cost.TightCeil}

func main() {
	svg := flag.String("svg", "docs/costmodel-utilization.svg", "where to write the utilization plot")
	flag.Parse()

	fmt.Println("| ceiling | max abs error | mean abs error | max under-estimate | max over-estimate | error at integers | value at 9/128 |")
	fmt.Println("|---|---|---|---|---|---|---|")
	const steps = 800000
	for _, c := range ceilings[1:] {
		var maxAbs, sum, under, over, atInt float64
		for i := 1; i <= steps; i++ {
			x := 8 * float64(i) / steps
			e := cost.Ceil(cost.Float{}, c, x) - math.Ceil(x)
			maxAbs = math.Max(maxAbs, math.Abs(e))
			sum += math.Abs(e)
			under = math.Max(under, -e)
			over = math.Max(over, e)
			if x == math.Floor(x) {
				atInt = math.Max(atInt, math.Abs(e))
			}
		}
		fmt.Printf("| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", c, maxAbs, sum/steps, under, over, atInt,
			cost.Ceil(cost.Float{}, c, 9.0/128))
	}

	// Utilization of a 3×3 conv, 128 input channels, 16×16 output, batch 1, on 128×128, against f.
	a := accel.Default()
	util := func(c cost.Ceiling, f float64) float64 {
		d := cost.Dims[float64]{M: 256, K: 1152, N: f, Count: 1}
		return cost.MACs(cost.Float{}, d) / (cost.Cycles(cost.Float{}, cost.KindSystolic, c, a, d) * float64(a.AllPEs()))
	}
	fmt.Println("\n| ceiling | local maxima of utilization over integer f in 1…600 | utilization at f = 128, 136, 144, 256, 264 |")
	fmt.Println("|---|---|---|")
	for _, c := range ceilings {
		var peaks []int
		for f := 2; f < 600; f++ {
			u := util(c, float64(f))
			if u > util(c, float64(f-1)) && u >= util(c, float64(f+1)) {
				peaks = append(peaks, f)
			}
		}
		fmt.Printf("| %s | %v | %.3f, %.3f, %.3f, %.3f, %.3f |\n", c, peaks,
			util(c, 128), util(c, 136), util(c, 144), util(c, 256), util(c, 264))
	}

	p := plot.New()
	p.Title.Text = "3×3 conv, 128 in-channels, 16×16 output, on a 128×128 array"
	p.X.Label.Text = "output channels f"
	p.Y.Label.Text = "utilization"
	p.Legend.Top = true
	colors := []color.Color{color.Black, color.RGBA{R: 220, G: 60, B: 40, A: 255}, color.RGBA{R: 30, G: 100, B: 220, A: 255}}
	for i, c := range ceilings {
		var pts plotter.XYs
		for f := 16.0; f <= 520; f++ {
			pts = append(pts, plotter.XY{X: f, Y: util(c, f)})
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			log.Fatal(err)
		}
		line.Color = colors[i]
		line.Width = vg.Points(1.2)
		p.Add(line)
		p.Legend.Add(string(c)+" ceiling", line)
	}
	if err := p.Save(8*vg.Inch, 4*vg.Inch, *svg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("\nwrote", *svg)
}
