package report

import (
	"cmp"
	"math"
	"slices"
)

// Point is one trained architecture in the accuracy–runtime plane: Runtime in milliseconds on the
// accelerator, Accuracy in percent (0–100). Label names it in plots and tables (e.g. "λ=0.1 seed 2").
type Point struct {
	Label    string
	Runtime  float64
	Accuracy float64
}

// finite reports whether both coordinates are numbers; points with NaN or ±Inf take no part in a front.
func (p Point) finite() bool {
	return !math.IsNaN(p.Runtime) && !math.IsInf(p.Runtime, 0) &&
		!math.IsNaN(p.Accuracy) && !math.IsInf(p.Accuracy, 0)
}

// ParetoFront returns the points that no other point beats on both axes — none is at least as fast and
// at least as accurate and strictly better on one — sorted by runtime, so accuracy strictly rises along
// it. Of identical points the first is kept. Points with NaN or infinite coordinates are ignored.
func ParetoFront(points []Point) []Point {
	sorted := make([]Point, 0, len(points))
	for _, p := range points {
		if p.finite() {
			sorted = append(sorted, p)
		}
	}
	// Fastest first; among equally fast points the most accurate first, so one sweep keeps a point
	// exactly when it is more accurate than everything faster or equally fast before it.
	slices.SortStableFunc(sorted, func(a, b Point) int {
		if c := cmp.Compare(a.Runtime, b.Runtime); c != 0 {
			return c
		}
		return cmp.Compare(b.Accuracy, a.Accuracy)
	})
	var front []Point
	for _, p := range sorted {
		if len(front) == 0 || p.Accuracy > front[len(front)-1].Accuracy {
			front = append(front, p)
		}
	}
	return front
}

// HyperVolume is U-Boost NAS's figure of merit for a method's accuracy–runtime trade-off (PAPER.md §4.1):
// the area between the perfect oracle (100% accuracy at 0 ms) and the method's Pareto staircase,
//
//	HV = Σ_k (r_k − r_{k−1}) · (100 − a_k),  r_0 = 0,
//
// over the Pareto points (r_k ms, a_k %) sorted by runtime. Lower is better. With no finite points the
// area is 0; callers comparing methods should check that each has points.
func HyperVolume(points []Point) float64 {
	hv, prev := 0.0, 0.0
	for _, p := range ParetoFront(points) {
		hv += (p.Runtime - prev) * (100 - p.Accuracy)
		prev = p.Runtime
	}
	return hv
}
