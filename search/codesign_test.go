package search

import (
	"bytes"
	stdctx "context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/nn"
)

func TestPEBudgetArrays(t *testing.T) {
	got, err := PEBudgetArrays(16384, 1)
	// 16384 = 2^14: rows 8…2048, aspect ≤ 16 keeps 32×512 … 512×32.
	want := []ArrayShape{{Rows: 32, Cols: 512}, {Rows: 64, Cols: 256}, {Rows: 128, Cols: 128}, {Rows: 256, Cols: 64}, {Rows: 512, Cols: 32}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("PEBudgetArrays(16384, 1) = %v, %v; want %v", got, err, want)
	}
	// 1024 PEs as one array (8×128 … 128×8), two of 512 (8×64 … 64×8), four of 256 (8×32, 16×16,
	// 32×8); eight of 128 would need 8×16 or 16×8, allowed too, but the count stops at 4.
	got, err = PEBudgetArrays(1024, 4)
	var names []string
	for _, s := range got {
		names = append(names, s.String())
	}
	wantNames := "8x128 16x64 32x32 64x16 128x8 2x8x64 2x16x32 2x32x16 2x64x8 4x8x32 4x16x16 4x32x8"
	if err != nil || strings.Join(names, " ") != wantNames {
		t.Errorf("PEBudgetArrays(1024, 4) = %v, %v; want %s", names, err, wantNames)
	}
	// The count stops where a share falls below 8×8: 256 PEs split at most four ways.
	got, err = PEBudgetArrays(256, 64)
	if err != nil || len(got) != 3+2+1 || got[len(got)-1].String() != "4x8x8" {
		t.Errorf("PEBudgetArrays(256, 64) = %v, %v; want 3 single shapes, 2 pairs and 4x8x8 last", got, err)
	}
	for _, bad := range [][2]int{{0, 1}, {1000, 1}, {64, 1}, {64, 8}, {1024, 3}, {1024, 0}, {1024, 1 << 17}} {
		if _, err := PEBudgetArrays(bad[0], bad[1]); err == nil {
			t.Errorf("PEBudgetArrays(%d, %d) gave no error", bad[0], bad[1])
		}
	}
	cfg := tinyConfig(t)
	for _, arrays := range [][]ArrayShape{{{Rows: 8, Cols: 8}}, {{Rows: 8, Cols: 8}, {Rows: 8, Cols: 8}}, {{Rows: 8, Cols: 8}, {Rows: 0, Cols: 8}}} {
		cfg.Arrays = arrays
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "arrays") {
			t.Errorf("arrays %v: %v", arrays, err)
		}
	}
}

// TestArrayExpectation prices a 3×3 conv on a 4×4×8 map, 8 output channels, batch 1, on two candidate
// arrays (GEMM M = 16, K = 72, N = 8) with array weights p = (0.25, 0.75):
//   - 8×8: ⌈72/8⌉·⌈8/8⌉·16 = 144 cycles, utilization 9216/(144·64) = 1;
//   - 4×16: ⌈72/4⌉·⌈8/16⌉·16 = 288 cycles, utilization 9216/(288·64) = 0.5;
//   - expected latency (0.25·144 + 0.75·288)·10⁻⁶ ms = 252·10⁻⁶ ms, utilization 0.25 + 0.375 = 0.625;
//   - energy on 8×8: 0.6263328 µJ (TestLayerCost). On 4×16: MACs 9216 (18432 pJ), registers 19008
//     (1900.8 pJ), SRAM reads 576 + 16·72·1 + 16·8·18 = 4032 (100800 pJ), writes 576 + 288 + 2304 =
//     3168 (79200 pJ), DRAM 1984 bytes (483600 pJ), idle 64·288 − 9216 = 9216 (460.8 pJ): 0.6843936 µJ;
//     expected 0.25·0.6263328 + 0.75·0.6843936 = 0.6698784 µJ;
//   - objective edp: per array 144e-6·0.6263328 and 288e-6·0.6843936 µJ·ms, expected
//     0.25·9.01919232e-5 + 0.75·1.971053568e-4 = 1.703769984e-4 (the expectation of the per-array
//     product, not the product of expectations).
//
// TestApplyCodesignDefaults checks the tested co-design design, each option following those before
// it, a chosen option kept as the caller set it, and that every option is named by its JSON key.
func TestApplyCodesignDefaults(t *testing.T) {
	arrays := func(n int) []ArrayShape { return make([]ArrayShape, n) }
	tested := func(n, to int) ArraySearch {
		return ArraySearch{Arrays: arrays(n), WidthsPerArray: true, ArrayTurns: true, ArrayChoice: ArrayChoiceObjective,
			ArrayHalving: to > 0, ArrayHalvingTo: to, ArrayHalvingFrom: map[bool]Stage{true: StageMicro}[to > 0]}
	}
	for _, c := range []struct {
		name   string
		in     ArraySearch
		chosen []string
		want   ArraySearch
	}{
		{"four arrays", ArraySearch{Arrays: arrays(4)}, nil, tested(4, 2)},
		{"three arrays", ArraySearch{Arrays: arrays(3)}, nil, tested(3, 2)},
		{"two arrays: no halving", ArraySearch{Arrays: arrays(2)}, nil, tested(2, 0)},
		{"halved to one", ArraySearch{Arrays: arrays(4), ArrayHalvingTo: 1}, []string{"array_halving_to"}, tested(4, 1)},
		{"halving from the channel stage", ArraySearch{Arrays: arrays(4), ArrayHalvingFrom: StageChannel},
			[]string{"array_halving_from"}, func() ArraySearch { c := tested(4, 2); c.ArrayHalvingFrom = StageChannel; return c }()},
		{"loss rule", ArraySearch{Arrays: arrays(4), ArrayChoice: ArrayChoiceLoss}, []string{"array_choice"},
			func() ArraySearch { c := tested(4, 2); c.ArrayChoice = ArrayChoiceLoss; return c }()},
		{"no halving", ArraySearch{Arrays: arrays(4)}, []string{"array_halving"},
			tested(4, 0)},
		{"turns off", ArraySearch{Arrays: arrays(4)}, []string{"array_turns"}, ArraySearch{Arrays: arrays(4), WidthsPerArray: true}},
		{"shared widths: the zero design", ArraySearch{Arrays: arrays(4)}, []string{"widths_per_array"}, ArraySearch{Arrays: arrays(4)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.in
			asked := map[string]bool{}
			got.ApplyCodesignDefaults(func(key string) bool { asked[key] = true; return slices.Contains(c.chosen, key) })
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
			// Each key asked is one of Config's JSON keys (set, so omitempty keeps it).
			full := tested(4, 2)
			raw, err := json.Marshal(Config{ArraySearch: full})
			if err != nil {
				t.Fatal(err)
			}
			var keys map[string]any
			if err := json.Unmarshal(raw, &keys); err != nil {
				t.Fatal(err)
			}
			for key := range asked {
				if _, ok := keys[key]; !ok {
					t.Errorf("asked about %q, not a key of Config's JSON", key)
				}
			}
			if len(asked) != 6 {
				t.Errorf("asked about %d options, want the 6 co-design ones: %v", len(asked), asked)
			}
		})
	}
	var nilChosen Config
	nilChosen.Arrays = arrays(4)
	nilChosen.ApplyCodesignDefaults(nil)
	if want := tested(4, 2); !reflect.DeepEqual(nilChosen.ArraySearch, want) {
		t.Errorf("nil chosen: got %+v, want %+v", nilChosen.ArraySearch, want)
	}
}

