package pipeline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/uboost/uboost/internal/runconfig"
	"github.com/uboost/uboost/search"

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
	for _, c := range cfg.Search.Candidates() {
		a := *c
		a.WithBatch(1) // Measure prices at batch 1
		if _, err := sim.Simulate(&a, nil, cfg.Sim); err != nil {
			return fmt.Errorf("the result could not be priced on the %s array: %w", a.Shape(), err)
		}
	}
	return nil
}

// stagesComplete says whether both search stages of dir left their results (micro/genotype.json,
// channel/widths.json and their metrics, which the report draws). A resumed run reuses the searched
// network only then; when a stage directory was deleted, Search re-runs what is missing instead of the
// run failing at its report every time.
func stagesComplete(dir string) bool {
	for _, p := range []string{
		filepath.Join(dir, MicroDir, search.GenotypeFile), filepath.Join(dir, MicroDir, search.MetricsFile),
		filepath.Join(dir, ChannelDir, search.WidthsFile), filepath.Join(dir, ChannelDir, search.MetricsFile),
	} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// checkStageConfig refuses to reuse or continue a stage directory started with another search
// configuration (a finished stage is otherwise reloaded without running, so the search stage's own
// check would never see it).
func checkStageConfig(sub string, cfg *search.Config) error {
	path := filepath.Join(sub, search.ConfigFile)
	if _, err := os.Stat(path); err != nil {
		return nil // nothing started there
	}
	return runconfig.Check(path, cfg)
}
