// Package cost prices networks on an accelerator: per layer cycles, latency, MACs and utilization, and
// network totals. It offers the analytical models of U-Boost NAS and its baselines — systolic (exact
// ceil), systolic-pipelined, flops, roofline, lut — and an adapter for the cycle-level simulator.
//
// Each formula is written once, over the Algebra interface, and evaluated both on float64 (exact, for
// reports) and on GoMLX graph nodes (smooth, for the search loss); see algebra.go.
package cost

import (
	"fmt"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/sim"
)

// LayerCost is what a model says about one layer.
type LayerCost struct {
	Name        string         `json:"name"`
	Op          accel.Op       `json:"op"`
	GEMM        string         `json:"gemm"`
	MACs        int64          `json:"macs"`
	Cycles      int64          `json:"cycles"`
	LatencyMs   float64        `json:"latency_ms"`
	Utilization float64        `json:"utilization"`
	Bytes       int64          `json:"bytes,omitempty"`
	Breakdown   *sim.Breakdown `json:"breakdown,omitempty"`
	// EnergyUJ is the layer's energy in µJ: its accesses priced with the accelerator's Energy.
	EnergyUJ float64 `json:"energy_uj"`
	// Accesses are what EnergyUJ prices: counted by the simulator, or in closed form (Access) with
	// the model's cycles for the idle PE-cycles. Absent for a layer without a GEMM.
	Accesses *accel.Accesses `json:"accesses,omitempty"`
}

// Total is a network's sum over its layers. Utilization is MAC-weighted: total MACs over
// (total cycles · R · C), not a mean of per-layer ratios.
type Total struct {
	MACs        int64          `json:"macs"`
	Cycles      int64          `json:"cycles"`
	LatencyMs   float64        `json:"latency_ms"`
	Utilization float64        `json:"utilization"`
	Params      int64          `json:"params"`
	Breakdown   *sim.Breakdown `json:"breakdown,omitempty"`
	// EnergyUJ is the network's energy in µJ, the sum over its layers.
	EnergyUJ float64 `json:"energy_uj"`
	// EDP is the energy–delay product in µJ·ms: EnergyUJ · LatencyMs.
	EDP float64 `json:"edp"`
}

// Report is the JSON document every number-printing command writes (DESIGN.md "--json").
type Report struct {
	Accelerator *accel.Accelerator `json:"accelerator"`
	Model       string             `json:"model"`
	Network     string             `json:"network,omitempty"`
	Layers      []LayerCost        `json:"layers"`
	Total       Total              `json:"total"`
}

// Model prices a whole network on an accelerator.
type Model interface {
	// Name is the model's name as --model spells it.
	Name() string
	// Estimate prices each layer and the network on a.
	Estimate(a *accel.Accelerator, layers []accel.Layer) (*Report, error)
}

// Utilization returns MACs / (cycles · PEs), or 0 when there are no cycles.
func Utilization(macs, cycles, pes int64) float64 {
	if cycles == 0 {
		return 0
	}
	return float64(macs) / (float64(cycles) * float64(pes))
}

// Summarize fills a report's totals from its layers (and the layers' parameter counts), and each
// layer's energy: from its Accesses where the model counted them, else in closed form (LayerEnergy)
// at the layer's cycles. layers are the report's layers, in the same order.
func Summarize(r *Report, layers []accel.Layer) {
	var t Total
	var bd sim.Breakdown
	hasBD := false
	for i := range r.Layers {
		l := &r.Layers[i]
		switch {
		case l.Accesses != nil:
			l.EnergyUJ = EnergyUJ(Float{}, r.Accelerator, CountsOf(*l.Accesses))
		case i < len(layers) && layers[i].Op.IsGEMM():
			acc, e := LayerEnergy(r.Accelerator, layers[i], float64(l.Cycles))
			l.Accesses, l.EnergyUJ = &acc, e
		}
		t.EnergyUJ += l.EnergyUJ
	}
	for _, l := range r.Layers {
		t.MACs += l.MACs
		t.Cycles += l.Cycles
		if l.Breakdown != nil {
			hasBD = true
			bd.Add(*l.Breakdown)
		}
	}
	for _, l := range layers {
		t.Params += l.Params()
	}
	t.LatencyMs = r.Accelerator.Milliseconds(float64(t.Cycles))
	t.Utilization = Utilization(t.MACs, t.Cycles, r.Accelerator.AllPEs())
	t.EDP = t.EnergyUJ * t.LatencyMs
	if hasBD {
		t.Breakdown = &bd
	}
	r.Total = t
}

// validateInputs checks the accelerator and every layer, naming the layer that fails.
func validateInputs(a *accel.Accelerator, layers []accel.Layer) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("accelerator: %w", err)
	}
	for i, l := range layers {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i+1, l.Name, err)
		}
	}
	return accel.CheckWork(a, layers)
}