// TestForArray checks that the search following a co-design's choice is the search of that array
// alone: the edge preset on 64×16, as a co-design over four arrays with every option set and then
// ForArray(64×16), equals the preset searched on 64×16 directly, and validates.
func TestForArray(t *testing.T) {
	alone, err := Preset("edge")
	if err != nil {
		t.Fatal(err)
	}
	alone.Accel.Rows, alone.Accel.Cols = 64, 16
	codesign := *alone
	a := *alone.Accel
	a.Rows, a.Cols = 32, 32
	codesign.Accel = &a
	codesign.Arrays = []ArrayShape{{Rows: 16, Cols: 64}, {Rows: 32, Cols: 32}, {Rows: 64, Cols: 16}, {Rows: 128, Cols: 8}}
	codesign.ApplyCodesignDefaults(nil)
	codesign.TurnLRScale = 2
	if err := codesign.Validate(); err != nil {
		t.Fatal(err)
	}
	got := codesign.ForArray(ArrayShape{Rows: 64, Cols: 16})
	if !reflect.DeepEqual(got, alone) {
		t.Errorf("ForArray(64x16) of the co-design:\n%+v\nwant the search of 64x16 alone:\n%+v", got, alone)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("ForArray's search does not validate: %v", err)
	}
	if codesign.Accel.Rows != 32 || len(codesign.Arrays) != 4 {
		t.Errorf("ForArray changed the co-design's config: accelerator %dx%d, %d arrays", codesign.Accel.Rows, codesign.Accel.Cols, len(codesign.Arrays))
	}
}

// oneLayerTerms prices node nd at widths 8→8 on a 4×4 map on every candidate array of h, weighs the
// arrays by p under the MAC-weighted aggregation and the objective, and evaluates what outs picks.
func oneLayerTerms(t *testing.T, h *hwCost, nd arch.Node, objective Objective, p []float64, outs func(layerTerm, hwTerms) []*graph.Node) []float64 {
	t.Helper()
	return evalGraph(t, func(g *graph.Graph) []*graph.Node {
		term, err := h.layer(g, dtypes.Float64, nd, [2]int{4, 4}, fixedWidth(8), fixedWidth(8))
		if err != nil {
			t.Fatal(err)
		}
		acc := newHWAcc(g, dtypes.Float64, h, 1)
		acc.add(term)
		return outs(term, acc.terms(AggMACWeighted, objective, constOf(g, dtypes.Float64, p, len(p))))
	})
}

// TestSeveralArraysCandidate: a candidate of several arrays is priced as the busiest of them. A 3×3
// conv 8→8 on a 4×4 map at batch 1 is M = 16, K = 72, N = 8: on one 8×8 array 9 tiles, 144 cycles;
// on two 8×8 arrays ("2x8x8") the busiest runs ⌈9/2⌉ = 5, 80 cycles, and the utilization is over
// both arrays' 128 PEs: 9216 / (80·128) = 0.9. ParseArrays reads the candidate and names it back.
func TestSeveralArraysCandidate(t *testing.T) {
	arrays, err := ParseArrays("8x8,2x8x8")
	if err != nil || len(arrays) != 2 || arrays[1] != (ArrayShape{Rows: 8, Cols: 8, Arrays: 2}) || arrays[1].String() != "2x8x8" || arrays[0].Arrays != 0 {
		t.Fatalf("ParseArrays = %+v, %v", arrays, err)
	}
	nd := opNodes(OpConv3x3, "e", arch.InputName, 0)[0]
	cfg := tinyConfig(t)
	cfg.Ceil, cfg.Arrays, cfg.Beta = cost.ExactCeil, arrays, 1
	if c := cfg.Candidates(); c[1].NumArrays() != 2 || c[1].AllPEs() != 128 || c[0].NumArrays() != 1 {
		t.Errorf("candidates %v, %v", c[0], c[1])
	}
	h := newHWCost(cfg)
	got := oneLayerTerms(t, h, nd, ObjectiveLatency, []float64{0.5, 0.5}, func(term layerTerm, hw hwTerms) []*graph.Node {
		return []*graph.Node{term.cycles, hw.ArrayCosts, hw.ArrayUtils}
	})
	want := []float64{144, 80, 144e-6, 80e-6, 1, 0.9}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("output %d = %.10g, want %.10g", i, got[i], want[i])
		}
	}
	if a := cfg.ForArray(arrays[1]).Accel; a.NumArrays() != 2 || a.Rows != 8 {
		t.Errorf("ForArray(2x8x8) = %v", a)
	}
}

func TestArrayExpectation(t *testing.T) {
	nd := opNodes(OpConv3x3, "e", arch.InputName, 0)[0]
	cfg := tinyConfig(t)
	cfg.Ceil, cfg.Arrays, cfg.Objective = cost.ExactCeil, []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}}, ObjectiveEDP
	h := newHWCost(cfg)
	got := oneLayerTerms(t, h, nd, ObjectiveEDP, []float64{0.25, 0.75}, func(_ layerTerm, hw hwTerms) []*graph.Node {
		return []*graph.Node{hw.LatencyMs, hw.Util, hw.EnergyUJ, hw.Cost, hw.ArrayCosts}
	})
	flat := got
	want := []float64{252e-6, 0.625, 0.6698784, 1.703769984e-4, 144e-6 * 0.6263328, 288e-6 * 0.6843936}
	if len(flat) != len(want) {
		t.Fatalf("got %v", flat)
	}
	for i := range want {
		if d := flat[i] - want[i]; d > 1e-9*want[i] || d < -1e-9*want[i] {
			t.Errorf("output %d = %.10g, want %.10g", i, flat[i], want[i])
		}
	}
}

