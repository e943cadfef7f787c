package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/nn"
)

// checkArchGradient compares the autodiff gradient of the full search loss (CE + λ·latency −
// β·utilization) with respect to one architecture variable against central finite differences, in
// float64, with the Gumbel noise replayed exactly (the RNG state is reset before every evaluation).
// Batch norm runs in inference mode: GoMLX's composed training-mode batch norm stops the gradient
// through the batch statistics (a deliberate approximation that finite differences would flag), and
// the fused one the engine trains with is float32 only and checked by the engine's own tests.
func checkArchGradient(t *testing.T, s *supernet, scope, name string, every int) {
	t.Helper()
	backend := engine.Backend()
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(3))
	ctx.SetParam(nn.ParamBNFused, false) // the engine's fused batch norm is float32 only
	s.initArch(ctx, dtypes.Float64)
	const batch = 4
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]float64, batch*s.in.H*s.in.W*s.in.C)
	for i := range img {
		img[i] = rng.NormFloat64()
	}
	lab := []int32{0, 1, 2, 1}
	images := tensors.FromFlatDataAndDimensions(img, batch, s.in.H, s.in.W, s.in.C)
	labels := tensors.FromFlatDataAndDimensions(lab, batch, 1)
	tau := tensors.FromScalar(0.7)
	exec, err := context.NewExec(backend, ctx.Checked(false), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		ctx.SetTraining(g, false)
		logits, hw, err := s.forward(ctx, in[0], in[2])
		if err != nil {
			t.Fatal(err)
		}
		_, _, loss := s.loss(logits, in[1], hw)
		v := ctx.GetVariableByScopeAndName(scope, name)
		return []*graph.Node{loss, graph.Gradient(loss, v.ValueGraph(g))[0], hw.Cost, hw.Util}
	})
	if err != nil {
		t.Fatal(err)
	}
	eval := func() (float64, []float64, float64, float64) {
		if err := ctx.SetRNGStateFromSeed(11); err != nil {
			t.Fatal(err)
		}
		out := exec.MustExec(images, labels, tau)
		return scalarOf(out[0]), flat64(out[1]), scalarOf(out[2]), scalarOf(out[3])
	}
	eval() // the first call initializes the weights, which draws from the same RNG
	loss0, grad, lat, util := eval()
	if again, _, _, _ := eval(); again != loss0 {
		t.Fatalf("loss not reproducible: %.12g then %.12g", loss0, again)
	}
	if !(lat > 0) || !(util > 0) {
		t.Fatalf("hardware terms not in the loss: latency %g ms, utilization %g", lat, util)
	}
	v := ctx.GetVariableByScopeAndName(scope, name)
	base := variableValues(v)
	dims := v.Shape().Dimensions
	const h = 1e-5
	var maxAbs float64
	for k := range base {
		if k%every != 0 {
			continue // every entry's analytic gradient is computed; finite differences check a spread subset
		}
		at := func(x float64) float64 {
			p := append([]float64(nil), base...)
			p[k] = x
			v.MustSetValue(tensorOf(dtypes.Float64, p, dims...))
			l, _, _, _ := eval()
			return l
		}
		fd := (at(base[k]+h) - at(base[k]-h)) / (2 * h)
		maxAbs = max(maxAbs, math.Abs(grad[k]))
		if diff := math.Abs(fd - grad[k]); diff > 1e-5+1e-4*math.Abs(fd) {
			t.Errorf("%s/%s[%d]: autodiff %.9g, finite differences %.9g (loss %.6g)", scope, name, k, grad[k], fd, loss0)
		}
	}
	v.MustSetValue(tensorOf(dtypes.Float64, base, dims...))
	if maxAbs == 0 {
		t.Errorf("%s/%s: gradient is identically zero", scope, name)
	}
}

