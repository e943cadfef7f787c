package search

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/engine"
)

// supernetTerms builds the stage's supernet for cfg on a batch of 4×4×1 images (geno for the channel
// stage), sets every architecture variable through set (nil: keep the initial draw) and returns the
// latency (ms) and utilization terms at temperature tau.
func supernetTerms(t *testing.T, cfg *Config, st Stage, geno *Genotype, tau float64, set func(v *context.Variable) []float64) (lat, util float64) {
	t.Helper()
	in := arch.Shape{H: 4, W: 4, C: 1}
	s, err := newSupernet(cfg, st, geno, in, 10)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	s.initArch(ctx, dtypes.Float32)
	if set != nil {
		for v := range ctx.IterVariables() {
			v.MustSetValue(tensorOf(dtypes.Float32, set(v), v.Shape().Dimensions...))
		}
	}
	exec, err := context.NewExec(engine.Backend(), ctx.Checked(false), func(ctx *context.Context, images *graph.Node) []*graph.Node {
		_, hw, err := s.forward(ctx, images, graph.Scalar(images.Graph(), dtypes.Float32, tau))
		if err != nil {
			t.Fatal(err)
		}
		return []*graph.Node{hw.LatencyMs, hw.Util}
	})
	if err != nil {
		t.Fatal(err)
	}
	out := exec.MustExec(tensors.FromShape(tensorOf(dtypes.Float32, make([]float64, 2*16), 2, 4, 4, 1).Shape()))
	return scalarOf(out[0]), scalarOf(out[1])
}

// TestEveryRegistryModelPricesTheSupernet prices both stages of a small supernet with every model of
// cost's registry, under the default and the reference width cost: a model added to package cost is
// usable by the search with no change here.
func TestEveryRegistryModelPricesTheSupernet(t *testing.T) {
	geno := &Genotype{Ops: [][]string{{OpConv3x3, OpSep3x3, OpIdentity, OpDil3x3, OpConv5x5, OpZero, OpSep5x5, OpIdentity, OpDil5x5}}}
	for _, name := range cost.Names() {
		for _, wc := range []WidthCost{WidthExpectedCost, WidthReference} {
			cfg := tinyConfig(t)
			cfg.Cost, cfg.WidthCost, cfg.Aggregation = name, wc, AggReference
			for _, st := range []Stage{StageMicro, StageChannel} {
				lat, util := supernetTerms(t, cfg, st, geno, 1, nil)
				if !(lat > 0) || math.IsInf(lat, 0) || !(util > 0) || math.IsInf(util, 0) {
					t.Errorf("%s, %s, %s stage: latency %v ms, utilization %v; want finite and positive", name, wc, st, lat, util)
				}
			}
		}
	}
}

// TestReferenceAggregationOneCell prices a one-cell micro supernet by hand under the reference
// aggregation (PAPER.md §1.5). Input 4×4×1, stem 3×3 → 4 (not pooled), width 4, batch 1, 8×8 array at
// 1 GHz, exact ceiling, ops {conv3x3, sep3x3, identity, zero}; a huge τ makes every Gumbel weight 1/4.
//   - each pre-conv (and each conv3x3 op): 3×3 conv 4→4 on 4×4, GEMM 16×36×4: ⌈36/8⌉·⌈4/8⌉·16 = 80
//     cycles, 2304 MACs, utilization 2304/(80·64) = 0.45;
//   - sep3x3: depthwise 4·⌈9/8⌉·16 = 128 cycles, utilization 576/(128·64) = 0.0703125, then 1×1 4→4:
//     16 cycles, utilization 256/(16·64) = 0.25; block 144 cycles, utilization (0.0703125 + 0.25)/2;
//   - each edge: the mean over the GEMM ops, identity and zero left out: (80 + 144)/2 = 112 cycles,
//     utilization (0.45 + 0.16015625)/2 = 0.305078125;
//   - the cell: 2·80 + 9·112 = 1168 cycles = 0.001168 ms; utilization the mean over its 11 blocks,
//     (2·0.45 + 9·0.305078125)/11 = 3.645703125/11; stem and classifier excluded.
func TestReferenceAggregationOneCell(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Ops = []string{OpConv3x3, OpSep3x3, OpIdentity, OpZero}
	cfg.Ceil, cfg.Aggregation = cost.ExactCeil, AggReference
	zero := func(v *context.Variable) []float64 { return make([]float64, v.Shape().Size()) }
	lat, util := supernetTerms(t, cfg, StageMicro, nil, 1e9, zero)
	if math.Abs(lat-0.001168) > 1e-9 || math.Abs(util-3.645703125/11) > 1e-6 {
		t.Errorf("latency %.9g ms, utilization %.9g; want 0.001168, %.9g", lat, util, 3.645703125/11)
	}
}