// TestCodesignLeavesAWorseArray: a search whose candidates are 8×8 and 4×4, with β = 0 so that only
// latency counts (4×4 takes more cycles on every layer of the supernet: each has K > 4), must move the
// array probability away from 4×4, and the derived accelerator is 8×8; metrics.jsonl records the
// expected latency on each candidate, higher on 4×4.
func TestCodesignLeavesAWorseArray(t *testing.T) {
	ds := fixture(t, 80, 8)
	cfg := tinyConfig(t)
	cfg.Arrays, cfg.Beta, cfg.Lambda = []ArrayShape{{Rows: 4, Cols: 4}, {Rows: 8, Cols: 8}}, 0, 1000
	cfg.EpochsMicro = 1
	dir := filepath.Join(t.TempDir(), "micro")
	res, err := RunMicro(cfg, ds.Train, dir, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	probs, _ := res.Network.Search["array_probs"].([]float64)
	if len(probs) != 2 || !(probs[0] < 0.5) || res.Network.Search[ArrayKey] != "8x8" {
		t.Errorf("array probabilities %v, chosen %v; want 4x4 below 0.5 and 8x8 chosen", probs, res.Network.Search[ArrayKey])
	}
	raw, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var epoch *Metric
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m Metric
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m.Phase == "epoch" {
			epoch = &m
		}
	}
	if epoch == nil || len(epoch.ArrayCosts) != 2 || !(epoch.ArrayCosts[0] > epoch.ArrayCosts[1]) || epoch.Array != "8x8" {
		t.Errorf("epoch summary %+v; want the 4x4 costlier than the 8x8", epoch)
	}
}

// TestGradientArrayLogits: the loss's gradient with respect to the array logits (and, through the
// expectation over arrays, the op logits) matches finite differences, for each objective.
func TestGradientArrayLogits(t *testing.T) {
	for _, obj := range Objectives {
		t.Run(string(obj), func(t *testing.T) {
			cfg := gradConfig(t)
			cfg.Arrays, cfg.Objective = []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}, {Rows: 16, Cols: 4}}, obj
			cfg.Lambda = map[Objective]float64{ObjectiveLatency: 2000, ObjectiveEnergy: 20, ObjectiveEDP: 2e5}[obj]
			s, err := newSupernet(cfg, StageMicro, nil, arch.Shape{H: 6, W: 6, C: 1}, 3)
			if err != nil {
				t.Fatal(err)
			}
			checkArchGradient(t, s, "/arch/"+scopeArrays, arrayLogitVar, 1)
			checkArchGradient(t, s, "/arch/cells", "alpha", 11)
		})
	}
}

// TestWidthsPerArrayPricing prices the conv of TestArrayExpectation (3×3 on a 4×4×8 map, batch 1,
// array weights p = (0.25, 0.75)) with an output width of its own per array, options 8 and 16: on 8×8
// q = (0.5, 0.5), on 4×16 q = (0, 1).
//   - 8×8: N = 8 takes ⌈72/8⌉·⌈8/8⌉·16 = 144 cycles, N = 16 takes 9·2·16 = 288: expected 216;
//   - 4×16: N = 16 takes ⌈72/4⌉·⌈16/16⌉·16 = 288 cycles;
//   - expected latency (0.25·216 + 0.75·288)·10⁻⁶ ms = 270·10⁻⁶ ms; array costs (216, 288)·10⁻⁶.
//
// The width of an Add of two such inputs is the maximum on each array's own widths (maxDist per row).
func TestWidthsPerArrayPricing(t *testing.T) {
	nd := opNodes(OpConv3x3, "e", arch.InputName, 0)[0]
	cfg := tinyConfig(t)
	cfg.Ceil, cfg.Arrays, cfg.WidthsPerArray = cost.ExactCeil, []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}}, true
	h := newHWCost(cfg)
	got := evalGraph(t, func(g *graph.Graph) []*graph.Node {
		vals := []float64{8, 16}
		out := widthDist{vals: vals, byArray: []*graph.Node{
			constOf(g, dtypes.Float64, []float64{0.5, 0.5}, 2), constOf(g, dtypes.Float64, []float64{0, 1}, 2)}}
		term, err := h.layer(g, dtypes.Float64, nd, [2]int{4, 4}, fixedWidth(8), out)
		if err != nil {
			t.Fatal(err)
		}
		acc := newHWAcc(g, dtypes.Float64, h, 1)
		acc.add(term)
		hw := acc.terms(AggMACWeighted, ObjectiveLatency, constOf(g, dtypes.Float64, []float64{0.25, 0.75}, 2))
		// Max of out and a second input with rows (1, 0) and (0.5, 0.5): CDFs multiply per row,
		// (0.5·1, 1) = (0.5, 1) on 8×8 and (0·0.5, 1) on 4×16: P(max = 8) = 0.5 and 0.
		other := widthDist{vals: vals, byArray: []*graph.Node{
			constOf(g, dtypes.Float64, []float64{1, 0}, 2), constOf(g, dtypes.Float64, []float64{0.5, 0.5}, 2)}}
		m := maxDist(g, dtypes.Float64, []widthDist{out, other})
		return []*graph.Node{hw.LatencyMs, hw.ArrayCosts, m.byArray[0], m.byArray[1]}
	})
	want := []float64{270e-6, 216e-6, 288e-6, 0.5, 0.5, 0, 1}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("output %d = %.10g, want %.10g (all: %v)", i, got[i], want[i], got)
		}
	}
	cfg.Arrays = nil
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "widths_per_array") {
		t.Errorf("widths per array without candidate arrays: %v, want an error naming widths_per_array", err)
	}
}

// perArraySupernet is the channel stage of a one-cell supernet on 6×6 images, widths 3, 5 or 8, with
// candidate arrays 8×8 and 4×16 and a width distribution per array.
func perArraySupernet(t *testing.T) *supernet {
	t.Helper()
	return perArraySupernetOn(t, []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}})
}

