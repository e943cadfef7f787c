package search

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/nn"
)

// Stage is one of the two search stages.
type Stage string

const (
	// StageMicro searches the op on every edge (widths fixed at Config.Width).
	StageMicro Stage = "micro"
	// StageChannel fixes the ops and searches each conv's output width by DMasking.
	StageChannel Stage = "channel"
)

// Context scopes: network weights (SGD) and architecture parameters (Adam) are kept apart so each
// phase updates only its own.
const (
	scopeModel = "model"
	scopeArch  = "arch"
)

// supernet is the over-parameterized network of one stage, for images of a given shape.
type supernet struct {
	cfg     *Config
	stage   Stage
	geno    *Genotype // channel stage: the fixed ops
	plans   []*cellPlan
	in      arch.Shape
	classes int
	hw      *hwCost
}

func newSupernet(cfg *Config, stage Stage, geno *Genotype, in arch.Shape, classes int) (*supernet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, _, err := cfg.sides(in.H, in.W); err != nil {
		return nil, err
	}
	s := &supernet{cfg: cfg, stage: stage, geno: geno, in: in, classes: classes, hw: newHWCost(cfg)}
	if stage == StageChannel {
		if geno == nil {
			return nil, fmt.Errorf("channel stage: no genotype (run the micro stage first)")
		}
		if err := geno.Validate(cfg.Cells); err != nil {
			return nil, err
		}
		if err := cfg.checkArraysLeft(geno); err != nil {
			return nil, err
		}
		for _, ops := range geno.Ops {
			p, _ := planCell(ops)
			s.plans = append(s.plans, p)
		}
	}
	return s, nil
}

// alphaScope is the arch scope of cell i's op logits: one shared set, or one per cell.
func (s *supernet) alphaScope(cell int) string {
	if s.cfg.SharedAlphas {
		return "cells"
	}
	return cellName(cell)
}

// widthLayers lists the channel stage's searched layers in build order.
func (s *supernet) widthLayers() []string {
	var names []string
	for i, p := range s.plans {
		for _, in := range []string{nodeXP, nodeXPP} {
			if p.needed[in] {
				names = append(names, preName(i, in))
			}
		}
		for j := range Edges {
			if p.edgeLive[j] {
				if n := searchedLayer(p.ops[j], edgePrefix(i, j)); n != "" {
					names = append(names, n)
				}
			}
		}
	}
	return names
}

// initArch creates the architecture variables with their initial values, drawn from the seed with a
// Go RNG so they do not depend on graph building order: op logits N(0, AlphaInitStd²) per edge
// (reference torch.randn: std 1), width logits a unit Gaussian bump at a random option (PAPER.md §2.3). On --resume the
// checkpoint's values replace them.
func (s *supernet) initArch(ctx *context.Context, dt dtypes.DType) {
	s.initArrays(ctx, dt)
	actx := ctx.In(scopeArch).Checked(false)
	rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(len(s.stage))))
	if s.stage == StageMicro {
		n := 1
		if !s.cfg.SharedAlphas {
			n = s.cfg.Cells
		}
		for i := range n {
			v := make([]float64, len(Edges)*len(s.cfg.Ops))
			for k := range v {
				v[k] = s.cfg.AlphaInitStd * rng.NormFloat64()
			}
			actx.In(s.alphaScope(i)).VariableWithValue("alpha", tensorOf(dt, v, len(Edges), len(s.cfg.Ops)))
		}
		return
	}
	n := len(s.cfg.Channels)
	for _, name := range s.widthLayers() {
		mu := float64(rng.IntN(n))
		v := make([]float64, n)
		for j := range v {
			v[j] = math.Exp(-(float64(j)-mu)*(float64(j)-mu)/2) / math.Sqrt(2*math.Pi)
		}
		actx.In(name).VariableWithValue("width", s.widthTensor(dt, v))
	}
}

