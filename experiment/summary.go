package experiment

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/internal/jsonfile"
	"github.com/uboost/uboost/protocol"
	"github.com/uboost/uboost/report"
)

// metrics are one pricing of a network in a run's result.json.
type metrics struct {
	LatencyMS   float64 `json:"latency_ms"`
	Cycles      float64 `json:"cycles"`
	Utilization float64 `json:"utilization"`
}

// resultFile is the part of a run's result.json (pipeline.Result) the comparison reads.
type resultFile struct {
	TestAccuracy *float64           `json:"test_accuracy"`
	Top5         float64            `json:"top5"`
	Params       int64              `json:"params"`
	Exact        *metrics           `json:"exact"`
	Simulator    *metrics           `json:"simulator"`
	Accelerator  *accel.Accelerator `json:"accelerator"`
	Method       string             `json:"method"`
	Protocol     string             `json:"protocol"`
	Lambda       float64            `json:"lambda"`
	Beta         float64            `json:"beta"`
	Seed         int64              `json:"seed"`
	Preset       string             `json:"preset"`
	Widths       []int              `json:"widths"`
	SearchSecs   float64            `json:"search_seconds"`
	TrainSecs    float64            `json:"train_seconds"`
}

// Run is one finished configuration as summary.json lists it: accuracy as a fraction, latency at
// batch 1 from the cycle-level simulator and from the exact model, and the searched channel widths.
type Run struct {
	Method           string  `json:"method"`
	Protocol         string  `json:"protocol,omitempty"`
	Lambda           float64 `json:"lambda"`
	Beta             float64 `json:"beta"`
	Seed             int64   `json:"seed"`
	TestAccuracy     float64 `json:"test_accuracy"`
	Top5             float64 `json:"top5"`
	SimLatencyMS     float64 `json:"sim_latency_ms"`
	SimUtilization   float64 `json:"sim_utilization"`
	ExactLatencyMS   float64 `json:"exact_latency_ms"`
	ExactUtilization float64 `json:"exact_utilization"`
	Params           int64   `json:"params"`
	Widths           []int   `json:"widths"`
	// Preset is the search preset the run used.
	Preset string `json:"preset"`
	// ArrayRows and ArrayCols are the shape of the array the run was searched for (chosen by the
	// search when it co-designed the array).
	ArrayRows int `json:"array_rows"`
	ArrayCols int `json:"array_cols"`
	// Array is the accelerator's arrays as --array spells them, "RxC" or "NxRxC" (several arrays).
	Array string `json:"array"`
	// SearchSeconds and TrainSeconds are the wall-clock times of the search and the final training.
	SearchSeconds float64 `json:"search_seconds"`
	TrainSeconds  float64 `json:"train_seconds"`
	// Shape counts what the searched network kept (from the run's arch.json); nil when that file is
	// missing or unreadable.
	Shape *Shape `json:"shape,omitempty"`
	// Dir is the run directory relative to the experiment directory.
	Dir string `json:"dir"`
}

