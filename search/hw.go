package search

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/cost/costgraph"
)

// widthDist is a feature map's channel count as the search sees it: fixed (one value, probs nil) or a
// distribution over vals (probs, a [len(vals)] graph node summing to 1). In a co-design search with
// Config.WidthsPerArray it is one distribution per candidate array instead (byArray[a], each like
// probs; probs nil): on(a) is the width as array a's pricing sees it.
type widthDist struct {
	vals    []float64
	probs   *graph.Node
	byArray []*graph.Node
}

func fixedWidth(c int) widthDist { return widthDist{vals: []float64{float64(c)}} }

// on returns the width candidate array a prices: its own distribution, or the one all arrays share.
func (w widthDist) on(a int) widthDist {
	if w.byArray == nil {
		return w
	}
	return widthDist{vals: w.vals, probs: w.byArray[a]}
}

// hwCost prices layers for the loss with the cost registry's model cfg.Cost. Discrete shapes are priced
// by the model on float64 (LayerModel.LayerCycles) and enter the graph as constants weighted by the
// Gumbel-softmax probabilities. Where the widths themselves are soft (expected-width, or every layer
// under the reference width cost), a model with a closed formula is evaluated on graph nodes through
// the configured smooth ceiling, and a table is read at the snapped expected width as a constant.
//
// In a co-design search every layer is priced on each candidate array: a term's fields are then
// vectors [A], one entry per candidate (Config.Candidates), scalars with one accelerator.
type hwCost struct {
	cfg    *Config
	entry  cost.Entry
	model  cost.LayerModel
	accels []*accel.Accelerator
}

// newHWCost returns the pricing of cfg, which must be valid; nil model for CostNone.
func newHWCost(cfg *Config) *hwCost {
	h := &hwCost{cfg: cfg, accels: cfg.Candidates()}
	if cfg.Cost != CostNone {
		h.entry, _ = cost.Lookup(cfg.Cost)
		h.model = h.entry.New()
	}
	return h
}

// lowerOne lowers a single node on a side×cin input through arch's lowering, so the search prices
// exactly the layer the derived network will contain. cout replaces the node's Channels (convs).
func lowerOne(nd arch.Node, side [2]int, cin, cout int) (accel.Layer, error) {
	nd.Inputs = []string{arch.InputName}
	if nd.Op == arch.OpConv || nd.Op == arch.OpDense {
		nd.Channels = cout
	}
	net := arch.Network{Format: arch.Format, Input: arch.Shape{H: side[0], W: side[1], C: cin}, Classes: 1, Nodes: []arch.Node{nd}}
	layers, err := net.Layers()
	if err != nil {
		return accel.Layer{}, fmt.Errorf("node %q: %w", nd.Name, err)
	}
	return layers[0], nil
}

// exact returns one layer's cycles, MACs and energy (µJ) at discrete widths, on float64, with the exact ceiling:
// where a layer's width is one of a few discrete options the loss takes the expectation over them, so
// the gradient flows through the options' probabilities and no staircase needs smoothing. (A smooth
// ceiling would misprice them: the tight one reads ⌈9/8⌉ as 1.92, making width 9 look 4% cheaper than
// width 16 on an 8-column array, where both take two column tiles.)
func (h *hwCost) exact(a *accel.Accelerator, l accel.Layer) (cycles, macs, energy float64, err error) {
	if h.entry.BatchOne {
		// The table's cycles are one image's: MACs and energy of one image go with them, or its
		// utilization would read the search batch times too high (67 for a sum over 3 cells).
		one := *a
		a = one.WithBatch(1)
	}
	macs = cost.MACs(cost.Float{}, cost.DimsOf(l, a.Batch))
	if cycles, err = h.model.LayerCycles(a, l); err != nil {
		return 0, 0, 0, err
	}
	_, energy = cost.LayerEnergy(a, l, cycles)
	return cycles, macs, energy, nil
}

// layerTerm is one GEMM layer's (or a chain's, or an edge's) expected cycles, MACs and energy in µJ
// as graph scalars.
type layerTerm struct{ cycles, macs, energy *graph.Node }

// plus is the sum of two terms.
func (t layerTerm) plus(o layerTerm) layerTerm {
	return layerTerm{cycles: graph.Add(t.cycles, o.cycles), macs: graph.Add(t.macs, o.macs), energy: graph.Add(t.energy, o.energy)}
}

