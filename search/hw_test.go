package search

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
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

// evalGraph runs a graph built by fn once and returns its scalar outputs as float64.
func evalGraph(t *testing.T, fn func(g *graph.Graph) []*graph.Node) []float64 {
	t.Helper()
	ctx := context.New()
	exec, err := context.NewExec(engine.Backend(), ctx, func(ctx *context.Context, g *graph.Graph) []*graph.Node { return fn(g) })
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec()
	if err != nil {
		t.Fatal(err)
	}
	var v []float64
	for _, o := range outs {
		v = append(v, flat64(o)...)
		if o.Shape().IsScalar() {
			v = append(v, scalarOf(o))
		}
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

func TestMaxDist(t *testing.T) {
	// Widths 4, 8, 16 with p = (0.5, 0.5, 0) and q = (0.2, 0.3, 0.5): CDFs (0.5, 1, 1) and (0.2, 0.5, 1),
	// product (0.1, 0.5, 1), so the maximum is 4, 8, 16 with probabilities 0.1, 0.4, 0.5.
	got := evalGraph(t, func(g *graph.Graph) []*graph.Node {
		vals := []float64{4, 8, 16}
		p := widthDist{vals: vals, probs: constOf(g, dtypes.Float64, []float64{0.5, 0.5, 0}, 3)}
		q := widthDist{vals: vals, probs: constOf(g, dtypes.Float64, []float64{0.2, 0.3, 0.5}, 3)}
		return []*graph.Node{maxDist(g, dtypes.Float64, []widthDist{p, q}).probs}
	})
	for i, want := range []float64{0.1, 0.4, 0.5} {
		if !near(got[i], want) {
			t.Errorf("P(max = option %d) = %v, want %v", i, got[i], want)
		}
	}
}

// TestLayerCost prices a 3×3 conv on a 4×4×8 map at batch 1 on an 8×8 array, output width 8 or 16 with
// probabilities 0.25 and 0.75. GEMM: M = 16, K = 72 (9 row tiles), N = 8 (1 column tile) or 16 (2):
// 144 or 288 cycles, 9216 or 18432 MACs.
//   - expected cost: 0.25·144 + 0.75·288 = 252 cycles, 0.25·9216 + 0.75·18432 = 16128 MACs;
//   - expected width (exact ceiling): f = 0.25·8 + 0.75·16 = 14 → ⌈14/8⌉ = 2 tiles: 288 cycles, and
//     16·72·14 = 16128 MACs (MACs are linear in the width).
//
// Energy (cost.Access at the default energies; input 6×6×8 = 288 elements padded, resident; SRAM 25 pJ
// per 2-byte element, DRAM 243.75 pJ per byte, no idle PE at 144 or 288 cycles):
//   - f = 8: MACs 9216 (18432 pJ), registers 2·9216 + 576 (1900.8 pJ), SRAM reads 576 + 16·72 +
//     16·8·9 = 2880 (72000 pJ), writes 576 + 288 + 1152 = 2016 (50400 pJ), DRAM (864 + 128)·2 = 1984
//     bytes (483600 pJ): 0.6263328 µJ;
//   - f = 16: 36864 + 3801.6 + 5760·25 + 3744·25 + 3392·243.75 pJ = 1.1050656 µJ;
//   - expected cost: 0.25·0.6263328 + 0.75·1.1050656 = 0.9853824 µJ;
//   - expected width f = 14: 32256 + 3326.4 + 5328·25 + 3312·25 + 3040·243.75 + (64·288 − 16128)·0.05
//     pJ = 0.9926976 µJ.
func TestLayerCost(t *testing.T) {
	nd := opNodes(OpConv3x3, "e", arch.InputName, 0)[0]
	for _, tc := range []struct {
		mode                 WidthCost
		cycles, macs, energy float64
	}{{WidthExpectedCost, 252, 16128, 0.9853824}, {WidthExpectedWidth, 288, 16128, 0.9926976}} {
		cfg := tinyConfig(t)
		cfg.WidthCost, cfg.Ceil, cfg.Accel = tc.mode, cost.ExactCeil, accel.New(8, 8).WithBatch(1)
		h := newHWCost(cfg)
		got := evalGraph(t, func(g *graph.Graph) []*graph.Node {
			out := widthDist{vals: []float64{8, 16}, probs: constOf(g, dtypes.Float64, []float64{0.25, 0.75}, 2)}
			term, err := h.layer(g, dtypes.Float64, nd, [2]int{4, 4}, fixedWidth(8), out)
			if err != nil {
				t.Fatal(err)
			}
			return []*graph.Node{term.cycles, term.macs, term.energy}
		})
		if !near(got[0], tc.cycles) || !near(got[1], tc.macs) || !near(got[2], tc.energy) {
			t.Errorf("%s: %v cycles, %v MACs, %v µJ; want %v, %v, %v", tc.mode, got[0], got[1], got[2], tc.cycles, tc.macs, tc.energy)
		}
	}
}

// TestLayerCostBeyondCeiling: with the paper's smooth ceiling, which counts up to 300 tiles, a 3×3
// conv from 8 channels on a 1×8 array has K = 72 row tiles; its output widths 8 and 2400 give 1 and
// 300 column tiles, priced, and 2408 gives 301, refused at its widest option with the node's name.
func TestLayerCostBeyondCeiling(t *testing.T) {
	nd := opNodes(OpConv3x3, "e", arch.InputName, 0)[0]
	for _, tc := range []struct {
		widths []float64
		want   string
	}{{[]float64{8, 2400}, ""}, {[]float64{8, 2408}, `node "e.conv3x3" at its widest: 72×301 weight tiles`}} {
		cfg := tinyConfig(t)
		cfg.WidthCost, cfg.Ceil, cfg.Accel = WidthExpectedWidth, cost.PaperCeil, accel.New(1, 8).WithBatch(1)
		h := newHWCost(cfg)
		var err error
		evalGraph(t, func(g *graph.Graph) []*graph.Node {
			out := widthDist{vals: tc.widths, probs: constOf(g, dtypes.Float64, []float64{0.5, 0.5}, 2)}
			var term layerTerm
			if term, err = h.layer(g, dtypes.Float64, nd, [2]int{4, 4}, fixedWidth(8), out); err != nil {
				return []*graph.Node{graph.ScalarZero(g, dtypes.Float64)}
			}
			return []*graph.Node{term.cycles}
		})
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, cost.ErrBeyondCeiling) || !strings.Contains(fmt.Sprint(err), tc.want)) {
			t.Errorf("widths %v: error %v, want %q", tc.widths, err, tc.want)
		}
	}
}