// ReadRun reads one run's result.json. It fails, naming the file and field, when a field the
// comparison needs is missing or out of range.
func ReadRun(path string) (Run, error) {
	var f resultFile
	if err := jsonfile.Read(path, &f); err != nil {
		return Run{}, err
	}
	bad := func(field, want string) error {
		return fmt.Errorf("%s: field %q: %s", path, field, want)
	}
	switch {
	case f.TestAccuracy == nil || !(*f.TestAccuracy >= 0 && *f.TestAccuracy <= 1):
		return Run{}, bad("test_accuracy", "want a fraction in [0, 1]")
	case f.Simulator == nil || !(f.Simulator.LatencyMS > 0) || math.IsInf(f.Simulator.LatencyMS, 0):
		return Run{}, bad("simulator.latency_ms", "want a positive finite latency")
	case f.Exact == nil || !(f.Exact.LatencyMS > 0) || math.IsInf(f.Exact.LatencyMS, 0):
		return Run{}, bad("exact.latency_ms", "want a positive finite latency")
	case f.Accelerator == nil || f.Accelerator.Cols < 1:
		return Run{}, bad("accelerator.cols", "want a positive number of array columns")
	}
	method, err := MethodOf(protocol.Protocol(f.Protocol), f.Method)
	if err != nil {
		// A search with a registry model that is no experiment method (systolic-pipelined, say) is
		// still a run to compare; it keeps the model's name. A name outside the registry is not.
		if _, lookupErr := cost.Lookup(f.Method); lookupErr != nil {
			return Run{}, fmt.Errorf("%s: field %q: %w", path, "method", err)
		}
		method = f.Method
	}
	return Run{
		Method: method, Protocol: f.Protocol, Lambda: f.Lambda, Beta: f.Beta, Seed: f.Seed,
		TestAccuracy: *f.TestAccuracy, Top5: f.Top5,
		SimLatencyMS: f.Simulator.LatencyMS, SimUtilization: f.Simulator.Utilization,
		ExactLatencyMS: f.Exact.LatencyMS, ExactUtilization: f.Exact.Utilization,
		Params: f.Params, Widths: f.Widths, ArrayRows: f.Accelerator.Rows, ArrayCols: f.Accelerator.Cols, Array: f.Accelerator.Shape(), Preset: f.Preset,
		SearchSeconds: f.SearchSecs, TrainSeconds: f.TrainSecs,
	}, nil
}

// ReadRunDir reads a finished run directory: its result.json (ReadRun) and, when readable, the shape
// of its arch.json (ReadShape).
func ReadRunDir(dir string) (Run, error) {
	r, err := ReadRun(filepath.Join(dir, ResultFile))
	if err != nil {
		return Run{}, err
	}
	if sh, err := ReadShape(filepath.Join(dir, "arch.json")); err == nil {
		r.Shape = sh
	}
	return r, nil
}

// Shape is what kind of layers a searched network kept: how many cell edges its arch.json runs (edges
// derived as zero, and edges feeding only such, are not in it), how many of those hold an operation
// with weights (not identity or pooling), how many are separable convolutions, and how many depthwise
// layers the network has in all (one per separable convolution in the search space).
type Shape struct {
	Edges          int `json:"edges"`
	GEMMEdges      int `json:"gemm_edges"`
	SeparableEdges int `json:"separable_edges"`
	Depthwise      int `json:"depthwise_layers"`
}

// ReadShape counts a network's edges and depthwise layers from its arch.json.
func ReadShape(path string) (*Shape, error) {
	n, err := arch.Load(path)
	if err != nil {
		return nil, err
	}
	edges := map[string]struct{ gemm, separable bool }{}
	var order []string
	sh := &Shape{}
	for _, nd := range n.Nodes {
		if nd.Op == arch.OpDepthwise {
			sh.Depthwise++
		}
		if nd.Edge == "" {
			continue
		}
		key := nd.Cell + "/" + nd.Edge
		e, seen := edges[key]
		if !seen {
			order = append(order, key)
		}
		e.gemm = e.gemm || nd.Op == arch.OpConv || nd.Op == arch.OpDepthwise || nd.Op == arch.OpDense
		e.separable = e.separable || nd.Op == arch.OpDepthwise
		edges[key] = e
	}
	for _, k := range order {
		sh.Edges++
		if edges[k].gemm {
			sh.GEMMEdges++
		}
		if edges[k].separable {
			sh.SeparableEdges++
		}
	}
	return sh, nil
}

// CheckDir fails, in one line, when dir holds no experiment (no runs directory), so that reading a
// mistyped directory is an error and not an empty report.
func CheckDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "runs")); err != nil {
		return fmt.Errorf("%s holds no experiment (no runs directory): %w", dir, err)
	}
	return nil
}