// perArraySupernetOn is perArraySupernet with the given candidate arrays.
func perArraySupernetOn(t *testing.T, arrays []ArrayShape) *supernet {
	t.Helper()
	ops := []string{OpConv3x3, OpSep3x3, OpIdentity, OpDil3x3, OpConv5x5, OpZero, OpSep5x5, OpIdentity, OpConv3x3}
	cfg := gradConfig(t)
	cfg.Channels = []int{3, 5, 8}
	cfg.Arrays, cfg.WidthsPerArray = arrays, true
	s, err := newSupernet(cfg, StageChannel, &Genotype{Ops: [][]string{ops}}, arch.Shape{H: 6, W: 6, C: 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGradientWidthsPerArray: with a width distribution per candidate array, the loss's gradient with
// respect to the [arrays × options] width logits and to the array logits matches finite differences.
func TestGradientWidthsPerArray(t *testing.T) {
	s := perArraySupernet(t)
	for _, layer := range []string{"c1.xp_pre", "c1.xpp-t3.conv3x3"} {
		checkArchGradient(t, s, "/arch/"+layer, "width", 1)
	}
	checkArchGradient(t, s, "/arch/"+scopeArrays, arrayLogitVar, 1)
}

// TestWidthsPerArrayDerivation: with widths per array, the derived widths are read from the chosen
// array's row of each layer's width logits (here the second array, of larger logit).
func TestWidthsPerArrayDerivation(t *testing.T) {
	s := perArraySupernet(t)
	ctx := context.New()
	s.initArch(ctx, dtypes.Float64)
	ctx.GetVariableByScopeAndName("/"+scopeArch+"/"+scopeArrays, arrayLogitVar).MustSetValue(tensorOf(dtypes.Float64, []float64{0.1, 0.4}, 2))
	layers := s.widthLayers()
	for i, name := range layers {
		v := ctx.GetVariableByScopeAndName("/"+scopeArch+"/"+name, "width")
		if got := v.Shape().Dimensions; len(got) != 2 || got[0] != 2 || got[1] != 3 {
			t.Fatalf("%s: width logits of shape %v, want [2 3]", name, got)
		}
		// Row 0 favours option 0; row 1 favours option i mod 3.
		row1 := []float64{0, 0, 0}
		row1[i%3] = 1
		v.MustSetValue(tensorOf(dtypes.Float64, append([]float64{1, 0, 0}, row1...), 2, 3))
	}
	got := s.widthLogits(ctx)
	for i, name := range layers {
		want := []float64{0, 0, 0}
		want[i%3] = 1
		if !reflect.DeepEqual(got[name], want) {
			t.Errorf("%s: width logits %v, want the chosen array's row %v", name, got[name], want)
		}
	}
	if a := s.chosenAccel(ctx); a.Rows != 4 || a.Cols != 16 {
		t.Errorf("chosen array %dx%d, want 4x16", a.Rows, a.Cols)
	}
}

// turnsSupernet is perArraySupernet with the arrays taken in turn.
func turnsSupernet(t *testing.T) *supernet {
	t.Helper()
	s := perArraySupernet(t)
	s.cfg.ArrayTurns = true
	if err := s.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestArrayTurnsMask: with the arrays taken in turn, the forward pass's network is the one of the
// array whose turn it is (changing the other array's width logits leaves the CE exactly as it was,
// changing its own does not) and the hardware term is the plain mean of the arrays' costs.
func TestArrayTurnsMask(t *testing.T) {
	s := turnsSupernet(t)
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(3))
	ctx.SetParam(nn.ParamBNFused, false)
	s.initArch(ctx, dtypes.Float64)
	pixels := make([]float64, 2*6*6)
	for i := range pixels {
		pixels[i] = float64(i%7) - 3
	}
	images := tensors.FromFlatDataAndDimensions(pixels, 2, 6, 6, 1)
	labels := tensors.FromFlatDataAndDimensions([]int32{0, 2}, 2, 1)
	exec, err := context.NewExec(engine.Backend(), ctx.Checked(false), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		ctx.SetTraining(in[0].Graph(), false)
		logits, hw, err := s.forward(ctx, in[0], graph.Scalar(in[0].Graph(), dtypes.Float64, 0.7))
		if err != nil {
			t.Fatal(err)
		}
		ce, _, _ := s.loss(logits, in[1], hw)
		return []*graph.Node{ce, hw.Cost, hw.ArrayCosts}
	})
	if err != nil {
		t.Fatal(err)
	}
	eval := func() (ce, cost float64, costs []float64) {
		if err := ctx.SetRNGStateFromSeed(11); err != nil {
			t.Fatal(err)
		}
		out := exec.MustExec(images, labels)
		return scalarOf(out[0]), scalarOf(out[1]), flat64(out[2])
	}
	eval() // initializes the weights from the RNG
	setRow := func(row int, logits []float64) {
		for _, name := range s.widthLayers() {
			v := ctx.GetVariableByScopeAndName("/"+scopeArch+"/"+name, "width")
			all := variableValues(v)
			copy(all[row*3:], logits)
			v.MustSetValue(tensorOf(dtypes.Float64, all, 2, 3))
		}
	}
	ce0, cost0, costs0 := eval()
	if !near(cost0, (costs0[0]+costs0[1])/2) {
		t.Errorf("hardware term %.10g, want the mean of the array costs %v", cost0, costs0)
	}
	setRow(1, []float64{3, 0, 0}) // the other array's row: narrower widths
	ce1, _, costs1 := eval()
	if ce1 != ce0 || costs1[0] != costs0[0] || !(costs1[1] < costs0[1]) {
		t.Errorf("other row changed: CE %.10g → %.10g, costs %v → %v; want the CE and array 0's cost unchanged, array 1's lower", ce0, ce1, costs0, costs1)
	}
	setRow(0, []float64{3, 0, 0}) // the row whose turn it is
	if ce2, _, costs2 := eval(); ce2 == ce1 || !(costs2[0] < costs1[0]) {
		t.Errorf("own row changed: CE %.10g → %.10g, costs %v → %v; want both to move", ce1, ce2, costs1, costs2)
	}
}

// TestArrayTurnsSchedule runs a weight step and three architecture steps of the training step graph
// with two arrays taken in turn: the turn advances every step; an architecture step folds its CE
// into the mean of the array whose turn it was (the first seeds both, the plain mean until ten turns)
// and sets each array's logit to −(mean CE + λ·its cost − β·its utilization at that step), or under
// the objective choice to −(mean CE + λ·its cost).
func TestArrayTurnsSchedule(t *testing.T) {
	for _, c := range []struct {
		beta   float64
		choice ArrayChoice
	}{{0, ArrayChoiceLoss}, {0.5, ArrayChoiceLoss}, {0.5, ArrayChoiceObjective}} {
		t.Run(fmt.Sprintf("beta=%g,%s", c.beta, c.choice), func(t *testing.T) { checkArrayTurnsSchedule(t, c.beta, c.choice) })
	}
}

// stepFixture initializes s's architecture variables in a new context (seed 3) and compiles its
// weight and architecture training steps on four fixed 6×6 images with labels 0, 1, 2, 1.
func stepFixture(t *testing.T, s *supernet) (*context.Context, *tensors.Tensor, *tensors.Tensor, map[string]*context.Exec) {
	t.Helper()
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(3))
	dt := dtypes.Float32
	s.initArch(ctx, dt)
	images := tensors.FromShape(shapes.Make(dt, 4, 6, 6, 1))
	tensors.MustMutableFlatData[float32](images, func(d []float32) {
		for i := range d {
			d[i] = float32(i%5) - 2
		}
	})
	labels := tensors.FromFlatDataAndDimensions([]int32{0, 1, 2, 1}, 4, 1)
	execs := map[string]*context.Exec{}
	for _, phase := range []string{"weights", "arch"} {
		exec, err := context.NewExec(engine.Backend(), ctx.Checked(false), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			outs, err := s.stepGraph(ctx, phase, in[0], in[1], in[2], in[3])
			if err != nil {
				t.Fatal(err)
			}
			return outs
		})
		if err != nil {
			t.Fatal(err)
		}
		execs[phase] = exec
	}
	return ctx, images, labels, execs
}

