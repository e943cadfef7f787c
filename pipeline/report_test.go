package pipeline

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
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
	cfg := &search.Config{ArraySearch: search.ArraySearch{Arrays: []search.ArrayShape{{Rows: 16, Cols: 64}, {Rows: 32, Cols: 32}, {Rows: 64, Cols: 16}}, ArrayHalving: true}}
	all := []string{"16x64", "32x32", "64x16"}
	lines := []search.Metric{
		{Phase: "arch", Epoch: 1, Step: 5, LatencyMs: 9},
		{Phase: "epoch", Epoch: 1, ArrayCosts: []float64{3, 2, 1}, ArraysLeft: all},
		{Phase: "epoch", Epoch: 2, ArrayCosts: []float64{3.5, 2.5, 1.5}, ArraysLeft: []string{"32x32", "64x16"}},
		{Phase: "weights", Epoch: 3, Step: 1, LatencyMs: 9},
		{Phase: "epoch", Epoch: 3, ArrayCosts: []float64{4, 3, 2}, ArraysLeft: []string{"64x16"}},
		{Phase: "epoch", Epoch: 4, ArrayCosts: []float64{5, 4, 3}, ArraysLeft: []string{"64x16"}},
	}
	got, end := arrayCostSeries(cfg, lines, nil)
	if !slices.Equal(end, []string{"64x16"}) {
		t.Errorf("arrays in turn at the stage's end %v, want [64x16]", end)
	}
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
	series, _ := arrayCostSeries(cfg, lines, nil)
	for _, s := range series {
		if len(s.X) != 4 {
			t.Errorf("without halving %s has %d points, want one per epoch (4)", s.Name, len(s.X))
		}
	}
}

// TestArrayCostSeriesFromMicro: halving from the micro stage, the arrays the micro stage's last
// summary leaves are the channel stage's from its first epoch: a dropped array has a micro line to the
// micro stage's end and no channel line, and the report's channel plot leaves it out.
func TestArrayCostSeriesFromMicro(t *testing.T) {
	cfg := &search.Config{ArraySearch: search.ArraySearch{Arrays: []search.ArrayShape{{Rows: 16, Cols: 64}, {Rows: 32, Cols: 32}, {Rows: 64, Cols: 16}},
		ArrayHalving: true, ArrayHalvingTo: 2, ArrayHalvingFrom: search.StageMicro}}
	micro := []search.Metric{
		{Phase: "epoch", Epoch: 1, ArrayCosts: []float64{3, 2, 1}},
		{Phase: "epoch", Epoch: 2, ArrayCosts: []float64{4, 3, 2}, ArraysLeft: []string{"32x32", "64x16"}},
	}
	channel := []search.Metric{
		{Phase: "epoch", Epoch: 1, ArrayCosts: []float64{5, 4, 3}, ArraysLeft: []string{"32x32", "64x16"}},
		{Phase: "epoch", Epoch: 2, ArrayCosts: []float64{6, 5, 4}, ArraysLeft: []string{"32x32", "64x16"}},
	}
	microSeries, left := arrayCostSeries(cfg, micro, nil)
	for _, s := range microSeries {
		if len(s.X) != 2 {
			t.Errorf("micro stage: %s has %d points, want 2 (an array dropped at the stage's end took its last epoch)", s.Name, len(s.X))
		}
	}
	channelSeries, _ := arrayCostSeries(cfg, channel, left)
	points := map[string]int{}
	for _, s := range channelSeries {
		points[s.Name] = len(s.X)
	}
	if want := map[string]int{"16x64": 0, "32x32": 2, "64x16": 2}; !maps.Equal(points, want) {
		t.Errorf("channel stage points per array %v, want %v", points, want)
	}

	dir := t.TempDir()
	for stage, lines := range map[string][]search.Metric{MicroDir: micro, ChannelDir: channel} {
		writeMetrics(t, filepath.Join(dir, stage), lines)
	}
	secs, err := searchSection(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 {
		t.Fatalf("%d search sections, want 2 (micro, channel)", len(secs))
	}
	for i, sec := range secs {
		if len(sec.SVGs) != 1 {
			t.Fatalf("%s: %d plots, want the co-design plot alone (no step lines here)", sec.Heading, len(sec.SVGs))
		}
		plot := string(sec.SVGs[0])
		if !strings.Contains(plot, "a line ends where halving drops its array") {
			t.Errorf("%s: the co-design plot's title does not say where lines end", sec.Heading)
		}
		if got, want := strings.Contains(plot, "16x64"), i == 0; got != want {
			t.Errorf("%s: legend has 16x64 %v, want %v", sec.Heading, got, want)
		}
	}
}

// writeMetrics writes lines as a stage's metrics.jsonl under dir.
func writeMetrics(t *testing.T, dir string, lines []search.Metric) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, m := range lines {
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, search.MetricsFile), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
