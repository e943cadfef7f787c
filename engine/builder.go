package engine

import (
	"fmt"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// builder is simplego's graph builder with the engine's ops: the ones simplego lacks (Reverse,
// Pad, SelectAndScatterMax/Min, BatchNorm*), and float32 ConvGeneral/DotGeneral nodes that carry
// the engine's own parameters so that its executors, not simplego's, run them.
type builder struct {
	*simplego.Builder
	// oneElement maps each float32 BroadcastInDim of a one-element operand to that operand (as a
	// scalar), so that element-wise ops can take the scalar instead; see unbroadcast.
	oneElement map[backends.Op]backends.Op
}

// BroadcastInDim remembers broadcasts of a one-element float32 operand. GoMLX's gradient of a
// product by a scalar (every Gumbel-weighted op of a supernet edge) multiplies by the scalar
// broadcast to the full shape: materialized, that is a write and a read of a full tensor per term.
func (b *builder) BroadcastInDim(x backends.Op, outputShape shapes.Shape, broadcastAxes []int) (backends.Op, error) {
	op, err := b.Builder.BroadcastInDim(x, outputShape, broadcastAxes)
	if err != nil || outputShape.DType != dtypes.Float32 {
		return op, err
	}
	if n, ok := x.(*simplego.Node); ok && nodeShape(n).Size() == 1 {
		scalar := x
		if nodeShape(n).Rank() > 0 {
			if scalar, err = b.Builder.Reshape(x); err != nil {
				return op, nil // keep the broadcast
			}
		}
		if b.oneElement == nil {
			b.oneElement = map[backends.Op]backends.Op{}
		}
		b.oneElement[op] = scalar
	}
	return op, nil
}

// unbroadcast returns the operands of an element-wise op with a remembered one-element broadcast
// replaced by its scalar when the other operand has the broadcast's full shape: the op's shape is
// the same, the engine's element-wise kernels take the scalar as such, and the broadcast, left
// without users, is never executed.
func (b *builder) unbroadcast(lhs, rhs backends.Op) (backends.Op, backends.Op) {
	full := func(op, other backends.Op) bool {
		s, err1 := b.OpShape(op)
		o, err2 := b.OpShape(other)
		return err1 == nil && err2 == nil && s.Equal(o)
	}
	if s, ok := b.oneElement[rhs]; ok && full(lhs, rhs) {
		rhs = s
	} else if s, ok := b.oneElement[lhs]; ok && full(rhs, lhs) {
		lhs = s
	}
	return lhs, rhs
}

// Mul, Add, Sub and Div take a remembered one-element broadcast as its scalar (see unbroadcast).
func (b *builder) Mul(lhs, rhs backends.Op) (backends.Op, error) {
	return b.Builder.Mul(b.unbroadcast(lhs, rhs))
}

func (b *builder) Add(lhs, rhs backends.Op) (backends.Op, error) {
	return b.Builder.Add(b.unbroadcast(lhs, rhs))
}

func (b *builder) Sub(lhs, rhs backends.Op) (backends.Op, error) {
	return b.Builder.Sub(b.unbroadcast(lhs, rhs))
}

func (b *builder) Div(lhs, rhs backends.Op) (backends.Op, error) {
	return b.Builder.Div(b.unbroadcast(lhs, rhs))
}

// nodeOf returns the simplego node behind an op of this builder.
func nodeOf(op backends.Op, what string) (*simplego.Node, error) {
	n, ok := op.(*simplego.Node)
	if !ok || n == nil {
		return nil, fmt.Errorf("engine: %s: operand is %T, not a node of this backend", what, op)
	}
	return n, nil
}

func onesInts(n int) []int { return slices.Repeat([]int{1}, n) }

// convParams are the engine's ConvGeneral parameters, all filled (no nil slices).
type convParams struct {
	axes                                     backends.ConvolveAxesConfig
	strides, inputDilations, kernelDilations []int
	paddings                                 [][2]int
	channelGroupCount, batchGroupCount       int
	inputShape, kernelShape, outputShape     shapes.Shape

	// plan is the layout analysis and index tables, built at the first execution and shared
	// (read-only) by every later one.
	planOnce sync.Once
	plan     *convPlan
}

// ConvGeneral fixes simplego's two convolution bugs — nil strides (which GoMLX's own conv
// gradient passes) and nil kernel dilations with channel groups (a worker-goroutine panic) — by
// filling every nil with its neutral value, and routes float32 convolutions to the engine.
func (b *builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig, strides []int,
	paddings [][2]int, inputDilations, kernelDilations []int, channelGroupCount, batchGroupCount int) (backends.Op, error) {
	n := len(axes.InputSpatial)
	if len(strides) == 0 {
		strides = onesInts(n)
	}
	if len(inputDilations) == 0 {
		inputDilations = onesInts(n)
	}
	if len(kernelDilations) == 0 {
		kernelDilations = onesInts(n)
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, n)
	}
	channelGroupCount, batchGroupCount = max(channelGroupCount, 1), max(batchGroupCount, 1)
	op, err := b.Builder.ConvGeneral(input, kernel, axes, strides, paddings, inputDilations, kernelDilations,
		channelGroupCount, batchGroupCount)
	if err != nil {
		return nil, err
	}
	node := op.(*simplego.Node)
	in, _ := nodeOf(input, "ConvGeneral")
	k, _ := nodeOf(kernel, "ConvGeneral")
	if nodeShape(node).DType != dtypes.Float32 {
		return op, nil
	}
	setNodeData(node, &convParams{
		axes: axes.Clone(), strides: slices.Clone(strides), paddings: slices.Clone(paddings),
		inputDilations: slices.Clone(inputDilations), kernelDilations: slices.Clone(kernelDilations),
		channelGroupCount: channelGroupCount, batchGroupCount: batchGroupCount,
		inputShape: nodeShape(in), kernelShape: nodeShape(k), outputShape: nodeShape(node),
	})
	return node, nil
}

