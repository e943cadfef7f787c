package experiment

import (
	"math"
	"reflect"
	"testing"
)

// TestArmIntervals: arms without spread resample to themselves, so their intervals are the point
// ratios; an arm of hypervolumes 0.1 and 0.4 (geometric mean 0.2) resamples to 0.1, 0.2 or 0.4 with
// probabilities ¼, ½, ¼, so against a constant 0.2 its ratio is 0.5, 1 or 2 and at most 1 in ¾ of draws.
func TestArmIntervals(t *testing.T) {
	flat := ArmIntervals([][]float64{{0.4, 0.4}, {0.5, 0.5}, {0.2}}, 2)
	want := []ArmInterval{
		{Ratio: 2, CI95: [2]float64{2, 2}, ShareWithin: 1},
		{Ratio: 2.5, CI95: [2]float64{2.5, 2.5}, ShareWithin: 0},
		{Ratio: 0.5, CI95: [2]float64{0.5, 0.5}, ShareWithin: 1},
	}
	for i := range want {
		g, w := flat[i], want[i]
		if !near(g.Ratio, w.Ratio) || !near(g.CI95[0], w.CI95[0]) || !near(g.CI95[1], w.CI95[1]) || g.ShareWithin != w.ShareWithin {
			t.Errorf("flat arm %d = %+v, want %+v", i, g, w)
		}
	}

	spread := ArmIntervals([][]float64{{0.1, 0.4}, {0.2, 0.2}}, 1)
	if s := spread[0]; !near(s.Ratio, 1) || !near(s.CI95[0], 0.5) || !near(s.CI95[1], 2) || math.Abs(s.ShareWithin-0.75) > 0.05 {
		t.Errorf("spread arm = %+v, want ratio 1, interval 0.5–2, share ≈ 0.75", s)
	}
	if s := spread[1]; !near(s.Ratio, 1) || !near(s.CI95[0], 0.5) || !near(s.CI95[1], 2) || math.Abs(s.ShareWithin-0.75) > 0.05 {
		t.Errorf("constant arm against the spread one = %+v, want ratio 1, interval 0.5–2, share ≈ 0.75", s)
	}
	if again := ArmIntervals([][]float64{{0.1, 0.4}, {0.2, 0.2}}, 1); !reflect.DeepEqual(again, spread) {
		t.Errorf("a rerun gave %+v, the first %+v: the resampling is not reproducible", again, spread)
	}
	if one := ArmIntervals([][]float64{{0.3, 0.4}}, 1.1); one != nil {
		t.Errorf("one arm: %+v, want none", one)
	}
}
