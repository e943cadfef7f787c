// Package nn turns an architecture (package arch) into a GoMLX computation graph: one function per
// node (Apply) and one for a whole network (Build). Training, the search's candidate operations and
// evaluation all build their models here, so a node means the same computation everywhere.
//
// Layout and conventions:
//   - Feature maps are NHWC of the images' dtype (float32 in training; tests use float64 for finite
//     differences). Every node's output is rank 4, a dense node's being [batch, 1, 1, channels], so
//     shapes line up one to one with arch.Network.Infer.
//   - Variables live in the context scope named after the node: "<node>/weights", "<node>/biases",
//     "<node>/batch_normalization/...". Weights are He-normal initialized (fan-in), biases zero.
//   - A conv, depthwise or dense node has a bias only when it has no batch norm (BN's offset does
//     the bias's job), matching arch.Network.Params.
//   - Window padding is the node's per-side padding (nil: dilation·(kernel−1)/2); max pooling never
//     picks a padded cell, and average pooling averages over the cells inside the map only.
//   - Batch norm normalizes over batch, height and width with batch statistics when the context is
//     training (context.Context.IsTraining) and with its moving averages otherwise. Its momentum and
//     epsilon are the context parameters ParamBNMomentum and ParamBNEpsilon.
package nn

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/batchnorm"

	"github.com/uboost/uboost/arch"
)

// Context parameters read when building batch norm layers (context.GetParamOr, so a scope may
// override them).
const (
	// ParamBNMomentum is the weight of the old moving average at each training step. The default,
	// 0.9, is PyTorch's (its momentum=0.1 weights the new batch), so the two frameworks' models
	// agree in inference.
	ParamBNMomentum = "nn_bn_momentum"
	// ParamBNEpsilon is added to the variance before the square root; default 1e-5 as in PyTorch.
	ParamBNEpsilon = "nn_bn_epsilon"
	// ParamBNFused selects the backend's fused batch-norm ops (default true); false builds batch norm
	// from element-wise ops, for dtypes the fused ops do not take (float64 gradient checks).
	ParamBNFused = "nn_bn_fused"
)

// Apply builds the graph of one node on its inputs (in nd.Inputs order) and returns its output.
// Variables go under ctx.In(nd.Name). The node must be valid for the input shapes (as
// arch.Network.Validate checks); a node that does not fit its inputs panics inside graph building,
// as GoMLX layers do, so callers validate first.
func Apply(ctx *context.Context, nd *arch.Node, inputs []*graph.Node) *graph.Node {
	ctx = ctx.In(nd.Name)
	if len(inputs) == 0 {
		panic(fmt.Sprintf("nn: node %q: no inputs", nd.Name))
	}
	x := inputs[0]
	var y *graph.Node
	switch nd.Op {
	case arch.OpConv:
		y = conv(ctx, nd, x, nd.Channels, max(nd.Groups, 1))
	case arch.OpDepthwise:
		c := x.Shape().Dimensions[3]
		y = conv(ctx, nd, x, c, c)
	case arch.OpDense:
		y = dense(ctx, nd, x)
	case arch.OpMaxPool:
		if nd.Global {
			y = graph.ReduceAndKeep(x, graph.ReduceMax, 1, 2)
		} else {
			y = pool(nd, x, graph.MaxPool)
		}
	case arch.OpAvgPool:
		if nd.Global {
			y = graph.ReduceAndKeep(x, graph.ReduceMean, 1, 2)
		} else {
			y = pool(nd, x, graph.MeanPool)
		}
	case arch.OpAdd:
		y = x
		for _, z := range inputs[1:] {
			y = graph.Add(y, z)
		}
	case arch.OpMul:
		// A 1×1×C gate (squeeze-excitation) scales every pixel of its channel.
		y = graph.Mul(x, graph.BroadcastToDims(inputs[1], x.Shape().Dimensions...))
	case arch.OpConcat:
		y = graph.Concatenate(inputs, 3)
	case arch.OpPad:
		_, _, _, p := nd.Geometry()
		y = zeroPad(x, p)
	case arch.OpIdentity:
		y = x
	case arch.OpZero:
		y = graph.ZerosLike(x)
	default:
		panic(fmt.Sprintf("nn: node %q: unknown op %q", nd.Name, nd.Op))
	}
	if nd.BN {
		y = batchNorm(ctx, y)
	}
	return Activation(nd.Act, y)
}

// Activation applies one of arch's activations (arch.ActReLU, ...) element-wise; arch.ActNone
// returns x unchanged.
func Activation(act string, x *graph.Node) *graph.Node {
	switch act {
	case arch.ActNone:
		return x
	case arch.ActReLU:
		// Against a scalar, not a zeros tensor: the engine then runs the forward max and the
		// gradient's select in one vectorized pass each, without materializing the zeros
		// (package engine's doc); the values are the same bits.
		return graph.MaxScalar(x, 0)
	case arch.ActReLU6:
		return graph.MinScalar(graph.MaxScalar(x, 0), 6)
	case arch.ActSwish:
		return graph.Mul(x, graph.Sigmoid(x))
	case arch.ActSigmoid:
		return graph.Sigmoid(x)
	case arch.ActHardSigmoid:
		return hardSigmoid(x)
	case arch.ActHardSwish:
		return graph.Mul(x, hardSigmoid(x))
	}
	panic(fmt.Sprintf("nn: unknown activation %q", act))
}

// zeroPad surrounds each map of x [N, H, W, C] with p cells of zeros, by concatenation (GoMLX's Pad
// has no gradient).
func zeroPad(x *graph.Node, p int) *graph.Node {
	if p == 0 {
		return x
	}
	for _, axis := range []int{1, 2} {
		dims := x.Shape().Clone().Dimensions
		dims[axis] = p
		zeros := graph.Zeros(x.Graph(), shapes.Make(x.DType(), dims...))
		x = graph.Concatenate([]*graph.Node{zeros, x, zeros}, axis)
	}
	return x
}

