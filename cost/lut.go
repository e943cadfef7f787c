package cost

import (
	"fmt"
	"math"

	"github.com/uboost/uboost/accel"
)

// LUT is the FBNet-style "blackbox" baseline (U-Boost NAS ref. [37], PAPER.md §1.6): per-layer latencies
// read from a table measured on a channel grid and looked up by nearest neighbour. The table's entries
// come from a base model (the exact model or the simulator) on the snapped layer, computed when first
// asked for and kept, which is the same table filled lazily. Like the paper's table it cannot see channel
// counts between grid points or beyond MaxChannels, and it gives the search no gradient with respect to
// channels.
type LUT struct {
	Base        Model
	Step        int // channel quantization (16 in the paper)
	MaxChannels int // largest channel count in the table (256 in the paper)

	table map[lutKey]int64
}

type lutKey struct {
	accel string
	layer accel.Layer
}

// NewLUT returns a lookup-table model over base with the paper's grid: channels 16…256 step 16.
func NewLUT(base Model) *LUT { return &LUT{Base: base, Step: 16, MaxChannels: 256} }

// Name is "lut".
func (t *LUT) Name() string { return "lut" }

// Snap returns the nearest grid channel count to c (ties round up), within [Step, MaxChannels].
func (t *LUT) Snap(c int) int {
	s := (c + t.Step/2) / t.Step * t.Step
	return min(max(s, t.Step), t.MaxChannels)
}

// ChannelKeys lists the table's channel counts, Step…MaxChannels.
func (t *LUT) ChannelKeys() []int {
	var keys []int
	for c := t.Step; c <= t.MaxChannels; c += t.Step {
		keys = append(keys, c)
	}
	return keys
}

// snapLayer moves a layer's channel counts to the grid; the name is dropped so equal shapes share an
// entry.
func (t *LUT) snapLayer(l accel.Layer) accel.Layer {
	l.Name = ""
	l.InC = t.Snap(l.InC)
	if l.Op == accel.Depthwise {
		l.OutC = l.InC
	} else {
		l.OutC = t.Snap(l.OutC)
	}
	return l
}

// LayerCycles returns the table's cycle count for a layer at the accelerator's batch.
func (t *LUT) LayerCycles(a *accel.Accelerator, l accel.Layer) (float64, error) {
	c, err := t.cycles(a, l)
	return float64(c), err
}

func (t *LUT) cycles(a *accel.Accelerator, l accel.Layer) (int64, error) {
	if !l.Op.IsGEMM() {
		return 0, nil
	}
	if t.table == nil {
		t.table = map[lutKey]int64{}
	}
	key := lutKey{accel: fmt.Sprintf("%+v", *a), layer: t.snapLayer(l)}
	if c, ok := t.table[key]; ok {
		return c, nil
	}
	r, err := t.Base.Estimate(a, []accel.Layer{key.layer})
	if err != nil {
		return 0, err
	}
	t.table[key] = r.Total.Cycles
	return r.Total.Cycles, nil
}

// Estimate prices each layer by table lookup; MACs and utilization use the layer's true MACs.
func (t *LUT) Estimate(a *accel.Accelerator, layers []accel.Layer) (*Report, error) {
	if err := validateInputs(a, layers); err != nil {
		return nil, err
	}
	if t.Step <= 0 || t.MaxChannels < t.Step {
		return nil, fmt.Errorf("lut: want 0 < step ≤ max channels, got step %d, max %d", t.Step, t.MaxChannels)
	}
	r := &Report{Accelerator: a, Model: t.Name(), Layers: make([]LayerCost, len(layers))}
	for i, l := range layers {
		g := l.Lower(a.Batch)
		cycles, err := t.cycles(a, l)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Name, err)
		}
		cycles = scaleToMACs(cycles, g.MACs(), t.snapLayer(l).Lower(a.Batch).MACs())
		r.Layers[i] = LayerCost{
			Name: l.Name, Op: l.Op, GEMM: g.String(), MACs: g.MACs(), Cycles: cycles,
			LatencyMs:   a.Milliseconds(float64(cycles)),
			Utilization: Utilization(g.MACs(), cycles, a.AllPEs()),
		}
	}
	Summarize(r, layers)
	return r, nil
}

func init() {
	register(Entry{Name: "lut", Doc: "table of the exact model on a 16-channel grid, at the accelerator's batch",
		New: func() LayerModel { return NewLUT(Systolic()) }})
}

// scaleToMACs prices a layer with more MACs than its table entry (channels beyond the table's
// MaxChannels, or rounded down to the grid) at the entry's utilization: entry cycles scaled by the MAC
// ratio, rounded up. Pricing it at the entry's cycles alone reported utilization over 100% (VGG-16's
// 512-channel layers on the 256-channel table: 103%). Layers at or below their entry keep its cycles.
func scaleToMACs(cycles, macs, entryMACs int64) int64 {
	if entryMACs <= 0 || macs <= entryMACs {
		return cycles
	}
	return int64(math.Ceil(float64(cycles) * float64(macs) / float64(entryMACs)))
}