// Collect reads every DIR/runs/*/result.json, in run-directory order. Runs without a complete
// result.json (missing, truncated or invalid: see Finished) are unfinished and left out.
func Collect(dir string) ([]Run, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "runs", "*", ResultFile))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	runs := make([]Run, 0, len(paths))
	for _, p := range paths {
		r, err := ReadRunDir(filepath.Dir(p))
		if err != nil {
			continue // not finished (Finished): a rerun resumes it
		}
		r.Dir, _ = filepath.Rel(dir, filepath.Dir(p))
		runs = append(runs, r)
	}
	return runs, nil
}

// Aggregate is one (method, λ) cell of the comparison: mean and sample standard deviation over its
// seeds (std is 0 for a single run). Accuracy is a fraction, latency in ms.
type Aggregate struct {
	Method             string  `json:"method"`
	Lambda             float64 `json:"lambda"`
	N                  int     `json:"n"`
	AccuracyMean       float64 `json:"test_accuracy_mean"`
	AccuracyStd        float64 `json:"test_accuracy_std"`
	SimLatencyMeanMS   float64 `json:"sim_latency_ms_mean"`
	SimLatencyStdMS    float64 `json:"sim_latency_ms_std"`
	SimUtilizationMean float64 `json:"sim_utilization_mean"`
	SimUtilizationStd  float64 `json:"sim_utilization_std"`
	ExactLatencyMeanMS float64 `json:"exact_latency_ms_mean"`
	ParamsMean         float64 `json:"params_mean"`
}

// MethodStats is what one method achieved over all its runs pooled.
type MethodStats struct {
	Method string `json:"method"`
	Runs   int    `json:"runs"`
	// HyperVolume is PAPER.md §4.1's area between the perfect oracle and the Pareto staircase of every
	// run (simulated latency in ms, accuracy in %), seeds pooled as in the paper's CIFAR-10 table;
	// lower is better.
	HyperVolume float64 `json:"hypervolume"`
	// Widths counts the searched channel widths; OnGrid is the fraction of them within GridTolerance
	// of a positive multiple of the array's columns.
	Widths int     `json:"widths"`
	OnGrid float64 `json:"widths_on_grid"`
	// Shaped counts the runs with a readable arch.json; the means below are over those runs.
	Shaped             int     `json:"shaped_runs"`
	GEMMEdgesMean      float64 `json:"gemm_edges_mean"`
	SeparableEdgesMean float64 `json:"separable_edges_mean"`
	DepthwiseMean      float64 `json:"depthwise_layers_mean"`
}

// Speedup compares U-Boost with the fastest baseline at one λ: the ratio of mean simulated
// latencies (baseline over U-Boost, so above 1 means U-Boost is faster) and the accuracy difference.
type Speedup struct {
	Lambda       float64 `json:"lambda"`
	Baseline     string  `json:"baseline"`
	BaselineMS   float64 `json:"baseline_sim_latency_ms"`
	UBoostMS     float64 `json:"uboost_sim_latency_ms"`
	Speedup      float64 `json:"speedup"`
	AccuracyDiff float64 `json:"accuracy_diff_points"`
}

