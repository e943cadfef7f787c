package cost

import (
	"fmt"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/sim"
)

// Blackbox is the paper's lookup-table baseline as the reference code builds and reads it (PAPER.md
// §1.6; src/hardware/lookup.py and BlackBox in hw.py): every entry is one layer simulated alone at
// batch 1 — a stride-1, same-padded conv (kernels 1, 3, 5) or depthwise conv (3, 5) on a square map of
// side 2, 4, 8, 16 or 32 keyed by its output side, channels 16…256 in steps of 16, and dense layers
// (side 1) with channels 16…512. A layer is read at the nearest key of each field, ties going to the
// smaller key as the reference's closest() does; channels above the grid snap to its largest key, and
// an output side above 32 is an error, as in the reference, which only covers CIFAR-sized maps. The
// table ignores the accelerator's batch (the reference prices batch 1 against the analytical models'
// batch 64) and its values are constants: the search gets no gradient to channel logits from it.
//
// Our entries come from package sim with Sim's options; ReferenceSchedule is the one closest to the
// reference's simulator, within 0.7–6.8% of lookup.json on the layers PAPER.md §1.3 quotes.
type Blackbox struct {
	Sim   sim.Options
	table map[blackboxKey]int64
}

// Blackbox grid (src/hardware/lookup.py).
var (
	blackboxSides      = []int{2, 4, 8, 16, 32}
	blackboxConvK      = []int{1, 3, 5}
	blackboxDepthwiseK = []int{3, 5}
)

const (
	blackboxStep        = 16
	blackboxMaxChannels = 256
	blackboxMaxDense    = 512
)

// ReferenceSchedule is the simulator schedule closest to the reference's simulator: each tile's input
// wavefront starts right behind the previous one's (overlapping folds) and memory never stalls. On the
// layers of PAPER.md §1.3 at batch 1 it counts 2686, 4990 and 33150 cycles against lookup.json's 2515,
// 4837 and 32908 (+6.8%, +3.2%, +0.7%); the default schedule counts about twice as many on small layers.
// The paper protocol builds the Blackbox table and measures latency with it.
var ReferenceSchedule = sim.Options{IdealMemory: true, OverlapFolds: true}

type blackboxKey struct {
	accel  string
	op     accel.Op
	side   int
	kernel int
	in     int
	out    int
}

// NewBlackbox returns the paper's lookup table filled from the simulator with options opt.
func NewBlackbox(opt sim.Options) *Blackbox { return &Blackbox{Sim: opt} }

func init() {
	register(Entry{Name: "blackbox", Doc: "the paper's lookup table: simulator at batch 1 on the reference's grid, nearest key",
		New: func() LayerModel { return NewBlackbox(ReferenceSchedule) }, FromSimulator: true, BatchOne: true})
}

// Name is "blackbox".
func (b *Blackbox) Name() string { return "blackbox" }

