package engine_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/uboost/uboost/engine"
)

// TestElementwiseMatchesSimplego runs each graph in float32 (the engine's contiguous kernels) and
// float64 (simplego's own generic executors, which the engine leaves to other dtypes) and compares.
func TestElementwiseMatchesSimplego(t *testing.T) {
	b := engine.Backend()
	x := randTensor(40, 2, 3, 4, 5)
	cases := []struct {
		name   string
		inputs []*tensors.Tensor
		fn     func(xs []*Node) *Node
	}{
		{"add-same", []*tensors.Tensor{x, randTensor(41, 2, 3, 4, 5)}, func(xs []*Node) *Node { return Add(xs[0], xs[1]) }},
		{"sub-scalar-left", []*tensors.Tensor{x}, func(xs []*Node) *Node { return Sub(Scalar(xs[0].Graph(), xs[0].DType(), 2), xs[0]) }},
		{"div-scalar-right", []*tensors.Tensor{x}, func(xs []*Node) *Node { return Div(xs[0], Scalar(xs[0].Graph(), xs[0].DType(), 3)) }},
		{"mul-per-channel", []*tensors.Tensor{x, randTensor(42, 1, 1, 1, 5)}, func(xs []*Node) *Node { return Mul(xs[0], xs[1]) }},
		{"max-per-row", []*tensors.Tensor{x, randTensor(43, 2, 3, 4, 1)}, func(xs []*Node) *Node { return Max(xs[0], xs[1]) }},
		{"min-mixed", []*tensors.Tensor{randTensor(44, 2, 1, 4, 1), randTensor(45, 1, 3, 1, 5)}, func(xs []*Node) *Node { return Min(xs[0], xs[1]) }},
		// Large enough (4,800 runs of 5) for the threads to start runs mid-tensor.
		{"mul-per-channel-large", []*tensors.Tensor{randTensor(53, 4, 30, 40, 5), randTensor(54, 1, 1, 1, 5)}, func(xs []*Node) *Node { return Mul(xs[0], xs[1]) }},
		{"min-mixed-large", []*tensors.Tensor{randTensor(55, 4, 1, 40, 1), randTensor(56, 1, 30, 1, 5)}, func(xs []*Node) *Node { return Min(xs[0], xs[1]) }},
		{"greater-equal", []*tensors.Tensor{x, randTensor(46, 1, 1, 1, 5)}, func(xs []*Node) *Node {
			return ConvertDType(GreaterOrEqual(xs[0], xs[1]), xs[0].DType())
		}},
		{"less-than-where", []*tensors.Tensor{x, randTensor(47, 2, 3, 4, 5)}, func(xs []*Node) *Node {
			return Where(LessThan(xs[0], xs[1]), xs[0], ScalarZero(xs[0].Graph(), xs[0].DType()))
		}},
		{"where-full", []*tensors.Tensor{x, randTensor(48, 2, 3, 4, 5)}, func(xs []*Node) *Node {
			return Where(GreaterThan(xs[0], xs[1]), xs[1], xs[0])
		}},
		// Where fused with its comparison: the ReLU-gradient form (full ≥ scalar zero, full
		// branch, zero branch), a scalar on the left, and a comparison other nodes read too.
		{"relu-gradient-where", []*tensors.Tensor{x, randTensor(51, 2, 3, 4, 5)}, func(xs []*Node) *Node {
			zero := ScalarZero(xs[0].Graph(), xs[0].DType())
			return Where(GreaterOrEqual(xs[0], zero), xs[1], zero)
		}},
		{"scalar-left-where", []*tensors.Tensor{x}, func(xs []*Node) *Node {
			return Where(LessOrEqual(Scalar(xs[0].Graph(), xs[0].DType(), 0.25), xs[0]), Scalar(xs[0].Graph(), xs[0].DType(), 2), xs[0])
		}},
		{"shared-condition-where", []*tensors.Tensor{x, randTensor(52, 2, 3, 4, 5)}, func(xs []*Node) *Node {
			c := GreaterThan(xs[0], xs[1])
			return Add(Where(c, xs[0], xs[1]), ConvertDType(c, xs[0].DType()))
		}},
		{"reduce-sum-leading", []*tensors.Tensor{x}, func(xs []*Node) *Node { return ReduceSum(xs[0], 0, 1, 2) }},
		{"reduce-sum-middle", []*tensors.Tensor{x}, func(xs []*Node) *Node { return ReduceSum(xs[0], 1, 2) }},
		{"reduce-sum-last", []*tensors.Tensor{x}, func(xs []*Node) *Node { return ReduceSum(xs[0], 3) }},
		{"reduce-sum-alternate", []*tensors.Tensor{x}, func(xs []*Node) *Node { return ReduceSum(xs[0], 0, 2) }},
		{"reduce-sum-all", []*tensors.Tensor{x}, func(xs []*Node) *Node { return ReduceAllSum(xs[0]) }},
		{"reduce-max-middle", []*tensors.Tensor{x}, func(xs []*Node) *Node { return ReduceMax(xs[0], 1, 3) }},
		{"reduce-max-all", []*tensors.Tensor{x}, func(xs []*Node) *Node { return ReduceAllMax(xs[0]) }},
		{"broadcast-channel", []*tensors.Tensor{randTensor(49, 5)}, func(xs []*Node) *Node {
			return BroadcastToDims(Reshape(xs[0], 1, 1, 5), 3, 4, 5)
		}},
		{"broadcast-in-dim-middle", []*tensors.Tensor{randTensor(50, 3)}, func(xs []*Node) *Node {
			return ExpandAndBroadcast(xs[0], []int{2, 3, 4}, []int{0, 2})
		}},
		{"broadcast-scalar", []*tensors.Tensor{tensors.FromFlatDataAndDimensions([]float64{1.5})}, func(xs []*Node) *Node {
			return BroadcastToDims(xs[0], 3, 4)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := func(dtype dtypes.DType) []float64 {
				args := make([]any, len(c.inputs))
				for i, in := range c.inputs {
					args[i] = convertTensor(in, dtype)
				}
				return flat64(MustNewExec(b, func(xs []*Node) *Node { return c.fn(xs) }).MustExec(args...)[0])
			}
			got, want := run(dtypes.Float32), run(dtypes.Float64)
			if len(got) != len(want) {
				t.Fatalf("sizes %d vs %d", len(got), len(want))
			}
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("element %d: float32 engine %.7g, float64 simplego %.7g", i, got[i], want[i])
				}
			}
		})
	}
}