func flat64(t *tensors.Tensor) []float64 {
	out := make([]float64, 0, t.Shape().Size())
	switch v := t.Value().(type) {
	case [][]float64:
		for _, r := range v {
			out = append(out, r...)
		}
	case []float64:
		out = append(out, v...)
	}
	return out
}

// gradConfig is a one-cell supernet on 6×6 images whose hardware terms are large enough to matter
// against the cross-entropy.
func gradConfig(t *testing.T) *Config {
	c := tinyConfig(t)
	c.Lambda, c.Beta = 2000, 0.5 // latency is ~1e-4 ms here: λ makes it weigh like the CE
	return c
}

func TestGradientOpAlphas(t *testing.T) {
	for _, agg := range []Aggregation{AggMACWeighted, AggReference} {
		t.Run(string(agg), func(t *testing.T) {
			cfg := gradConfig(t)
			cfg.Aggregation = agg
			s, err := newSupernet(cfg, StageMicro, nil, arch.Shape{H: 6, W: 6, C: 1}, 3)
			if err != nil {
				t.Fatal(err)
			}
			checkArchGradient(t, s, "/arch/cells", "alpha", 7)
		})
	}
}

// TestGradientEnergyObjective: with energy (µJ) or the energy–delay product in the loss, the gradient
// with respect to the op logits and the channel logits matches finite differences.
func TestGradientEnergyObjective(t *testing.T) {
	for _, obj := range []Objective{ObjectiveEnergy, ObjectiveEDP} {
		t.Run(string(obj), func(t *testing.T) {
			cfg := gradConfig(t)
			cfg.Objective = obj
			// The tiny supernet spends ~0.05 µJ (EDP ~5e-6 µJ·ms): λ makes it weigh like the CE.
			cfg.Lambda = map[Objective]float64{ObjectiveEnergy: 20, ObjectiveEDP: 2e5}[obj]
			s, err := newSupernet(cfg, StageMicro, nil, arch.Shape{H: 6, W: 6, C: 1}, 3)
			if err != nil {
				t.Fatal(err)
			}
			checkArchGradient(t, s, "/arch/cells", "alpha", 7)
			cfg.Channels = []int{3, 5, 8}
			ops := []string{OpConv3x3, OpSep3x3, OpIdentity, OpDil3x3, OpConv5x5, OpZero, OpSep5x5, OpIdentity, OpConv3x3}
			s, err = newSupernet(cfg, StageChannel, &Genotype{Ops: [][]string{ops}}, arch.Shape{H: 6, W: 6, C: 1}, 3)
			if err != nil {
				t.Fatal(err)
			}
			checkArchGradient(t, s, "/arch/c1.xpp-t3.conv3x3", "width", 1)
		})
	}
}

func TestGradientChannelLogits(t *testing.T) {
	ops := []string{OpConv3x3, OpSep3x3, OpIdentity, OpDil3x3, OpConv5x5, OpZero, OpSep5x5, OpIdentity, OpConv3x3}
	for _, tc := range []struct {
		name  string
		width WidthCost
		ceil  cost.Ceiling
	}{
		{"expected-cost", WidthExpectedCost, cost.TightCeil},
		// At the expected widths the smooth ceiling itself carries the gradient; the paper's
		// staircase is smooth everywhere (the tight one has kinks at integers).
		{"expected-width", WidthExpectedWidth, cost.PaperCeil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gradConfig(t)
			cfg.Channels = []int{3, 5, 8}
			cfg.WidthCost, cfg.Ceil = tc.width, tc.ceil
			s, err := newSupernet(cfg, StageChannel, &Genotype{Ops: [][]string{ops}}, arch.Shape{H: 6, W: 6, C: 1}, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, layer := range []string{"c1.xp_pre", "c1.xpp-t1.sep3x3.pw", "c1.t1-t3.sep5x5.pw", "c1.xpp-t3.conv3x3"} {
				checkArchGradient(t, s, "/arch/"+layer, "width", 1)
			}
		})
	}
}
