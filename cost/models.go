package cost

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/uboost/uboost/accel"
)

// analytical is a closed-form model: a formula Kind with a ceiling.
type analytical struct {
	kind Kind
	ceil Ceiling
}

// Systolic is U-Boost NAS's exact model, ⌈K/R⌉·⌈N/C⌉·M cycles per GEMM.
func Systolic() Model { return analytical{KindSystolic, ExactCeil} }

// SystolicPipelined is the exact model plus per-tile fill/drain and weight-load cycles (KindPipelined).
func SystolicPipelined() Model { return analytical{KindPipelined, ExactCeil} }

// Flops assumes every PE busy every cycle.
func Flops() Model { return analytical{KindFlops, ExactCeil} }

// Roofline is max(compute at full utilization, traffic over bandwidth).
func Roofline() Model { return analytical{KindRoofline, ExactCeil} }

// Smooth is the systolic model with a smooth ceiling, as the search loss sees it; its cycle counts are
// rounded to the nearest integer for reporting.
func Smooth(c Ceiling) Model { return analytical{KindSystolic, c} }

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
		r.Layers[i] = m.layer(a, l)
	}
	Summarize(r, layers)
	return r, nil
}

func (m analytical) layer(a *accel.Accelerator, l accel.Layer) LayerCost {
	g := l.Lower(a.Batch)
	lc := LayerCost{Name: l.Name, Op: l.Op, GEMM: g.String(), MACs: g.MACs()}
	if g.Empty() {
		return lc
	}
	d := DimsOf(l, a.Batch)
	cycles := Cycles(Float{}, m.kind, m.ceil, a, d)
	switch {
	case m.kind == KindFlops || m.kind == KindRoofline:
		// Continuous formulas: a partial cycle still takes a cycle.
		lc.Cycles = int64(math.Ceil(cycles - 1e-9))
	default:
		lc.Cycles = int64(math.Round(cycles))
	}
	if m.kind == KindRoofline {
		lc.Bytes = int64(Bytes(Float{}, a, d))
	}
	lc.LatencyMs = a.Milliseconds(float64(lc.Cycles))
	lc.Utilization = Utilization(lc.MACs, lc.Cycles, a.PEs())
	return lc
}

// registry maps --model names to constructors. The simulator and the lookup table register themselves
// in their own files.
var registry = map[string]func() Model{
	"systolic":              Systolic,
	"systolic-pipelined":    SystolicPipelined,
	"flops":                 Flops,
	"roofline":              Roofline,
	"systolic-smooth-paper": func() Model { return Smooth(PaperCeil) },
	"systolic-smooth-tight": func() Model { return Smooth(TightCeil) },
}

// Names lists the models ByName knows, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ByName returns the model a --model flag names.
func ByName(name string) (Model, error) {
	if f, ok := registry[strings.ToLower(name)]; ok {
		return f(), nil
	}
	return nil, fmt.Errorf("unknown model %q (want one of %s)", name, strings.Join(Names(), ", "))
}