// dotParams are the engine's DotGeneral parameters.
type dotParams struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// DotGeneral builds float32 products as one engine node (output already in its final
// [batch, lhs free, rhs free] layout); other dtypes go to simplego.
func (b *builder) DotGeneral(lhs backends.Op, lhsContractingAxes, lhsBatchAxes []int, rhs backends.Op,
	rhsContractingAxes, rhsBatchAxes []int) (backends.Op, error) {
	// simplego validates and infers the shape; its nodes are left unused (never executed).
	op, err := b.Builder.DotGeneral(lhs, lhsContractingAxes, lhsBatchAxes, rhs, rhsContractingAxes, rhsBatchAxes)
	if err != nil {
		return nil, err
	}
	shape := nodeShape(op.(*simplego.Node))
	if shape.DType != dtypes.Float32 {
		return op, nil
	}
	l, _ := nodeOf(lhs, "DotGeneral")
	r, _ := nodeOf(rhs, "DotGeneral")
	adj := func(axes []int, rank int) []int {
		out := slices.Clone(axes)
		for i, a := range out {
			if a < 0 {
				out[i] = a + rank
			}
		}
		return out
	}
	lr, rr := nodeShape(l).Rank(), nodeShape(r).Rank()
	node := sgNewNode(b.Builder, backends.OpTypeDotGeneral, shape, l, r)
	setNodeData(node, &dotParams{
		lhsContracting: adj(lhsContractingAxes, lr), lhsBatch: adj(lhsBatchAxes, lr),
		rhsContracting: adj(rhsContractingAxes, rr), rhsBatch: adj(rhsBatchAxes, rr),
	})
	return node, nil
}

// compareSelect marks a Where node fused with the float32 comparison that was its condition: its
// inputs are the comparison's two operands and the two branches.
type compareSelect struct {
	op  backends.OpType
	cmp func(a, b float32) bool
}

// Where fuses a float32 comparison into the select that reads it (as in every ReLU, max-pool and
// Max/Min gradient): one pass over the data instead of two, and no boolean tensor. Operands and
// branches must each be full-size or a single element; anything else goes to simplego's Where.
// The comparison node stays in the graph and only runs if something else reads it.
func (b *builder) Where(cond, onTrue, onFalse backends.Op) (backends.Op, error) {
	op, err := b.Builder.Where(cond, onTrue, onFalse)
	if err != nil {
		return nil, err
	}
	shape := nodeShape(op.(*simplego.Node))
	c, _ := nodeOf(cond, "Where")
	t, _ := nodeOf(onTrue, "Where")
	f, _ := nodeOf(onFalse, "Where")
	cmp := compareFns[nodeOpType(c)]
	if cmp == nil || shape.DType != dtypes.Float32 || !slices.Equal(nodeShape(c).Dimensions, shape.Dimensions) {
		return op, nil
	}
	ins := append(slices.Clone(nodeInputs(c)), t, f)
	for _, in := range ins {
		s := nodeShape(in)
		if s.DType != dtypes.Float32 || (s.Size() != 1 && !slices.Equal(s.Dimensions, shape.Dimensions)) {
			return op, nil
		}
	}
	node := sgNewNode(b.Builder, backends.OpTypeWhere, shape, ins...)
	setNodeData(node, &compareSelect{op: nodeOpType(c), cmp: cmp})
	return node, nil
}

