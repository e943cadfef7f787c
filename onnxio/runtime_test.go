package onnxio_test

import (
	stdctx "context"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gonnx "github.com/gomlx/onnx-gomlx/onnx"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/engine"
	"github.com/uboost/uboost/nn"
	"github.com/uboost/uboost/onnxio"
	"github.com/uboost/uboost/train"
)

func intp(v int) *int { return &v }

// searchedNet is shaped like a network the search derives (stem conv, a cell of separable, dilated
// and plain convs, identity and zero edges summed, a max-pool reduction, a dense classifier; BN and
// ReLU after every conv), plus a grouped conv, a zero pad, a concat, an average pool and a ReLU6,
// on the built-in data's 28×28×1 images and 10 classes.
func searchedNet() *arch.Network {
	return &arch.Network{
		Format: arch.Format, Name: "searched", Input: arch.Shape{H: 28, W: 28, C: 1}, Classes: 10,
		Nodes: []arch.Node{
			{Name: "stem", Op: arch.OpConv, Inputs: []string{"input"}, Kernel: 3, Stride: 2, Channels: 8, BN: true, Act: arch.ActReLU},
			{Name: "c0.sep.dw", Op: arch.OpDepthwise, Inputs: []string{"stem"}, Kernel: 3, BN: true, Act: arch.ActReLU},
			{Name: "c0.sep.pw", Op: arch.OpConv, Inputs: []string{"c0.sep.dw"}, Kernel: 1, Channels: 8, BN: true, Act: arch.ActReLU},
			{Name: "c0.dil", Op: arch.OpConv, Inputs: []string{"stem"}, Kernel: 3, Dilation: 2, Channels: 8, BN: true, Act: arch.ActReLU},
			{Name: "c0.id", Op: arch.OpIdentity, Inputs: []string{"stem"}},
			{Name: "c0.zero", Op: arch.OpZero, Inputs: []string{"stem"}},
			{Name: "c0.sum", Op: arch.OpAdd, Inputs: []string{"c0.sep.pw", "c0.dil", "c0.id", "c0.zero"}},
			{Name: "pool", Op: arch.OpMaxPool, Inputs: []string{"c0.sum"}, Kernel: 2, Stride: 2, Padding: intp(0)},
			{Name: "pad", Op: arch.OpPad, Inputs: []string{"pool"}, Padding: intp(1)},
			{Name: "grouped", Op: arch.OpConv, Inputs: []string{"pad"}, Kernel: 3, Padding: intp(0), Channels: 8, Groups: 4, BN: true, Act: arch.ActReLU6},
			{Name: "cat", Op: arch.OpConcat, Inputs: []string{"grouped", "pool"}},
			{Name: "avg", Op: arch.OpAvgPool, Inputs: []string{"cat"}, Kernel: 3, Padding: intp(1)},
			// A dense layer on a 2×2×16 map, so that export's reordering of its rows matters.
			{Name: "pool2", Op: arch.OpMaxPool, Inputs: []string{"avg"}, Kernel: 3, Stride: 3, Padding: intp(0)},
			{Name: "fc", Op: arch.OpDense, Inputs: []string{"pool2"}, Channels: 10},
		},
	}
}

