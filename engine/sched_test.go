package engine_test

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/uboost/uboost/engine"
)

// TestConcurrentOpsSameBits runs a graph with independent branches (two convolutions with batch
// norm, a multi-output op, and their gradients, which fork again into input and kernel
// gradients) with the concurrent scheduler and sequentially: every output must have the same
// bits, and the scheduler must really have run it. Under -race it also checks that an op only
// overwrites an input after every other reader of it has returned.
func TestConcurrentOpsSameBits(t *testing.T) {
	defer engine.SetThreads(engine.Threads())
	defer engine.SetConcurrentOps(engine.ConcurrentOps())
	engine.SetThreads(4)
	b := engine.Backend()
	branches := func(xs []*Node) []*Node {
		x, k1, k2, scale, offset := xs[0], xs[1], xs[2], xs[3], xs[4]
		branch := func(k *Node) *Node {
			y := Convolve(x, k).PadSame().Done()
			y, _, _ = InternalBatchNormForTraining(y, scale, offset, 1e-5, -1)
			return Max(y, ScalarZero(x.Graph(), y.DType()))
		}
		y1, y2 := branch(k1), branch(k2)
		loss := Add(ReduceAllSum(Mul(y1, y2)), ReduceAllSum(Mul(y1, y1)))
		grads := Gradient(loss, x, k1, k2, scale, offset)
		return append([]*Node{loss, Add(y1, y2)}, grads...)
	}
	args := []any{
		convertTensor(randTensor(70, 8, 16, 16, 8), dtypes.Float32),
		convertTensor(randTensor(71, 3, 3, 8, 8), dtypes.Float32),
		convertTensor(randTensor(72, 3, 3, 8, 8), dtypes.Float32),
		convertTensor(randTensor(73, 8), dtypes.Float32),
		convertTensor(randTensor(74, 8), dtypes.Float32),
	}
	run := func(concurrent bool) [][]float64 {
		engine.SetConcurrentOps(concurrent)
		before := engine.ConcurrentRuns()
		exec := MustNewExec(b, branches)
		var out [][]float64
		for range 3 { // later runs reuse pooled buffers and execution state
			out = out[:0]
			for _, r := range exec.MustExec(args...) {
				out = append(out, flat64(r))
			}
		}
		if ran := engine.ConcurrentRuns() - before; concurrent && ran != 3 {
			t.Fatalf("the concurrent scheduler ran %d of 3 executions", ran)
		} else if !concurrent && ran != 0 {
			t.Fatalf("sequential mode ran %d executions on the concurrent scheduler", ran)
		}
		return out
	}
	want := run(false)
	for round := range 3 {
		got := run(true)
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("round %d: output %d differs between concurrent and sequential execution", round, i)
			}
		}
	}
}