// widthTensor is a searched layer's width logits v: [options], or with widths per array the same
// values for every candidate, [A × options].
func (s *supernet) widthTensor(dt dtypes.DType, v []float64) *tensors.Tensor {
	if !s.cfg.WidthsPerArray {
		return tensorOf(dt, v, len(v))
	}
	return tensorOf(dt, slices.Repeat(v, len(s.cfg.Arrays)), len(s.cfg.Arrays), len(v))
}

// tensorOf makes a tensor of dtype dt.
func tensorOf(dt dtypes.DType, v []float64, dims ...int) *tensors.Tensor {
	if dt == dtypes.Float64 {
		return tensors.FromFlatDataAndDimensions(slices.Clone(v), dims...)
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensors.FromFlatDataAndDimensions(f, dims...)
}

// gumbelSoftmax draws soft one-hot weights softmax((α + G)/τ) along the last axis, G standard Gumbel
// noise from the context's RNG (so a checkpoint's RNG state replays it).
func gumbelSoftmax(ctx *context.Context, logits, tau *graph.Node) *graph.Node {
	return gumbelWeights(logits, gumbelNoise(ctx, logits), tau)
}

// gumbelNoise draws standard Gumbel noise of the shape of logits from the context's RNG.
func gumbelNoise(ctx *context.Context, logits *graph.Node) *graph.Node {
	u := ctx.RandomUniform(logits.Graph(), logits.Shape())
	eps := 1e-10
	return graph.Neg(graph.Log(graph.AddScalar(graph.Neg(graph.Log(graph.AddScalar(u, eps))), eps)))
}

// gumbelWeights is softmax((α + G)/τ) along the last axis for given noise G.
func gumbelWeights(logits, noise, tau *graph.Node) *graph.Node {
	return graph.Softmax(graph.Div(graph.Add(logits, noise), tau), -1)
}

// feature is a feature map with its width as the search sees it and its spatial side.
type feature struct {
	x    *graph.Node
	w    widthDist
	side [2]int
}

// forward builds the supernet on images and returns the logits and the hardware terms (latency in ms,
// utilization, energy in µJ); all zero for --cost none.
func (s *supernet) forward(ctx *context.Context, images, tau *graph.Node) (logits *graph.Node, hw hwTerms, err error) {
	g := images.Graph()
	dt := images.DType()
	mctx := ctx.In(scopeModel).Checked(false)
	actx := ctx.In(scopeArch).Checked(false)
	acc := newHWAcc(g, dt, s.hw, s.cfg.Cells)
	priced := s.cfg.Cost != CostNone
	cellSides, finalSide, err := s.cfg.sides(s.in.H, s.in.W)
	if err != nil {
		return nil, hwTerms{}, err
	}

	// apply runs a chain of arch nodes on a feature, pricing each GEMM node; the chain's last node gets
	// width `out`, every other keeps its input's. It returns the output and the chain's total term and
	// (for the reference aggregation) the mean utilization of its GEMM layers.
	apply := func(nodes []arch.Node, f feature, out widthDist) (feature, *layerTerm, *graph.Node, error) {
		var total *layerTerm
		var utilSum *graph.Node
		nGEMM := 0
		for k := range nodes {
			nd := nodes[k]
			y := nn.Apply(mctx, &nd, []*graph.Node{f.x})
			next := feature{x: y, w: f.w, side: [2]int{y.Shape().Dimensions[1], y.Shape().Dimensions[2]}}
			if k == len(nodes)-1 && (nd.Op == arch.OpConv || nd.Op == arch.OpDense) {
				next.w = out
			}
			if priced && (nd.Op == arch.OpConv || nd.Op == arch.OpDepthwise || nd.Op == arch.OpDense) {
				t, err := s.hw.layer(g, dt, nd, f.side, f.w, next.w)
				if err != nil {
					return feature{}, nil, nil, err
				}
				if total == nil {
					total = &t
				} else {
					total = new(total.plus(t))
				}
				u := s.hw.util(t)
				if utilSum == nil {
					utilSum = u
				} else {
					utilSum = graph.Add(utilSum, u)
				}
				nGEMM++
			}
			f = next
		}
		if utilSum != nil {
			utilSum = graph.DivScalar(utilSum, float64(nGEMM))
		}
		return f, total, utilSum, nil
	}

	// Channel masks (DMasking): a searched layer computes max(Channels) outputs, multiplied by
	// Σ_j g_j·m_j with m_j the first Channels[j] channels set.
	cmax := s.cfg.Channels[len(s.cfg.Channels)-1]
	nOpt := len(s.cfg.Channels)
	maskRows := make([]float64, nOpt*cmax)
	vals := make([]float64, nOpt)
	for j, w := range s.cfg.Channels {
		vals[j] = float64(w)
		for c := range w {
			maskRows[j*cmax+c] = 1
		}
	}
	// With widths per array (co-design), each candidate array has its own width logits (rows of a
	// [A × options] variable), each priced on its own array; the channels are masked with the mixture
	// of the rows under this pass's array weights (arrayMix), so each row gets the accuracy gradient
	// in proportion to its array's weight, or, with the arrays taken in turn, on its array's turns.
	var arrayW, arrayP *graph.Node
	nArrays := 1
	if s.cfg.WidthsPerArray {
		arrayW, arrayP = s.arrayMix(ctx, g, dt, tau)
		nArrays = len(s.cfg.Arrays)
	}
	searchedWidth := func(name string) (widthDist, *graph.Node) {
		logits := actx.In(name).VariableWithValue("width", s.widthTensor(dt, make([]float64, nOpt))).ValueGraph(g)
		gw := gumbelSoftmax(ctx, logits, tau)
		w := widthDist{vals: vals, probs: gw}
		if arrayW != nil {
			w = widthDist{vals: vals, byArray: make([]*graph.Node, nArrays)}
			for a := range nArrays {
				w.byArray[a] = graph.Reshape(graph.Slice(gw, graph.AxisRange(a, a+1)), nOpt)
			}
			gw = graph.Dot(graph.Reshape(arrayW, 1, nArrays), gw)
		}
		mask := graph.Dot(graph.Reshape(gw, 1, nOpt), constOf(g, dt, maskRows, nOpt, cmax))
		return w, graph.Reshape(mask, 1, 1, 1, cmax)
	}
	// searchedApply applies an op chain whose last layer's width is searched (channel stage) or fixed.
	searchedApply := func(nodes []arch.Node, layer string, f feature) (feature, *layerTerm, *graph.Node, error) {
		if s.stage != StageChannel || layer == "" {
			return apply(nodes, f, fixedWidth(s.cfg.Width))
		}
		w, mask := searchedWidth(layer)
		out, t, u, err := apply(nodes, f, w)
		if err != nil {
			return feature{}, nil, nil, err
		}
		out.x = graph.Mul(out.x, graph.BroadcastToDims(mask, out.x.Shape().Dimensions...))
		return out, t, u, nil
	}

	// Stem.
	stemNodes := []arch.Node{{Name: stemName, Op: arch.OpConv, Inputs: []string{arch.InputName}, Kernel: 3,
		Channels: s.cfg.StemChannels, BN: true, Act: arch.ActReLU}}
	if s.cfg.StemPool {
		stemNodes = append(stemNodes, poolNode(stemPoolName, stemName))
	}
	stem, t, _, err := apply(stemNodes, feature{x: images, w: fixedWidth(s.in.C), side: [2]int{s.in.H, s.in.W}}, fixedWidth(s.cfg.StemChannels))
	if err != nil {
		return nil, hwTerms{}, err
	}
	if t != nil {
		acc.add(*t)
	}
	outs := []feature{stem, stem}
	var opW []*graph.Node
	if s.stage == StageMicro {
		opW = s.opWeights(ctx, g, dt, tau)
	}
	for i := range s.cfg.Cells {
		xp, xpp := outs[len(outs)-1], outs[len(outs)-2]
		var plan *cellPlan
		if s.stage == StageChannel {
			plan = s.plans[i]
		}
		nodes := map[string]feature{}
		// Pre-convs.
		for _, in := range []string{nodeXP, nodeXPP} {
			if plan != nil && !plan.needed[in] {
				continue
			}
			src := xp
			if in == nodeXPP {
				src = xpp
			}
			stride, pad, err := preGeometry(src.side[0], cellSides[i][0])
			if err != nil {
				return nil, hwTerms{}, err
			}
			name := preName(i, in)
			nd := arch.Node{Name: name, Op: arch.OpConv, Inputs: []string{arch.InputName}, Kernel: 3, Stride: stride,
				Padding: &pad, Channels: s.cfg.Width, BN: true, Act: arch.ActReLU}
			if s.stage == StageChannel {
				nd.Channels = cmax
			}
			f, t, u, err := searchedApply([]arch.Node{nd}, name, src)
			if err != nil {
				return nil, hwTerms{}, err
			}
			if t != nil {
				acc.add(*t)
				acc.addBlock(i, block{cycles: t.cycles, util: u})
			}
			nodes[in] = f
		}
		// Intermediate nodes.
		var alphaW *graph.Node
		if s.stage == StageMicro {
			alphaW = opW[i]
		}
		for _, tName := range intermediates {
			var sum *graph.Node
			var widths []widthDist
			for j, e := range Edges {
				if e.To != tName {
					continue
				}
				src, ok := nodes[e.From]
				if !ok {
					continue // pruned (channel stage)
				}
				prefix := edgePrefix(i, j)
				var y *graph.Node
				if s.stage == StageChannel {
					op := plan.ops[j]
					if !plan.edgeLive[j] {
						continue
					}
					width := cmax
					f, t, u, err := searchedApply(opNodes(op, prefix, arch.InputName, width), searchedLayer(op, prefix), src)
					if err != nil {
						return nil, hwTerms{}, err
					}
					if t != nil {
						acc.add(*t)
						acc.addBlock(i, block{cycles: t.cycles, util: u})
					}
					y = f.x
					widths = append(widths, f.w)
				} else {
					y, err = s.mixedEdge(ctx, apply, acc, i, j, alphaW, src)
					if err != nil {
						return nil, hwTerms{}, err
					}
					widths = append(widths, fixedWidth(s.cfg.Width))
				}
				if y == nil {
					continue
				}
				if sum == nil {
					sum = y
				} else {
					sum = graph.Add(sum, y)
				}
			}
			if sum == nil {
				continue // empty node: pruned in the channel stage, zero-only edges in the micro stage
			}
			w := widths[0]
			if s.stage == StageChannel {
				w = maxDist(g, dt, widths)
			}
			nodes[tName] = feature{x: sum, w: w, side: cellSides[i]}
		}
		out, ok := nodes[nodeT3]
		if !ok {
			// Micro stage with only zero ops on t3's edges: the cell outputs zeros.
			out = feature{x: graph.ZerosLike(nodes[nodeXP].x), w: nodes[nodeXP].w, side: cellSides[i]}
		}
		if s.cfg.Pool[i] {
			pooled := nn.Apply(mctx, new(poolNode(cellName(i)+".pool", arch.InputName)), []*graph.Node{out.x})
			out = feature{x: pooled, w: out.w, side: [2]int{pooled.Shape().Dimensions[1], pooled.Shape().Dimensions[2]}}
		}
		outs = append(outs, out)
	}
	last := outs[len(outs)-1]
	if last.side != finalSide {
		return nil, hwTerms{}, fmt.Errorf("supernet: final side %v, want %v", last.side, finalSide)
	}
	cls := arch.Node{Name: classifierName, Op: arch.OpDense, Inputs: []string{arch.InputName}, Channels: s.classes}
	head, t, _, err := apply([]arch.Node{cls}, last, fixedWidth(s.classes))
	if err != nil {
		return nil, hwTerms{}, err
	}
	if t != nil {
		acc.add(*t)
	}
	logits = graph.Reshape(head.x, head.x.Shape().Dimensions[0], s.classes)
	if !priced {
		z := graph.ScalarZero(g, dt)
		return logits, hwTerms{LatencyMs: z, Util: z, EnergyUJ: z, Cost: z, ArrayCosts: z, ArrayUtils: z}, nil
	}
	if arrayP == nil {
		_, arrayP = s.arrayMix(ctx, g, dt, tau)
	}
	return logits, acc.terms(s.cfg.Aggregation, s.cfg.Objective, arrayP), nil
}

// opWeights returns each cell's Gumbel-softmax op weights [edges × ops] for one forward pass: noise
// drawn per cell, or once and shared by all cells (Config.SharedGumbel, the reference code).
func (s *supernet) opWeights(ctx *context.Context, g *graph.Graph, dt dtypes.DType, tau *graph.Node) []*graph.Node {
	actx := ctx.In(scopeArch).Checked(false)
	var shared *graph.Node
	out := make([]*graph.Node, s.cfg.Cells)
	for i := range s.cfg.Cells {
		alpha := actx.In(s.alphaScope(i)).VariableWithValue("alpha",
			tensorOf(dt, make([]float64, len(Edges)*len(s.cfg.Ops)), len(Edges), len(s.cfg.Ops))).ValueGraph(g)
		if !s.cfg.SharedGumbel {
			out[i] = gumbelSoftmax(ctx, alpha, tau)
			continue
		}
		if shared == nil {
			shared = gumbelNoise(ctx, alpha)
		}
		out[i] = gumbelWeights(alpha, shared, tau)
	}
	return out
}

type applyFn func(nodes []arch.Node, f feature, out widthDist) (feature, *layerTerm, *graph.Node, error)

// mixedEdge is a micro-stage edge: Σ_o g_o·op_o(x) over the candidate ops, zero contributing nothing.
// Its cost is the expectation over all ops with identity and zero at 0 (default; moving probability
// onto identity or zero lowers the latency term), or the reference's mean conditioned on a GEMM op.
func (s *supernet) mixedEdge(ctx *context.Context, apply applyFn, acc *hwAcc, cell, j int, alphaW *graph.Node, src feature) (*graph.Node, error) {
	g := src.x.Graph()
	dt := src.x.DType()
	prefix := edgePrefix(cell, j)
	row := graph.Reshape(graph.Slice(alphaW, graph.AxisElem(j), graph.AxisRange()), len(s.cfg.Ops))
	var y *graph.Node
	ws := make([]*graph.Node, len(s.cfg.Ops))
	cycles := make([]*graph.Node, len(s.cfg.Ops))
	utils := make([]*graph.Node, len(s.cfg.Ops))
	expected := zeroTerm(g, dt)
	for o, op := range s.cfg.Ops {
		ws[o] = graph.Reshape(graph.Slice(row, graph.AxisElem(o)))
		if op == OpZero {
			continue
		}
		f, t, u, err := apply(opNodes(op, prefix, arch.InputName, s.cfg.Width), src, fixedWidth(s.cfg.Width))
		if err != nil {
			return nil, err
		}
		term := graph.Mul(f.x, ws[o])
		if y == nil {
			y = term
		} else {
			y = graph.Add(y, term)
		}
		if t != nil {
			cycles[o], utils[o] = t.cycles, u
			expected = expected.plus(t.scaled(ws[o]))
		}
	}
	if s.cfg.Cost != CostNone {
		acc.add(expected)
		if b, ok := mixBlock(g, dt, ws, cycles, utils); ok {
			acc.addBlock(cell, b)
		}
	}
	return y, nil
}