// TestZeroAndIdentityLeaveLatency: under the paper's settings (reference aggregation and width cost,
// paper ceiling, shared noise) moving the op logits towards identity and zero leaves the latency term
// where it is, since an edge costs the mean over its GEMM ops; under mac-weighted it falls.
func TestZeroAndIdentityLeaveLatency(t *testing.T) {
	logits := func(free float64) func(v *context.Variable) []float64 {
		return func(v *context.Variable) []float64 {
			x := make([]float64, v.Shape().Size())
			for k := range x {
				if k%3 != 0 { // ops {conv3x3, identity, zero}: favour identity and zero
					x[k] = free
				}
			}
			return x
		}
	}
	for _, agg := range []Aggregation{AggReference, AggMACWeighted} {
		cfg := tinyConfig(t)
		cfg.Ops = []string{OpConv3x3, OpIdentity, OpZero}
		cfg.Ceil, cfg.WidthCost, cfg.Aggregation, cfg.SharedGumbel = cost.PaperCeil, WidthReference, agg, true
		even, _ := supernetTerms(t, cfg, StageMicro, nil, 1, logits(0))
		free, _ := supernetTerms(t, cfg, StageMicro, nil, 1, logits(12))
		same := math.Abs(even-free) <= 1e-6*even
		if agg == AggReference && !same {
			t.Errorf("reference: latency %v ms with even logits, %v favouring identity and zero; want equal", even, free)
		}
		if agg == AggMACWeighted && !(free < 0.7*even) { // the stem, pre-convs and classifier stay
			t.Errorf("mac-weighted: latency %v ms favouring identity and zero, %v even; want far lower", free, even)
		}
	}
}

// TestSmoothCeilingOnFixedWidths: under the reference width cost every layer goes through the smooth
// ceiling, fixed widths included — a 3×3 depthwise on a 128-row array reads ⌈9/128⌉ as 0.20 tile under
// the paper's ceiling (PAPER.md §1.4), 128 channels × 0.2018 × 256 rows ≈ 6613 cycles against 32768.
func TestSmoothCeilingOnFixedWidths(t *testing.T) {
	nd := arch.Node{Name: "dw", Op: arch.OpDepthwise, Inputs: []string{arch.InputName}, Kernel: 3, BN: true}
	for _, tc := range []struct {
		wc   WidthCost
		want float64
	}{{WidthReference, 128 * 256 * cost.Ceil(cost.Float{}, cost.PaperCeil, 9.0/128)}, {WidthExpectedCost, 128 * 256}} {
		cfg := tinyConfig(t)
		cfg.WidthCost, cfg.Ceil, cfg.Accel = tc.wc, cost.PaperCeil, accel.Default()
		h := newHWCost(cfg)
		got := evalGraph(t, func(g *graph.Graph) []*graph.Node {
			term, err := h.layer(g, dtypes.Float64, nd, [2]int{16, 16}, fixedWidth(128), fixedWidth(128))
			if err != nil {
				t.Fatal(err)
			}
			return []*graph.Node{term.cycles}
		})
		if !near(got[0], tc.want) {
			t.Errorf("%s: %v cycles, want %v", tc.wc, got[0], tc.want)
		}
	}
	if tile := cost.Ceil(cost.Float{}, cost.PaperCeil, 9.0/128); math.Abs(tile-0.202) > 6e-4 {
		t.Errorf("paper ceil(9/128) = %v, want 0.202", tile)
	}
}