// validStepFixture validates s's config, then is stepFixture with the learning rate (0.01) and Gumbel
// temperature (0.7) of the array-turn tests.
func validStepFixture(t *testing.T, s *supernet) (ctx *context.Context, images, labels *tensors.Tensor, execs map[string]*context.Exec, lr, tau *tensors.Tensor) {
	t.Helper()
	if err := s.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, images, labels, execs = stepFixture(t, s)
	return ctx, images, labels, execs, tensors.FromScalar(float32(0.01)), tensors.FromScalar(float32(0.7))
}

// arrayStateOf reads one of the co-design's array vectors.
func arrayStateOf(ctx *context.Context, name string) []float64 {
	return variableValues(ctx.GetVariableByScopeAndName("/"+scopeArch+"/"+scopeArrays, name))
}

func checkArrayTurnsSchedule(t *testing.T, beta float64, choice ArrayChoice) {
	s := turnsSupernet(t)
	s.cfg.Beta, s.cfg.ArrayChoice = beta, choice
	ctx, images, labels, execs, lr, tau := validStepFixture(t, s)
	state := func(name string) []float64 { return arrayStateOf(ctx, name) }
	approx := func(what string, got, want []float64) {
		t.Helper()
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-5*(1+math.Abs(want[i])) {
				t.Errorf("%s = %v, want %v", what, got, want)
				return
			}
		}
	}
	execs["weights"].MustExec(images, labels, lr, tau)
	approx("turn after the weight step", state(arrayTurnVar), []float64{0, 1})
	approx("seen after the weight step", state(arraySeenVar), []float64{0, 0})
	var ce, costs, utils []float64
	for _, lab := range [][]int32{{2, 2, 0, 0}, {1, 0, 1, 2}, {0, 0, 0, 1}} { // CEs far apart
		outs := execs["arch"].MustExec(images, tensors.FromFlatDataAndDimensions(lab, 4, 1), lr, tau)
		ce = append(ce, scalarOf(outs[1]))
		costs, utils = costs[:0], utils[:0]
		for _, c := range tensors.MustCopyFlatData[float32](outs[6]) {
			costs = append(costs, float64(c))
		}
		for _, u := range tensors.MustCopyFlatData[float32](outs[7]) {
			utils = append(utils, float64(u))
		}
	}
	approx("turn", state(arrayTurnVar), []float64{1, 0})
	approx("seen", state(arraySeenVar), []float64{1, 2})
	mean := []float64{ce[1], ce[0] + (ce[2]-ce[0])/2} // array 1 had turns 1 and 3, array 0 turn 2
	if math.Abs(ce[0]-ce[2]) < 0.01 || math.Abs(ce[0]-ce[1]) < 0.01 {
		t.Fatalf("CEs %v too close to tell the means apart", ce)
	}
	approx("mean CE", state(arrayCEVar), mean)
	reward := beta
	if choice == ArrayChoiceObjective {
		reward = 0
	}
	if beta > 0 && math.Abs(utils[0]-utils[1]) < 1e-3 {
		t.Fatalf("utilizations %v too close to tell the rules apart", utils)
	}
	approx("logits", state(arrayLogitVar), []float64{
		-(mean[0] + s.cfg.Lambda*costs[0] - reward*utils[0]), -(mean[1] + s.cfg.Lambda*costs[1] - reward*utils[1])})
}

// TestGradientArrayTurns: with the arrays taken in turn, the loss's gradient with respect to the
// [arrays × options] width logits matches finite differences (the array whose turn it is gets the CE's
// gradient and both their cost's).
func TestGradientArrayTurns(t *testing.T) {
	checkArchGradient(t, turnsSupernet(t), "/arch/c1.xpp-t3.conv3x3", "width", 1)
	s := perArraySupernet(t)
	s.cfg.WidthsPerArray, s.cfg.ArrayTurns = false, true
	if err := s.cfg.Validate(); err == nil || !strings.Contains(err.Error(), "array_turns") {
		t.Errorf("array turns without widths per array: %v, want an error naming array_turns", err)
	}
	s = perArraySupernet(t)
	s.cfg.ArrayChoice = ArrayChoiceObjective
	if err := s.cfg.Validate(); err == nil || !strings.Contains(err.Error(), "array_choice") {
		t.Errorf("array choice without array turns: %v, want an error naming array_choice", err)
	}
	s.cfg.ArrayTurns, s.cfg.ArrayChoice = true, "latency"
	if err := s.cfg.Validate(); err == nil || !strings.Contains(err.Error(), "array_choice") {
		t.Errorf("array choice %q: %v, want an error naming array_choice", s.cfg.ArrayChoice, err)
	}
}

// TestResumeArrayTurns: a co-design micro search with the arrays in turn, stopped in its second epoch
// and resumed, ends with the array probabilities and arch.json of one never stopped: the turn, the
// running means and the counts come back from the checkpoint.
func TestResumeArrayTurns(t *testing.T) {
	ds := fixture(t, 80, 8)
	checkResumeArrays(t, func(dir string, opt RunOptions) (*arch.Network, error) {
		c := resumeConfig(t)
		c.Arrays, c.WidthsPerArray, c.ArrayTurns = []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}}, true, true
		res, err := RunMicro(c, ds.Train, dir, opt)
		if err != nil {
			return nil, err
		}
		return res.Network, nil
	})
}

// TestResumeArrayHalving: the same for a channel stage with three arrays halved over three epochs,
// stopped in the second, after the first array was dropped: which arrays are left comes back from
// the checkpoint too, and the stage ends on one array.
func TestResumeArrayHalving(t *testing.T) {
	ds := fixture(t, 80, 8)
	net := checkResumeArrays(t, func(dir string, opt RunOptions) (*arch.Network, error) {
		c := resumeConfig(t)
		c.EpochsChannel = 3
		c.Arrays, c.WidthsPerArray, c.ArrayTurns, c.ArrayHalving = []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}, {Rows: 16, Cols: 4}}, true, true, true
		res, err := RunChannel(c, ds.Train, &Genotype{Ops: [][]string{slices.Repeat([]string{OpConv3x3}, len(Edges))}}, dir, opt)
		if err != nil {
			return nil, err
		}
		return res.Network, nil
	})
	if probs := net.Search["array_probs"].([]float64); slices.Max(probs) != 1 {
		t.Errorf("array probabilities %v after halving to one array, want one of them 1", probs)
	}
}

