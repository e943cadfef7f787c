package pipeline

import (
	stdctx "context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/search"
	"github.com/uboost/uboost/train"
)

func checkConfig(t *testing.T) Config {
	t.Helper()
	scfg, err := search.Preset("demo")
	if err != nil {
		t.Fatal(err)
	}
	return Config{Search: scfg, Train: train.DefaultConfig(), Data: "builtin", Seed: 1}
}

// TestResumeRefusesOtherConfig is finding 1 for `uboost search`: resuming with another λ, array and
// cost model exited 0 and mixed two runs. prepare now refuses, naming every differing field; the
// training's logging cadence and json:"-" fields (threads, callbacks) may change.
func TestResumeRefusesOtherConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	cfg := checkConfig(t)
	if err := prepare(cfg, dir); err != nil {
		t.Fatal(err)
	}
	same := checkConfig(t)
	same.Resume, same.Train.LogEvery, same.Train.Threads = true, 7, 3
	if err := prepare(same, dir); err != nil {
		t.Errorf("resume with the same configuration: %v", err)
	}
	other := checkConfig(t)
	other.Resume = true
	other.Search.WithAccelerator(accel.New(16, 8).WithBatch(64)).WithCost("flops", 99, other.Search.Beta)
	err := prepare(other, dir)
	for _, want := range []string{dir + ": --resume with a different configuration: ", "search.accelerator.cols 32 → 8",
		"search.accelerator.rows 32 → 16", `search.cost "systolic" → "flops"`, "search.lambda 1 → 99"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	}
}

// TestHardwareCheckedFirst is finding 7: an array whose weight tiles the SRAM cannot stage failed
// only after search and training, when the result was priced. Run now fails before creating anything.
func TestHardwareCheckedFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := checkConfig(t)
	cfg.Search.WithAccelerator(accel.New(4096, 4096))
	_, err := Run(stdctx.Background(), cfg, dir)
	if err == nil || !strings.Contains(err.Error(), `field "sram_bytes"`) {
		t.Errorf("err = %v, want the SRAM fit named", err)
	}
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Errorf("run directory created before the configuration was checked: %v", statErr)
	}
}

// TestStagesComplete is finding 5's "a deleted micro/ makes the run fail forever": the searched
// network is reused on resume only while both stage directories hold their results.
func TestStagesComplete(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"micro/genotype.json", "micro/metrics.jsonl", "channel/widths.json", "channel/metrics.jsonl"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte("{}"), 0o644)
	}
	if !stagesComplete(dir) {
		t.Error("complete stages not recognized")
	}
	os.RemoveAll(filepath.Join(dir, MicroDir))
	if stagesComplete(dir) {
		t.Error("a deleted micro/ still counts as complete: the report would fail on every resume")
	}
}
