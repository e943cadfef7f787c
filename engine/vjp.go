package engine

// Graph-level gradients that replace GoMLX v0.26.0's where the stock ones are wasteful on CPU.
// They stay graph expressions (GoMLX still does the autodiff); only their form changes:
//   - Dot / DotGeneral: the stock VJPs broadcast both operands to an outer product and reduce it
//     (2.4 GB for one im2col-sized product); here each gradient is one DotGeneral.
//   - ConvGeneral: the stock VJP splits a grouped convolution into one convolution per group
//     (32 tiny convolutions and a Concatenate for a 32-channel depthwise); here each gradient is
//     one ConvGeneral, using channel groups for the input gradient and batch groups for the
//     kernel gradient, as XLA does.
// The parameters of a graph node are unexported; they are read with reflect by field name,
// checked at init like the simplego hooks.

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

func init() {
	if err := checkGraphFields(); err != nil {
		panic(err)
	}
	stockConv := VJPRegistration[NodeTypeConvGeneral]
	VJPRegistration[NodeTypeMax] = minMaxVJP
	VJPRegistration[NodeTypeMin] = minMaxVJP
	VJPRegistration[NodeTypeDot] = dotVJP
	VJPRegistration[NodeTypeDotGeneral] = dotGeneralVJP
	VJPRegistration[NodeTypeConvGeneral] = func(node *Node, v []*Node, s shapes.Shape) []*Node {
		if g := convVJP(node, v[0]); g != nil {
			return g
		}
		return stockConv(node, v, s)
	}
}

// nodeParams returns the (unexported) parameter struct of a graph node.
func nodeParams(n *Node) reflect.Value {
	return reflect.ValueOf(n).Elem().FieldByName("inputs").Elem().Elem()
}

func checkGraphFields() error {
	nt := reflect.TypeOf(Node{})
	if f, ok := nt.FieldByName("inputs"); !ok || f.Type.Kind() != reflect.Interface {
		return fmt.Errorf("engine: graph.Node has no interface field \"inputs\" (GoMLX changed? pinned %s)", pinnedGoMLX)
	}
	return nil
}

func intsOf(v reflect.Value) []int {
	out := make([]int, v.Len())
	for i := range out {
		out[i] = int(v.Index(i).Int())
	}
	return out
}

// minMaxVJP routes v to the operand that won (ties to the first, as GoMLX does) with one
// comparison and two selects; the stock form builds the indicator from four Sign/Add passes and
// multiplies, which made ReLU's gradient one of the costliest parts of a CNN step.
func minMaxVJP(node *Node, v []*Node, _ shapes.Shape) []*Node {
	a, b := node.Inputs()[0], node.Inputs()[1]
	var first *Node
	if node.Type() == NodeTypeMax {
		first = GreaterOrEqual(a, b)
	} else {
		first = LessOrEqual(a, b)
	}
	zero := ScalarZero(node.Graph(), v[0].DType())
	return []*Node{
		sumToShape(Where(first, v[0], zero), a.Shape()),
		sumToShape(Where(first, zero, v[0]), b.Shape()),
	}
}

// sumToShape sums the gradient v of a broadcast result back to the operand's shape: over all
// axes for a scalar operand, over the axes where the operand had size 1 otherwise.
func sumToShape(v *Node, s shapes.Shape) *Node {
	if v.Shape().Equal(s) {
		return v
	}
	if s.IsScalar() {
		return ReduceAllSum(v)
	}
	var axes []int
	for a, d := range s.Dimensions {
		if d == 1 && v.Shape().Dimensions[a] != 1 {
			axes = append(axes, a)
		}
	}
	return Reshape(ReduceSum(v, axes...), s.Dimensions...)
}

// dotVJP: for C = A·B (matrices), dA = v·Bᵀ and dB = Aᵀ·v, each one DotGeneral.
func dotVJP(node *Node, v []*Node, _ shapes.Shape) []*Node {
	a, b := node.Inputs()[0], node.Inputs()[1]
	g := v[0]
	switch {
	case a.Rank() == 2 && b.Rank() == 2:
		return []*Node{DotGeneral(g, []int{1}, nil, b, []int{1}, nil), DotGeneral(a, []int{0}, nil, g, []int{0}, nil)}
	case a.Rank() == 1 && b.Rank() == 1: // scalar product
		return []*Node{Mul(g, b), Mul(g, a)}
	case a.Rank() == 2 && b.Rank() == 1: // matrix·vector: out[m] = Σ a[m,k] b[k]
		return []*Node{DotGeneral(InsertAxes(g, -1), []int{}, nil, InsertAxes(b, 0), []int{}, nil),
			DotGeneral(a, []int{0}, nil, g, []int{0}, nil)}
	}
	panic(fmt.Sprintf("engine: gradient of Dot for ranks %d and %d not supported", a.Rank(), b.Rank()))
}

