package search

import (
	"fmt"
	"slices"

	"github.com/uboost/uboost/arch"
)

// Node names inside a cell: its two inputs (after their pre-convs) and three intermediate nodes.
const (
	nodeXP  = "xp"  // the previous cell's output, after its 3×3 pre-conv
	nodeXPP = "xpp" // the output of the cell before that, after its 3×3 pre-conv (stride 2 after a pool)
	nodeT1  = "t1"
	nodeT2  = "t2"
	nodeT3  = "t3" // the cell's output
)

// Edge is one searched edge of a cell: an operation from node From to node To.
type Edge struct{ From, To string }

// Name is "from-to", as arch nodes' Edge label spells it.
func (e Edge) Name() string { return e.From + "-" + e.To }

// Edges are the nine searched edges of a cell, in the paper's order (PAPER.md §2.2):
// t1 = op(xp) + op(xpp); t2 = op(t1) + op(xp) + op(xpp); t3 = op(t2) + op(t1) + op(xp) + op(xpp).
var Edges = []Edge{
	{nodeXP, nodeT1}, {nodeXPP, nodeT1},
	{nodeT1, nodeT2}, {nodeXP, nodeT2}, {nodeXPP, nodeT2},
	{nodeT2, nodeT3}, {nodeT1, nodeT3}, {nodeXP, nodeT3}, {nodeXPP, nodeT3},
}

// intermediates are the cell's Add nodes in topological order.
var intermediates = []string{nodeT1, nodeT2, nodeT3}

// Genotype is what the micro stage decides: the operation on every edge of every cell (Ops[cell][edge],
// edges in the order of Edges). With shared alphas all cells carry the same list.
type Genotype struct {
	Ops [][]string `json:"ops"`
	// ArraysLeft ("RxC") are the candidate arrays a co-design's micro stage left in turn when its
	// array halving starts there (Config.ArrayHalvingFrom micro); the channel stage starts from them.
	ArraysLeft []string `json:"arrays_left,omitempty"`
}

// Validate checks the genotype against a cell count.
func (g *Genotype) Validate(cells int) error {
	if len(g.Ops) != cells {
		return fmt.Errorf("genotype: field %q: want %d cells, got %d", "ops", cells, len(g.Ops))
	}
	for i, ops := range g.Ops {
		if len(ops) != len(Edges) {
			return fmt.Errorf("genotype: field %q: cell %d: want %d edges, got %d", "ops", i+1, len(Edges), len(ops))
		}
		for j, op := range ops {
			if !isOp(op) {
				return fmt.Errorf("genotype: field %q: cell %d edge %s: unknown op %q", "ops", i+1, Edges[j].Name(), op)
			}
		}
		if _, err := planCell(ops); err != nil {
			return fmt.Errorf("genotype: cell %d: %w", i+1, err)
		}
	}
	return nil
}

func isOp(op string) bool { return slices.Contains(AllOps, op) }

// cellPlan says which parts of a cell with fixed ops compute something: the pruning of dead branches
// (PAPER.md §2.2): zero edges, intermediate nodes all of whose inputs are zero, nodes whose output no
// live edge reads, and pre-convs nobody reads.
type cellPlan struct {
	ops      []string
	edgeLive []bool
	needed   map[string]bool // xp, xpp (pre-conv kept), t1..t3
}

// planCell computes the live part of a cell. It fails when t3 receives nothing (every path is zero).
func planCell(ops []string) (*cellPlan, error) {
	p := &cellPlan{ops: ops, edgeLive: make([]bool, len(Edges)), needed: map[string]bool{}}
	// Forward: a node is non-empty when a non-zero edge reaches it from a non-empty node.
	nonEmpty := map[string]bool{nodeXP: true, nodeXPP: true}
	for _, t := range intermediates {
		for j, e := range Edges {
			if e.To == t && ops[j] != OpZero && nonEmpty[e.From] {
				nonEmpty[t] = true
			}
		}
	}
	if !nonEmpty[nodeT3] {
		return nil, fmt.Errorf("every path into the cell output t3 is a zero op")
	}
	// Backward: a node is needed when a non-zero edge from it reaches a needed node.
	p.needed[nodeT3] = true
	for _, t := range []string{nodeT2, nodeT1, nodeXP, nodeXPP} {
		for j, e := range Edges {
			if e.From == t && ops[j] != OpZero && nonEmpty[t] && p.needed[e.To] {
				p.needed[t] = true
			}
		}
	}
	for j, e := range Edges {
		p.edgeLive[j] = ops[j] != OpZero && p.needed[e.From] && p.needed[e.To]
	}
	return p, nil
}

