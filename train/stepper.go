package train

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/nn"
)

// newTrainer is the training step Run takes: net built by package nn, cross-entropy on the logits,
// the recipe's SGD scheduled over totalSteps, and the given metrics.
func newTrainer(backend backends.Backend, mctx *context.Context, net *arch.Network, cfg Config, totalSteps int,
	trainMetrics []metrics.Interface) *gtrain.Trainer {
	modelFn := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		return []*graph.Node{nn.Build(ctx, net, inputs[0])}
	}
	return gtrain.NewTrainer(backend, mctx, modelFn, losses.SparseCategoricalCrossEntropyLogits,
		&sgd{cfg: cfg, totalSteps: totalSteps}, trainMetrics, nil)
}

// Stepper repeats Run's training step on one fixed batch, for timing it (`uboost bench step --model
// arch`, BenchmarkTrainStepSmallCNN): the same graph, optimizer and recipe, without data loading,
// checkpoints or evaluation.
type Stepper struct {
	trainer        *gtrain.Trainer
	images, labels *tensors.Tensor
}

// NewStepper builds the training step of net with recipe cfg on backend, fed images (N×H×W×C float32,
// net's input shape) and labels (N×1 int32). The learning-rate schedule spans a million steps, so
// timed steps all run at its warm-up rates.
func NewStepper(backend backends.Backend, cfg Config, net *arch.Network, images, labels *tensors.Tensor) (*Stepper, error) {
	in := net.Input
	want := shapes.Make(images.DType(), images.Shape().Dimensions[0], in.H, in.W, in.C)
	if !images.Shape().Equal(want) || labels.Shape().Rank() != 2 || labels.Shape().Dimensions[0] != want.Dimensions[0] {
		return nil, fmt.Errorf("train: stepper for %s: images %s and labels %s, want N×%d×%d×%d and N×1",
			net.Name, images.Shape(), labels.Shape(), in.H, in.W, in.C)
	}
	return &Stepper{trainer: newTrainer(backend, context.New(), net, cfg, 1<<20, nil), images: images, labels: labels}, nil
}

// Step runs one training step and returns its loss. The first step compiles the graph.
func (s *Stepper) Step() (loss float64, err error) {
	err = catch(func() error {
		m, err := s.trainer.TrainStep(nil, []*tensors.Tensor{s.images}, []*tensors.Tensor{s.labels})
		if err != nil {
			return err
		}
		loss = scalar(m[0])
		return nil
	})
	return loss, err
}