// scaled is the term times the weight w (a graph scalar).
func (t layerTerm) scaled(w *graph.Node) layerTerm {
	return layerTerm{cycles: graph.Mul(w, t.cycles), macs: graph.Mul(w, t.macs), energy: graph.Mul(w, t.energy)}
}

// zeroTerm is the term of nothing.
func zeroTerm(g *graph.Graph, dt dtypes.DType) layerTerm {
	return layerTerm{cycles: graph.ScalarZero(g, dt), macs: graph.ScalarZero(g, dt), energy: graph.ScalarZero(g, dt)}
}

// pes is R·C of each candidate array: a scalar with one accelerator, else a vector [A].
func (h *hwCost) pes(g *graph.Graph, dt dtypes.DType) *graph.Node {
	v := make([]float64, len(h.accels))
	for i, a := range h.accels {
		v[i] = float64(a.AllPEs())
	}
	if len(v) == 1 {
		return graph.Scalar(g, dt, v[0])
	}
	return constOf(g, dt, v, len(v))
}

// util is the term's utilization MACs / (cycles · R·C) on each candidate, 0 where it has no cycles.
func (h *hwCost) util(t layerTerm) *graph.Node {
	den := graph.Mul(t.cycles, h.pes(t.cycles.Graph(), t.cycles.DType()))
	return graph.Div(t.macs, graph.Max(den, graph.OnesLike(den)))
}

// layer prices node nd on a side×in input producing out channels (out ignored by depthwise, which keeps
// its input width, and by dense, whose width is fixed) on every candidate accelerator.
func (h *hwCost) layer(g *graph.Graph, dt dtypes.DType, nd arch.Node, side [2]int, in, out widthDist) (layerTerm, error) {
	if len(h.accels) == 1 {
		return h.layerOn(g, dt, h.accels[0], nd, side, in, out)
	}
	var cyc, mac, en []*graph.Node
	for i, a := range h.accels {
		t, err := h.layerOn(g, dt, a, nd, side, in.on(i), out.on(i))
		if err != nil {
			return layerTerm{}, err
		}
		cyc, mac, en = append(cyc, t.cycles), append(mac, t.macs), append(en, t.energy)
	}
	return layerTerm{cycles: graph.Stack(cyc, 0), macs: graph.Stack(mac, 0), energy: graph.Stack(en, 0)}, nil
}

// layerOn prices the layer on accelerator a.
func (h *hwCost) layerOn(g *graph.Graph, dt dtypes.DType, a *accel.Accelerator, nd arch.Node, side [2]int, in, out widthDist) (layerTerm, error) {
	if nd.Op == arch.OpDepthwise {
		out = fixedWidth(0)
	}
	soft := in.probs != nil || out.probs != nil
	if h.cfg.WidthCost == WidthReference || (h.cfg.WidthCost == WidthExpectedWidth && soft) {
		if h.entry.Formula != "" {
			return h.softLayer(g, dt, a, nd, side, in, out)
		}
		if soft {
			in, out = h.snapped(g, dt, in), h.snapped(g, dt, out)
		}
	}
	cyc, mac, en, err := h.grid(a, nd, side, in, out)
	if err != nil {
		return layerTerm{}, err
	}
	return layerTerm{cycles: expect(g, dt, in, out, cyc), macs: expect(g, dt, in, out, mac), energy: expect(g, dt, in, out, en)}, nil
}

