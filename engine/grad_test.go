package engine_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	timage "github.com/gomlx/gomlx/pkg/core/tensors/images"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/cost/costgraph"
	"github.com/uboost/uboost/engine"
)

// weighted reduces y to a scalar with fixed, uneven weights sin(0.7·i + 0.1), so that every
// output element reaches the loss with a different coefficient (a plain sum would hide errors
// that cancel out, and Σy² hides sign errors less well).
func weighted(y *Node) *Node {
	g := y.Graph()
	idx := Reshape(IotaFull(g, shapes.Make(y.DType(), y.Shape().Size())), y.Shape().Dimensions...)
	return ReduceAllSum(Mul(y, Sin(AddScalar(MulScalar(idx, 0.7), 0.1))))
}

// randTensor returns a tensor of the given dims with values uniform in [-1, 1), seeded.
func randTensor(seed uint64, dims ...int) *tensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*r.Float64() - 1
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func convertTensor(t *tensors.Tensor, dtype dtypes.DType) *tensors.Tensor {
	src := tensors.MustCopyFlatData[float64](t)
	switch dtype {
	case dtypes.Float32:
		out := make([]float32, len(src))
		for i, v := range src {
			out[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(out, t.Shape().Dimensions...)
	default:
		return tensors.FromFlatDataAndDimensions(src, t.Shape().Dimensions...)
	}
}

func flat64(t *tensors.Tensor) []float64 {
	switch t.DType() {
	case dtypes.Float32:
		f := tensors.MustCopyFlatData[float32](t)
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	default:
		return tensors.MustCopyFlatData[float64](t)
	}
}

type gradCase struct {
	name   string
	inputs []*tensors.Tensor // float64 values
	loss   func(xs []*Node) *Node
	// fd is the dtype of the finite-difference reference: float64 (simplego's own kernels, an
	// independent implementation) unless an op only exists in float32 (batch norm).
	fd       dtypes.DType
	h        float64
	atol     float64
	rtol     float64
	maxElems int // elements checked per input (sampled evenly); 0 = all
}

// checkGrad compares the engine's float32 gradient (fast kernels, engine VJPs) with central
// finite differences of the loss, and the float32 loss with the reference-dtype loss.
func checkGrad(t *testing.T, backend backends.Backend, c gradCase) {
	t.Helper()
	n := len(c.inputs)
	analytic := MustNewExec(backend, func(xs []*Node) []*Node {
		loss := c.loss(xs)
		return append([]*Node{loss}, Gradient(loss, xs...)...)
	})
	in32 := make([]any, n)
	for i, x := range c.inputs {
		in32[i] = convertTensor(x, dtypes.Float32)
	}
	outs := analytic.MustExec(in32...)
	fdDType := c.fd
	if fdDType == dtypes.InvalidDType {
		fdDType = dtypes.Float64
	}
	lossFn := MustNewExec(backend, func(xs []*Node) *Node { return c.loss(xs) })
	eval := func(vals [][]float64) float64 {
		args := make([]any, n)
		for i, v := range vals {
			args[i] = convertTensor(tensors.FromFlatDataAndDimensions(v, c.inputs[i].Shape().Dimensions...), fdDType)
		}
		return flat64(lossFn.MustExec(args...)[0])[0]
	}
	vals := make([][]float64, n)
	for i, x := range c.inputs {
		vals[i] = flat64(x)
	}
	ref := eval(vals)
	got := flat64(outs[0])[0]
	if math.Abs(got-ref) > 1e-4*(1+math.Abs(ref)) {
		t.Errorf("%s: float32 loss %.6g, reference %.6g", c.name, got, ref)
	}
	for i := range n {
		grad := flat64(outs[1+i])
		step := 1
		if c.maxElems > 0 && len(vals[i]) > c.maxElems {
			step = (len(vals[i]) + c.maxElems - 1) / c.maxElems
		}
		bad := 0
		for j := 0; j < len(vals[i]); j += step {
			orig := vals[i][j]
			vals[i][j] = orig + c.h
			up := eval(vals)
			vals[i][j] = orig - c.h
			down := eval(vals)
			vals[i][j] = orig
			num := (up - down) / (2 * c.h)
			if d := math.Abs(grad[j] - num); d > c.atol+c.rtol*math.Abs(num) {
				if bad < 3 {
					t.Errorf("%s: input %d element %d: gradient %.6g, finite difference %.6g", c.name, i, j, grad[j], num)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: input %d: %d elements off", c.name, i, bad)
		}
	}
}

func convCase(name string, x, k []int, build func(cb *ConvolutionBuilder) *ConvolutionBuilder) gradCase {
	return gradCase{
		name:   name,
		inputs: []*tensors.Tensor{randTensor(1, x...), randTensor(2, k...)},
		loss: func(xs []*Node) *Node {
			return weighted(build(Convolve(xs[0], xs[1])).Done())
		},
		h: 1e-4, atol: 1e-3, rtol: 1e-3, maxElems: 60,
	}
}

// TestGradients checks every op the search uses against finite differences.
func TestGradients(t *testing.T) {
	b := engine.Backend()
	same := func(cb *ConvolutionBuilder) *ConvolutionBuilder { return cb.PadSame() }
	cases := []gradCase{
		convCase("conv1x1", []int{2, 5, 5, 3}, []int{1, 1, 3, 4}, same),
		convCase("conv3x3", []int{2, 6, 6, 3}, []int{3, 3, 3, 4}, same),
		convCase("conv5x5", []int{2, 7, 7, 2}, []int{5, 5, 2, 3}, same),
		convCase("conv3x3-dilated2", []int{2, 8, 8, 2}, []int{3, 3, 2, 3}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().Dilations(2)
		}),
		convCase("conv3x3-stride2", []int{2, 8, 8, 2}, []int{3, 3, 2, 3}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().Strides(2)
		}),
		convCase("conv3x3-stride2-nopad-odd", []int{1, 7, 9, 2}, []int{3, 3, 2, 2}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.NoPadding().Strides(2)
		}),
		convCase("depthwise3x3", []int{2, 6, 6, 4}, []int{3, 3, 1, 4}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().ChannelGroupCount(4)
		}),
		convCase("depthwise3x3-dilated2", []int{2, 7, 7, 3}, []int{3, 3, 1, 3}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().ChannelGroupCount(3).Dilations(2)
		}),
		convCase("depthwise3x3-stride2", []int{2, 7, 7, 3}, []int{3, 3, 1, 3}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().ChannelGroupCount(3).Strides(2)
		}),
		convCase("depthwise-multiplier2", []int{1, 5, 5, 2}, []int{3, 3, 1, 4}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().ChannelGroupCount(2)
		}),
		convCase("conv1d-k3-stride2", []int{2, 9, 3}, []int{3, 3, 4}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().Strides(2)
		}),
		convCase("conv3d-k3", []int{1, 4, 4, 4, 2}, []int{3, 3, 3, 2, 2}, same),
		convCase("grouped-2", []int{2, 5, 5, 4}, []int{3, 3, 2, 6}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().ChannelGroupCount(2)
		}),
		convCase("conv3x3-channels-first", []int{2, 3, 6, 6}, []int{3, 3, 3, 4}, func(cb *ConvolutionBuilder) *ConvolutionBuilder {
			return cb.PadSame().ChannelsAxis(timage.ChannelsFirst)
		}),
		{
			name:   "maxpool2x2",
			inputs: []*tensors.Tensor{randTensor(3, 2, 6, 6, 3)},
			loss:   func(xs []*Node) *Node { return weighted(MaxPool(xs[0]).Window(2).Done()) },
			h:      1e-5, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "maxpool3x3-stride2-same",
			inputs: []*tensors.Tensor{randTensor(4, 1, 7, 7, 2)},
			loss:   func(xs []*Node) *Node { return weighted(MaxPool(xs[0]).Window(3).Strides(2).PadSame().Done()) },
			h:      1e-5, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "avgpool2x2",
			inputs: []*tensors.Tensor{randTensor(5, 2, 6, 6, 3)},
			loss:   func(xs []*Node) *Node { return weighted(MeanPool(xs[0]).Window(2).Done()) },
			h:      1e-4, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "avgpool3x3-same",
			inputs: []*tensors.Tensor{randTensor(6, 1, 5, 5, 2)},
			loss:   func(xs []*Node) *Node { return weighted(MeanPool(xs[0]).Window(3).Strides(1).PadSame().Done()) },
			h:      1e-4, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "global-avgpool",
			inputs: []*tensors.Tensor{randTensor(7, 2, 4, 4, 3)},
			loss:   func(xs []*Node) *Node { return weighted(ReduceMean(xs[0], 1, 2)) },
			h:      1e-4, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "dense",
			inputs: []*tensors.Tensor{randTensor(8, 4, 6), randTensor(9, 6, 5), randTensor(10, 5)},
			loss:   func(xs []*Node) *Node { return weighted(Add(Dot(xs[0], xs[1]), InsertAxes(xs[2], 0))) },
			h:      1e-4, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "einsum-batched",
			inputs: []*tensors.Tensor{randTensor(11, 3, 4, 5), randTensor(12, 3, 5, 2)},
			loss:   func(xs []*Node) *Node { return weighted(Einsum("bij,bjk->bik", xs[0], xs[1])) },
			h:      1e-4, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "einsum-transposed",
			inputs: []*tensors.Tensor{randTensor(13, 5, 4), randTensor(14, 3, 5)},
			loss:   func(xs []*Node) *Node { return weighted(Einsum("ki,jk->ij", xs[0], xs[1])) },
			h:      1e-4, atol: 1e-4, rtol: 1e-3,
		},
		{
			name:   "softmax-cross-entropy",
			inputs: []*tensors.Tensor{randTensor(15, 4, 10)},
			loss: func(xs []*Node) *Node {
				labels := OneHot(Const(xs[0].Graph(), []int32{3, 0, 9, 5}), 10, xs[0].DType())
				return Neg(ReduceAllMean(ReduceSum(Mul(labels, LogSoftmax(xs[0], -1)), -1)))
			},
			h: 1e-4, atol: 1e-5, rtol: 1e-3,
		},
		{
			// Gumbel-softmax mixture of two ops' outputs, with fixed noise, temperature 0.5:
			// the gradient reaches both the architecture logits and the op inputs.
			name:   "gumbel-softmax-mixture",
			inputs: []*tensors.Tensor{randTensor(16, 3), randTensor(17, 2, 4, 3), randTensor(18, 2, 4, 3), randTensor(19, 2, 4, 3)},
			loss: func(xs []*Node) *Node {
				g := xs[0].Graph()
				noise := ConvertDType(Const(g, []float32{0.3, -1.2, 0.5}), xs[0].DType())
				w := Softmax(DivScalar(Add(xs[0], noise), 0.5), -1)
				mix := Add(Add(Mul(Reshape(Slice(w, AxisRange(0, 1))), xs[1]), Mul(Reshape(Slice(w, AxisRange(1, 2))), Max(xs[2], ZerosLike(xs[2])))),
					Mul(Reshape(Slice(w, AxisRange(2, 3))), Tanh(xs[3])))
				return weighted(mix)
			},
			h: 1e-5, atol: 1e-4, rtol: 1e-3,
		},
		{
			// Soft channel mask: channel c is kept with weight σ(4·(n − c − 0.5)), n learned.
			name:   "channel-mask",
			inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions([]float64{2.3}), randTensor(20, 2, 3, 3, 5)},
			loss: func(xs []*Node) *Node {
				g := xs[0].Graph()
				c := Iota(g, shapes.Make(xs[1].DType(), 5), 0)
				mask := Sigmoid(MulScalar(Sub(Sub(Reshape(xs[0]), c), Scalar(g, xs[1].DType(), 0.5)), 4))
				return weighted(Mul(xs[1], Reshape(mask, 1, 1, 1, 5)))
			},
			h: 1e-5, atol: 1e-4, rtol: 1e-3,
		},
	}
	for _, ceil := range []cost.Ceiling{cost.PaperCeil, cost.TightCeil} {
		cases = append(cases, gradCase{
			name:   "smooth-ceil-" + string(ceil),
			inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions([]float64{0.4, 1.3, 2.45, 7.7}, 4)},
			loss: func(xs []*Node) *Node {
				return weighted(cost.Ceil[*Node](costgraph.New(xs[0].Graph(), xs[0].DType()), ceil, xs[0]))
			},
			h: 1e-6, atol: 1e-3, rtol: 2e-3,
		})
	}
	bnX := randTensor(21, 4, 3, 3, 3)
	bnScale := tensors.FromFlatDataAndDimensions([]float64{1.5, -0.7, 0.9}, 3)
	bnOffset := tensors.FromFlatDataAndDimensions([]float64{0.1, 0.2, -0.3}, 3)
	cases = append(cases,
		gradCase{
			name:   "batchnorm-train",
			inputs: []*tensors.Tensor{bnX, bnScale, bnOffset},
			loss: func(xs []*Node) *Node {
				y, _, _ := InternalBatchNormForTraining(xs[0], xs[1], xs[2], 1e-3, -1)
				return weighted(y)
			},
			fd: dtypes.Float32, h: 1e-2, atol: 5e-3, rtol: 2e-2, maxElems: 40,
		},
		gradCase{
			name:   "batchnorm-train-channels-first",
			inputs: []*tensors.Tensor{randTensor(22, 3, 3, 2, 4), bnScale, bnOffset},
			loss: func(xs []*Node) *Node {
				y, _, _ := InternalBatchNormForTraining(xs[0], xs[1], xs[2], 1e-3, 1)
				return weighted(y)
			},
			fd: dtypes.Float32, h: 1e-2, atol: 5e-3, rtol: 2e-2, maxElems: 40,
		},
		gradCase{
			name: "batchnorm-eval",
			inputs: []*tensors.Tensor{bnX, bnScale, bnOffset,
				tensors.FromFlatDataAndDimensions([]float64{0.1, -0.2, 0}, 3), tensors.FromFlatDataAndDimensions([]float64{0.5, 1.2, 0.8}, 3)},
			loss: func(xs []*Node) *Node {
				// Gradient through the graph form of inference BN (the op itself has none in GoMLX).
				y := InternalBatchNormForInference(xs[0], xs[1], xs[2], xs[3], xs[4], 1e-3, -1)
				return weighted(y)
			},
			fd: dtypes.Float32, h: 1e-2, atol: 5e-3, rtol: 2e-2, maxElems: 40,
		},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "batchnorm-eval" {
				checkForwardOnly(t, b, c)
				return
			}
			checkGrad(t, b, c)
		})
	}
}

