package nn

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/engine"
)

func intp(v int) *int { return &v }

// tinyNet exercises every op and attribute on a 6×6×2 input: conv+BN+swish, a strided depthwise,
// padded average pooling, a squeeze-excitation gate (global pool, 1×1 conv, sigmoid, broadcast
// mul), a residual add with ReLU6, zero, identity, max pooling and a dense classifier with bias.
func tinyNet() *arch.Network {
	return &arch.Network{
		Format: arch.Format, Name: "tiny", Input: arch.Shape{H: 6, W: 6, C: 2}, Classes: 3,
		Nodes: []arch.Node{
			{Name: "c1", Op: arch.OpConv, Inputs: []string{"input"}, Kernel: 3, Channels: 4, BN: true, Act: arch.ActSwish},
			{Name: "d1", Op: arch.OpDepthwise, Inputs: []string{"c1"}, Kernel: 3, Stride: 2, Padding: intp(1), Act: arch.ActSwish},
			{Name: "p1", Op: arch.OpAvgPool, Inputs: []string{"d1"}, Kernel: 3},
			{Name: "g1", Op: arch.OpAvgPool, Inputs: []string{"d1"}, Global: true},
			{Name: "s1", Op: arch.OpConv, Inputs: []string{"g1"}, Kernel: 1, Channels: 4, Act: arch.ActSigmoid},
			{Name: "m1", Op: arch.OpMul, Inputs: []string{"p1", "s1"}},
			{Name: "z1", Op: arch.OpZero, Inputs: []string{"m1"}},
			{Name: "a1", Op: arch.OpAdd, Inputs: []string{"m1", "d1", "z1"}, Act: arch.ActReLU6},
			{Name: "i1", Op: arch.OpIdentity, Inputs: []string{"a1"}},
			{Name: "x1", Op: arch.OpMaxPool, Inputs: []string{"i1"}, Kernel: 2, Stride: 1, Padding: intp(1)},
			{Name: "fc", Op: arch.OpDense, Inputs: []string{"x1"}, Channels: 3},
		},
	}
}

// tinyImportedNet exercises the ops ONNX import adds on a 5×5×4 input: a zero pad, a grouped conv,
// a standalone batch norm with hard swish, a channel concat, hard sigmoid and global max pooling.
func tinyImportedNet() *arch.Network {
	return &arch.Network{
		Format: arch.Format, Name: "tiny-imported", Input: arch.Shape{H: 5, W: 5, C: 4}, Classes: 3,
		Nodes: []arch.Node{
			{Name: "pad", Op: arch.OpPad, Inputs: []string{"input"}, Padding: intp(1)},
			{Name: "g", Op: arch.OpConv, Inputs: []string{"pad"}, Kernel: 3, Padding: intp(0), Channels: 6, Groups: 2},
			{Name: "bn", Op: arch.OpIdentity, Inputs: []string{"g"}, BN: true, Act: arch.ActHardSwish},
			{Name: "cat", Op: arch.OpConcat, Inputs: []string{"bn", "input"}},
			{Name: "hs", Op: arch.OpIdentity, Inputs: []string{"cat"}, Act: arch.ActHardSigmoid},
			{Name: "gmax", Op: arch.OpMaxPool, Inputs: []string{"hs"}, Global: true},
			{Name: "fc", Op: arch.OpDense, Inputs: []string{"gmax"}, Channels: 3},
		},
	}
}

