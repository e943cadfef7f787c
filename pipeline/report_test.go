package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/uboost/uboost/report"
	"github.com/uboost/uboost/search"
)

// TestArrayCostSeries: a co-design stage's per-array cost lines take one point per epoch summary, step
// lines aside; under halving an array's line stops after the last epoch it took turns in (the epoch
// whose summary first leaves it out of arrays_left is still its), and the plot draws lines of unequal
// length.
func TestArrayCostSeries(t *testing.T) {
	cfg := &search.Config{Arrays: []search.ArrayShape{{Rows: 16, Cols: 64}, {Rows: 32, Cols: 32}, {Rows: 64, Cols: 16}}, ArrayHalving: true}
	all := []string{"16x64", "32x32", "64x16"}
	lines := []search.Metric{
		{Phase: "arch", Epoch: 1, Step: 5, LatencyMs: 9},
		{Phase: "epoch", Epoch: 1, ArrayCosts: []float64{3, 2, 1}, ArraysLeft: all},
		{Phase: "epoch", Epoch: 2, ArrayCosts: []float64{3.5, 2.5, 1.5}, ArraysLeft: []string{"32x32", "64x16"}},
		{Phase: "weights", Epoch: 3, Step: 1, LatencyMs: 9},
		{Phase: "epoch", Epoch: 3, ArrayCosts: []float64{4, 3, 2}, ArraysLeft: []string{"64x16"}},
		{Phase: "epoch", Epoch: 4, ArrayCosts: []float64{5, 4, 3}, ArraysLeft: []string{"64x16"}},
	}
	got := arrayCostSeries(cfg, lines)
	want := map[string][2][]float64{ // X, Y
		"16x64": {{1, 2}, {3, 3.5}},
		"32x32": {{1, 2, 3}, {2, 2.5, 3}},
		"64x16": {{1, 2, 3, 4}, {1, 1.5, 2, 3}},
	}
	for _, s := range got {
		if w := want[s.Name]; !slices.Equal(s.X, w[0]) || !slices.Equal(s.Y, w[1]) {
			t.Errorf("%s: X %v Y %v, want X %v Y %v", s.Name, s.X, s.Y, w[0], w[1])
		}
	}
	svg, err := report.LinePlot(report.LineSpec{Frame: report.Frame{Title: "t", XLabel: "epoch", YLabel: "ms"}, Series: got, Marks: true})
	if err != nil || !strings.Contains(string(svg), "64x16") {
		t.Errorf("plot of lines of unequal length: err %v, legend with 64x16: %v", err, strings.Contains(string(svg), "64x16"))
	}
	cfg.ArrayHalving = false
	for i := range lines {
		lines[i].ArraysLeft = nil
	}
	for _, s := range arrayCostSeries(cfg, lines) {
		if len(s.X) != 4 {
			t.Errorf("without halving %s has %d points, want one per epoch (4)", s.Name, len(s.X))
		}
	}
}