// checkResumeArrays runs a co-design stage whole and stopped at epoch 2 step 3 then resumed, and checks
// that both end with the same, non-uniform array probabilities and the same arch.json; it returns the
// network of the whole run.
func checkResumeArrays(t *testing.T, run func(dir string, opt RunOptions) (*arch.Network, error)) *arch.Network {
	t.Helper()
	whole := filepath.Join(t.TempDir(), "whole")
	want, err := run(whole, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stopped := filepath.Join(t.TempDir(), "stopped")
	stop, cancel := stdctx.WithCancel(stdctx.Background())
	defer cancel()
	_, err = run(stopped, RunOptions{Context: stop, Progress: func(p Progress) {
		if p.Epoch == 2 && p.Step == 3 {
			cancel()
		}
	}})
	if err == nil {
		t.Fatal("the stopped search succeeded")
	}
	got, err := run(stopped, RunOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	wp, gp := want.Search["array_probs"].([]float64), got.Search["array_probs"].([]float64)
	if len(wp) < 2 || slices.Min(wp) == slices.Max(wp) || !reflect.DeepEqual(wp, gp) {
		t.Errorf("array probabilities: resumed %v, uninterrupted %v (want equal and not uniform)", gp, wp)
	}
	a, _ := os.ReadFile(filepath.Join(whole, ArchFile))
	b, _ := os.ReadFile(filepath.Join(stopped, ArchFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("arch.json differs after resuming:\n%s\nvs\n%s", b, a)
	}
	return want
}

// TestTurnLRScale: with the arrays in turn, the channel stage's first architecture step moves each
// width logit by ArchLR·TurnLRScale (Adam's first step is lr·g/|g|), so a scale of 2 doubles the
// largest move; a scale without array turns, or out of range, is an error naming turn_lr_scale.
func TestTurnLRScale(t *testing.T) {
	largest := map[float64]float64{}
	for _, scale := range []float64{0, 2} {
		s := turnsSupernet(t)
		s.cfg.TurnLRScale = scale
		if err := s.cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		ctx, images, labels, execs := stepFixture(t, s)
		logits := func() map[string][]float64 { // every array's row
			out := map[string][]float64{}
			for _, name := range s.widthLayers() {
				out[name] = variableValues(ctx.GetVariableByScopeAndName("/"+scopeArch+"/"+name, "width"))
			}
			return out
		}
		before := logits()
		execs["arch"].MustExec(images, labels, tensors.FromScalar(float32(0.01)), tensors.FromScalar(float32(0.7)))
		for name, after := range logits() {
			for i, v := range after {
				largest[scale] = math.Max(largest[scale], math.Abs(v-before[name][i]))
			}
		}
	}
	lr := turnsSupernet(t).cfg.ArchLR
	for scale, want := range map[float64]float64{0: lr, 2: 2 * lr} {
		if got := largest[scale]; math.Abs(got-want) > 1e-4*want {
			t.Errorf("scale %g: largest width-logit move %.6g, want ArchLR·scale = %.6g", scale, got, want)
		}
	}
	for _, c := range []struct {
		scale float64
		turns bool
	}{{2, false}, {-1, true}, {math.NaN(), true}, {MaxTurnLRScale + 1, true}} {
		s := perArraySupernet(t)
		s.cfg.ArrayTurns, s.cfg.TurnLRScale = c.turns, c.scale
		if err := s.cfg.Validate(); err == nil || !strings.Contains(err.Error(), "turn_lr_scale") {
			t.Errorf("scale %g, array turns %v: %v, want an error naming turn_lr_scale", c.scale, c.turns, err)
		}
	}
}

// TestHalvingLeft: successive halving's schedule, exactly: ⌈log₂ n⌉ halvings at the ends of equal
// rounds of the epochs after the warm-up, then a last round with one array.
func TestHalvingLeft(t *testing.T) {
	for _, c := range []struct {
		n, last, epochs, warmup int
		want                    []int // after 0, 1, …, epochs epochs
	}{
		{4, 1, 10, 0, []int{4, 4, 4, 2, 2, 2, 2, 1, 1, 1, 1}}, // ends 3.3 → 3 and 6.7 → 7
		{4, 1, 10, 2, []int{4, 4, 4, 4, 4, 2, 2, 1, 1, 1, 1}}, // 8 epochs after the warm-up: 2+3, 2+5
		{4, 2, 10, 0, []int{4, 4, 4, 4, 4, 2, 2, 2, 2, 2, 2}}, // one halving, at the middle
		{3, 1, 6, 0, []int{3, 3, 2, 2, 1, 1, 1}},              // ⌈3/2⌉ = 2, then 1
		{5, 1, 8, 0, []int{5, 5, 3, 3, 2, 2, 1, 1, 1}},        // three halvings: 3, 2, 1
		{5, 2, 6, 0, []int{5, 5, 3, 3, 2, 2, 2}},              // two: 3, 2
		{6, 4, 4, 0, []int{6, 6, 4, 4, 4}},                    // ⌈6/2⌉ = 3 is below 4: 4
		{2, 1, 1, 0, []int{2, 1}},                             // one epoch: the halving at its end
		{4, 1, 1, 0, []int{4, 1}},                             // both halvings at the end of the only epoch
	} {
		for done, want := range c.want {
			if got := halvingLeft(c.n, c.last, c.epochs-c.warmup, done-c.warmup); got != want {
				t.Errorf("halvingLeft(n=%d, last=%d, epochs=%d, warmup=%d, done=%d) = %d, want %d", c.n, c.last, c.epochs, c.warmup, done, got, want)
			}
		}
	}
}

// TestArrayHalving: three arrays in turn with successive halving over a three-epoch channel stage.
// After the first epoch the array of lowest logit (highest estimated loss) is dropped: its logit
// falls by droppedLogitGap, the turn skips it, and the loss prices the mean of the two left; after
// the second only the array of largest logit is left, takes every turn and is priced alone, and it
// is the derived array. Halving without array turns is an error naming array_halving.
func TestArrayHalving(t *testing.T) {
	s := perArraySupernetOn(t, []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}, {Rows: 16, Cols: 4}})
	s.cfg.ArrayTurns, s.cfg.ArrayHalving, s.cfg.ArrayChoice = true, true, ArrayChoiceObjective
	ctx, images, labels, execs, lr, tau := validStepFixture(t, s)
	state := func(name string) []float64 { return arrayStateOf(ctx, name) }
	turnOf := func() int { return slices.Index(state(arrayTurnVar), 1) }
	step := func(phase string) (latency float64, costs []float64) {
		outs := execs[phase].MustExec(images, labels, lr, tau)
		for _, c := range tensors.MustCopyFlatData[float32](outs[6]) {
			costs = append(costs, float64(c))
		}
		return scalarOf(outs[3]), costs
	}
	for range 3 { // one architecture step on each array: every estimate set
		step("arch")
	}
	before := state(arrayLogitVar)
	worst, best := 0, 0
	for i, l := range before {
		if l < before[worst] {
			worst = i
		}
		if l > before[best] {
			best = i
		}
	}
	if left := s.halveArrays(ctx, 3, 1); len(left) != 2 || slices.Contains(left, s.cfg.Arrays[worst].String()) {
		t.Fatalf("after epoch 1 of 3: arrays left %v, want the two other than %s (logits %v)", left, s.cfg.Arrays[worst], before)
	}
	wantLeft := []float64{1, 1, 1}
	wantLeft[worst] = 0
	if got := state(arrayLeftVar); !slices.Equal(got, wantLeft) {
		t.Errorf("left = %v, want %v", got, wantLeft)
	}
	if got := state(arrayLogitVar); math.Abs(got[worst]-(before[worst]-droppedLogitGap)) > 1e-3 {
		t.Errorf("dropped array's logit %g, want %g", got[worst], before[worst]-droppedLogitGap)
	}
	for range 4 {
		if turnOf() == worst {
			t.Fatalf("turn on the dropped array %d", worst)
		}
		latency, costs := step("weights")
		mean := 0.0
		for i, c := range costs {
			mean += wantLeft[i] * c / 2
		}
		if math.Abs(latency-mean) > 1e-5*mean {
			t.Errorf("expected latency %.8g, want the mean of the two arrays left %.8g (costs %v)", latency, mean, costs)
		}
	}
	step("arch")
	if got := state(arrayLogitVar)[worst]; !(got < -droppedLogitGap/2) {
		t.Errorf("dropped array's logit after an architecture step %g, want about −%d", got, droppedLogitGap)
	}
	logits := state(arrayLogitVar)
	best = 0
	for i, l := range logits {
		if l > logits[best] {
			best = i
		}
	}
	if left := s.halveArrays(ctx, 3, 2); !slices.Equal(left, []string{s.cfg.Arrays[best].String()}) {
		t.Fatalf("after epoch 2 of 3: arrays left %v, want %s alone (logits %v)", left, s.cfg.Arrays[best], logits)
	}
	for range 3 {
		if turnOf() != best {
			t.Fatalf("turn on array %d, want %d, the only one left", turnOf(), best)
		}
		if latency, costs := step("arch"); math.Abs(latency-costs[best]) > 1e-5*costs[best] {
			t.Errorf("expected latency %.8g, want array %d's alone %.8g", latency, best, costs[best])
		}
	}
	if got := s.chosenArray(ctx); got != best {
		t.Errorf("derived array %d, want %d", got, best)
	}
	if probs := softmax(state(arrayLogitVar)); probs[best] != 1 {
		t.Errorf("array probabilities %v, want 1 on array %d", probs, best)
	}
	s = perArraySupernet(t)
	s.cfg.ArrayHalving = true
	if err := s.cfg.Validate(); err == nil || !strings.Contains(err.Error(), "array_halving") {
		t.Errorf("halving without array turns: %v, want an error naming array_halving", err)
	}
	for _, c := range []struct {
		halving bool
		to      int
	}{{false, 1}, {true, -1}, {true, 2}} { // two candidates: at most 1 left
		s := perArraySupernet(t)
		s.cfg.ArrayTurns, s.cfg.ArrayHalving, s.cfg.ArrayHalvingTo = true, c.halving, c.to
		if err := s.cfg.Validate(); err == nil || !strings.Contains(err.Error(), "array_halving_to") {
			t.Errorf("halving %v to %d of 2 arrays: %v, want an error naming array_halving_to", c.halving, c.to, err)
		}
	}
}

// TestHalvingFromMicro: under ArrayHalvingFrom micro the halving's rounds run over both stages'
// architecture epochs (here 10 and 10, or 8 and 8 after a two-epoch warm-up each), so halving three
// arrays to two falls at the micro stage's end; a channel stage started from a genotype that left
// 8×8 and 16×4 has them in turn, the turn on the first of them and 4×16's logit droppedLogitGap
// down; a genotype whose arrays_left does not fit the config is an error naming arrays_left.
func TestHalvingFromMicro(t *testing.T) {
	cfg := gradConfig(t)
	cfg.EpochsMicro, cfg.EpochsChannel = 10, 10
	cfg.Arrays, cfg.WidthsPerArray, cfg.ArrayTurns, cfg.ArrayHalving = []ArrayShape{{Rows: 4, Cols: 16}, {Rows: 8, Cols: 8}, {Rows: 16, Cols: 4}}, true, true, true
	cfg.ArrayHalvingFrom = StageMicro
	for _, c := range []struct {
		stage                Stage
		warmup, epochs, done int
		span, spanDone, left int
	}{
		{StageMicro, 0, 10, 9, 20, 9, 3},
		{StageMicro, 0, 10, 10, 20, 10, 2}, // ⌈3/2⌉ = 2 after half of the 20
		{StageChannel, 0, 10, 1, 20, 11, 2},
		{StageMicro, 2, 10, 1, 16, -1, 3}, // a warm-up epoch
		{StageChannel, 2, 10, 1, 16, 8, 2},
		{StageChannel, 2, 10, 3, 16, 9, 2},
	} {
		cfg.WarmupEpochs = c.warmup
		s := &supernet{cfg: cfg, stage: c.stage}
		span, done := s.halvingEpochs(c.epochs, c.done)
		if span != c.span || done != c.spanDone || halvingLeft(3, 2, span, done) != c.left {
			t.Errorf("%s epoch %d of %d, warm-up %d: span %d, done %d, left %d; want %d, %d, %d", c.stage, c.done, c.epochs, c.warmup,
				span, done, halvingLeft(3, 2, span, done), c.span, c.spanDone, c.left)
		}
	}
	cfg.WarmupEpochs = 0
	cfg.ArrayHalvingFrom = StageChannel
	if span, done := (&supernet{cfg: cfg, stage: StageChannel}).halvingEpochs(10, 3); span != 10 || done != 3 {
		t.Errorf("halving from the channel stage: span %d, done %d; want 10, 3", span, done)
	}

	cfg.ArrayHalvingFrom = StageMicro
	cfg.Channels = []int{3, 5, 8}
	ops := []string{OpConv3x3, OpSep3x3, OpIdentity, OpDil3x3, OpConv5x5, OpZero, OpSep5x5, OpIdentity, OpConv3x3}
	s, err := newSupernet(cfg, StageChannel, &Genotype{Ops: [][]string{ops}, ArraysLeft: []string{"16x4", "8x8"}}, arch.Shape{H: 6, W: 6, C: 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	s.initArch(ctx, dtypes.Float64)
	for name, want := range map[string][]float64{arrayLeftVar: {0, 1, 1}, arrayTurnVar: {0, 1, 0}, arrayLogitVar: {-droppedLogitGap, 0, 0}} {
		if got := arrayStateOf(ctx, name); !slices.Equal(got, want) {
			t.Errorf("channel stage's first %s = %v, want %v", name, got, want)
		}
	}
	if got := s.chosenArray(ctx); got == 0 {
		t.Errorf("derived array before any step: the dropped 4x16")
	}

	for _, c := range []struct {
		from Stage
		left []string
	}{{StageMicro, nil}, {StageMicro, []string{"8x8"}}, {StageMicro, []string{"8x8", "32x2"}}, {StageMicro, []string{"8x8", "8x8"}}, {StageChannel, []string{"8x8", "16x4"}}} {
		cfg.ArrayHalvingFrom, cfg.ArrayHalvingTo = c.from, 2
		_, err := newSupernet(cfg, StageChannel, &Genotype{Ops: [][]string{ops}, ArraysLeft: c.left}, arch.Shape{H: 6, W: 6, C: 1}, 3)
		if err == nil || !strings.Contains(err.Error(), `"arrays_left"`) {
			t.Errorf("halving from %s, genotype's arrays left %v: %v; want an error naming arrays_left", c.from, c.left, err)
		}
	}
	for _, c := range []struct {
		halving bool
		from    Stage
	}{{false, StageMicro}, {true, "train"}} {
		cfg.ArrayHalving, cfg.ArrayHalvingTo, cfg.ArrayHalvingFrom = c.halving, 0, c.from
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "array_halving_from") {
			t.Errorf("halving %v from %q: %v; want an error naming array_halving_from", c.halving, c.from, err)
		}
	}
}

// TestArrayHalvingFromMicro runs a co-design micro stage and then its channel stage, three arrays
// halved to two from the micro stage over one epoch each: the halving falls at the micro stage's end,
// genotype.json and the micro stage's last epoch summary name the two arrays left, and the channel
// stage keeps those two in turn from its first epoch (the third's probability 0) and chooses one of
// them; arch.json records where the halving started.
func TestArrayHalvingFromMicro(t *testing.T) {
	ds := fixture(t, 80, 8)
	cfg := resumeConfig(t)
	cfg.EpochsMicro, cfg.EpochsChannel = 1, 1
	cfg.Arrays, cfg.WidthsPerArray, cfg.ArrayTurns, cfg.ArrayHalving = []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}, {Rows: 16, Cols: 4}}, true, true, true
	cfg.ArrayHalvingTo, cfg.ArrayHalvingFrom = 2, StageMicro
	dir := t.TempDir()
	micro, err := RunMicro(cfg, ds.Train, filepath.Join(dir, "micro"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := LoadGenotype(filepath.Join(dir, "micro", GenotypeFile))
	if err != nil {
		t.Fatal(err)
	}
	left := g.ArraysLeft
	if len(left) != 2 || !slices.Equal(left, micro.Genotype.ArraysLeft) {
		t.Fatalf("genotype.json arrays_left %v (result %v), want two of the three", left, micro.Genotype.ArraysLeft)
	}
	epochs := func(stage string) []Metric {
		raw, err := os.ReadFile(filepath.Join(dir, stage, MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		var out []Metric
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var m Metric
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if m.Phase == "epoch" {
				out = append(out, m)
			}
		}
		return out
	}
	if ms := epochs("micro"); len(ms) != 1 || !slices.Equal(ms[0].ArraysLeft, left) {
		t.Errorf("micro epoch summaries %+v, want arrays_left %v", ms, left)
	}
	ch, err := RunChannel(cfg, ds.Train, g, filepath.Join(dir, "channel"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dropped := 0
	for dropped < len(cfg.Arrays) && slices.Contains(left, cfg.Arrays[dropped].String()) {
		dropped++
	}
	for _, m := range epochs("channel") {
		if !slices.Equal(m.ArraysLeft, left) || len(m.ArrayProbs) != 3 || m.ArrayProbs[dropped] != 0 {
			t.Errorf("channel epoch %d: arrays left %v, probabilities %v; want %v left and %s at 0", m.Epoch, m.ArraysLeft, m.ArrayProbs, left, cfg.Arrays[dropped])
		}
	}
	if a := ch.Network.Search[ArrayKey]; !slices.Contains(left, a.(string)) || ch.Network.Search["array_halving_from"] != StageMicro {
		t.Errorf("channel arch.json search: array %v, halving from %v; want one of %v, from micro", a, ch.Network.Search["array_halving_from"], left)
	}
}

// TestResumeArrayHalvingFromMicro: a micro stage halving three arrays from the micro stage, stopped
// in its second epoch and resumed, ends like one never stopped, genotype.json's arrays_left included.
func TestResumeArrayHalvingFromMicro(t *testing.T) {
	ds := fixture(t, 80, 8)
	var dirs []string
	checkResumeArrays(t, func(dir string, opt RunOptions) (*arch.Network, error) {
		c := resumeConfig(t) // 3 micro and 2 channel epochs: the halving at the end of the third, 2.5 rounded up
		c.Arrays, c.WidthsPerArray, c.ArrayTurns, c.ArrayHalving = []ArrayShape{{Rows: 8, Cols: 8}, {Rows: 4, Cols: 16}, {Rows: 16, Cols: 4}}, true, true, true
		c.ArrayHalvingTo, c.ArrayHalvingFrom = 2, StageMicro
		dirs = append(dirs, dir)
		res, err := RunMicro(c, ds.Train, dir, opt)
		if err != nil {
			return nil, err
		}
		return res.Network, nil
	})
	a, _ := os.ReadFile(filepath.Join(dirs[0], GenotypeFile))
	b, _ := os.ReadFile(filepath.Join(dirs[len(dirs)-1], GenotypeFile))
	if !bytes.Contains(a, []byte("arrays_left")) || !bytes.Equal(a, b) {
		t.Errorf("genotype.json after resuming:\n%s\nuninterrupted:\n%s", b, a)
	}
}