// TestGroupedConvExact checks a 1×1 conv of 4 channels to 2 in 2 groups with all-ones weights on an
// input whose channels hold 1, 2, 4, 8: group 0 sums channels 0 and 1 (3), group 1 channels 2 and 3
// (12). A full convolution would give 15 in both outputs.
func TestGroupedConvExact(t *testing.T) {
	ctx := context.New()
	nd := &arch.Node{Name: "g", Op: arch.OpConv, Inputs: []string{"input"}, Kernel: 1, Channels: 2, Groups: 2}
	exec := context.MustNewExec(engine.Backend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return Apply(ctx, nd, []*graph.Node{x})
	})
	x := tensors.FromFlatDataAndDimensions([]float32{1, 2, 4, 8}, 1, 1, 1, 4)
	exec.MustExec(x)
	w := ctx.GetVariableByScopeAndName("/g", "weights")
	if got := w.Shape().Dimensions; len(got) != 4 || got[2] != 2 || got[3] != 2 {
		t.Fatalf("grouped kernel shape %v, want [1 1 2 2]", got)
	}
	w.MustSetValue(tensors.FromFlatDataAndDimensions([]float32{1, 1, 1, 1}, 1, 1, 2, 2))
	got := tensors.MustCopyFlatData[float32](exec.MustExec(x)[0])
	if len(got) != 2 || got[0] != 3 || got[1] != 12 {
		t.Errorf("grouped conv output %v, want [3 12]", got)
	}
}

// TestShapesMatchInfer builds the graphs of the tiny net and of zoo networks and checks every
// node's output shape against arch.Network.Infer.
func TestShapesMatchInfer(t *testing.T) {
	smallcnn, err := arch.Load("../examples/smallcnn.json")
	if err != nil {
		t.Fatal(err)
	}
	nets := []*arch.Network{tinyNet(), tinyImportedNet(), smallcnn}
	names := []string{"mobilenetv2", "resnet18", "efficientnetb0"}
	if testing.Short() {
		names = names[:1]
	}
	for _, name := range names {
		n, err := arch.ZooNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		nets = append(nets, n)
	}
	for _, net := range nets {
		if err := net.Validate(); err != nil {
			t.Fatalf("%s: %v", net.Name, err)
		}
		want, err := net.Infer()
		if err != nil {
			t.Fatal(err)
		}
		const batch = 2
		g := graph.NewGraph(engine.Backend(), "shapes")
		images := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, batch, net.Input.H, net.Input.W, net.Input.C))
		logits, outs := BuildOutputs(context.New(), net, images)
		if got := logits.Shape().Dimensions; len(got) != 2 || got[0] != batch || got[1] != net.Classes {
			t.Errorf("%s: logits %v, want [%d %d]", net.Name, got, batch, net.Classes)
		}
		for name, s := range want {
			got := outs[name].Shape().Dimensions
			if len(got) != 4 || got[0] != batch || got[1] != s.H || got[2] != s.W || got[3] != s.C {
				t.Errorf("%s: node %q: graph shape %v, Infer %s", net.Name, name, got, s)
			}
		}
		g.Finalize()
	}
}

// TestDepthwiseExact checks a depthwise 3×3 ("same" padding) against hand-computed sums: channel 0
// is all ones with an all-ones kernel, channel 1 all twos with an all-threes kernel. An output
// pixel sums the kernel over the taps inside the 3×3 map: 4 at a corner, 6 on an edge, 9 in the
// centre; so channel 0 gives 4/6/9 and channel 1 gives 6× that, 24/36/54. A full (non-grouped)
// convolution would mix the channels and give other numbers.
func TestDepthwiseExact(t *testing.T) {
	ctx := context.New()
	nd := &arch.Node{Name: "dw", Op: arch.OpDepthwise, Inputs: []string{"input"}, Kernel: 3}
	exec := context.MustNewExec(engine.Backend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return Apply(ctx, nd, []*graph.Node{x})
	})
	in := make([]float32, 9*2)
	for i := range 9 {
		in[2*i], in[2*i+1] = 1, 2
	}
	x := tensors.FromFlatDataAndDimensions(in, 1, 3, 3, 2)
	exec.MustExec(x) // creates the variables
	w := ctx.GetVariableByScopeAndName("/dw", "weights")
	if w == nil {
		t.Fatal("no variable /dw/weights")
	}
	if got := w.Shape().Dimensions; len(got) != 4 || got[0] != 3 || got[1] != 3 || got[2] != 1 || got[3] != 2 {
		t.Fatalf("depthwise kernel shape %v, want [3 3 1 2]", got)
	}
	kv := make([]float32, 18)
	for i := range 9 {
		kv[2*i], kv[2*i+1] = 1, 3
	}
	w.MustSetValue(tensors.FromFlatDataAndDimensions(kv, 3, 3, 1, 2))
	got := tensors.MustCopyFlatData[float32](exec.MustExec(x)[0])
	taps := []float32{4, 6, 4, 6, 9, 6, 4, 6, 4}
	for i, n := range taps {
		if got[2*i] != n || got[2*i+1] != 6*n {
			t.Errorf("pixel %d: got (%g, %g), want (%g, %g)", i, got[2*i], got[2*i+1], n, 6*n)
		}
	}
}

