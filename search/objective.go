package search

import (
	"fmt"
	"strings"
)

// Objective is the hardware quantity the loss weighs by λ: CE + λ·objective − β·utilization.
type Objective string

const (
	// ObjectiveLatency is the paper's: expected latency in ms (the default).
	ObjectiveLatency Objective = "latency"
	// ObjectiveEnergy is the expected energy in µJ: every GEMM layer's accesses priced with the
	// accelerator's per-access energies (cost.Access, cost.EnergyUJ) at the cost model's cycles.
	ObjectiveEnergy Objective = "energy"
	// ObjectiveEDP is the energy–delay product in µJ·ms, the product of the expected energy and the
	// expected latency.
	ObjectiveEDP Objective = "edp"
)

// Objectives lists the objectives as --objective spells them.
var Objectives = []Objective{ObjectiveLatency, ObjectiveEnergy, ObjectiveEDP}

// ParseObjective reads an --objective value.
func ParseObjective(s string) (Objective, error) {
	for _, o := range Objectives {
		if Objective(strings.ToLower(s)) == o {
			return o, nil
		}
	}
	return "", fmt.Errorf("unknown objective %q (want latency, energy or edp)", s)
}