// TestExportRunsLikeEvaluate trains searchedNet for 30 steps on 640 built-in images, exports it to
// ONNX and runs the file with onnx-gomlx (a Go ONNX runtime): on the 200 test images every logit is
// within 1e-4 of the reloaded checkpoint's (the graph `uboost evaluate` runs), every top-1 prediction
// is the same, and the top-1 accuracy equals train.Evaluate's.
func TestExportRunsLikeEvaluate(t *testing.T) {
	ds, err := data.Open("builtin", data.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	d := *ds
	d.Train, d.Test = ds.Train.Take(640), ds.Test.Take(200)
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.Batch, cfg.EvalBatch = 3, 64, 100
	run := t.TempDir()
	if _, err := train.Run(stdctx.Background(), cfg, searchedNet(), &d, run); err != nil {
		t.Fatal(err)
	}
	m, err := train.LoadModel(run)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := onnxio.Export(m.Net, m.Variable, m.BNEpsilon)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "model.onnx")
	if err := onnxio.Write(file, mp); err != nil {
		t.Fatal(err)
	}

	model, err := gonnx.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	octx := context.New()
	if err := model.VariablesToContext(octx); err != nil {
		t.Fatal(err)
	}
	exec, err := context.NewExec(engine.Backend(), octx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return model.CallGraph(ctx, x.Graph(), map[string]*graph.Node{onnxio.InputTensor: x})[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()

	loader := d.Test.Loader(data.EvalOptions(100))
	classes, correct, images := m.Net.Classes, 0, 0
	for {
		b, err := loader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want, err := m.Logits(b.Images)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(nchw(b.Images))
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		labels := tensors.MustCopyFlatData[int32](b.Labels)
		if len(got) != len(want) {
			t.Fatalf("ONNX logits %d values, uboost %d", len(got), len(want))
		}
		for i := range len(got) / classes {
			g, w := got[i*classes:][:classes], want[i*classes:][:classes]
			for j := range g {
				if math.Abs(float64(g[j]-w[j])) > 1e-4 {
					t.Fatalf("image %d, class %d: ONNX logit %g, uboost %g", images+i, j, g[j], w[j])
				}
			}
			if argmax(g) != argmax(w) {
				t.Errorf("image %d: ONNX predicts %d, uboost %d", images+i, argmax(g), argmax(w))
			}
			// Top-1 as Evaluate counts it: no class scores strictly higher than the label.
			if higher(g, int(labels[i])) == 0 {
				correct++
			}
		}
		images += len(labels)
	}
	res, err := train.Evaluate(run, &d)
	if err != nil {
		t.Fatal(err)
	}
	if images != res.TestImages || float64(correct)/float64(images) != res.TestAccuracy {
		t.Errorf("ONNX: %d of %d right; uboost evaluate: accuracy %v on %d images", correct, images, res.TestAccuracy, res.TestImages)
	}
	if res.TestAccuracy <= 0.2 {
		t.Errorf("accuracy %v: the trained net should beat chance (0.1) clearly, or the comparison says little", res.TestAccuracy)
	}
}

// nchw transposes images [n, h, w, c] to ONNX's [n, c, h, w].
func nchw(images *tensors.Tensor) *tensors.Tensor {
	dims := images.Shape().Dimensions
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	in := tensors.MustCopyFlatData[float32](images)
	out := make([]float32, len(in))
	for b := range n {
		for y := range h {
			for x := range w {
				for k := range c {
					out[((b*c+k)*h+y)*w+x] = in[((b*h+y)*w+x)*c+k]
				}
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(out, n, c, h, w)
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

func higher(v []float32, label int) int {
	n := 0
	for _, x := range v {
		if x > v[label] {
			n++
		}
	}
	return n
}

// TestExportImportRoundTrip exports networks with every op and activation uboost has (weights
// initialized by package nn) and imports the file back: the same nodes in the same order, up to the
// plain identities and sums (see summary). Compared: each node's op, kernel, stride, dilation,
// padding, channels, groups, BN and activation, and the GEMMs priced.
func TestExportImportRoundTrip(t *testing.T) {
	for _, net := range []*arch.Network{searchedNet(), allOpsNet()} {
		t.Run(net.Name, func(t *testing.T) {
			ctx := context.New()
			g := graph.NewGraph(engine.Backend(), "init")
			nn.Build(ctx, net, graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 1, net.Input.H, net.Input.W, net.Input.C)))
			if err := ctx.InitializeVariables(engine.Backend(), nil); err != nil {
				t.Fatal(err)
			}
			g.Finalize()
			weights := func(node, name string) ([]int, []float32, bool) {
				scope, base := "/"+node, name
				if name != "weights" && name != "biases" {
					scope, base = scope+"/batch_normalization", name[len("batch_normalization/"):]
				}
				v := ctx.GetVariableByScopeAndName(scope, base)
				if v == nil {
					return nil, nil, false
				}
				return v.Shape().Dimensions, tensors.MustCopyFlatData[float32](v.MustValue()), true
			}
			mp, err := onnxio.Export(net, weights, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			back, err := onnxio.Import(mp, net.Name, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, b := summary(t, net), summary(t, back)
			if a != b {
				t.Errorf("round trip\n%s\nwant\n%s", b, a)
			}
		})
	}
}

// allOpsNet has the ops and activations searchedNet lacks: sigmoid, swish, hard sigmoid and hard
// swish, a squeeze-excitation mul, a global max pool, and dense layers with BN.
func allOpsNet() *arch.Network {
	return &arch.Network{
		Format: arch.Format, Name: "allops", Input: arch.Shape{H: 8, W: 8, C: 3}, Classes: 4,
		Nodes: []arch.Node{
			{Name: "c", Op: arch.OpConv, Inputs: []string{"input"}, Kernel: 3, Channels: 6, Act: arch.ActSwish},
			{Name: "hs", Op: arch.OpIdentity, Inputs: []string{"c"}, BN: true, Act: arch.ActHardSwish},
			{Name: "gap", Op: arch.OpAvgPool, Inputs: []string{"hs"}, Global: true},
			{Name: "se", Op: arch.OpDense, Inputs: []string{"gap"}, Channels: 6, BN: true, Act: arch.ActHardSigmoid},
			{Name: "scale", Op: arch.OpMul, Inputs: []string{"hs", "se"}},
			{Name: "gmp", Op: arch.OpMaxPool, Inputs: []string{"scale"}, Global: true},
			{Name: "fc1", Op: arch.OpDense, Inputs: []string{"gmp"}, Channels: 5, Act: arch.ActSigmoid},
			{Name: "fc", Op: arch.OpDense, Inputs: []string{"fc1"}, Channels: 4},
		},
	}
}

// summary is a network's nodes as the pricing sees them, and its GEMMs.
func summary(t *testing.T, net *arch.Network) string {
	t.Helper()
	type row struct {
		Op, Act            string
		Kernel, S, D, P, C int
		Groups             int
		BN, Global         bool
	}
	var rows []row
	for _, nd := range net.Nodes {
		// Export writes a plain identity as ONNX Identity, which import reads as a view, and an add of
		// n inputs as n−1 Adds.
		if nd.Op == arch.OpIdentity && !nd.BN && nd.Act == arch.ActNone || nd.Op == arch.OpAdd {
			continue
		}
		k, s, d, p := nd.Geometry()
		rows = append(rows, row{nd.Op, nd.Act, k, s, d, p, nd.Channels, max(nd.Groups, 1), nd.BN, nd.Global})
	}
	layers, err := net.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var gemms []string
	for _, l := range layers {
		if g := l.Lower(1); !g.Empty() {
			gemms = append(gemms, g.String())
		}
	}
	out, _ := json.Marshal(struct {
		Rows  []row
		GEMMs []string
	}{rows, gemms})
	return string(out)
}
