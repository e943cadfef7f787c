package search

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/engine"
)

// benchStep times one training step (forward, backward, update) of the demo preset's supernet on
// 28×28×1 images (the built-in data), batch 32, for the given stage and phase.
func benchStep(b *testing.B, stage Stage, phase string) {
	cfg, _ := Preset("demo")
	var geno *Genotype
	if stage == StageChannel {
		// A channel stage after a micro stage that kept every edge: the heaviest the demo can get.
		geno = &Genotype{Ops: slices.Repeat([][]string{{OpConv3x3, OpSep3x3, OpDil3x3, OpConv5x5, OpSep5x5, OpDil5x5, OpConv3x3, OpIdentity, OpSep3x3}}, cfg.Cells)}
	}
	s, err := newSupernet(cfg, stage, geno, arch.Shape{H: 28, W: 28, C: 1}, 10)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(1))
	s.initArch(ctx, dtypes.Float32)
	exec, err := context.NewExec(engine.Backend(), ctx.Checked(false), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		outs, err := s.stepGraph(ctx, phase, in[0], in[1], in[2], in[3])
		if err != nil {
			b.Fatal(err)
		}
		return outs
	})
	if err != nil {
		b.Fatal(err)
	}
	n := cfg.BatchSize
	img := make([]float32, n*28*28)
	lab := make([]int32, n)
	for i := range img {
		img[i] = float32(i%97) / 97
	}
	for i := range lab {
		lab[i] = int32(i % 10)
	}
	images := tensors.FromFlatDataAndDimensions(img, n, 28, 28, 1)
	labels := tensors.FromFlatDataAndDimensions(lab, n, 1)
	lr, tau := tensors.FromScalar(float32(0.05)), tensors.FromScalar(float32(1))
	exec.MustExec(images, labels, lr, tau) // compile and initialize
	b.ResetTimer()
	for range b.N {
		exec.MustExec(images, labels, lr, tau)
	}
}

func BenchmarkStepMicroWeights(b *testing.B)   { benchStep(b, StageMicro, "weights") }
func BenchmarkStepMicroArch(b *testing.B)      { benchStep(b, StageMicro, "arch") }
func BenchmarkStepChannelWeights(b *testing.B) { benchStep(b, StageChannel, "weights") }
func BenchmarkStepChannelArch(b *testing.B)    { benchStep(b, StageChannel, "arch") }
