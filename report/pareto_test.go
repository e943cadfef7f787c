package report

import (
	"math"
	"reflect"
	"testing"
)

// TestHyperVolumePaper reproduces every ImageNet-100 hypervolume of PAPER.md §4.3 (Table 1 with λ ∈ {0.1,
// 1}, Table 5 adding λ = 5) from the runtimes (ms) and accuracies (%) in the same tables.
func TestHyperVolumePaper(t *testing.T) {
	cases := []struct {
		name   string
		points []Point
		want   float64
	}{
		// (1.05, 87.9) is faster and more accurate than (2.2, 87.8), so the front is that point alone:
		// 1.05·(100−87.9) = 1.05·12.1 = 12.705.
		{"U-Boost λ 0.1, 1", []Point{{"0.1", 2.2, 87.8}, {"1", 1.05, 87.9}}, 12.705},
		// (4.05, 87.8) dominates (4.8, 87.5): 4.05·12.2 = 49.41.
		{"Blackbox λ 0.1, 1", []Point{{"0.1", 4.8, 87.5}, {"1", 4.05, 87.8}}, 49.41},
		// Both on the front: 3.5·(100−84) + (4.7−3.5)·(100−86.5) = 56 + 16.2 = 72.2.
		{"Roofline λ 0.1, 1", []Point{{"0.1", 4.7, 86.5}, {"1", 3.5, 84.0}}, 72.2},
		// Both on the front: 3.45·21.6 + (6.1−3.45)·12.8 = 74.52 + 33.92 = 108.44.
		{"FLOPS λ 0.1, 1", []Point{{"0.1", 6.1, 87.2}, {"1", 3.45, 78.4}}, 108.44},
		// (0.77, 86.3) joins the front before (1.05, 87.9); (2.2, 87.8) stays dominated:
		// 0.77·13.7 + (1.05−0.77)·12.1 = 10.549 + 3.388 = 13.937, printed as 13.94.
		{"U-Boost λ 0.1, 1, 5", []Point{{"0.1", 2.2, 87.8}, {"1", 1.05, 87.9}, {"5", 0.77, 86.3}}, 13.937},
		// (3.8, 87.9) dominates both others: 3.8·12.1 = 45.98.
		{"Blackbox λ 0.1, 1, 5", []Point{{"0.1", 4.8, 87.5}, {"1", 4.05, 87.8}, {"5", 3.8, 87.9}}, 45.98},
		// All three on the front: 2.9·25.8 + 0.6·16 + 1.2·13.5 = 74.82 + 9.6 + 16.2 = 100.62.
		{"Roofline λ 0.1, 1, 5", []Point{{"0.1", 4.7, 86.5}, {"1", 3.5, 84.0}, {"5", 2.9, 74.2}}, 100.62},
		// (3.42, 80.2) dominates (3.45, 78.4): 3.42·19.8 + (6.1−3.42)·12.8 = 67.716 + 34.304 = 102.02.
		{"FLOPS λ 0.1, 1, 5", []Point{{"0.1", 6.1, 87.2}, {"1", 3.45, 78.4}, {"5", 3.42, 80.2}}, 102.02},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := HyperVolume(c.points); math.Abs(got-c.want) > 1e-9 {
				t.Errorf("HyperVolume = %.12g, want %g", got, c.want)
			}
		})
	}
	// The paper's order: U-Boost best (lowest) in both tables.
	if HyperVolume(cases[0].points) >= HyperVolume(cases[1].points) {
		t.Error("U-Boost should have a lower hypervolume than Blackbox")
	}
}

func TestHyperVolumeEdgeCases(t *testing.T) {
	if got := HyperVolume(nil); got != 0 {
		t.Errorf("no points: got %g, want 0", got)
	}
	// A perfect point (100%) adds no area; NaN points are ignored.
	pts := []Point{{"", 2, 100}, {"", math.NaN(), 99}, {"", 1, math.Inf(1)}}
	if got := HyperVolume(pts); got != 0 {
		t.Errorf("perfect point: got %g, want 0", got)
	}
	// One point: the rectangle from the oracle, 0.5 ms · (100 − 90) = 5.
	if got := HyperVolume([]Point{{"", 0.5, 90}}); got != 5 {
		t.Errorf("one point: got %g, want 5", got)
	}
}

func TestParetoFront(t *testing.T) {
	pts := []Point{
		{"a", 3, 80},          // front
		{"b", 1, 70},          // front: fastest
		{"c", 2, 70},          // dominated by b (slower, same accuracy)
		{"d", 5, 90},          // front: most accurate
		{"e", 4, 79},          // dominated by a
		{"f", 3, 80},          // identical to a: the first is kept
		{"g", 2, 75},          // front
		{"h", 5, 85},          // dominated by d (same runtime, less accurate)
		{"n", math.NaN(), 99}, // ignored
	}
	got := ParetoFront(pts)
	want := []Point{{"b", 1, 70}, {"g", 2, 75}, {"a", 3, 80}, {"d", 5, 90}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParetoFront = %v, want %v", got, want)
	}
	// Along the front runtime and accuracy both strictly rise.
	for i := 1; i < len(got); i++ {
		if got[i].Runtime <= got[i-1].Runtime || got[i].Accuracy <= got[i-1].Accuracy {
			t.Errorf("front not strictly increasing at %d: %v", i, got)
		}
	}
	if ParetoFront(nil) != nil {
		t.Error("empty input should give an empty front")
	}
	// The input order is left alone.
	if pts[0].Label != "a" || pts[1].Label != "b" {
		t.Error("ParetoFront reordered its input")
	}
}
