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
func ParseObjective(s string) (Objective, error) { return parseName("objective", s, Objectives) }

// parseName returns the member of names that s spells (case aside), or an error that lists them.
func parseName[T ~string](what, s string, names []T) (T, error) {
	for _, n := range names {
		if T(strings.ToLower(s)) == n {
			return n, nil
		}
	}
	want := make([]string, len(names))
	for i, n := range names {
		want[i] = string(n)
	}
	return "", fmt.Errorf("unknown %s %q (want one of %s)", what, s, strings.Join(want, ", "))
}