// TestReferenceAggregation checks the reference code's arithmetic (PAPER.md §1.5) on hand numbers.
func TestReferenceAggregation(t *testing.T) {
	got := evalGraph(t, func(g *graph.Graph) []*graph.Node {
		c := func(v float64) *graph.Node { return graph.Scalar(g, dtypes.Float64, v) }
		// An edge with Gumbel weights 0.2, 0.3 (identity: no GEMM), 0.5: cycles (0.2·100 + 0.5·300)/0.7,
		// utilization (0.2·0.5 + 0.5·0.1)/0.7.
		b, ok := mixBlock(g, dtypes.Float64, []*graph.Node{c(0.2), c(0.3), c(0.5)}, []*graph.Node{c(100), nil, c(300)}, []*graph.Node{c(0.5), nil, c(0.1)})
		if !ok {
			t.Fatal("mixBlock found no GEMM op")
		}
		// Cells: {1000 cycles at 0.5, 3000 at 0.3} and {2000 at 0.9}: latency 6000 cycles = 0.006 ms at
		// 1 GHz; utilization mean(0.5, 0.3) + 0.9 = 1.3 (a sum over cells, not a mean).
		acc := newHWAcc(g, dtypes.Float64, newHWCost(tinyConfig(t)), 2)
		acc.addBlock(0, block{c(1000), c(0.5)})
		acc.addBlock(0, block{c(3000), c(0.3)})
		acc.addBlock(1, block{c(2000), c(0.9)})
		hw := acc.terms(AggReference, ObjectiveLatency, nil)
		return []*graph.Node{b.cycles, b.util, hw.LatencyMs, hw.Util}
	})
	for i, want := range []float64{170 / 0.7, 0.15 / 0.7, 0.006, 1.3} {
		if !near(got[i], want) {
			t.Errorf("output %d = %v, want %v", i, got[i], want)
		}
	}
}