// dotGeneralVJP: out = [batch, lhs free, rhs free]. The gradient of one operand is the product of
// v with the other operand over the other's free axes, batched, then put back in this operand's
// axis order.
func dotGeneralVJP(node *Node, v []*Node, _ shapes.Shape) []*Node {
	p := nodeParams(node)
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	lc, lb := intsOf(p.FieldByName("lhsContractingAxes")), intsOf(p.FieldByName("lhsBatchAxes"))
	rc, rb := intsOf(p.FieldByName("rhsContractingAxes")), intsOf(p.FieldByName("rhsBatchAxes"))
	g := v[0]
	nb := len(lb)
	lFree := freeAxes(lhs.Rank(), lc, lb)
	rFree := freeAxes(rhs.Rank(), rc, rb)
	vBatch := make([]int, nb)
	for i := range vBatch {
		vBatch[i] = i
	}
	vL := make([]int, len(lFree)) // v axes of the lhs free dims
	for i := range vL {
		vL[i] = nb + i
	}
	vR := make([]int, len(rFree))
	for i := range vR {
		vR[i] = nb + len(lFree) + i
	}
	grad := func(other *Node, otherC, otherB, otherFree, vOtherFree, thisC, thisB []int, thisRank int, thisFreeN int) *Node {
		// [batch, this free, other's contracting axes in ascending order].
		d := DotGeneral(g, vOtherFree, vBatch, other, otherFree, otherB)
		sorted := slices.Clone(otherC)
		slices.Sort(sorted)
		perm := make([]int, thisRank)
		isSpecial := make([]bool, thisRank)
		for i, a := range thisB {
			perm[a] = i
			isSpecial[a] = true
		}
		for i, a := range thisC {
			perm[a] = nb + thisFreeN + slices.Index(sorted, otherC[i])
			isSpecial[a] = true
		}
		j := 0
		for a := range thisRank {
			if !isSpecial[a] {
				perm[a] = nb + j
				j++
			}
		}
		// perm[a] is the d axis holding this operand's axis a.
		return TransposeAllAxes(d, perm...)
	}
	dl := grad(rhs, rc, rb, rFree, vR, lc, lb, lhs.Rank(), len(lFree))
	dr := grad(lhs, lc, lb, lFree, vL, rc, rb, rhs.Rank(), len(rFree))
	return []*Node{dl, dr}
}

