package data

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// TestGoMLXTrainLoop trains a linear classifier with GoMLX's own loop straight from Loaders: the batches
// must have the shapes and meaning GoMLX expects, or accuracy stays at chance (0.1).
func TestGoMLXTrainLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs a GoMLX training loop")
	}
	ds, err := Open("builtin", Options{})
	if err != nil {
		t.Fatal(err)
	}
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(1); err != nil {
		t.Fatal(err)
	}
	model := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		x := graph.Reshape(inputs[0], inputs[0].Shape().Dimensions[0], -1)
		return []*graph.Node{layers.DenseWithBias(ctx, x, len(ds.Classes))}
	}
	acc := metrics.NewSparseCategoricalAccuracy("accuracy", "acc")
	trainer := train.NewTrainer(backend, ctx, model, losses.SparseCategoricalCrossEntropyLogits,
		optimizers.Adam().LearningRate(3e-3).Done(), nil, []metrics.Interface{acc})
	// 300 steps of 64 from 4000 images: about 5 epochs, with crops and flips.
	if _, err := train.NewLoop(trainer).RunSteps(ds.Train.Take(4000).Loader(TrainOptions(64, 1)), 300); err != nil {
		t.Fatal(err)
	}
	results, err := trainer.Eval(ds.Test.Loader(EvalOptions(500)))
	if err != nil {
		t.Fatal(err)
	}
	// Eval returns the trainer's loss metrics, then ours.
	var got float32
	for i, m := range trainer.EvalMetrics() {
		t.Logf("%s = %v", m.Name(), results[i].Value())
		if m == acc {
			got = results[i].Value().(float32)
		}
	}
	// A linear model reaches about 0.8 on Fashion-MNIST; 0.65 is far above chance (0.1) and below what a
	// working pipeline gives after 300 steps.
	if got < 0.65 {
		t.Errorf("test accuracy %.3f after training, want ≥ 0.65", got)
	}
}