// TestSupernetPricesItsDerivedNetwork: with the logits so peaked that every Gumbel-softmax weight is
// one-hot, the supernet's latency and utilization terms must equal the exact systolic model's figures
// for the network Derive builds from the same choices (less the 1×1 projections, which the loss leaves
// out) — the loss prices exactly what the search returns.
func TestSupernetPricesItsDerivedNetwork(t *testing.T) {
	in := arch.Shape{H: 8, W: 8, C: 1}
	ops := []string{OpConv3x3, OpSep3x3, OpIdentity, OpDil3x3, OpConv5x5, OpZero, OpSep5x5, OpIdentity, OpDil5x5}
	for _, st := range []Stage{StageMicro, StageChannel} {
		t.Run(string(st), func(t *testing.T) {
			cfg := tinyConfig(t)
			cfg.Channels = []int{3, 5, 8}
			cfg.Accel = accel.New(8, 8).WithBatch(2)
			// The MAC-weighted sum prices the whole network as the exact model does; the reference
			// aggregation's per-cell means are pinned in protocol_test.go.
			cfg.Aggregation = AggMACWeighted
			var s *supernet
			var err error
			geno := &Genotype{Ops: [][]string{ops}}
			if st == StageMicro {
				cfg.Ops = []string{OpConv3x3, OpConv5x5, OpSep3x3}
				geno = &Genotype{Ops: [][]string{slices.Repeat([]string{OpConv5x5}, len(Edges))}}
				s, err = newSupernet(cfg, st, nil, in, 10)
			} else {
				s, err = newSupernet(cfg, st, geno, in, 10)
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			s.initArch(ctx, dtypes.Float32)
			widths := Widths{}
			k := 0
			for v := range ctx.IterVariables() {
				vals := make([]float64, v.Shape().Size())
				if st == StageMicro {
					for j := range len(Edges) {
						vals[j*len(cfg.Ops)+1] = 1e4 // conv5x5 on every edge
					}
				} else {
					vals[k%3] = 1e4
					widths[strings.TrimPrefix(v.Scope(), "/arch/")] = cfg.Channels[k%3]
					k++
				}
				v.MustSetValue(tensorOf(dtypes.Float32, vals, v.Shape().Dimensions...))
			}
			exec, err := context.NewExec(engine.Backend(), ctx.Checked(false), func(ctx *context.Context, images *graph.Node) []*graph.Node {
				_, hw, err := s.forward(ctx, images, graph.Scalar(images.Graph(), dtypes.Float32, 1))
				if err != nil {
					t.Fatal(err)
				}
				return []*graph.Node{hw.LatencyMs, hw.Util, hw.EnergyUJ}
			})
			if err != nil {
				t.Fatal(err)
			}
			out := exec.MustExec(tensors.FromShape(tensorOf(dtypes.Float32, make([]float64, 2*8*8), 2, 8, 8, 1).Shape()))
			net, err := Derive(cfg, in, 10, geno, widths)
			if err != nil {
				t.Fatal(err)
			}
			layers, _ := net.Layers()
			var kept []accel.Layer
			for _, l := range layers {
				if !strings.Contains(l.Name, ".proj") {
					kept = append(kept, l)
				}
			}
			r, err := cost.Systolic().Estimate(cfg.Accel, kept)
			if err != nil {
				t.Fatal(err)
			}
			lat, util, energy := scalarOf(out[0]), scalarOf(out[1]), scalarOf(out[2])
			// Energy too: the derived network's closed-form accesses at the exact model's cycles.
			if math.Abs(energy-r.Total.EnergyUJ) > 1e-5*r.Total.EnergyUJ {
				t.Errorf("supernet energy %.6g µJ; derived network (exact) %.6g µJ", energy, r.Total.EnergyUJ)
			}
			t.Logf("supernet %.6g ms, utilization %.6g; derived (exact, %d layers) %.6g ms, %.6g", lat, util, len(kept), r.Total.LatencyMs, r.Total.Utilization)
			if math.Abs(lat-r.Total.LatencyMs) > 1e-5*r.Total.LatencyMs || math.Abs(util-r.Total.Utilization) > 1e-5 {
				t.Errorf("supernet: %.6g ms, utilization %.6g; derived network (exact): %.6g ms, %.6g", lat, util, r.Total.LatencyMs, r.Total.Utilization)
			}
		})
	}
}