// TestBlackboxSnapsExpectedWidth: the paper's table at soft widths is read at the snapped expected
// width as a constant. Output widths {64, 72, 80} with probabilities (0.5, 0.25, 0.25): expected 70,
// read at 64 (the nearest key); the term equals the table's 64-channel entry and its gradient with
// respect to the probabilities is zero.
func TestBlackboxSnapsExpectedWidth(t *testing.T) {
	nd := opNodes(OpConv3x3, "e", arch.InputName, 0)[0]
	cfg := tinyConfig(t)
	cfg.Cost, cfg.WidthCost, cfg.Accel = "blackbox", WidthReference, accel.Default()
	h := newHWCost(cfg)
	l, _ := lowerOne(nd, [2]int{16, 16}, 128, 64)
	want, err := h.model.LayerCycles(cfg.Accel, l)
	if err != nil {
		t.Fatal(err)
	}
	got := evalGraph(t, func(g *graph.Graph) []*graph.Node {
		p := graph.Const(g, []float64{0.5, 0.25, 0.25})
		out := widthDist{vals: []float64{64, 72, 80}, probs: p}
		term, err := h.layer(g, dtypes.Float64, nd, [2]int{16, 16}, fixedWidth(128), out)
		if err != nil {
			t.Fatal(err)
		}
		return []*graph.Node{term.cycles, graph.Gradient(term.cycles, p)[0]}
	})
	if got[0] != want {
		t.Errorf("blackbox at expected width 70: %v cycles, want the 64-channel entry %v", got[0], want)
	}
	for i, d := range got[1:] {
		if d != 0 {
			t.Errorf("gradient to width option %d = %v, want 0", i, d)
		}
	}
}

// TestSharedGumbelNoise: with shared op logits, shared noise gives every cell the same op weights;
// per-cell noise gives them different ones.
func TestSharedGumbelNoise(t *testing.T) {
	for _, shared := range []bool{true, false} {
		cfg := tinyConfig(t)
		cfg.Cells, cfg.Pool, cfg.SharedGumbel = 2, []bool{false, true}, shared
		s, err := newSupernet(cfg, StageMicro, nil, arch.Shape{H: 4, W: 4, C: 1}, 10)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.New()
		s.initArch(ctx, dtypes.Float64)
		exec, err := context.NewExec(engine.Backend(), ctx.Checked(false), func(ctx *context.Context, g *graph.Graph) []*graph.Node {
			w := s.opWeights(ctx, g, dtypes.Float64, graph.Scalar(g, dtypes.Float64, 1))
			return []*graph.Node{graph.ReduceAllMax(graph.Abs(graph.Sub(w[0], w[1])))}
		})
		if err != nil {
			t.Fatal(err)
		}
		diff := scalarOf(exec.MustExec()[0])
		if shared && diff != 0 || !shared && !(diff > 1e-6) {
			t.Errorf("shared noise %v: cells' weights differ by %v", shared, diff)
		}
	}
}

// TestUtilizationText: the reference aggregation's term is a sum over cells, so it is written as one
// (2.72 of 3, not "272%"); the mac-weighted term is a fraction of the array's peak.
func TestUtilizationText(t *testing.T) {
	if got := AggReference.UtilizationText(2.7231, 3); got != "util Σcells 2.72/3" {
		t.Errorf("reference = %q", got)
	}
	if got := AggMACWeighted.UtilizationText(0.4655, 3); got != "util 46.55%" {
		t.Errorf("mac-weighted = %q", got)
	}
}

// TestTableUtilizationAtItsBatch: the Blackbox table prices one image whatever the search's batch, so
// its utilization pairs its cycles with one image's MACs: at a search batch of 64 the reference
// aggregation's term stays at most 1 per cell, as with the exact model (it read about 64 times too
// high before).
func TestTableUtilizationAtItsBatch(t *testing.T) {
	geno := &Genotype{Ops: [][]string{{OpConv3x3, OpSep3x3, OpIdentity, OpDil3x3, OpConv5x5, OpZero, OpSep5x5, OpIdentity, OpDil5x5}}}
	var utils [2]float64
	for i, batch := range []int{1, 64} {
		cfg := tinyConfig(t)
		cfg.Cost, cfg.Aggregation = "blackbox", AggReference
		cfg.Accel.WithBatch(batch)
		lat, util := supernetTerms(t, cfg, StageMicro, geno, 1, nil)
		if !(lat > 0) || !(util > 0) || util > float64(cfg.Cells) {
			t.Errorf("batch %d: latency %v ms, utilization term %v; want positive and at most %d (cells)", batch, lat, util, cfg.Cells)
		}
		utils[i] = util
	}
	// Each call draws its own Gumbel noise, which moves the term by a few percent, so the check is on
	// the factor, which was 64.
	if utils[1] > 1.5*utils[0] {
		t.Errorf("utilization term %v at batch 64 against %v at batch 1: the table's cycles are paired with the wrong MACs", utils[1], utils[0])
	}
}