// TestGradientsFiniteDifferences compares GoMLX's gradients of a scalar function of the tiny
// net's logits (BN in training mode) with central finite differences, for the input and for
// weights of every kind of layer. It runs in float32, the dtype the engine's batch norm supports,
// so the step is 3e-3 and the tolerance 1% (float32 rounding of a loss of order 1, divided by
// 2·step, is ~1e-4; a wrong or missing gradient term is off by far more).
func TestGradientsFiniteDifferences(t *testing.T) {
	net := tinyNet()
	const batch = 3
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(7))
	// loss = Σ logits · cos(index), a smooth function touching every logit differently.
	lossOf := func(logits *graph.Node) *graph.Node {
		n := logits.Shape().Size()
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(math.Cos(float64(i)))
		}
		return graph.ReduceAllSum(graph.Mul(logits, graph.Const(logits.Graph(), tensors.FromFlatDataAndDimensions(w, logits.Shape().Dimensions...).Value())))
	}
	vars := []string{"/c1/weights", "/d1/weights", "/d1/biases", "/s1/weights", "/fc/weights", "/c1/batch_normalization/scale"}
	lossExec := context.MustNewExec(engine.Backend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), true)
		return lossOf(Build(ctx, net, x))
	})
	xv := make([]float32, batch*6*6*2)
	for i := range xv {
		xv[i] = float32(math.Sin(1.3*float64(i)) + 0.05*float64(i%5))
	}
	mkX := func() *tensors.Tensor { return tensors.FromFlatDataAndDimensions(xv, batch, 6, 6, 2) }
	lossExec.MustExec(mkX()) // creates and initializes the variables
	gradExec := context.MustNewExec(engine.Backend(), ctx.Reuse(), func(ctx *context.Context, x *graph.Node) []*graph.Node {
		g := x.Graph()
		ctx.SetTraining(g, true)
		loss := lossOf(Build(ctx, net, x))
		wrt := []*graph.Node{x}
		for _, path := range vars {
			scope, name := splitPath(path)
			wrt = append(wrt, ctx.GetVariableByScopeAndName(scope, name).ValueGraph(g))
		}
		return graph.Gradient(loss, wrt...)
	})
	grads := gradExec.MustExec(mkX())
	loss := func() float64 { return float64(tensors.ToScalar[float32](lossExec.MustExec(mkX())[0])) }

	const eps = 3e-3
	check := func(label string, values []float32, set func([]float32), grad []float32) {
		n := len(values)
		for _, i := range []int{0, n / 3, n / 2, (7 * n) / 11, n - 1} {
			orig := values[i]
			values[i] = orig + eps
			set(values)
			lp := loss()
			values[i] = orig - eps
			set(values)
			lm := loss()
			values[i] = orig
			set(values)
			num := (lp - lm) / float64(2*eps)
			if err := math.Abs(num-float64(grad[i])) / math.Max(1, math.Abs(num)); err > 1e-2 {
				t.Errorf("%s[%d]: gradient %.9g, finite difference %.9g", label, i, grad[i], num)
			}
		}
	}
	check("input", xv, func([]float32) {}, tensors.MustCopyFlatData[float32](grads[0]))
	for j, path := range vars {
		scope, name := splitPath(path)
		v := ctx.GetVariableByScopeAndName(scope, name)
		dims := v.Shape().Dimensions
		values := tensors.MustCopyFlatData[float32](v.MustValue())
		check(path, values, func(vs []float32) { v.MustSetValue(tensors.FromFlatDataAndDimensions(vs, dims...)) },
			tensors.MustCopyFlatData[float32](grads[j+1]))
	}
}

