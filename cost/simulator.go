package cost

import (
	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/sim"
)

// simulator prices layers by running package sim's cycle-level simulator instead of a formula.
type simulator struct{ opt sim.Options }

// NewSimulator returns the "simulator" model: cycles counted by sim.Simulate with the given options,
// and per layer the PE-cycle breakdown and the DRAM traffic the simulator's memory policy moved.
// Utilization refers to all the arrays' PEs (a.AllPEs()), for each layer and the total.
func NewSimulator(opt sim.Options) LayerModel { return simulator{opt} }

func init() {
	register(Entry{Name: "simulator", Doc: "the cycle-level simulator (package sim), default schedule",
		New: func() LayerModel { return NewSimulator(sim.Options{}) }, FromSimulator: true})
}

// LayerCycles simulates the one layer on a.
func (s simulator) LayerCycles(a *accel.Accelerator, l accel.Layer) (float64, error) {
	if !l.Op.IsGEMM() {
		return 0, nil
	}
	res, err := sim.Simulate(a, []accel.Layer{l}, s.opt)
	if err != nil {
		return 0, err
	}
	return float64(res.Layers[0].Cycles), nil
}

// Name returns "simulator".
func (simulator) Name() string { return "simulator" }

// Estimate simulates the layers on a; bad input is reported as the analytical models report it.
func (s simulator) Estimate(a *accel.Accelerator, layers []accel.Layer) (*Report, error) {
	res, err := sim.Simulate(a, layers, s.opt)
	if err != nil {
		return nil, err
	}
	r := &Report{Accelerator: a, Model: s.Name(), Layers: make([]LayerCost, len(res.Layers))}
	for i, l := range res.Layers {
		bd := l.Breakdown
		var acc *accel.Accesses
		if l.GEMM.Count > 0 {
			acc = &res.Layers[i].Accesses
		}
		r.Layers[i] = LayerCost{
			Name: l.Name, Op: l.Op, GEMM: l.GEMM.String(), MACs: l.MACs,
			Cycles:      l.Cycles,
			LatencyMs:   a.Milliseconds(float64(l.Cycles)),
			Utilization: Utilization(l.MACs, l.Cycles, res.PEs),
			Bytes:       l.DRAMBytes,
			Breakdown:   &bd,
			Accesses:    acc,
		}
	}
	Summarize(r, layers)
	return r, nil
}
