package search

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/engine"
)

// Stepper runs single training steps (forward, backward, update) of a stage's supernet on one fixed
// synthetic batch, for timing: `uboost bench step --model supernet` and the step benchmarks.
type Stepper struct {
	exec                    *context.Exec
	images, labels, lr, tau *tensors.Tensor
	BatchSize               int
	buildErr                error // set when the first step builds the graph and the supernet fails to
}

// NewStepper builds the supernet of cfg for stage ("micro" or "channel"; the channel stage keeps every
// edge, the heaviest network it can search) and phase ("weights" or "arch") on in-shaped images. The
// first Step compiles the graph.
func NewStepper(cfg *Config, stage Stage, phase string, in arch.Shape, classes int) (*Stepper, error) {
	if phase != "weights" && phase != "arch" {
		return nil, fmt.Errorf("phase %q: want weights or arch", phase)
	}
	var geno *Genotype
	if stage == StageChannel {
		ops := []string{OpConv3x3, OpSep3x3, OpDil3x3, OpConv5x5, OpSep5x5, OpDil5x5, OpConv3x3, OpIdentity, OpSep3x3}
		geno = &Genotype{Ops: slices.Repeat([][]string{ops[:len(Edges)]}, cfg.Cells)}
	}
	s, err := newSupernet(cfg, stage, geno, in, classes)
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(1))
	s.initArch(ctx, dtypes.Float32)
	st := &Stepper{}
	exec, err := context.NewExec(engine.Backend(), ctx.Checked(false), func(ctx *context.Context, x []*graph.Node) []*graph.Node {
		outs, err := s.stepGraph(ctx, phase, x[0], x[1], x[2], x[3])
		if err != nil {
			st.buildErr = err
			return []*graph.Node{graph.ScalarZero(x[0].Graph(), dtypes.Float32)}
		}
		return outs
	})
	if err != nil {
		return nil, err
	}
	n := cfg.BatchSize
	img := make([]float32, n*in.H*in.W*in.C)
	lab := make([]int32, n)
	for i := range img {
		img[i] = float32(i%97) / 97
	}
	for i := range lab {
		lab[i] = int32(i % classes)
	}
	st.exec, st.BatchSize = exec, n
	st.images = tensors.FromFlatDataAndDimensions(img, n, in.H, in.W, in.C)
	st.labels = tensors.FromFlatDataAndDimensions(lab, n, 1)
	st.lr, st.tau = tensors.FromScalar(float32(cfg.WeightLR)), tensors.FromScalar(float32(cfg.Tau))
	return st, nil
}

// Step runs one training step and returns its loss (cross-entropy plus the hardware term).
func (s *Stepper) Step() (loss float64, err error) {
	outs, err := s.exec.Exec(s.images, s.labels, s.lr, s.tau)
	if err == nil {
		err = s.buildErr
	}
	if err != nil {
		return 0, err
	}
	return float64(tensors.ToScalar[float32](outs[0])), nil
}