// reverseParams lists the reversed axes.
type reverseParams struct{ axes []int }

// Reverse (missing in simplego; every convolution gradient needs it) reverses x along axes.
func (b *builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	n, err := nodeOf(x, "Reverse")
	if err != nil {
		return nil, err
	}
	s := nodeShape(n)
	for _, a := range axes {
		if a < 0 || a >= s.Rank() {
			return nil, fmt.Errorf("engine: Reverse: axis %d out of range for %s", a, s)
		}
	}
	node := sgNewNode(b.Builder, backends.OpTypeReverse, s.Clone(), n)
	setNodeData(node, &reverseParams{axes: slices.Clone(axes)})
	return node, nil
}

// padParams is the per-axis padding (a missing axis is not padded).
type padParams struct{ axes []backends.PadAxis }

// Pad (missing in simplego; the gradients of Slice and of average pooling need it) pads x with
// fill — negative Start/End crop, Interior inserts fill between elements.
func (b *builder) Pad(x, fill backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	n, err := nodeOf(x, "Pad")
	if err != nil {
		return nil, err
	}
	f, err := nodeOf(fill, "Pad")
	if err != nil {
		return nil, err
	}
	s := nodeShape(n)
	if fs := nodeShape(f); fs.Rank() != 0 || fs.DType != s.DType {
		return nil, fmt.Errorf("engine: Pad: fill value must be a %s scalar, got %s", s.DType, fs)
	}
	if len(axesConfig) > s.Rank() {
		return nil, fmt.Errorf("engine: Pad: %d axes configured for %s", len(axesConfig), s)
	}
	cfg := make([]backends.PadAxis, s.Rank())
	copy(cfg, axesConfig)
	dims := slices.Clone(s.Dimensions)
	for a, c := range cfg {
		if c.Interior < 0 {
			return nil, fmt.Errorf("engine: Pad: axis %d: negative interior padding %d", a, c.Interior)
		}
		d := dims[a]
		if d > 0 {
			d += (d - 1) * c.Interior
		}
		d += c.Start + c.End
		if d < 0 {
			return nil, fmt.Errorf("engine: Pad: axis %d of %s: padding %+v leaves a negative size", a, s, c)
		}
		dims[a] = d
	}
	node := sgNewNode(b.Builder, backends.OpTypePad, shapes.Make(s.DType, dims...), n, f)
	setNodeData(node, &padParams{axes: cfg})
	return node, nil
}

// windowParams describe a SelectAndScatter window.
type windowParams struct {
	window, strides []int
	paddings        [][2]int
	isMin           bool
}

// SelectAndScatterMax (missing in simplego; the gradient of max pooling) adds each source value
// at the position of its window's (first) maximum.
func (b *builder) SelectAndScatterMax(operand, source backends.Op, window, strides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(operand, source, window, strides, paddings, false)
}

// SelectAndScatterMin is SelectAndScatterMax for the window minimum (the gradient of min pooling).
func (b *builder) SelectAndScatterMin(operand, source backends.Op, window, strides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(operand, source, window, strides, paddings, true)
}

func (b *builder) selectAndScatter(operand, source backends.Op, window, strides []int, paddings [][2]int,
	isMin bool) (backends.Op, error) {
	on, err := nodeOf(operand, "SelectAndScatter")
	if err != nil {
		return nil, err
	}
	sn, err := nodeOf(source, "SelectAndScatter")
	if err != nil {
		return nil, err
	}
	s, ss := nodeShape(on), nodeShape(sn)
	r := s.Rank()
	if len(strides) == 0 {
		strides = window
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, r)
	}
	if len(window) != r || len(strides) != r || len(paddings) != r || ss.Rank() != r || ss.DType != s.DType {
		return nil, fmt.Errorf("engine: SelectAndScatter: operand %s, source %s, window %v, strides %v, paddings %v do not match",
			s, ss, window, strides, paddings)
	}
	if s.DType != dtypes.Float32 && s.DType != dtypes.Float64 {
		return nil, fmt.Errorf("engine: SelectAndScatter: dtype %s not supported (float32, float64)", s.DType)
	}
	for a := range r {
		want := 0
		if padded := s.Dimensions[a] + paddings[a][0] + paddings[a][1]; padded >= window[a] {
			want = (padded-window[a])/strides[a] + 1
		}
		if window[a] < 1 || strides[a] < 1 || ss.Dimensions[a] != want {
			return nil, fmt.Errorf("engine: SelectAndScatter: axis %d: source dim %d, want %d (operand %s, window %v, strides %v)",
				a, ss.Dimensions[a], want, s, window, strides)
		}
	}
	opType := backends.OpTypeSelectAndScatterMax
	if isMin {
		opType = backends.OpTypeSelectAndScatterMin
	}
	node := sgNewNode(b.Builder, opType, s.Clone(), on, sn)
	setNodeData(node, &windowParams{window: slices.Clone(window), strides: slices.Clone(strides),
		paddings: slices.Clone(paddings), isMin: isMin})
	return node, nil
}