// hardSigmoid is min(max(x/6 + 1/2, 0), 1).
func hardSigmoid(x *graph.Node) *graph.Node {
	y := graph.AddScalar(graph.DivScalar(x, 6), 0.5)
	return graph.MinScalar(graph.MaxScalar(y, 0), 1)
}

// heNormal initializes a weight of the given fan-in with N(0, 2/fanIn), the variance that keeps
// ReLU activations' scale from layer to layer (He et al. 2015).
func heNormal(ctx *context.Context, fanIn int) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return graph.MulScalar(ctx.RandomNormal(g, shape), math.Sqrt(2/float64(max(fanIn, 1))))
	}
}

// conv is a k×k convolution to f output channels in `groups` channel groups: groups=1 is a full
// convolution, groups=C (with f=C) a depthwise one whose kernel is [k, k, 1, C] — each channel
// convolved with its own k×k filter, as XLA's feature_group_count defines it.
func conv(ctx *context.Context, nd *arch.Node, x *graph.Node, f, groups int) *graph.Node {
	k, s, d, p := nd.Geometry()
	cin := x.Shape().Dimensions[3]
	fanIn := k * k * cin / groups
	kernel := ctx.WithInitializer(heNormal(ctx, fanIn)).
		VariableWithShape("weights", shapes.Make(x.DType(), k, k, cin/groups, f)).ValueGraph(x.Graph())
	cb := graph.Convolve(x, kernel).Strides(s).Dilations(d).PaddingPerDim([][2]int{{p, p}, {p, p}})
	if groups > 1 {
		cb = cb.ChannelGroupCount(groups)
	}
	y := cb.Done()
	if !nd.BN {
		y = addBias(ctx, y)
	}
	return y
}

// dense is a fully connected layer on the flattened (H·W·C) input; its output is [batch, 1, 1, f].
func dense(ctx *context.Context, nd *arch.Node, x *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	in := dims[1] * dims[2] * dims[3]
	flat := graph.Reshape(x, dims[0], in)
	w := ctx.WithInitializer(heNormal(ctx, in)).
		VariableWithShape("weights", shapes.Make(x.DType(), in, nd.Channels)).ValueGraph(x.Graph())
	y := graph.Reshape(graph.Dot(flat, w), dims[0], 1, 1, nd.Channels)
	if !nd.BN {
		y = addBias(ctx, y)
	}
	return y
}

// addBias adds a per-channel (last axis) bias variable, initialized to zero.
func addBias(ctx *context.Context, y *graph.Node) *graph.Node {
	f := y.Shape().Dimensions[y.Rank()-1]
	b := ctx.WithInitializer(initializers.Zero).
		VariableWithShape("biases", shapes.Make(y.DType(), f)).ValueGraph(y.Graph())
	return graph.Add(y, graph.BroadcastToDims(graph.Reshape(b, 1, 1, 1, f), y.Shape().Dimensions...))
}

// pool builds a k×k window reduction with the node's stride and padding.
func pool(nd *arch.Node, x *graph.Node, kind func(*graph.Node) *graph.PoolBuilder) *graph.Node {
	k, s, _, p := nd.Geometry()
	pb := kind(x).Window(k).Strides(s)
	if p > 0 {
		pb = pb.PaddingPerDim([][2]int{{p, p}, {p, p}})
	}
	return pb.Done()
}

// batchNorm normalizes each channel (last axis) with GoMLX's batch norm layer, which uses batch
// statistics while training and moving averages in inference.
func batchNorm(ctx *context.Context, y *graph.Node) *graph.Node {
	return batchnorm.New(ctx, y, -1).
		Momentum(context.GetParamOr(ctx, ParamBNMomentum, 0.9)).
		Epsilon(context.GetParamOr(ctx, ParamBNEpsilon, 1e-5)).
		UseBackendInference(context.GetParamOr(ctx, ParamBNFused, true)).
		Done()
}

// Build builds the whole network on images [batch, H, W, C] and returns the logits [batch, classes].
func Build(ctx *context.Context, net *arch.Network, images *graph.Node) *graph.Node {
	logits, _ := BuildOutputs(ctx, net, images)
	return logits
}

// BuildOutputs is Build that also returns every node's output by node name (and the images under
// arch.InputName), for callers that inspect or reuse intermediate feature maps.
func BuildOutputs(ctx *context.Context, net *arch.Network, images *graph.Node) (logits *graph.Node, outputs map[string]*graph.Node) {
	dims := images.Shape().Dimensions
	if len(dims) != 4 || dims[1] != net.Input.H || dims[2] != net.Input.W || dims[3] != net.Input.C {
		panic(fmt.Sprintf("nn: network %q wants images [batch, %d, %d, %d], got %s",
			net.Name, net.Input.H, net.Input.W, net.Input.C, images.Shape()))
	}
	outputs = map[string]*graph.Node{arch.InputName: images}
	for i := range net.Nodes {
		nd := &net.Nodes[i]
		in := make([]*graph.Node, len(nd.Inputs))
		for j, name := range nd.Inputs {
			v, ok := outputs[name]
			if !ok {
				panic(fmt.Sprintf("nn: node %q: unknown or later input %q", nd.Name, name))
			}
			in[j] = v
		}
		outputs[nd.Name] = Apply(ctx, nd, in)
	}
	out := outputs[net.Output()]
	return graph.Reshape(out, dims[0], out.Shape().Size()/dims[0]), outputs
}