// grid prices the layer at every pair of input and output width values on float64.
func (h *hwCost) grid(a *accel.Accelerator, nd arch.Node, side [2]int, in, out widthDist) (cyc, mac, en []float64, err error) {
	ni, nj := len(in.vals), len(out.vals)
	cyc, mac, en = make([]float64, ni*nj), make([]float64, ni*nj), make([]float64, ni*nj)
	for i, ci := range in.vals {
		for j, cj := range out.vals {
			l, err := lowerOne(nd, side, int(ci), int(cj))
			if err != nil {
				return nil, nil, nil, err
			}
			if cyc[i*nj+j], mac[i*nj+j], en[i*nj+j], err = h.exact(a, l); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	return cyc, mac, en, nil
}

// snapped turns a soft width into the table's reading of it: a one-hot distribution, without gradient,
// over the table's channel keys (the width options for a table without a grid) that puts all weight on
// the key the expected width Σ p_i c_i snaps to. A fixed width is returned as it is.
func (h *hwCost) snapped(g *graph.Graph, dt dtypes.DType, w widthDist) widthDist {
	if w.probs == nil {
		return w
	}
	keys := w.vals
	tieUp := func(float64) bool { return true }
	if grid, ok := h.model.(cost.ChannelGrid); ok {
		keys = nil
		for _, k := range grid.ChannelKeys() {
			keys = append(keys, float64(k))
		}
		// Which way an integer midpoint goes is the model's own rule (the paper's table: down).
		tieUp = func(m float64) bool { return m != math.Trunc(m) || float64(grid.Snap(int(m))) > m }
	}
	e := graph.StopGradient(graph.ReduceAllSum(graph.Mul(w.probs, constOf(g, dt, w.vals, len(w.vals)))))
	// above_k = 1 when e lies above the midpoint between keys k−1 and k (reached at a tie going up).
	above := []*graph.Node{graph.Scalar(g, dt, 1)}
	for k := 1; k < len(keys); k++ {
		m := (keys[k-1] + keys[k]) / 2
		var a *graph.Node
		if tieUp(m) {
			a = graph.GreaterOrEqual(e, graph.Scalar(g, dt, m))
		} else {
			a = graph.GreaterThan(e, graph.Scalar(g, dt, m))
		}
		above = append(above, graph.ConvertDType(a, dt))
	}
	above = append(above, graph.Scalar(g, dt, 0))
	oneHot := make([]*graph.Node, len(keys))
	for k := range keys {
		oneHot[k] = graph.Sub(above[k], above[k+1])
	}
	return widthDist{vals: keys, probs: graph.StopGradient(graph.Stack(oneHot, 0))}
}

// expect is Σ_ij p_i q_j v_ij for a grid v over the input (p) and output (q) width distributions.
func expect(g *graph.Graph, dt dtypes.DType, in, out widthDist, v []float64) *graph.Node {
	ni, nj := len(in.vals), len(out.vals)
	if in.probs == nil && out.probs == nil {
		return graph.Scalar(g, dt, v[0])
	}
	grid := constOf(g, dt, v, ni, nj)
	w := graph.OnesLike(grid)
	if in.probs != nil {
		w = graph.Mul(w, graph.BroadcastToDims(graph.Reshape(in.probs, ni, 1), ni, nj))
	}
	if out.probs != nil {
		w = graph.Mul(w, graph.BroadcastToDims(graph.Reshape(out.probs, 1, nj), ni, nj))
	}
	return graph.ReduceAllSum(graph.Mul(w, grid))
}

// constOf makes a constant tensor of dtype dt from float64 values.
func constOf(g *graph.Graph, dt dtypes.DType, v []float64, dims ...int) *graph.Node {
	if dt == dtypes.Float64 {
		return graph.Const(g, tensors.FromFlatDataAndDimensions(v, dims...))
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return graph.Const(g, tensors.FromFlatDataAndDimensions(f, dims...))
}

// softLayer is the reference code's pricing: the model's formula evaluated in the graph at the expected
// widths c = Σ p_i c_i, f = Σ q_j f_j (or the fixed ones), through the smooth ceiling. Each GEMM dimension of a layer is
// a constant times c^a·f^b with a, b ∈ {0, 1} (lowering is linear in each width); the exponents are
// read off arch's lowering at widths 1 and 2, so the formula for the dimensions is not written twice.
func (h *hwCost) softLayer(g *graph.Graph, dt dtypes.DType, a *accel.Accelerator, nd arch.Node, side [2]int, in, out widthDist) (layerTerm, error) {
	dims := func(ci, co int) (cost.Dims[float64], error) {
		l, err := lowerOne(nd, side, ci, co)
		return cost.DimsOf(l, a.Batch), err
	}
	d11, err := dims(1, 1)
	if err != nil {
		return layerTerm{}, err
	}
	d21, _ := dims(2, 1)
	d12, _ := dims(1, 2)
	// The expected widths stay within the options, so the widest pair bounds the tiles the smooth
	// ceiling is asked to count; past its range it would price the layer as if it had fewer.
	widest, _ := dims(int(slices.Max(in.vals)), int(slices.Max(out.vals)))
	if err := cost.CheckTiles(h.cfg.Ceil, a, widest); err != nil {
		return layerTerm{}, fmt.Errorf("node %q at its widest: %w; the %s ceiling (field \"ceil\") has no such limit", nd.Name, err, cost.TightCeil)
	}
	soft := func(w widthDist) *graph.Node {
		if w.probs == nil {
			return graph.Scalar(g, dt, w.vals[0])
		}
		return graph.ReduceAllSum(graph.Mul(w.probs, constOf(g, dt, w.vals, len(w.vals))))
	}
	ci, co := soft(in), soft(out)
	field := func(f11, f21, f12 float64) *graph.Node {
		n := graph.Scalar(g, dt, f11)
		if f11 != 0 && f21 == 2*f11 {
			n = graph.Mul(n, ci)
		}
		if f11 != 0 && f12 == 2*f11 && nd.Op != arch.OpDepthwise {
			n = graph.Mul(n, co)
		}
		return n
	}
	gd := cost.Dims[*graph.Node]{
		M:          field(d11.M, d21.M, d12.M),
		K:          field(d11.K, d21.K, d12.K),
		N:          field(d11.N, d21.N, d12.N),
		Count:      field(d11.Count, d21.Count, d12.Count),
		InElems:    field(d11.InElems, d21.InElems, d12.InElems),
		OutElems:   field(d11.OutElems, d21.OutElems, d12.OutElems),
		KernelArea: graph.Scalar(g, dt, d11.KernelArea),
		OneColumn:  d11.OneColumn,
	}
	al := costgraph.New(g, dt)
	cycles := cost.Cycles(al, h.entry.Formula, h.cfg.Ceil, a, gd)
	energy := cost.EnergyUJ(al, a, cost.Access(al, h.cfg.Ceil, a, gd, cycles))
	return layerTerm{cycles: cycles, macs: cost.MACs(al, gd), energy: energy}, nil
}

// maxDist is the width distribution of an Add node over independent input widths on one grid: the sum
// takes the widest input (narrower ones are projected up), and P(max ≤ c_k) = Π_i P(w_i ≤ c_k).
func maxDist(g *graph.Graph, dt dtypes.DType, ins []widthDist) widthDist {
	if len(ins) == 1 {
		return ins[0]
	}
	for _, w := range ins {
		if w.byArray != nil { // widths per array: the maximum on each array's own widths
			rows := make([]*graph.Node, len(w.byArray))
			for a := range rows {
				onA := make([]widthDist, len(ins))
				for i, in := range ins {
					onA[i] = in.on(a)
				}
				rows[a] = maxDist(g, dt, onA).probs
			}
			return widthDist{vals: ins[0].vals, byArray: rows}
		}
	}
	n := len(ins[0].vals)
	// upper[i][k] = 1 for i ≤ k: p·upper is the CDF; diff[k-1][k] = −1, diff[k][k] = 1 undoes it.
	upper := make([]float64, n*n)
	diff := make([]float64, n*n)
	for i := range n {
		for k := i; k < n; k++ {
			upper[i*n+k] = 1
		}
		diff[i*n+i] = 1
		if i+1 < n {
			diff[i*n+i+1] = -1
		}
	}
	U, D := constOf(g, dt, upper, n, n), constOf(g, dt, diff, n, n)
	var cdf *graph.Node
	for _, w := range ins {
		c := graph.Reshape(graph.Dot(graph.Reshape(w.probs, 1, n), U), n)
		if cdf == nil {
			cdf = c
		} else {
			cdf = graph.Mul(cdf, c)
		}
	}
	return widthDist{vals: ins[0].vals, probs: graph.Reshape(graph.Dot(graph.Reshape(cdf, 1, n), D), n)}
}

// hwAcc accumulates the hardware terms of a supernet as it is built.
type hwAcc struct {
	g       *graph.Graph
	dt      dtypes.DType
	clockHz float64     // the candidates' common clock
	pes     *graph.Node // R·C per candidate (hwCost.pes)
	sum     layerTerm   // Σ expected cycles, MACs and energy, every GEMM layer
	cells   [][]block   // reference aggregation: blocks per cell
}

// block is one block of the reference aggregation: a pre-conv, an edge or a projection.
type block struct{ cycles, util *graph.Node }

func newHWAcc(g *graph.Graph, dt dtypes.DType, h *hwCost, cells int) *hwAcc {
	return &hwAcc{g: g, dt: dt, clockHz: h.cfg.Accel.ClockHz, pes: h.pes(g, dt), sum: zeroTerm(g, dt), cells: make([][]block, cells)}
}

// add counts a term in the totals.
func (h *hwAcc) add(t layerTerm) { h.sum = h.sum.plus(t) }

// hwTerms are the hardware terms of one forward pass as graph scalars, expected over the candidate
// arrays in a co-design search.
type hwTerms struct {
	// LatencyMs and Util are aggregated as Config.Aggregation says.
	LatencyMs, Util *graph.Node
	// EnergyUJ is Σ expected energy over every GEMM layer (under either aggregation: energy adds up).
	EnergyUJ *graph.Node
	// Cost is what the loss weighs by λ, the Config.Objective: Σ_a p_a·objective_a over the candidate
	// arrays (the objective itself with one accelerator).
	Cost *graph.Node
	// ArrayCosts and ArrayUtils are the objective and the utilization on each candidate array, [A]
	// (scalars with one accelerator).
	ArrayCosts, ArrayUtils *graph.Node
}

// objective is the quantity the loss weighs by λ: latency in ms, energy in µJ, or their product
// µJ·ms (on one array, the product of the expected energy and the expected latency).
func objective(o Objective, latencyMs, energyUJ *graph.Node) *graph.Node {
	switch o {
	case ObjectiveEnergy:
		return energyUJ
	case ObjectiveEDP:
		return graph.Mul(energyUJ, latencyMs)
	}
	return latencyMs
}

// addBlock records a reference-aggregation block of cell i.
func (h *hwAcc) addBlock(cell int, b block) { h.cells[cell] = append(h.cells[cell], b) }

// terms returns latency in ms and utilization under the configured aggregation, the energy and the
// objective obj; with array weights p (a co-design search; nil otherwise) each is the expectation
// Σ_a p_a·x_a of its value on each candidate array.
func (h *hwAcc) terms(agg Aggregation, obj Objective, p *graph.Node) hwTerms {
	latencyMs, util := h.latencyUtil(agg)
	cost := objective(obj, latencyMs, h.sum.energy)
	t := hwTerms{LatencyMs: latencyMs, Util: util, EnergyUJ: h.sum.energy, Cost: cost, ArrayCosts: cost, ArrayUtils: util}
	if p != nil {
		expect := func(x *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Mul(p, x)) }
		t.LatencyMs, t.Util, t.EnergyUJ, t.Cost = expect(latencyMs), expect(util), expect(h.sum.energy), expect(cost)
	}
	return t
}

// latencyUtil returns latency in ms and utilization under the configured aggregation.
func (h *hwAcc) latencyUtil(agg Aggregation) (latencyMs, util *graph.Node) {
	msPerCycle := 1e3 / h.clockHz
	if agg == AggReference {
		latencyMs, util = graph.ScalarZero(h.g, h.dt), graph.ScalarZero(h.g, h.dt)
		for _, blocks := range h.cells {
			if len(blocks) == 0 {
				continue
			}
			mean := graph.ScalarZero(h.g, h.dt)
			for _, b := range blocks {
				latencyMs = graph.Add(latencyMs, graph.MulScalar(b.cycles, msPerCycle))
				mean = graph.Add(mean, b.util)
			}
			util = graph.Add(util, graph.DivScalar(mean, float64(len(blocks))))
		}
		return latencyMs, util
	}
	latencyMs = graph.MulScalar(h.sum.cycles, msPerCycle)
	den := graph.Mul(h.sum.cycles, h.pes)
	util = graph.Div(h.sum.macs, graph.Max(den, graph.OnesLike(den)))
	return latencyMs, util
}

// mixBlock is an edge's reference block from per-op terms and Gumbel weights: the weighted mean over
// the ops with a GEMM (identity and zero left out of numerator and denominator, PAPER.md §1.5).
func mixBlock(g *graph.Graph, dt dtypes.DType, w []*graph.Node, cycles, utils []*graph.Node) (block, bool) {
	num, unum, den := graph.ScalarZero(g, dt), graph.ScalarZero(g, dt), graph.ScalarZero(g, dt)
	gemm := false
	for i := range w {
		if cycles[i] == nil {
			continue
		}
		gemm = true
		num = graph.Add(num, graph.Mul(w[i], cycles[i]))
		unum = graph.Add(unum, graph.Mul(w[i], utils[i]))
		den = graph.Add(den, w[i])
	}
	if !gemm {
		return block{}, false
	}
	return block{cycles: graph.Div(num, den), util: graph.Div(unum, den)}, true
}

// finite says whether v is a usable loss value.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
