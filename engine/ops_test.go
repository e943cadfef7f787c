package engine_test

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/uboost/uboost/engine"
)

// TestPadAndReverse checks the two data-movement ops simplego lacks, and the engine's Transpose,
// against hand-built results.
func TestPadAndReverse(t *testing.T) {
	b := engine.Backend()
	x := tensors.FromValue([][]float32{{1, 2, 3}, {4, 5, 6}})
	cases := []struct {
		name string
		fn   func(x *Node) *Node
		want any
	}{
		// Axis 0: one row of fill before; axis 1: interior 1, start −1 (crops the first element), end 2.
		// Row [1 2 3] with interior 1 is [1 9 2 9 3]; cropped [9 2 9 3]; then [9 2 9 3 9 9].
		{"pad-interior-negative", func(x *Node) *Node {
			return Pad(x, Scalar(x.Graph(), x.DType(), 9),
				backends.PadAxis{Start: 1}, backends.PadAxis{Start: -1, End: 2, Interior: 1})
		}, [][]float32{{9, 9, 9, 9, 9, 9}, {9, 2, 9, 3, 9, 9}, {9, 5, 9, 6, 9, 9}}},
		// Negative end on axis 0 drops the last row; nothing on axis 1.
		{"pad-crop", func(x *Node) *Node {
			return Pad(x, Scalar(x.Graph(), x.DType(), 0), backends.PadAxis{End: -1})
		}, [][]float32{{1, 2, 3}}},
		{"reverse-both", func(x *Node) *Node { return Reverse(x, 0, 1) }, [][]float32{{6, 5, 4}, {3, 2, 1}}},
		{"reverse-cols", func(x *Node) *Node { return Reverse(x, 1) }, [][]float32{{3, 2, 1}, {6, 5, 4}}},
		{"transpose", func(x *Node) *Node { return TransposeAllDims(x, 1, 0) }, [][]float32{{1, 4}, {2, 5}, {3, 6}}},
		// A rank-4 kernel transpose as the convolution gradients build it: [1,3,2,1] → axes (2,0,3,1).
		{"transpose-rank4", func(x *Node) *Node { return TransposeAllDims(Reshape(x, 1, 3, 2, 1), 2, 0, 3, 1) },
			[][][][]float32{{{{1, 3, 5}}}, {{{2, 4, 6}}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := MustNewExec(b, c.fn).MustExec(x)[0].Value()
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestConcurrentUse runs the same and different graphs from several goroutines on the shared
// backend: every result must equal the one computed alone.
func TestConcurrentUse(t *testing.T) {
	b := engine.Backend()
	x := randTensor(60, 4, 8, 8, 3)
	k := randTensor(61, 3, 3, 3, 5)
	conv := func(xs []*Node) *Node {
		y := Convolve(xs[0], xs[1]).PadSame().Done()
		return Gradient(ReduceAllSum(Mul(y, y)), xs[1])[0]
	}
	args := []any{convertTensor(x, dtypes.Float32), convertTensor(k, dtypes.Float32)}
	want := flat64(MustNewExec(b, conv).MustExec(args...)[0])
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := MustNewExec(b, conv)
			for range 3 {
				got := flat64(e.MustExec(args...)[0])
				if !slices.Equal(got, want) {
					errs <- fmt.Sprintf("goroutine %d: result differs", g)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestScalarBroadcastNotMaterialized checks that the gradient of a product by a scalar (GoMLX's
// VJP multiplies by the scalar broadcast to the full shape) runs without materializing that
// broadcast, and gives the analytic values: for L = Σ (x·w)², dL/dx = 2·x·w², dL/dw = 2·w·Σ x².
func TestScalarBroadcastNotMaterialized(t *testing.T) {
	b := engine.Backend()
	x := convertTensor(randTensor(62, 2, 5, 5, 3), dtypes.Float32)
	w := float32(0.7)
	fn := func(x, w *Node) []*Node {
		y := Mul(x, w)
		return Gradient(ReduceAllSum(Mul(y, y)), x, w)
	}
	exec := MustNewExec(b, fn)
	exec.MustExec(x, w) // compile outside the profile
	engine.ProfileOps(true)
	out := exec.MustExec(x, w)
	engine.ProfileOps(false)
	// One broadcast stays: the gradient's seed, 1 broadcast to the loss's own one-element shape.
	for _, op := range engine.OpProfile() {
		if op.Op == "BroadcastInDim" && op.Calls > 1 {
			t.Errorf("BroadcastInDim ran %d times, want at most 1 (the seed)", op.Calls)
		}
	}
	xs := flat64(x)
	var sum2 float64
	for _, v := range xs {
		sum2 += v * v
	}
	dx, dw := flat64(out[0]), flat64(out[1])
	for i, v := range xs {
		if want := 2 * v * float64(w) * float64(w); math.Abs(dx[i]-want) > 1e-5 {
			t.Fatalf("dL/dx[%d] = %v, want %v", i, dx[i], want)
		}
	}
	if want := 2 * float64(w) * sum2; math.Abs(dw[0]-want) > 1e-4*math.Abs(want) {
		t.Fatalf("dL/dw = %v, want %v", dw[0], want)
	}
}