// Verdict answers, for one baseline, whether U-Boost is faster on the simulated array at similar
// accuracy, λ by λ (means over seeds).
type Verdict struct {
	Baseline string `json:"baseline"`
	// Compared counts the λ values both methods have runs for; Wins those where U-Boost's mean
	// simulated latency is lower and its mean accuracy at most SimilarPoints below the baseline's.
	Compared int `json:"compared"`
	Wins     int `json:"wins"`
	// MinSpeedup and MaxSpeedup bound the latency ratio (baseline over U-Boost) over the compared λ.
	MinSpeedup float64 `json:"min_speedup"`
	MaxSpeedup float64 `json:"max_speedup"`
	// MaxAccuracyDrop is the largest accuracy deficit of U-Boost in points over the compared λ (0 when
	// U-Boost is never less accurate).
	MaxAccuracyDrop float64 `json:"max_accuracy_drop_points"`
	// HVRatio is the baseline's hypervolume over U-Boost's (above 1: U-Boost's trade-off is better).
	HVRatio float64 `json:"hypervolume_ratio"`
	// HVRatioCI95 is HVRatio's 95% bootstrap interval over seeds (bootstrapVerdict).
	HVRatioCI95 [2]float64 `json:"hypervolume_ratio_ci95"`
	// The comparison along the accuracy axis rather than by λ, since the same λ weighs each cost
	// model's own, differently scaled latency: at every accuracy level some run reached (FrontLevels of
	// them where both methods have a run at least that accurate), the fastest such baseline run over the
	// fastest such U-Boost run — the ratio of the two Pareto staircases, symmetric in the methods. The
	// ratios span FrontMin–FrontMax with geometric mean FrontGeoMean.
	FrontLevels  int     `json:"front_levels"`
	FrontMin     float64 `json:"front_min_speedup"`
	FrontGeoMean float64 `json:"front_geomean_speedup"`
	FrontMax     float64 `json:"front_max_speedup"`
	// FrontGeoMeanCI95 is FrontGeoMean's 95% bootstrap interval over seeds (bootstrapVerdict).
	FrontGeoMeanCI95 [2]float64 `json:"front_geomean_speedup_ci95"`
	// PerLambda is the comparison at each λ both methods have runs for.
	PerLambda []PairSpeedup `json:"per_lambda"`
	Text      string        `json:"text"`
}

// PairSpeedup is U-Boost against one baseline at one λ: the ratio of mean simulated latencies
// (baseline over U-Boost) with its 95% bootstrap interval over seeds, and U-Boost's mean accuracy minus
// the baseline's in points.
type PairSpeedup struct {
	Lambda       float64    `json:"lambda"`
	Speedup      float64    `json:"speedup"`
	CI95         [2]float64 `json:"speedup_ci95"`
	AccuracyDiff float64    `json:"accuracy_diff_points"`
	UBoostRuns   int        `json:"uboost_runs"`
	BaselineRuns int        `json:"baseline_runs"`
}

// Summary is the experiment's summary.json: every run and what the comparison concludes from them.
type Summary struct {
	Runs       []Run         `json:"runs"`
	Aggregates []Aggregate   `json:"aggregates"`
	Methods    []MethodStats `json:"methods"`
	Speedups   []Speedup     `json:"speedups"`
	Verdicts   []Verdict     `json:"verdicts"`
	// SimilarPoints is the accuracy margin, in points, within which two methods count as similarly
	// accurate; GridToleranceTiles the margin of a width "at" a multiple of the array's columns, as a
	// fraction of the columns (GridTolerance).
	SimilarPoints      float64 `json:"similar_points"`
	GridToleranceTiles float64 `json:"grid_tolerance_tiles"`
	// BootstrapResamples is how many resamplings of the seeds the 95% intervals come from.
	BootstrapResamples int `json:"bootstrap_resamples"`
}

// Defaults of the comparison's judgement calls.
const (
	// DefaultSimilarPoints: within 1 point of mean accuracy counts as similar.
	DefaultSimilarPoints = 1.0
	// gridTileFraction: a width within 1/16 of the array's columns of a multiple of them counts as on
	// it: ±8 channels on 128 columns, ±2 on 32, so the test means the same on every array.
	gridTileFraction = 16
)

// GridTolerance is the channel margin of a width "on" a multiple of cols columns: cols/16, at least 1.
func GridTolerance(cols int) int { return max(1, cols/gridTileFraction) }

// methodRank orders methods as Methods lists them, unknown ones last.
func methodRank(m string) int {
	if i := slices.Index(Methods, m); i >= 0 {
		return i
	}
	return len(Methods)
}