// checkForwardOnly compares the float32 engine value with the hand-derived formula for ops
// GoMLX defines no gradient for (inference batch norm): y = (x−μ)/√(σ²+ε)·scale + offset.
func checkForwardOnly(t *testing.T, b backends.Backend, c gradCase) {
	args := make([]any, len(c.inputs))
	for i, x := range c.inputs {
		args[i] = convertTensor(x, dtypes.Float32)
	}
	e := MustNewExec(b, func(xs []*Node) *Node {
		return InternalBatchNormForInference(xs[0], xs[1], xs[2], xs[3], xs[4], 1e-3, -1)
	})
	got := flat64(e.MustExec(args...)[0])
	x, scale, offset := flat64(c.inputs[0]), flat64(c.inputs[1]), flat64(c.inputs[2])
	mean, variance := flat64(c.inputs[3]), flat64(c.inputs[4])
	for i, v := range x {
		ch := i % 3
		want := (v-mean[ch])/math.Sqrt(variance[ch]+1e-3)*scale[ch] + offset[ch]
		if math.Abs(got[i]-want) > 1e-5 {
			t.Fatalf("element %d: got %.6g, want %.6g", i, got[i], want)
		}
	}
}

// TestReluGradient checks the engine's Max/Min gradient on ReLU forms: against a scalar zero, a
// broadcast zero tensor, and Min with a per-channel bound (broadcast from [1,1,C]).
func TestReluGradient(t *testing.T) {
	b := engine.Backend()
	for _, c := range []gradCase{
		{name: "relu-scalar", inputs: []*tensors.Tensor{randTensor(30, 3, 4, 5)},
			loss: func(xs []*Node) *Node { return weighted(Max(xs[0], ScalarZero(xs[0].Graph(), xs[0].DType()))) }},
		{name: "relu-zeroslike", inputs: []*tensors.Tensor{randTensor(31, 3, 4, 5)},
			loss: func(xs []*Node) *Node { return weighted(Max(xs[0], ZerosLike(xs[0]))) }},
		{name: "min-broadcast", inputs: []*tensors.Tensor{randTensor(32, 3, 4, 5), randTensor(33, 1, 1, 5)},
			loss: func(xs []*Node) *Node { return weighted(Min(xs[0], xs[1])) }},
	} {
		c.h, c.atol, c.rtol = 1e-5, 1e-4, 1e-3
		t.Run(c.name, func(t *testing.T) { checkGrad(t, b, c) })
	}
}
