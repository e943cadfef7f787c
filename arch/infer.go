package arch

import (
	"fmt"
	"slices"
	"strings"

	"github.com/uboost/uboost/accel"
)

// NodeError is a problem with one node, naming it and the field.
type NodeError struct {
	Index int // 0-based position in Nodes
	Node  string
	Field string
	Err   error
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("nodes[%d] (%q): field %q: %v", e.Index, e.Node, e.Field, e.Err)
}
func (e *NodeError) Unwrap() error { return e.Err }

func nodeErr(i int, nd *Node, field, format string, args ...any) error {
	return &NodeError{Index: i, Node: nd.Name, Field: field, Err: fmt.Errorf(format, args...)}
}

// or1 returns v, or 1 when v is 0 (an attribute left out).
func or1(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// Geometry returns a node's kernel, stride, dilation and per-side padding with defaults applied.
func (nd *Node) Geometry() (kernel, stride, dilation, padding int) {
	kernel, stride, dilation = or1(nd.Kernel), or1(nd.Stride), or1(nd.Dilation)
	if nd.Padding != nil {
		padding = *nd.Padding
	} else {
		padding = dilation * (kernel - 1) / 2
	}
	return
}

// windowOut is the output length of a window of size k, dilation d, stride s over n with p padding on
// each side: floor((n + 2p − d(k−1) − 1)/s) + 1, the convention of PyTorch and GoMLX.
func windowOut(n, k, s, d, p int) int {
	return (n+2*p-d*(k-1)-1)/s + 1
}

// Validate checks the whole network: format, input, classes, unique names, known ops, inputs that exist
// and come earlier, attribute ranges and shapes that fit. The first problem is returned, naming its field.
func (n *Network) Validate() error {
	if n.Format != Format {
		return fmt.Errorf("field %q: want %q, got %q", "format", Format, n.Format)
	}
	if n.Input.H <= 0 || n.Input.W <= 0 || n.Input.C <= 0 {
		return fmt.Errorf("field %q: want positive h, w, c, got %s", "input", n.Input)
	}
	if n.Input.H > accel.MaxFeatureDim || n.Input.W > accel.MaxFeatureDim || n.Input.C > accel.MaxChannels {
		return fmt.Errorf("field %q: want h, w ≤ %d and c ≤ %d, got %s", "input", accel.MaxFeatureDim, accel.MaxChannels, n.Input)
	}
	if n.Classes <= 0 {
		return fmt.Errorf("field %q: want a positive integer, got %d", "classes", n.Classes)
	}
	if len(n.Nodes) == 0 {
		return fmt.Errorf("field %q: the network has no nodes", "nodes")
	}
	shapes, err := n.Infer()
	if err != nil {
		return err
	}
	out := shapes[n.Output()]
	if out.H != 1 || out.W != 1 || out.C != n.Classes {
		return fmt.Errorf("field %q: the last node %q outputs %s, want 1×1×%d logits", "classes", n.Output(), out, n.Classes)
	}
	return nil
}

// Infer returns every node's output shape (and "input"'s), checking each node on the way.
func (n *Network) Infer() (map[string]Shape, error) {
	shapes := map[string]Shape{InputName: n.Input}
	for i := range n.Nodes {
		nd := &n.Nodes[i]
		if nd.Name == "" {
			return nil, nodeErr(i, nd, "name", "missing")
		}
		if _, dup := shapes[nd.Name]; dup {
			return nil, nodeErr(i, nd, "name", "duplicate name")
		}
		in := make([]Shape, len(nd.Inputs))
		for j, name := range nd.Inputs {
			s, ok := shapes[name]
			if !ok {
				return nil, nodeErr(i, nd, "inputs", "unknown or later node %q", name)
			}
			in[j] = s
		}
		s, err := inferNode(i, nd, in)
		if err != nil {
			return nil, err
		}
		shapes[nd.Name] = s
	}
	return shapes, nil
}

func inferNode(i int, nd *Node, in []Shape) (Shape, error) {
	wantInputs := func(k int) error {
		if len(in) != k {
			return nodeErr(i, nd, "inputs", "want %d input(s), got %d", k, len(in))
		}
		return nil
	}
	for _, v := range []struct {
		f string
		v int
	}{{"kernel", nd.Kernel}, {"stride", nd.Stride}, {"dilation", nd.Dilation}, {"channels", nd.Channels}, {"groups", nd.Groups}} {
		if v.v < 0 {
			return Shape{}, nodeErr(i, nd, v.f, "want a positive integer, got %d", v.v)
		}
	}
	if nd.Padding != nil && (*nd.Padding < 0 || *nd.Padding > accel.MaxFeatureDim) {
		return Shape{}, nodeErr(i, nd, "padding", "want an integer in 0..%d, got %d", accel.MaxFeatureDim, *nd.Padding)
	}
	// The op first: an unknown op's other fields say nothing.
	if nd.Op == "" {
		return Shape{}, nodeErr(i, nd, "op", "missing")
	}
	if !slices.Contains(Ops, nd.Op) {
		return Shape{}, nodeErr(i, nd, "op", "unknown op %q (want one of %s)", nd.Op, strings.Join(Ops, ", "))
	}
	switch nd.Act {
	case ActNone, ActReLU, ActReLU6, ActSwish, ActSigmoid, ActHardSigmoid, ActHardSwish:
	default:
		return Shape{}, nodeErr(i, nd, "act", "unknown activation %q", nd.Act)
	}
	// An identity node carries a batch norm or activation that follows no weighted node (imported
	// networks); an add may take an activation: ResNet applies its ReLU after the residual sum.
	hosts := nd.Op == OpConv || nd.Op == OpDepthwise || nd.Op == OpDense || nd.Op == OpIdentity
	if nd.BN && !hosts {
		return Shape{}, nodeErr(i, nd, "bn", "only conv, depthwise, dense and identity nodes take bn")
	}
	if nd.Act != ActNone && !hosts && nd.Op != OpAdd {
		return Shape{}, nodeErr(i, nd, "act", "only conv, depthwise, dense, identity and add nodes take act")
	}
	if nd.Groups > 1 && nd.Op != OpConv {
		return Shape{}, nodeErr(i, nd, "groups", "only conv nodes take groups")
	}
	window := func(c int) (Shape, error) {
		if err := wantInputs(1); err != nil {
			return Shape{}, err
		}
		k, s, d, p := nd.Geometry()
		x := in[0]
		span := d*(k-1) + 1
		if span > x.H+2*p || span > x.W+2*p {
			return Shape{}, nodeErr(i, nd, "kernel", "window %d (kernel %d, dilation %d) larger than padded input %s", span, k, d, x)
		}
		return Shape{H: windowOut(x.H, k, s, d, p), W: windowOut(x.W, k, s, d, p), C: c}, nil
	}
	switch nd.Op {
	case OpConv:
		if nd.Channels <= 0 {
			return Shape{}, nodeErr(i, nd, "channels", "want a positive integer, got %d", nd.Channels)
		}
		if g := or1(nd.Groups); len(in) == 1 && (in[0].C%g != 0 || nd.Channels%g != 0) {
			return Shape{}, nodeErr(i, nd, "groups", "%d groups do not divide %d input and %d output channels", g, in[0].C, nd.Channels)
		}
		return window(nd.Channels)
	case OpMaxPool:
		if nd.Global {
			if err := wantInputs(1); err != nil {
				return Shape{}, err
			}
			return Shape{H: 1, W: 1, C: in[0].C}, nil
		}
		fallthrough
	case OpDepthwise:
		if nd.Channels != 0 && len(in) == 1 && nd.Channels != in[0].C {
			return Shape{}, nodeErr(i, nd, "channels", "%s keeps its %d input channels, got %d", nd.Op, in[0].C, nd.Channels)
		}
		if len(in) != 1 {
			return Shape{}, wantInputs(1)
		}
		return window(in[0].C)
	case OpAvgPool:
		if err := wantInputs(1); err != nil {
			return Shape{}, err
		}
		if nd.Global {
			return Shape{H: 1, W: 1, C: in[0].C}, nil
		}
		return window(in[0].C)
	case OpDense:
		if err := wantInputs(1); err != nil {
			return Shape{}, err
		}
		if nd.Channels <= 0 {
			return Shape{}, nodeErr(i, nd, "channels", "want a positive integer, got %d", nd.Channels)
		}
		return Shape{H: 1, W: 1, C: nd.Channels}, nil
	case OpAdd:
		if len(in) < 1 {
			return Shape{}, nodeErr(i, nd, "inputs", "want at least one input")
		}
		for j, s := range in[1:] {
			if s != in[0] {
				return Shape{}, nodeErr(i, nd, "inputs", "input %q is %s, want %s like %q", nd.Inputs[j+1], s, in[0], nd.Inputs[0])
			}
		}
		return in[0], nil
	case OpMul:
		if err := wantInputs(2); err != nil {
			return Shape{}, err
		}
		a, b := in[0], in[1]
		if a.C != b.C || !(b == a || (b.H == 1 && b.W == 1)) {
			return Shape{}, nodeErr(i, nd, "inputs", "cannot multiply %s by %s", a, b)
		}
		return a, nil
	case OpConcat:
		if len(in) < 1 {
			return Shape{}, nodeErr(i, nd, "inputs", "want at least one input")
		}
		out := in[0]
		for j, s := range in[1:] {
			if s.H != out.H || s.W != out.W {
				return Shape{}, nodeErr(i, nd, "inputs", "input %q is %s, want %d×%d like %q", nd.Inputs[j+1], s, out.H, out.W, nd.Inputs[0])
			}
			out.C += s.C
		}
		return out, nil
	case OpPad:
		if err := wantInputs(1); err != nil {
			return Shape{}, err
		}
		_, _, _, p := nd.Geometry()
		return Shape{H: in[0].H + 2*p, W: in[0].W + 2*p, C: in[0].C}, nil
	case OpIdentity, OpZero:
		if err := wantInputs(1); err != nil {
			return Shape{}, err
		}
		return in[0], nil
	case "":
		return Shape{}, nodeErr(i, nd, "op", "missing")
	}
	return Shape{}, nodeErr(i, nd, "op", "unknown op %q", nd.Op)
}