// nearest returns the key of keys (ascending) closest to x, the smaller one on a tie.
func nearest(x int, keys []int) int {
	best := keys[0]
	for _, k := range keys[1:] {
		if abs(k-x) < abs(best-x) {
			best = k
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// channelKeys returns step, 2·step, … ≤ top.
func channelKeys(top int) []int {
	var keys []int
	for c := blackboxStep; c <= top; c += blackboxStep {
		keys = append(keys, c)
	}
	return keys
}

// ChannelKeys lists a convolution's channel keys, 16…256.
func (b *Blackbox) ChannelKeys() []int { return channelKeys(blackboxMaxChannels) }

// Snap returns the channel key a convolution's channel count is read at: the nearest multiple of 16
// in 16…256, the smaller on a tie (72 → 64), 256 above the grid.
func (b *Blackbox) Snap(c int) int { return nearest(c, channelKeys(blackboxMaxChannels)) }

// key returns the table entry a layer is read at, or why the table has none.
func (b *Blackbox) key(a *accel.Accelerator, l accel.Layer) (blackboxKey, error) {
	k := blackboxKey{accel: fmt.Sprintf("%s %g %g %d %s", a.Shape(), a.ClockHz, a.BandwidthBps, a.ElementBytes, a.Weights), op: l.Op}
	if l.Op == accel.Dense {
		keys := channelKeys(blackboxMaxDense)
		k.side, k.kernel = 1, 1
		k.in, k.out = nearest(l.InC*l.InH*l.InW, keys), nearest(l.OutC, keys)
		return k, nil
	}
	if l.OutH != l.OutW || l.KH != l.KW {
		return k, fmt.Errorf("blackbox: output %d×%d, kernel %d×%d: the table keys square maps and kernels only", l.OutH, l.OutW, l.KH, l.KW)
	}
	if top := blackboxSides[len(blackboxSides)-1]; l.OutH > top {
		return k, fmt.Errorf("blackbox: output %d×%d is above the table's largest map, %d×%d (the paper's table covers CIFAR-sized maps; search at 32×32 or below)", l.OutH, l.OutW, top, top)
	}
	kernels := blackboxConvK
	if l.Op == accel.Depthwise {
		kernels = blackboxDepthwiseK
	}
	if nearest(l.KH, kernels) != l.KH {
		return k, fmt.Errorf("blackbox: kernel %d×%d is not in the table (%s kernels %v)", l.KH, l.KW, l.Op, kernels)
	}
	k.side, k.kernel = nearest(l.OutH, blackboxSides), l.KH
	k.in = b.Snap(l.InC)
	k.out = k.in
	if l.Op == accel.Conv {
		k.out = b.Snap(l.OutC)
	}
	return k, nil
}

// layerOf is the layer an entry simulates: stride 1, same padding, output side×side.
func (k blackboxKey) layerOf() accel.Layer {
	pad := k.kernel - 1
	return accel.Layer{Op: k.op, InH: k.side + pad, InW: k.side + pad, InC: k.in, OutH: k.side, OutW: k.side, OutC: k.out,
		KH: k.kernel, KW: k.kernel, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
}

// LayerCycles returns the table's cycles for the layer (batch 1, whatever a's batch).
func (b *Blackbox) LayerCycles(a *accel.Accelerator, l accel.Layer) (float64, error) {
	if !l.Op.IsGEMM() {
		return 0, nil
	}
	k, err := b.key(a, l)
	if err != nil {
		return 0, err
	}
	if c, ok := b.table[k]; ok {
		return float64(c), nil
	}
	one := *a
	one.Batch = 1
	res, err := sim.Simulate(&one, []accel.Layer{k.layerOf()}, b.Sim)
	if err != nil {
		return 0, err
	}
	if b.table == nil {
		b.table = map[blackboxKey]int64{}
	}
	b.table[k] = res.Layers[0].Cycles
	return float64(res.Layers[0].Cycles), nil
}

// Estimate prices each layer by table lookup, floored at the cycles of a fully used array; MACs are the
// layer's own at a's batch.
func (b *Blackbox) Estimate(a *accel.Accelerator, layers []accel.Layer) (*Report, error) {
	if err := validateInputs(a, layers); err != nil {
		return nil, err
	}
	r := &Report{Accelerator: a, Model: b.Name(), Layers: make([]LayerCost, len(layers))}
	for i, l := range layers {
		g := l.Lower(a.Batch)
		c, err := b.LayerCycles(a, l)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Name, err)
		}
		cycles := int64(c)
		// A layer far larger than its entry (channels above the grid, a batch above 1) would read faster
		// than every PE busy every cycle: report it at that floor, never above 100% utilization. The
		// search, through LayerCycles, reads the bare entry as the reference does.
		cycles = max(cycles, ceilDiv(g.MACs(), a.AllPEs()))
		r.Layers[i] = LayerCost{
			Name: l.Name, Op: l.Op, GEMM: g.String(), MACs: g.MACs(), Cycles: cycles,
			LatencyMs:   a.Milliseconds(c),
			Utilization: Utilization(g.MACs(), cycles, a.AllPEs()),
		}
	}
	Summarize(r, layers)
	return r, nil
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