func splitPath(p string) (scope, name string) {
	i := len(p) - 1
	for p[i] != '/' {
		i--
	}
	return p[:i], p[i+1:]
}

// TestPoolingPaddingExact pins down what padded pooling means on a 2×2 map [[−1, −2], [−3, −4]] with a
// 2×2 window, stride 1 and padding 1 (3×3 output): max pooling never picks a padded cell (a corner
// window sees one pixel, so the top-left output is −1, not 0), and average pooling divides by the
// pixels inside the map (the top edge window (0,1) averages −1 and −2 to −1.5; the centre all four to −2.5).
func TestPoolingPaddingExact(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float32{-1, -2, -3, -4}, 1, 2, 2, 1)
	for _, c := range []struct {
		op   string
		want []float32
	}{
		{arch.OpMaxPool, []float32{-1, -1, -2, -1, -1, -2, -3, -3, -4}},
		{arch.OpAvgPool, []float32{-1, -1.5, -2, -2, -2.5, -3, -3, -3.5, -4}},
	} {
		nd := &arch.Node{Name: "p", Op: c.op, Inputs: []string{"input"}, Kernel: 2, Stride: 1, Padding: intp(1)}
		exec := context.MustNewExec(engine.Backend(), context.New(), func(ctx *context.Context, x *graph.Node) *graph.Node {
			return Apply(ctx, nd, []*graph.Node{x})
		})
		got := tensors.MustCopyFlatData[float32](exec.MustExec(x)[0])
		for i := range c.want {
			if got[i] != c.want[i] {
				t.Errorf("%s: got %v, want %v", c.op, got, c.want)
				break
			}
		}
	}
}

// TestClampActivationsMatchTensorForm: ReLU, ReLU6 and hard sigmoid clamp against scalars (the form
// the engine runs in one vectorized pass) and must give the same bits, value and gradient, as the
// clamp against full tensors of zeros and ones, ties at the clamp points included.
func TestClampActivationsMatchTensorForm(t *testing.T) {
	xs := []float32{-7, -3, -1, float32(math.Copysign(0, -1)), 0, 0.25, 1, 3, 6, 7, 1e-30, -1e-30}
	// The loss Σ w·act(x) with distinct weights, so each element's gradient is checked on its own.
	ws := make([]float32, len(xs))
	for i := range ws {
		ws[i] = float32(i) + 0.5
	}
	tensorForm := map[string]func(x *graph.Node) *graph.Node{
		arch.ActReLU: func(x *graph.Node) *graph.Node { return graph.Max(x, graph.ZerosLike(x)) },
		arch.ActReLU6: func(x *graph.Node) *graph.Node {
			return graph.Min(graph.Max(x, graph.ZerosLike(x)), graph.Scalar(x.Graph(), x.DType(), 6))
		},
		arch.ActHardSigmoid: func(x *graph.Node) *graph.Node {
			y := graph.AddScalar(graph.DivScalar(x, 6), 0.5)
			return graph.Min(graph.Max(y, graph.ZerosLike(y)), graph.OnesLike(y))
		},
	}
	for act, ref := range tensorForm {
		run := func(f func(x *graph.Node) *graph.Node) (val, grad []float32) {
			exec := graph.MustNewExec(engine.Backend(), func(x, w *graph.Node) []*graph.Node {
				y := f(x)
				return []*graph.Node{y, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, w)), x)[0]}
			})
			out := exec.MustExec(xs, ws)
			return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
		}
		gotV, gotG := run(func(x *graph.Node) *graph.Node { return Activation(act, x) })
		wantV, wantG := run(ref)
		for i := range xs {
			if math.Float32bits(gotV[i]) != math.Float32bits(wantV[i]) || math.Float32bits(gotG[i]) != math.Float32bits(wantG[i]) {
				t.Errorf("%s(%g): value %g, gradient %g; tensor form %g, %g", act, xs[i], gotV[i], gotG[i], wantV[i], wantG[i])
			}
		}
	}
}
