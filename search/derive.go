package search

import (
	"fmt"
	"slices"

	"github.com/uboost/uboost/arch"
)

// Widths are the channel stage's choices: the output width of each searched layer, by layer name
// ("c1.xp_pre", "c2.t1-t2.conv3x3", "c1.xp-t3.sep5x5.pw", …). Layers it does not name take
// Config.Width.
type Widths map[string]int

// GenotypeFromAlphas takes the argmax op of every edge (PAPER.md §2.3: the argmax of α, not of the
// sampled weights). alphas[cell][edge][op] are the logits over cfg.Ops; with shared alphas pass one
// cell's and it is used for every cell. When the argmax leaves a cell's output t3 with no input (every
// path zero), the edge xp→t3 takes its best non-zero op instead, so every cell computes something
// (the reference asserts instead). With cfg.ExcludeZero no edge takes zero (DARTS).
func GenotypeFromAlphas(cfg *Config, alphas [][][]float64) (*Genotype, error) {
	nonZero := func(o int) bool { return cfg.Ops[o] != OpZero }
	var candidate func(int) bool
	if cfg.ExcludeZero {
		candidate = nonZero
	}
	if len(alphas) != 1 && len(alphas) != cfg.Cells {
		return nil, fmt.Errorf("alphas: want 1 or %d cells, got %d", cfg.Cells, len(alphas))
	}
	g := &Genotype{}
	for i := range cfg.Cells {
		a := alphas[min(i, len(alphas)-1)]
		if len(a) != len(Edges) {
			return nil, fmt.Errorf("alphas: cell %d: want %d edges, got %d", i+1, len(Edges), len(a))
		}
		ops := make([]string, len(Edges))
		for j, row := range a {
			if len(row) != len(cfg.Ops) {
				return nil, fmt.Errorf("alphas: cell %d edge %s: want %d ops, got %d", i+1, Edges[j].Name(), len(cfg.Ops), len(row))
			}
			ops[j] = cfg.Ops[argmax(row, candidate)]
		}
		if _, err := planCell(ops); err != nil {
			j := slices.Index(Edges, Edge{nodeXP, nodeT3})
			ops[j] = cfg.Ops[argmax(a[j], nonZero)]
		}
		g.Ops = append(g.Ops, ops)
	}
	return g, nil
}

// argmax returns the index of the largest value among those ok accepts (all when ok is nil); ties go
// to the first.
func argmax(v []float64, ok func(int) bool) int {
	best := -1
	for i, x := range v {
		if ok != nil && !ok(i) {
			continue
		}
		if best < 0 || x > v[best] {
			best = i
		}
	}
	return max(best, 0)
}

// WidthsFromLogits takes each searched layer's argmax width option.
func WidthsFromLogits(cfg *Config, logits map[string][]float64) Widths {
	w := Widths{}
	for name, l := range logits {
		w[name] = cfg.Channels[argmax(l, nil)]
	}
	return w
}

// Derive builds the discrete network a search chose: the stem, each cell with its chosen ops and widths
// with dead branches pruned (zero edges, empty nodes, unread nodes and pre-convs), Add nodes that bring
// narrower inputs up to the widest with a 1×1 conv + BN + ReLU, the pools and the classifier. Nodes
// carry their cell and edge labels. The result is validated.
func Derive(cfg *Config, in arch.Shape, classes int, g *Genotype, widths Widths) (*arch.Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := g.Validate(cfg.Cells); err != nil {
		return nil, err
	}
	cellSides, _, err := cfg.sides(in.H, in.W)
	if err != nil {
		return nil, err
	}
	width := func(name string) int {
		if w, ok := widths[name]; ok {
			return w
		}
		return cfg.Width
	}
	net := &arch.Network{Format: arch.Format, Name: "uboost-search", Input: in, Classes: classes}
	ch := map[string]int{arch.InputName: in.C}
	side := map[string]int{arch.InputName: in.H}
	add := func(nd arch.Node) string {
		net.Nodes = append(net.Nodes, nd)
		src := nd.Inputs[0]
		switch nd.Op {
		case arch.OpConv, arch.OpDense:
			ch[nd.Name] = nd.Channels
		default:
			ch[nd.Name] = ch[src]
		}
		k, s, d, p := nd.Geometry()
		switch nd.Op {
		case arch.OpConv, arch.OpDepthwise, arch.OpMaxPool:
			side[nd.Name] = (side[src]+2*p-d*(k-1)-1)/s + 1
		case arch.OpDense:
			side[nd.Name] = 1
		default:
			side[nd.Name] = side[src]
		}
		return nd.Name
	}
	cur := add(arch.Node{Name: stemName, Op: arch.OpConv, Inputs: []string{arch.InputName}, Kernel: 3,
		Channels: cfg.StemChannels, BN: true, Act: arch.ActReLU})
	if cfg.StemPool {
		cur = add(poolNode(stemPoolName, cur))
	}
	outs := []string{cur, cur}
	for i := range cfg.Cells {
		plan, _ := planCell(g.Ops[i])
		cell := cellName(i)
		names := map[string]string{}
		srcs := map[string]string{nodeXP: outs[len(outs)-1], nodeXPP: outs[len(outs)-2]}
		for _, inp := range []string{nodeXP, nodeXPP} {
			if !plan.needed[inp] {
				continue
			}
			stride, pad, err := preGeometry(side[srcs[inp]], cellSides[i][0])
			if err != nil {
				return nil, err
			}
			name := preName(i, inp)
			names[inp] = add(arch.Node{Name: name, Op: arch.OpConv, Inputs: []string{srcs[inp]}, Kernel: 3,
				Stride: stride, Padding: &pad, Channels: width(name), BN: true, Act: arch.ActReLU, Cell: cell})
		}
		for _, t := range intermediates {
			if !plan.needed[t] {
				continue
			}
			var ins []string
			for j, e := range Edges {
				if e.To != t || !plan.edgeLive[j] {
					continue
				}
				op := plan.ops[j]
				src := names[e.From]
				if op == OpIdentity {
					ins = append(ins, src)
					continue
				}
				w := width(searchedLayer(op, edgePrefix(i, j)))
				var last string
				for _, nd := range opNodes(op, edgePrefix(i, j), src, w) {
					nd.Cell, nd.Edge = cell, e.Name()
					last = add(nd)
				}
				ins = append(ins, last)
			}
			if len(ins) == 1 {
				names[t] = ins[0]
				continue
			}
			widest := 0
			for _, n := range ins {
				widest = max(widest, ch[n])
			}
			for k, n := range ins {
				if ch[n] < widest {
					ins[k] = add(arch.Node{Name: fmt.Sprintf("%s.%s.proj%d", cell, t, k), Op: arch.OpConv, Inputs: []string{n},
						Kernel: 1, Channels: widest, BN: true, Act: arch.ActReLU, Cell: cell})
				}
			}
			names[t] = add(arch.Node{Name: cell + "." + t, Op: arch.OpAdd, Inputs: ins, Cell: cell})
		}
		out := names[nodeT3]
		if cfg.Pool[i] {
			nd := poolNode(cell+".pool", out)
			nd.Cell = cell
			out = add(nd)
		}
		outs = append(outs, out)
	}
	add(arch.Node{Name: classifierName, Op: arch.OpDense, Inputs: []string{outs[len(outs)-1]}, Channels: classes})
	// A cell whose output no later cell reads (every edge from it chose zero) is dead, with everything
	// only it fed.
	net.Prune()
	if err := net.Validate(); err != nil {
		return nil, fmt.Errorf("derived network: %w", err)
	}
	return net, nil
}
