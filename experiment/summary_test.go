package experiment

import (
	"github.com/uboost/uboost/protocol"

	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixture is one hand-made run of the comparison fixture.
type fixture struct {
	method       string // the search's cost model, as result.json names it
	lambda       float64
	seed         int64
	acc, simMS   float64
	widths       []int
	accelCols    int
	skipAccuracy bool
}

// writeResult writes a result.json as pipeline.Result encodes it into dir/runs/<name>/.
func writeResult(t *testing.T, dir, name string, f fixture) {
	t.Helper()
	cols := f.accelCols
	if cols == 0 {
		cols = 128
	}
	doc := map[string]any{
		"top5": 1.0, "params": 1000,
		"exact":       map[string]any{"latency_ms": f.simMS / 2, "cycles": 1, "utilization": 0.5},
		"simulator":   map[string]any{"latency_ms": f.simMS, "cycles": 2, "utilization": 0.25},
		"accelerator": map[string]any{"rows": 128, "cols": cols, "clock_hz": 1e9, "batch": 1},
		"method":      f.method, "lambda": f.lambda, "beta": 0, "seed": f.seed, "preset": "demo",
		"widths": f.widths, "search_seconds": 1, "train_seconds": 2,
	}
	if !f.skipAccuracy {
		doc["test_accuracy"] = f.acc
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "runs", name)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runDir, ResultFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// comparisonFixture writes the hand-made experiment the summary tests derive their numbers from:
//
//	uboost λ=0.1: (90%, 0.05 ms), (92%, 0.07 ms)    flops λ=0.1: (91%, 0.20 ms), (91%, 0.16 ms)
//	uboost λ=1:   (88%, 0.03 ms), (88%, 0.03 ms)    flops λ=1:   (90%, 0.12 ms), (90%, 0.12 ms)
//
// U-Boost's widths are 128, 136, 100 in every run; FLOPs' are 64, 280. One unfinished run (no
// result.json) must be ignored.
func comparisonFixture(t *testing.T) string {
	dir := t.TempDir()
	ub := []int{128, 136, 100}
	fl := []int{64, 280}
	for _, f := range []fixture{
		{"systolic", 0.1, 0, 0.90, 0.05, ub, 0, false}, {"systolic", 0.1, 1, 0.92, 0.07, ub, 0, false},
		{"systolic", 1, 0, 0.88, 0.03, ub, 0, false}, {"systolic", 1, 1, 0.88, 0.03, ub, 0, false},
		{"flops", 0.1, 0, 0.91, 0.20, fl, 0, false}, {"flops", 0.1, 1, 0.91, 0.16, fl, 0, false},
		{"flops", 1, 0, 0.90, 0.12, fl, 0, false}, {"flops", 1, 1, 0.90, 0.12, fl, 0, false},
	} {
		writeResult(t, dir, Job{Method: mustMethod(t, f.method), Lambda: f.lambda, Seed: f.seed}.Name(), f)
	}
	if err := os.MkdirAll(filepath.Join(dir, "runs", "lut-l0.1-s0"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustMethod(t *testing.T, model string) string {
	m, err := MethodOf(protocol.UBoost, model)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestSummarizeFixture(t *testing.T) {
	dir := comparisonFixture(t)
	runs, err := Collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 8 {
		t.Fatalf("collected %d runs, want 8 (the unfinished lut run left out)", len(runs))
	}
	if runs[0].Dir != filepath.Join("runs", "flops-l0.1-s0") || runs[0].Method != "flops" || runs[0].Preset != "demo" {
		t.Errorf("first run = %q %q, want runs/flops-l0.1-s0 (sorted by directory)", runs[0].Dir, runs[0].Method)
	}
	s := Summarize(runs, DefaultSimilarPoints)

	// Aggregates, U-Boost first. std is the sample std: for two values a, b it is |a−b|/√2.
	want := []Aggregate{
		{Method: "uboost", Lambda: 0.1, N: 2, AccuracyMean: 0.91, AccuracyStd: 0.02 / math.Sqrt2,
			SimLatencyMeanMS: 0.06, SimLatencyStdMS: 0.02 / math.Sqrt2},
		{Method: "uboost", Lambda: 1, N: 2, AccuracyMean: 0.88, SimLatencyMeanMS: 0.03},
		{Method: "flops", Lambda: 0.1, N: 2, AccuracyMean: 0.91, SimLatencyMeanMS: 0.18, SimLatencyStdMS: 0.04 / math.Sqrt2},
		{Method: "flops", Lambda: 1, N: 2, AccuracyMean: 0.90, SimLatencyMeanMS: 0.12},
	}
	if len(s.Aggregates) != len(want) {
		t.Fatalf("%d aggregates, want %d", len(s.Aggregates), len(want))
	}
	for i, w := range want {
		g := s.Aggregates[i]
		if g.Method != w.Method || g.Lambda != w.Lambda || g.N != w.N || !near(g.AccuracyMean, w.AccuracyMean) ||
			!near(g.AccuracyStd, w.AccuracyStd) || !near(g.SimLatencyMeanMS, w.SimLatencyMeanMS) ||
			!near(g.SimLatencyStdMS, w.SimLatencyStdMS) || !near(g.SimUtilizationMean, 0.25) ||
			!near(g.ExactLatencyMeanMS, w.SimLatencyMeanMS/2) {
			t.Errorf("aggregate %d = %+v, want %+v", i, g, w)
		}
	}

	// Hypervolume (ms × %), seeds pooled.
	// U-Boost front: (0.03, 88), (0.05, 90), (0.07, 92) → 0.03·12 + 0.02·10 + 0.02·8 = 0.72.
	// FLOPs front: (0.12, 90), (0.16, 91); (0.20, 91) is dominated → 0.12·10 + 0.04·9 = 1.56.
	// Widths on the 128 grid ±8: U-Boost 128 and 136 yes, 100 no → 8 of 12; FLOPs 64 and 280 no.
	wantM := []MethodStats{{Method: "uboost", Runs: 4, HyperVolume: 0.72, Widths: 12, OnGrid: 8.0 / 12},
		{Method: "flops", Runs: 4, HyperVolume: 1.56, Widths: 8}}
	for i, w := range wantM {
		g := s.Methods[i]
		if g.Method != w.Method || g.Runs != w.Runs || !near(g.HyperVolume, w.HyperVolume) || g.Widths != w.Widths || !near(g.OnGrid, w.OnGrid) {
			t.Errorf("method stats %d = %+v, want %+v", i, g, w)
		}
	}

	// Speedup over the fastest (only) baseline: λ=0.1 0.18/0.06 = 3, Δacc 0; λ=1 0.12/0.03 = 4, Δacc −2.
	wantS := []Speedup{{0.1, "flops", 0.18, 0.06, 3, 0}, {1, "flops", 0.12, 0.03, 4, -2}}
	for i, w := range wantS {
		g := s.Speedups[i]
		if g.Lambda != w.Lambda || g.Baseline != w.Baseline || !near(g.Speedup, w.Speedup) || !near(g.AccuracyDiff, w.AccuracyDiff) {
			t.Errorf("speedup %d = %+v, want %+v", i, g, w)
		}
	}

	// Verdict: λ=0.1 is a win (3× faster, same accuracy); λ=1 is not (4× faster but 2 pt less
	// accurate, beyond the 1-point margin).
	if len(s.Verdicts) != 1 {
		t.Fatalf("%d verdicts, want 1", len(s.Verdicts))
	}
	v := s.Verdicts[0]
	if v.Baseline != "flops" || v.Compared != 2 || v.Wins != 1 || !near(v.MinSpeedup, 3) || !near(v.MaxSpeedup, 4) ||
		!near(v.MaxAccuracyDrop, 2) || !near(v.HVRatio, 1.56/0.72) {
		t.Errorf("verdict = %+v", v)
	}
	// Along the accuracy axis, levels 88, 90, 91, 92 %: at 88 the fastest U-Boost run is 0.03 ms and
	// flops' 0.12 (4×); at 90, 0.05 and 0.12 (2.4×); at 91, 0.07 (only the 92% run) and 0.16 (16/7×); at
	// 92 flops has no run, so the level is skipped.
	if v.FrontLevels != 3 || !near(v.FrontMin, 16.0/7) || !near(v.FrontMax, 4) ||
		!near(v.FrontGeoMean, math.Cbrt(4*2.4*16/7)) {
		t.Errorf("front comparison = %+v", v)
	}
	// Bootstrap intervals over seeds. At λ=1 both cells repeat one latency, so every resample gives 4×.
	// At λ=0.1 a resampled mean is U-Boost 0.05/0.06/0.07 and FLOPs 0.20/0.18/0.16 ms with chances
	// ¼, ½, ¼; the extreme ratios 0.16/0.07 = 16/7 and 0.20/0.05 = 4 each have chance 1/16 > 2.5%, so
	// they are the interval's ends.
	if len(v.PerLambda) != 2 {
		t.Fatalf("per-λ comparisons = %+v, want 2", v.PerLambda)
	}
	if p := v.PerLambda[0]; p.Lambda != 0.1 || !near(p.Speedup, 3) || !near(p.CI95[0], 16.0/7) || !near(p.CI95[1], 4) ||
		!near(p.AccuracyDiff, 0) || p.UBoostRuns != 2 || p.BaselineRuns != 2 {
		t.Errorf("λ=0.1 comparison = %+v", p)
	}
	if p := v.PerLambda[1]; p.Lambda != 1 || !near(p.CI95[0], 4) || !near(p.CI95[1], 4) || !near(p.AccuracyDiff, -2) {
		t.Errorf("λ=1 comparison = %+v", p)
	}
	// A resample holds a subset of each method's runs, whose hypervolume can only be the same or
	// larger, so the observed ratio may sit at an end of its interval, but inside it.
	if !(v.HVRatioCI95[0] <= v.HVRatio && v.HVRatio <= v.HVRatioCI95[1]) || v.HVRatioCI95[0] == v.HVRatioCI95[1] {
		t.Errorf("hypervolume ratio interval %v does not bracket %v with a spread", v.HVRatioCI95, v.HVRatio)
	}
	if !(v.FrontGeoMeanCI95[0] <= v.FrontGeoMean && v.FrontGeoMean <= v.FrontGeoMeanCI95[1]) || v.FrontGeoMeanCI95[0] == v.FrontGeoMeanCI95[1] {
		t.Errorf("accuracy-axis interval %v does not bracket %v with a spread", v.FrontGeoMeanCI95, v.FrontGeoMean)
	}
	for _, frag := range []string{"PARTLY", "at 1 of 2 λ", "3.00–4.00×", "λ=1: 4.00× latency ratio (95% CI 4.00–4.00×), accuracy -2.0 pt", "2.17× U-Boost's (95% CI",
		"2.29–4.00×, geometric mean 2.80× (95% CI"} {
		if !strings.Contains(v.Text, frag) {
			t.Errorf("verdict text lacks %q:\n%s", frag, v.Text)
		}
	}
	if txt := s.VerdictText(); !strings.Contains(txt, "speedup of U-Boost (that baseline's mean simulated latency over U-Boost's) is 3.00–4.00×") {
		t.Errorf("overall text lacks the speedup range:\n%s", txt)
	}
}

func TestVerdictWords(t *testing.T) {
	// One λ; U-Boost at 0.05 ms and 90%. A baseline at 0.10 ms and 90.5% loses (2×, 0.5 pt within the
	// margin); one at 0.04 ms and 90% wins on latency (ratio 0.8).
	runs := []Run{
		{Method: UBoost, Lambda: 1, TestAccuracy: 0.90, SimLatencyMS: 0.05, ArrayCols: 128},
		{Method: "roofline", Lambda: 1, TestAccuracy: 0.905, SimLatencyMS: 0.10, ArrayCols: 128},
		{Method: "lut", Lambda: 1, TestAccuracy: 0.90, SimLatencyMS: 0.04, ArrayCols: 128},
	}
	s := Summarize(runs, 1)
	if len(s.Verdicts) != 2 {
		t.Fatalf("%d verdicts, want 2", len(s.Verdicts))
	}
	if v := s.Verdicts[0]; v.Baseline != "roofline" || v.Wins != 1 || !strings.Contains(v.Text, "YES") || !strings.Contains(v.Text, "2.00–2.00×") {
		t.Errorf("roofline verdict = %+v", v)
	}
	if v := s.Verdicts[1]; v.Baseline != "lut" || v.Wins != 0 || !strings.Contains(v.Text, "NO") || !strings.Contains(v.Text, "0.80–0.80×") {
		t.Errorf("lut verdict = %+v", v)
	}
	// The comparison is symmetric: swapping the methods' roles inverts the front ratio (roofline's
	// 0.10 ms at 90.5% against U-Boost's 0.05 at 90%: level 90 gives 2×, level 90.5 has no U-Boost run).
	if v := s.Verdicts[0]; v.FrontLevels != 1 || !near(v.FrontGeoMean, 2) {
		t.Errorf("roofline front = %+v", v)
	}
	swapped := []Run{{Method: "roofline", Lambda: 1, TestAccuracy: 0.90, SimLatencyMS: 0.05},
		{Method: UBoost, Lambda: 1, TestAccuracy: 0.905, SimLatencyMS: 0.10}}
	if v := Summarize(swapped, 1).Verdicts[0]; v.FrontLevels != 1 || !near(v.FrontGeoMean, 0.5) {
		t.Errorf("swapped front = %+v", v)
	}
	// The fastest baseline at λ=1 is lut: 0.04/0.05 = 0.8.
	if len(s.Speedups) != 1 || s.Speedups[0].Baseline != "lut" || !near(s.Speedups[0].Speedup, 0.8) {
		t.Errorf("speedups = %+v", s.Speedups)
	}
	// A baseline with no U-Boost runs at its λ has nothing to compare and says so.
	s = Summarize([]Run{{Method: "flops", Lambda: 5, TestAccuracy: 0.9, SimLatencyMS: 1}}, 1)
	if len(s.Verdicts) != 1 || s.Verdicts[0].Compared != 0 || !strings.Contains(s.Verdicts[0].Text, "nothing to compare") {
		t.Errorf("verdicts without U-Boost = %+v", s.Verdicts)
	}
	if _, err := json.Marshal(s); err != nil {
		t.Errorf("summary without comparisons does not encode: %v", err)
	}
}

func TestOnGrid(t *testing.T) {
	for _, c := range []struct {
		w    int
		want bool
	}{
		{0, false},   // no channels
		{8, false},   // nearest positive multiple is 128, 120 away
		{120, true},  // 128 − 8
		{119, false}, // 128 − 9
		{192, false}, // halfway: 64 from both 128 and 256
		{263, true},  // 256 + 7
		{264, true},  // 256 + 8
		{265, false}, // 256 + 9
	} {
		if got := OnGrid(c.w, 128); got != c.want {
			t.Errorf("OnGrid(%d, 128) = %v, want %v", c.w, got, c.want)
		}
	}
	// The margin scales with the array: 1/16 of 32 columns is ±2 channels.
	for w, want := range map[int]bool{29: false, 30: true, 34: true, 35: false, 62: true, 66: true, 67: false} {
		if got := OnGrid(w, 32); got != want {
			t.Errorf("OnGrid(%d, 32) = %v, want %v", w, got, want)
		}
	}
}

func TestReadShape(t *testing.T) {
	// The FLOPs network of the edge grid's first run (λ=1, seed 0, paper protocol): three cells of two
	// kept edges, each cell's first edge a separable 3×3 (depthwise + pointwise), its second a 3×3 conv.
	sh, err := ReadShape(filepath.Join("testdata", "flops-edge-arch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if *sh != (Shape{Edges: 6, GEMMEdges: 6, SeparableEdges: 3, Depthwise: 3}) {
		t.Errorf("shape = %+v, want 6 edges, all with weights, 3 separable, 3 depthwise layers", *sh)
	}
	// Collect attaches it to the run, and the method's means and the table follow.
	dir := t.TempDir()
	writeResult(t, dir, "flops-l1-s0", fixture{method: "flops", lambda: 1, acc: 0.9, simMS: 0.1})
	data, err := os.ReadFile(filepath.Join("testdata", "flops-edge-arch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runs", "flops-l1-s0", "arch.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	writeResult(t, dir, "flops-l1-s1", fixture{method: "flops", lambda: 1, seed: 1, acc: 0.9, simMS: 0.1}) // no arch.json
	runs, err := Collect(dir)
	if err != nil || len(runs) != 2 || runs[0].Shape == nil || runs[1].Shape != nil {
		t.Fatalf("Collect = %+v, %v; want the first run shaped, the second not", runs, err)
	}
	m := Summarize(runs, 1).Methods[0]
	if m.Shaped != 1 || m.SeparableEdgesMean != 3 || m.DepthwiseMean != 3 || m.GEMMEdgesMean != 6 {
		t.Errorf("method stats = %+v", m)
	}
	row := Summarize(runs, 1).UtilizationTable().Rows[0]
	if got := strings.Join(row[len(row)-3:], "|"); got != "6.0|3.0|3.0" {
		t.Errorf("table cells = %q", got)
	}
}

func TestReadRunErrors(t *testing.T) {
	dir := t.TempDir()
	writeResult(t, dir, "a", fixture{method: "systolic", simMS: 0.1, skipAccuracy: true})
	writeResult(t, dir, "b", fixture{method: "magic", acc: 0.5, simMS: 0.1})
	writeResult(t, dir, "c", fixture{method: "flops", acc: 0.5, simMS: 0})
	writeResult(t, dir, "d", fixture{method: "flops", acc: 1.5, simMS: 0.1})
	bad := filepath.Join(dir, "runs", "e", ResultFile)
	if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"test_accuracy": `), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, field := range map[string]string{"a": "test_accuracy", "b": "method", "c": "simulator.latency_ms",
		"d": "test_accuracy", "e": "line 1: truncated JSON"} {
		path := filepath.Join(dir, "runs", name, ResultFile)
		_, err := ReadRun(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), field) {
			t.Errorf("ReadRun(%s) error = %v, want one naming the file and %q", name, err, field)
		}
	}
	// A registry model that is no experiment method keeps its name (uboost compare reads such runs).
	writeResult(t, dir, "f", fixture{method: "systolic-pipelined", acc: 0.5, simMS: 0.1})
	if r, err := ReadRun(filepath.Join(dir, "runs", "f", ResultFile)); err != nil || r.Method != "systolic-pipelined" {
		t.Errorf("ReadRun of a systolic-pipelined search = %+v, %v", r, err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "runs", "f")); err != nil {
		t.Fatal(err)
	}
	// Finding 5: a truncated result.json blocked --report-only and every rerun. It is now an
	// unfinished run: left out of the summary, and not Finished, so the runner resumes it.
	if runs, err := Collect(dir); err != nil || len(runs) != 0 {
		t.Errorf("Collect over broken result.json files = %d runs, %v; want none and no error", len(runs), err)
	}
}

func TestReportPage(t *testing.T) {
	dir := comparisonFixture(t)
	runs, err := Collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(runs, DefaultSimilarPoints)
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []map[string]any `json:"runs"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"method", "lambda", "seed", "test_accuracy", "sim_latency_ms", "sim_utilization", "exact_latency_ms", "params"} {
		if _, ok := doc.Runs[0][k]; !ok {
			t.Errorf("summary.json runs lack %q", k)
		}
	}
	// Table 4 row of U-Boost: accuracy 91.0 ± 1.4 at λ=0.1 (std 2/√2 pt), 88.0 ± 0.0 at λ=1; latency
	// 60.0 ± 14.1 µs and 30.0 ± 0.0 µs; HV 0.7200.
	tab := s.ComparisonTable()
	wantRow := []string{"uboost", "91.0 ± 1.4", "88.0 ± 0.0", "60.0 ± 14.1", "30.0 ± 0.0", "0.7200"}
	if strings.Join(tab.Rows[0], "|") != strings.Join(wantRow, "|") {
		t.Errorf("U-Boost row = %q, want %q", tab.Rows[0], wantRow)
	}
	ut := s.UtilizationTable()
	if col := slices.Index(ut.Header, "on grid"); col < 0 || ut.Rows[0][col] != "67%" {
		t.Errorf("U-Boost widths on grid: header %q, row %q; want 67%%", ut.Header, ut.Rows[0])
	}
	var md strings.Builder
	if err := s.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| uboost | 91.0 ± 1.4 | 88.0 ± 0.0 | 60.0 ± 14.1 | 30.0 ± 0.0 | 0.7200 |") {
		t.Errorf("report.md lacks the U-Boost row:\n%s", md.String())
	}
	page, err := s.Page("test", "uboost experiment --out x")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := page.Write(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, frag := range []string{"PARTLY", "<svg", "Searched channel widths", "3.00×", "uboost experiment --out x"} {
		if !strings.Contains(html, frag) {
			t.Errorf("report.html lacks %q", frag)
		}
	}
}

func TestNarrowWidthsNote(t *testing.T) {
	// Widths of at most 48 channels on 128 columns: 48 + 8 < 128, so no width can be on the grid and
	// the table says so; the fixture's 280-channel widths (TestReportPage) do not get the note.
	s := Summarize([]Run{{Method: UBoost, Lambda: 1, TestAccuracy: 0.9, SimLatencyMS: 1, ArrayCols: 128, Widths: []int{16, 48}}}, 1)
	notes := strings.Join(s.UtilizationTable().Notes, " ")
	if !strings.Contains(notes, "No searched width exceeds 48 channels, below one array width (128 columns)") {
		t.Errorf("notes = %q", notes)
	}
	runs, err := Collect(comparisonFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(Summarize(runs, 1).UtilizationTable().Notes, " "); strings.Contains(notes, "No searched width") {
		t.Errorf("wide fixture got the narrow-width note: %q", notes)
	}
}

func TestCompareGrids(t *testing.T) {
	// Grid A: two U-Boost seeds at (90%, 0.05 ms): hypervolume 0.05·10 = 0.5 in every resample.
	// Grid B: (90%, 0.10 ms) and (80%, 0.04 ms): 0.04·20 + 0.06·10 = 1.4 with both seeds, 0.8 or 1.0
	// with one drawn twice (chance ¼ each). So A/B is 0.5/1.4 = 0.357 (chance ½), 0.625 or 0.5: the
	// interval runs from 0.357 to 0.625, below 1.
	a := []Run{{Method: UBoost, Lambda: 1, Seed: 0, TestAccuracy: 0.9, SimLatencyMS: 0.05},
		{Method: UBoost, Lambda: 1, Seed: 1, TestAccuracy: 0.9, SimLatencyMS: 0.05},
		{Method: "flops", Lambda: 1, TestAccuracy: 0.5, SimLatencyMS: 0.01}} // another method: ignored
	b := []Run{{Method: UBoost, Lambda: 1, Seed: 0, TestAccuracy: 0.9, SimLatencyMS: 0.10},
		{Method: UBoost, Lambda: 1, Seed: 1, TestAccuracy: 0.8, SimLatencyMS: 0.04}}
	c, err := CompareGrids(a, b, UBoost)
	if err != nil {
		t.Fatal(err)
	}
	if c.RunsA != 2 || c.RunsB != 2 || !near(c.HVA, 0.5) || !near(c.HVB, 1.4) || !near(c.Ratio, 0.5/1.4) ||
		!near(c.CI95[0], 0.5/1.4) || !near(c.CI95[1], 0.625) || !strings.Contains(c.Text, "A's hypervolume is lower") {
		t.Errorf("comparison = %+v", c)
	}
	// The other way round the reading flips; a grid against itself cannot be told apart.
	if c, err := CompareGrids(b, a, UBoost); err != nil || !strings.Contains(c.Text, "B's hypervolume is lower") {
		t.Errorf("swapped = %+v, %v", c, err)
	}
	if c, err := CompareGrids(b, b, UBoost); err != nil || !strings.Contains(c.Text, "neither grid is shown better") {
		t.Errorf("self = %+v, %v", c, err)
	}
	// Only the pairs both grids ran are compared: against B's seed 0 alone, A's seed 1 is left out
	// (hypervolume 0.5 against 1.0), and one seed per λ gives no decision.
	if c, err := CompareGrids(a, b[:1], UBoost); err != nil || c.RunsA != 1 || c.LeftOutA != 1 || c.LeftOutB != 0 ||
		!near(c.Ratio, 0.5) || !strings.Contains(c.Text, "1 of A's runs and 0 of B's left out") || !strings.Contains(c.Text, "no decision") {
		t.Errorf("one seed = %+v, %v", c, err)
	}
	// An extra λ in one grid is left out too; no shared pair at all is an error.
	extra := append(slices.Clone(b), Run{Method: UBoost, Lambda: 5, Seed: 0, TestAccuracy: 0.5, SimLatencyMS: 0.01})
	if c, err := CompareGrids(a, extra, UBoost); err != nil || c.RunsB != 2 || c.LeftOutB != 1 || !near(c.HVB, 1.4) {
		t.Errorf("extra λ = %+v, %v", c, err)
	}
	if _, err := CompareGrids(a, extra[2:], UBoost); err == nil || !strings.Contains(err.Error(), "no (λ, seed) pair") {
		t.Errorf("no shared pair: %v", err)
	}
	if _, err := CompareGrids(a, b, "lut"); err == nil || !strings.Contains(err.Error(), `"lut"`) {
		t.Errorf("a method without runs: %v", err)
	}
}