// bnParams are the batch-normalization parameters.
type bnParams struct {
	epsilon     float32
	featureAxis int
}

func (b *builder) bnCheck(what string, featureAxis int, operand backends.Op, perFeature ...backends.Op) (
	nodes []*simplego.Node, axis int, err error) {
	x, err := nodeOf(operand, what)
	if err != nil {
		return nil, 0, err
	}
	s := nodeShape(x)
	axis = featureAxis
	if axis < 0 {
		axis += s.Rank()
	}
	if axis < 0 || axis >= s.Rank() {
		return nil, 0, fmt.Errorf("engine: %s: feature axis %d out of range for %s", what, featureAxis, s)
	}
	if s.DType != dtypes.Float32 {
		return nil, 0, fmt.Errorf("engine: %s: dtype %s not supported (float32)", what, s.DType)
	}
	nodes = append(nodes, x)
	for i, op := range perFeature {
		n, err := nodeOf(op, what)
		if err != nil {
			return nil, 0, err
		}
		ps := nodeShape(n)
		if i == len(perFeature)-1 && what == "BatchNormGradient" {
			if !ps.Equal(s) {
				return nil, 0, fmt.Errorf("engine: %s: gradient shape %s != operand shape %s", what, ps, s)
			}
		} else if ps.Rank() != 1 || ps.Dimensions[0] != s.Dimensions[axis] || ps.DType != s.DType {
			return nil, 0, fmt.Errorf("engine: %s: per-feature input %d is %s, want [%d] %s", what, i, ps,
				s.Dimensions[axis], s.DType)
		}
		nodes = append(nodes, n)
	}
	return nodes, axis, nil
}

// BatchNormForTraining (missing in simplego) normalizes with the batch mean and (biased)
// variance over every axis but featureAxis, and returns them too.
func (b *builder) BatchNormForTraining(operand, scale, offset backends.Op, epsilon float32, featureAxis int) (
	normalized, batchMean, batchVariance backends.Op, err error) {
	nodes, axis, err := b.bnCheck("BatchNormForTraining", featureAxis, operand, scale, offset)
	if err != nil {
		return nil, nil, nil, err
	}
	s := nodeShape(nodes[0])
	c := shapes.Make(s.DType, s.Dimensions[axis])
	node := sgNewMultiOutputsNode(b.Builder, backends.OpTypeBatchNormForTraining, []shapes.Shape{s.Clone(), c, c.Clone()}, nodes...)
	setNodeData(node, &bnParams{epsilon: epsilon, featureAxis: axis})
	outs := nodeMultiOutputs(node)
	return outs[0], outs[1], outs[2], nil
}

// BatchNormForInference (missing in simplego) normalizes with the given mean and variance.
func (b *builder) BatchNormForInference(operand, scale, offset, mean, variance backends.Op, epsilon float32,
	featureAxis int) (backends.Op, error) {
	nodes, axis, err := b.bnCheck("BatchNormForInference", featureAxis, operand, scale, offset, mean, variance)
	if err != nil {
		return nil, err
	}
	node := sgNewNode(b.Builder, backends.OpTypeBatchNormForInference, nodeShape(nodes[0]).Clone(), nodes...)
	setNodeData(node, &bnParams{epsilon: epsilon, featureAxis: axis})
	return node, nil
}

// BatchNormGradient (missing in simplego) returns the gradients of BatchNormForTraining's output
// with respect to operand, scale and offset, given the gradient of the output.
func (b *builder) BatchNormGradient(operand, scale, mean, variance, gradOutput backends.Op, epsilon float32,
	featureAxis int) (gradOperand, gradScale, gradOffset backends.Op, err error) {
	nodes, axis, err := b.bnCheck("BatchNormGradient", featureAxis, operand, scale, mean, variance, gradOutput)
	if err != nil {
		return nil, nil, nil, err
	}
	s := nodeShape(nodes[0])
	c := shapes.Make(s.DType, s.Dimensions[axis])
	node := sgNewMultiOutputsNode(b.Builder, backends.OpTypeBatchNormGradient, []shapes.Shape{s.Clone(), c, c.Clone()}, nodes...)
	setNodeData(node, &bnParams{epsilon: epsilon, featureAxis: axis})
	outs := nodeMultiOutputs(node)
	return outs[0], outs[1], outs[2], nil
}
