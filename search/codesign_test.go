package search

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
)

func TestPEBudgetArrays(t *testing.T) {
	got, err := PEBudgetArrays(16384)
	// 16384 = 2^14: rows 8…2048, aspect ≤ 16 keeps 32×512 … 512×32.
	want := []ArrayShape{{32, 512}, {64, 256}, {128, 128}, {256, 64}, {512, 32}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("PEBudgetArrays(16384) = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []int{0, 1000, 64} {
		if _, err := PEBudgetArrays(bad); err == nil {
			t.Errorf("PEBudgetArrays(%d) gave no error", bad)
		}
	}
	cfg := tinyConfig(t)
	for _, arrays := range [][]ArrayShape{{{8, 8}}, {{8, 8}, {8, 8}}, {{8, 8}, {0, 8}}} {
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
func TestArrayExpectation(t *testing.T) {
	nd := opNodes(OpConv3x3, "e", arch.InputName, 0)[0]
	cfg := tinyConfig(t)
	cfg.Ceil, cfg.Arrays, cfg.Objective = cost.ExactCeil, []ArrayShape{{8, 8}, {4, 16}}, ObjectiveEDP
	h := newHWCost(cfg)
	got := evalGraph(t, func(g *graph.Graph) []*graph.Node {
		term, err := h.layer(g, dtypes.Float64, nd, [2]int{4, 4}, fixedWidth(8), fixedWidth(8))
		if err != nil {
			t.Fatal(err)
		}
		acc := newHWAcc(g, dtypes.Float64, h, 1)
		acc.add(term)
		p := constOf(g, dtypes.Float64, []float64{0.25, 0.75}, 2)
		hw := acc.terms(AggMACWeighted, ObjectiveEDP, p)
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
	cfg.Arrays, cfg.Beta, cfg.Lambda = []ArrayShape{{4, 4}, {8, 8}}, 0, 1000
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
			cfg.Arrays, cfg.Objective = []ArrayShape{{8, 8}, {4, 16}, {16, 4}}, obj
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
