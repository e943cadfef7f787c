package pipeline

import (
	"fmt"

	"github.com/uboost/uboost/sim"
	"github.com/uboost/uboost/train"
)

// resumableFields are the fields of config.json a resumed run may change: the final training's
// logging and checkpoint cadence (train.ResumableFields). Everything else — search, data, seed, the
// training recipe, the simulator — must equal what the run started with.
func resumableFields() []string {
	out := make([]string, len(train.ResumableFields))
	for i, f := range train.ResumableFields {
		out[i] = "train." + f
	}
	return out
}

// checkHardware finds, before any search or training starts, what would make the run fail at its end
// when the result is priced: an accelerator the simulator cannot run (its SRAM cannot stage the weight
// tiles) or invalid simulator options.
func checkHardware(cfg Config) error {
	a := *cfg.Search.Accel
	a.WithBatch(1) // Measure prices at batch 1
	if _, err := sim.Simulate(&a, nil, cfg.Sim); err != nil {
		return fmt.Errorf("the result could not be priced: %w", err)
	}
	return nil
}
