package cost

import (
	"fmt"
	"math"

	"github.com/uboost/uboost/accel"
)

// analytical is a closed-form model: a formula Kind with a ceiling.
type analytical struct {
	kind Kind
	ceil Ceiling
}

// Systolic is U-Boost NAS's exact model, ⌈K/R⌉·⌈N/C⌉·M cycles per GEMM.
func Systolic() LayerModel { return analytical{KindSystolic, ExactCeil} }

// SystolicPipelined is the exact model plus per-tile fill/drain and weight-load cycles (KindPipelined).
func SystolicPipelined() LayerModel { return analytical{KindPipelined, ExactCeil} }

// Flops assumes every PE busy every cycle.
func Flops() LayerModel { return analytical{KindFlops, ExactCeil} }

// Roofline is max(compute at full utilization, traffic over bandwidth).
func Roofline() LayerModel { return analytical{KindRoofline, ExactCeil} }

// Smooth is the systolic model with a smooth ceiling, as the search loss sees it; its cycle counts are
// rounded to the nearest integer for reporting.
func Smooth(c Ceiling) LayerModel { return analytical{KindSystolic, c} }

// Name returns the model's --model spelling: the kind, plus "-smooth-CEIL" for a smooth ceiling.
func (m analytical) Name() string {
	if m.ceil == ExactCeil {
		return string(m.kind)
	}
	return string(m.kind) + "-smooth-" + string(m.ceil)
}

// Estimate prices each layer with the model's formula on float64.
func (m analytical) Estimate(a *accel.Accelerator, layers []accel.Layer) (*Report, error) {
	if err := validateInputs(a, layers); err != nil {
		return nil, err
	}
	r := &Report{Accelerator: a, Model: m.Name(), Layers: make([]LayerCost, len(layers))}
	for i, l := range layers {
		lc, err := m.layer(a, l)
		if err != nil {
			return nil, err
		}
		r.Layers[i] = lc
	}
	Summarize(r, layers)
	return r, nil
}

// LayerCycles evaluates the formula for one layer on float64, unrounded.
func (m analytical) LayerCycles(a *accel.Accelerator, l accel.Layer) (float64, error) {
	if !l.Op.IsGEMM() {
		return 0, nil
	}
	d := DimsOf(l, a.Batch)
	if err := CheckTiles(m.ceil, a, d); err != nil {
		return 0, fmt.Errorf("layer %q: %w", l.Name, err)
	}
	return Cycles(Float{}, m.kind, m.ceil, a, d), nil
}

func (m analytical) layer(a *accel.Accelerator, l accel.Layer) (LayerCost, error) {
	g := l.Lower(a.Batch)
	lc := LayerCost{Name: l.Name, Op: l.Op, GEMM: g.String(), MACs: g.MACs()}
	if g.Empty() {
		return lc, nil
	}
	cycles, err := m.LayerCycles(a, l)
	if err != nil {
		return lc, err
	}
	d := DimsOf(l, a.Batch)
	switch m.kind {
	case KindFlops, KindRoofline, KindRooflinePaper:
		// Continuous formulas: a partial cycle still takes a cycle.
		lc.Cycles = int64(math.Ceil(cycles - 1e-9))
	default:
		lc.Cycles = int64(math.Round(cycles))
	}
	// A smooth ceiling can read fewer tiles than the layer fills (the paper's just above a whole
	// tile, either after rounding to whole cycles): report such a layer at the cycles of every PE busy,
	// never above 100% utilization, as the table models do. LayerCycles, what the search reads, stays
	// the formula's.
	lc.Cycles = max(lc.Cycles, ceilDiv(lc.MACs, a.AllPEs()))
	switch m.kind {
	case KindRoofline:
		lc.Bytes = int64(Bytes(Float{}, a, d))
	case KindRooflinePaper:
		lc.Bytes = int64(PaperBytes(Float{}, a, d))
	}
	lc.LatencyMs = a.Milliseconds(float64(lc.Cycles))
	lc.Utilization = Utilization(lc.MACs, lc.Cycles, a.AllPEs())
	return lc, nil
}

func init() {
	for _, e := range []Entry{
		{Name: "systolic", Doc: "U-Boost's exact model, ⌈K/R⌉·⌈N/C⌉·M cycles per GEMM", Formula: KindSystolic,
			New: func() LayerModel { return analytical{KindSystolic, ExactCeil} }},
		{Name: "systolic-pipelined", Doc: "the exact model plus per-tile fill/drain and weight loads", Formula: KindPipelined,
			New: func() LayerModel { return analytical{KindPipelined, ExactCeil} }},
		{Name: "flops", Doc: "every PE busy every cycle (MorphNet-style baseline)", Formula: KindFlops,
			New: func() LayerModel { return analytical{KindFlops, ExactCeil} }},
		{Name: "roofline", Doc: "max(compute, weights + input + output maps over bandwidth)", Formula: KindRoofline,
			New: func() LayerModel { return analytical{KindRoofline, ExactCeil} }},
		{Name: "roofline-paper", Doc: "the paper's roofline, footprint as the reference code writes it", Formula: KindRooflinePaper,
			New: func() LayerModel { return analytical{KindRooflinePaper, ExactCeil} }},
		{Name: "systolic-smooth-paper", Doc: "the systolic model through the paper's smooth ceiling (eq. 7)", Formula: KindSystolic,
			New: func() LayerModel { return analytical{KindSystolic, PaperCeil} }},
		{Name: "systolic-smooth-tight", Doc: "the systolic model through uboost's tight smooth ceiling", Formula: KindSystolic,
			New: func() LayerModel { return analytical{KindSystolic, TightCeil} }},
	} {
		register(e)
	}
}