// opNodes returns the arch nodes that implement op on an edge named prefix reading input, with output
// width `width` (a separable conv's depthwise keeps its input width). Identity is one identity node and
// zero one zero node. Supernet and derived network both build ops from here, so the network written
// to arch.json is exactly what the supernet ran.
func opNodes(op, prefix, input string, width int) []arch.Node {
	conv := func(name, in string, k, d int) arch.Node {
		return arch.Node{Name: name, Op: arch.OpConv, Inputs: []string{in}, Kernel: k, Dilation: d,
			Channels: width, BN: true, Act: arch.ActReLU}
	}
	name := prefix + "." + op
	switch op {
	case OpConv3x3:
		return []arch.Node{conv(name, input, 3, 1)}
	case OpConv5x5:
		return []arch.Node{conv(name, input, 5, 1)}
	case OpDil3x3:
		return []arch.Node{conv(name, input, 3, 2)}
	case OpDil5x5:
		return []arch.Node{conv(name, input, 5, 2)}
	case OpSep3x3, OpSep5x5:
		k := 3
		if op == OpSep5x5 {
			k = 5
		}
		dw := arch.Node{Name: name + ".dw", Op: arch.OpDepthwise, Inputs: []string{input}, Kernel: k, BN: true, Act: arch.ActReLU}
		pw := arch.Node{Name: name + ".pw", Op: arch.OpConv, Inputs: []string{dw.Name}, Kernel: 1,
			Channels: width, BN: true, Act: arch.ActReLU}
		return []arch.Node{dw, pw}
	case OpIdentity:
		return []arch.Node{{Name: name, Op: arch.OpIdentity, Inputs: []string{input}}}
	}
	return []arch.Node{{Name: name, Op: arch.OpZero, Inputs: []string{input}}}
}

// searchedLayer names the layer of an op whose output width the channel stage searches: the conv
// itself, or a separable conv's pointwise part; "" for identity and zero.
func searchedLayer(op, prefix string) string {
	switch op {
	case OpIdentity, OpZero:
		return ""
	case OpSep3x3, OpSep5x5:
		return prefix + "." + op + ".pw"
	}
	return prefix + "." + op
}

// Names of the fixed parts of the network.
const (
	stemName       = "stem"
	stemPoolName   = "stem.pool"
	classifierName = "classifier"
)

func cellName(i int) string              { return fmt.Sprintf("c%d", i+1) }
func preName(cell int, in string) string { return cellName(cell) + "." + in + "_pre" }
func edgePrefix(cell, j int) string      { return cellName(cell) + "." + Edges[j].Name() }

// preGeometry returns the stride and per-side padding of the 3×3 pre-conv that brings an input of
// side from to side to: stride 1 "same" when they agree, stride 2 after a pooled cell (PAPER.md §2.2),
// with padding 1 or 0 chosen so that odd sides (7 → 3 after a floor pool) line up.
func preGeometry(from, to int) (stride, pad int, err error) {
	if from == to {
		return 1, 1, nil
	}
	for _, p := range []int{1, 0} {
		if (from+2*p-3)/2+1 == to {
			return 2, p, nil
		}
	}
	return 0, 0, fmt.Errorf("cannot bring a %d-pixel map to %d with a 3×3 conv of stride 1 or 2", from, to)
}

// poolNode is the 2×2, stride-2 max-pool.
func poolNode(name, input string) arch.Node {
	return arch.Node{Name: name, Op: arch.OpMaxPool, Inputs: []string{input}, Kernel: 2, Stride: 2, Padding: new(int)}
}

// sides returns the spatial side (height, width) each cell works at (its xp input's) and the
// classifier's input side, for an input image of h×w, checking that every pool and stride-2 pre-conv fits.
func (c *Config) sides(h, w int) (cells [][2]int, final [2]int, err error) {
	stem := [2]int{h, w}
	if c.StemPool {
		stem = [2]int{h / 2, w / 2}
	}
	outs := [][2]int{stem, stem} // the stem feeds both inputs of the first cell
	for i := range c.Cells {
		xp, xpp := outs[len(outs)-1], outs[len(outs)-2]
		if xp[0] < 1 || xp[1] < 1 {
			return nil, final, fmt.Errorf("search config: field %q: cell %d gets an empty feature map from a %d×%d input", "pool", i+1, h, w)
		}
		for a := range 2 {
			if _, _, err := preGeometry(xpp[a], xp[a]); err != nil {
				return nil, final, fmt.Errorf("search config: field %q: cell %d: %w", "pool", i+1, err)
			}
		}
		cells = append(cells, xp)
		out := xp
		if c.Pool[i] {
			out = [2]int{xp[0] / 2, xp[1] / 2}
		}
		outs = append(outs, out)
	}
	final = outs[len(outs)-1]
	if final[0] < 1 || final[1] < 1 {
		return nil, final, fmt.Errorf("search config: field %q: the last pool leaves an empty map from a %d×%d input", "pool", h, w)
	}
	return cells, final, nil
}