// OnGrid reports whether a channel width lies within GridTolerance(cols) channels of a positive
// multiple of cols.
func OnGrid(width, cols int) bool {
	if cols < 1 || width < 1 {
		return false
	}
	k := max(1, (width+cols/2)/cols) // nearest positive multiple
	return abs(width-k*cols) <= GridTolerance(cols)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Summarize aggregates runs per (method, λ), pools each method's runs for hypervolume and width
// statistics, and compares U-Boost with each baseline, with 95% bootstrap intervals over seeds.
// similar is the accuracy margin in points (DefaultSimilarPoints).
func Summarize(runs []Run, similar float64) *Summary {
	s := &Summary{Runs: runs, SimilarPoints: similar, GridToleranceTiles: 1.0 / gridTileFraction,
		BootstrapResamples: bootstrapResamples}
	type key struct {
		m string
		l float64
	}
	cells := map[key][]Run{}
	byMethod := map[string][]Run{}
	for _, r := range runs {
		cells[key{r.Method, r.Lambda}] = append(cells[key{r.Method, r.Lambda}], r)
		byMethod[r.Method] = append(byMethod[r.Method], r)
	}
	for k, rs := range cells {
		pick := func(f func(Run) float64) []float64 {
			xs := make([]float64, len(rs))
			for i, r := range rs {
				xs[i] = f(r)
			}
			return xs
		}
		a := Aggregate{Method: k.m, Lambda: k.l, N: len(rs)}
		a.AccuracyMean, a.AccuracyStd = meanStd(pick(func(r Run) float64 { return r.TestAccuracy }))
		a.SimLatencyMeanMS, a.SimLatencyStdMS = meanStd(pick(func(r Run) float64 { return r.SimLatencyMS }))
		a.SimUtilizationMean, a.SimUtilizationStd = meanStd(pick(func(r Run) float64 { return r.SimUtilization }))
		a.ExactLatencyMeanMS, _ = meanStd(pick(func(r Run) float64 { return r.ExactLatencyMS }))
		a.ParamsMean, _ = meanStd(pick(func(r Run) float64 { return float64(r.Params) }))
		s.Aggregates = append(s.Aggregates, a)
	}
	slices.SortFunc(s.Aggregates, func(a, b Aggregate) int {
		return cmp.Or(cmp.Compare(methodRank(a.Method), methodRank(b.Method)), cmp.Compare(a.Method, b.Method),
			cmp.Compare(a.Lambda, b.Lambda))
	})
	for m, rs := range byMethod {
		st := MethodStats{Method: m, Runs: len(rs), HyperVolume: report.HyperVolume(points(rs))}
		on := 0
		for _, r := range rs {
			for _, w := range r.Widths {
				st.Widths++
				if OnGrid(w, r.ArrayCols) {
					on++
				}
			}
			if r.Shape != nil {
				st.Shaped++
				st.GEMMEdgesMean += float64(r.Shape.GEMMEdges)
				st.SeparableEdgesMean += float64(r.Shape.SeparableEdges)
				st.DepthwiseMean += float64(r.Shape.Depthwise)
			}
		}
		if st.Shaped > 0 {
			n := float64(st.Shaped)
			st.GEMMEdgesMean, st.SeparableEdgesMean, st.DepthwiseMean = st.GEMMEdgesMean/n, st.SeparableEdgesMean/n, st.DepthwiseMean/n
		}
		if st.Widths > 0 {
			st.OnGrid = float64(on) / float64(st.Widths)
		}
		s.Methods = append(s.Methods, st)
	}
	slices.SortFunc(s.Methods, func(a, b MethodStats) int {
		return cmp.Or(cmp.Compare(methodRank(a.Method), methodRank(b.Method)), cmp.Compare(a.Method, b.Method))
	})
	s.Speedups = speedups(s.Aggregates)
	s.Verdicts = verdicts(s, similar)
	return s
}

// meanStd is report.MeanStd with the std of a single value reported as 0 rather than NaN.
func meanStd(xs []float64) (mean, std float64) {
	mean, std = report.MeanStd(xs)
	if len(xs) < 2 {
		std = 0
	}
	return mean, std
}

// points places runs in the accuracy–runtime plane of the hypervolume: simulated ms and accuracy in %.
func points(rs []Run) []report.Point {
	ps := make([]report.Point, len(rs))
	for i, r := range rs {
		ps[i] = report.Point{Label: fmt.Sprintf("λ=%s s%d", formatFloat(r.Lambda), r.Seed),
			Runtime: r.SimLatencyMS, Accuracy: 100 * r.TestAccuracy}
	}
	return ps
}

// aggregate finds the (method, λ) cell.
func aggregate(aggs []Aggregate, m string, l float64) (Aggregate, bool) {
	for _, a := range aggs {
		if a.Method == m && a.Lambda == l {
			return a, true
		}
	}
	return Aggregate{}, false
}

// speedups compares U-Boost with the baseline of lowest mean simulated latency at each λ where
// U-Boost and at least one baseline have runs.
func speedups(aggs []Aggregate) []Speedup {
	var out []Speedup
	for _, u := range aggs {
		if u.Method != UBoost {
			continue
		}
		var best *Aggregate
		for i, b := range aggs {
			if b.Method != UBoost && b.Lambda == u.Lambda && (best == nil || b.SimLatencyMeanMS < best.SimLatencyMeanMS) {
				best = &aggs[i]
			}
		}
		if best == nil {
			continue
		}
		out = append(out, Speedup{Lambda: u.Lambda, Baseline: best.Method, BaselineMS: best.SimLatencyMeanMS,
			UBoostMS: u.SimLatencyMeanMS, Speedup: best.SimLatencyMeanMS / u.SimLatencyMeanMS,
			AccuracyDiff: 100 * (u.AccuracyMean - best.AccuracyMean)})
	}
	return out
}

// verdicts compares U-Boost with each baseline λ by λ and writes the answer in words.
func verdicts(s *Summary, similar float64) []Verdict {
	hv := map[string]float64{}
	for _, m := range s.Methods {
		hv[m.Method] = m.HyperVolume
	}
	_, haveU := hv[UBoost]
	var out []Verdict
	for _, m := range s.Methods {
		if m.Method == UBoost {
			continue
		}
		v := Verdict{Baseline: m.Method, MinSpeedup: math.Inf(1), MaxSpeedup: math.Inf(-1)}
		if haveU && hv[UBoost] > 0 {
			v.HVRatio = m.HyperVolume / hv[UBoost]
		}
		for _, b := range s.Aggregates {
			if b.Method != m.Method {
				continue
			}
			u, ok := aggregate(s.Aggregates, UBoost, b.Lambda)
			if !ok {
				continue
			}
			v.Compared++
			sp := b.SimLatencyMeanMS / u.SimLatencyMeanMS
			drop := 100 * (b.AccuracyMean - u.AccuracyMean)
			v.MinSpeedup, v.MaxSpeedup = min(v.MinSpeedup, sp), max(v.MaxSpeedup, sp)
			v.MaxAccuracyDrop = max(v.MaxAccuracyDrop, drop)
			if sp > 1 && drop <= similar {
				v.Wins++
			}
			v.PerLambda = append(v.PerLambda, PairSpeedup{Lambda: b.Lambda, Speedup: sp, AccuracyDiff: -drop,
				UBoostRuns: u.N, BaselineRuns: b.N})
		}
		compareFronts(&v, s.Runs)
		bootstrapVerdict(&v, s.Runs)
		var slower []string
		for _, p := range v.PerLambda {
			if !(p.Speedup > 1 && -p.AccuracyDiff <= similar) {
				slower = append(slower, fmt.Sprintf("λ=%s: %.2f× latency ratio (%s), accuracy %+.1f pt",
					formatFloat(p.Lambda), p.Speedup, ciText(p.CI95), p.AccuracyDiff))
			}
		}
		v.Text = verdictText(v, slower, similar)
		if v.Compared == 0 {
			v.MinSpeedup, v.MaxSpeedup = 0, 0
		}
		out = append(out, v)
	}
	return out
}

// compareFronts fills v's comparison of U-Boost's and the baseline's Pareto staircases.
func compareFronts(v *Verdict, runs []Run) {
	// fastest is the lowest latency of the method's runs at least acc accurate (+Inf when none is).
	fastest := func(method string, acc float64) float64 {
		best := math.Inf(1)
		for _, r := range runs {
			if r.Method == method && r.TestAccuracy >= acc {
				best = min(best, r.SimLatencyMS)
			}
		}
		return best
	}
	var levels []float64
	for _, r := range runs {
		if r.Method == v.Baseline || r.Method == UBoost {
			levels = append(levels, r.TestAccuracy)
		}
	}
	slices.Sort(levels)
	logSum := 0.0
	for _, acc := range slices.Compact(levels) {
		b, u := fastest(v.Baseline, acc), fastest(UBoost, acc)
		if math.IsInf(b, 1) || math.IsInf(u, 1) || !(u > 0) {
			continue
		}
		sp := b / u
		if v.FrontLevels == 0 {
			v.FrontMin, v.FrontMax = sp, sp
		}
		v.FrontLevels++
		v.FrontMin, v.FrontMax = min(v.FrontMin, sp), max(v.FrontMax, sp)
		logSum += math.Log(sp)
	}
	if v.FrontLevels > 0 {
		v.FrontGeoMean = math.Exp(logSum / float64(v.FrontLevels))
	}
}

// frontText is the verdict's sentence on the Pareto staircases.
func frontText(v Verdict) string {
	if v.FrontLevels == 0 {
		return ""
	}
	return fmt.Sprintf(" Along the accuracy axis instead of by λ (at each accuracy both reach, the fastest %s run "+
		"at least that accurate over the fastest such U-Boost run): %.2f–%.2f×, geometric mean %.2f× (%s), over %d "+
		"accuracy levels (above 1: U-Boost is faster).", v.Baseline, v.FrontMin, v.FrontMax, v.FrontGeoMean,
		ciText(v.FrontGeoMeanCI95), v.FrontLevels)
}

// verdictText states a verdict in one paragraph with its numbers.
func verdictText(v Verdict, misses []string, similar float64) string {
	if v.Compared == 0 {
		return fmt.Sprintf("U-Boost vs %s: no λ has finished runs of both methods, so there is nothing to compare.", v.Baseline)
	}
	hv := ""
	if v.HVRatio > 0 {
		word := "better (lower)"
		if v.HVRatio < 1 {
			word = "worse (higher)"
		}
		hv = fmt.Sprintf(" U-Boost's hypervolume is %s: %s's is %.2f× U-Boost's (%s).", word, v.Baseline, v.HVRatio, ciText(v.HVRatioCI95))
	}
	hv += frontText(v)
	switch {
	case v.Wins == v.Compared:
		return fmt.Sprintf("U-Boost vs %s: YES — at all %d λ values U-Boost is faster on the simulated array at similar "+
			"accuracy (within %.1f pt), by %.2f–%.2f× (mean simulated latency of %s over U-Boost's); U-Boost's accuracy "+
			"is at most %.1f pt below.%s", v.Baseline, v.Compared, similar, v.MinSpeedup, v.MaxSpeedup, v.Baseline,
			v.MaxAccuracyDrop, hv)
	case v.Wins == 0:
		return fmt.Sprintf("U-Boost vs %s: NO — at none of %d λ values is U-Boost faster at similar accuracy "+
			"(within %.1f pt); latency ratios %.2f–%.2f×. Per λ: %s.%s", v.Baseline, v.Compared, similar,
			v.MinSpeedup, v.MaxSpeedup, strings.Join(misses, "; "), hv)
	default:
		return fmt.Sprintf("U-Boost vs %s: PARTLY — U-Boost is faster at similar accuracy (within %.1f pt) at %d of %d λ "+
			"values; latency ratios %.2f–%.2f×. Where not: %s.%s", v.Baseline, similar, v.Wins, v.Compared,
			v.MinSpeedup, v.MaxSpeedup, strings.Join(misses, "; "), hv)
	}
}

// WriteSummary writes the summary as DIR/summary.json.
func WriteSummary(dir string, s *Summary) error {
	return jsonfile.Write(filepath.Join(dir, "summary.json"), s)
}