func freeAxes(rank int, contracting, batch []int) []int {
	var out []int
	for a := range rank {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

// convVJP returns the gradients of a ConvGeneral node with respect to its input and kernel, or
// nil for the forms it does not handle (input dilation, batch groups), left to GoMLX.
func convVJP(node *Node, v *Node) []*Node {
	p := nodeParams(node)
	x, kernel := node.Inputs()[0], node.Inputs()[1]
	n := x.Rank() - 2
	axesV := p.FieldByName("axes")
	axes := backends.ConvolveAxesConfig{
		InputBatch: int(axesV.FieldByName("InputBatch").Int()), InputChannels: int(axesV.FieldByName("InputChannels").Int()),
		InputSpatial:         intsOf(axesV.FieldByName("InputSpatial")),
		KernelInputChannels:  int(axesV.FieldByName("KernelInputChannels").Int()),
		KernelOutputChannels: int(axesV.FieldByName("KernelOutputChannels").Int()),
		KernelSpatial:        intsOf(axesV.FieldByName("KernelSpatial")),
		OutputBatch:          int(axesV.FieldByName("OutputBatch").Int()), OutputChannels: int(axesV.FieldByName("OutputChannels").Int()),
		OutputSpatial: intsOf(axesV.FieldByName("OutputSpatial")),
	}
	strides, inDil, kDil := intsOf(p.FieldByName("strides")), intsOf(p.FieldByName("inputDilations")), intsOf(p.FieldByName("kernelDilations"))
	padV := p.FieldByName("paddings")
	pads := make([][2]int, padV.Len())
	for i := range pads {
		pads[i] = [2]int{int(padV.Index(i).Index(0).Int()), int(padV.Index(i).Index(1).Int())}
	}
	groups := max(int(p.FieldByName("channelGroupCount").Int()), 1)
	if int(p.FieldByName("batchGroupCount").Int()) > 1 {
		return nil
	}
	for _, d := range inDil {
		if d != 1 {
			return nil
		}
	}
	fill := func(s []int, def int) []int {
		if len(s) == 0 {
			return slices.Repeat([]int{def}, n)
		}
		return s
	}
	strides, kDil = fill(strides, 1), fill(kDil, 1)
	if len(pads) == 0 {
		pads = make([][2]int, n)
	}
	xd, kd, od := x.Shape().Dimensions, kernel.Shape().Dimensions, node.Shape().Dimensions
	ki, ko := kd[axes.KernelInputChannels], kd[axes.KernelOutputChannels]

	// Input gradient: a convolution of v, dilated by the strides, with the kernel reversed and
	// its in/out channels swapped within each group. With effK = (K−1)·kd+1 the padding
	// (effK−1−padLo, IS−(OS−1)·s−1+padLo) maps output i back to the inputs o·s−padLo+k·kd = i.
	kc := TransposeAllAxes(kernel, append(slices.Clone(axes.KernelSpatial), axes.KernelInputChannels, axes.KernelOutputChannels)...)
	spatial := make([]int, n)
	for i := range spatial {
		spatial[i] = i
	}
	kc = Reverse(kc, spatial...)
	ks := gatherInts(kd, axes.KernelSpatial)
	kc = Reshape(kc, append(slices.Clone(ks), ki, groups, ko/groups)...)
	kc = TransposeAllAxes(kc, append(slices.Clone(spatial), n+2, n+1, n)...)
	kc = Reshape(kc, append(slices.Clone(ks), ko/groups, groups*ki)...)
	dxPads := make([][2]int, n)
	for d := range n {
		effK := (ks[d]-1)*kDil[d] + 1
		is, os := xd[axes.InputSpatial[d]], od[axes.OutputSpatial[d]]
		dxPads[d] = [2]int{effK - 1 - pads[d][0], is - (os-1)*strides[d] - 1 + pads[d][0]}
		if dxPads[d][0] < 0 || dxPads[d][1] < 0 {
			return nil
		}
	}
	dxAxes := backends.ConvolveAxesConfig{
		InputBatch: axes.OutputBatch, InputChannels: axes.OutputChannels, InputSpatial: axes.OutputSpatial,
		KernelSpatial: spatial, KernelInputChannels: n, KernelOutputChannels: n + 1,
		OutputBatch: axes.InputBatch, OutputChannels: axes.InputChannels, OutputSpatial: axes.InputSpatial,
	}
	dx := ConvGeneral(v, kc, dxAxes, slices.Repeat([]int{1}, n), dxPads, strides, kDil, groups, 1)

	// Kernel gradient: dK[k, ci, f] = Σ_{b,o} x[b, o·s−padLo+k·kd, ci]·v[b, o, f], a convolution
	// of x (channels as batch) by v (batch as input channels) with strides kd and dilation s; each
	// channel group is a batch group. The end padding makes the output exactly K wide.
	dkPads := make([][2]int, n)
	for d := range n {
		is, os := xd[axes.InputSpatial[d]], od[axes.OutputSpatial[d]]
		dkPads[d] = [2]int{pads[d][0], (ks[d]-1)*kDil[d] + (os-1)*strides[d] + 1 - is - pads[d][0]}
		if dkPads[d][1] < 0 {
			return nil
		}
	}
	dkAxes := backends.ConvolveAxesConfig{
		InputBatch: axes.InputChannels, InputChannels: axes.InputBatch, InputSpatial: axes.InputSpatial,
		KernelSpatial: axes.OutputSpatial, KernelInputChannels: axes.OutputBatch, KernelOutputChannels: axes.OutputChannels,
		OutputBatch: axes.KernelInputChannels, OutputChannels: axes.KernelOutputChannels, OutputSpatial: axes.KernelSpatial,
	}
	dk := ConvGeneral(x, v, dkAxes, kDil, dkPads, nil, strides, 1, groups)
	return []*Node{dx, dk}
}

func gatherInts(dims, axes []int) []int {
	out := make([]int, len(axes))
	for i, a := range axes {
		out[i] = dims[a]
	}
	return out
}
