package search

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
)

func TestRunMicroThenChannel(t *testing.T) {
	ds := fixture(t, 80, 8)
	cfg := tinyConfig(t)
	dir := t.TempDir()
	mr, err := RunMicro(cfg, ds.Train, filepath.Join(dir, "micro"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("genotype %v", mr.Genotype.Ops)
	cr, err := RunChannel(cfg, ds.Train, mr.Genotype, filepath.Join(dir, "channel"), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("widths %v", cr.Widths)
}

// TestWarmupEpochs: with one warm-up epoch of two, the first epoch's every batch is a weight step and
// the op logits (initialized at exactly zero) are still uniform at its end; the second epoch takes
// architecture steps, which move them. Without warm-up the first epoch already moves them.
func TestWarmupEpochs(t *testing.T) {
	ds := fixture(t, 80, 8)
	for _, warmup := range []int{0, 1} {
		cfg := tinyConfig(t)
		cfg.AlphaInitStd, cfg.WarmupEpochs = 0, warmup
		dir := filepath.Join(t.TempDir(), "micro")
		if _, err := RunMicro(cfg, ds.Train, dir, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		archSteps := map[int]int{}
		moved := map[int]bool{}
		for line := range strings.Lines(string(raw)) {
			var m Metric
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			switch m.Phase {
			case "arch":
				archSteps[m.Epoch]++
			case "epoch":
				for _, p := range m.OpProbs {
					for _, q := range p {
						moved[m.Epoch] = moved[m.Epoch] || q != 1/float64(len(cfg.Ops))
					}
				}
			}
		}
		// 5 batches an epoch, 80% weights: 4 weight steps and 1 architecture step, none in warm-up.
		wantFirst := 1 - warmup
		if archSteps[1] != wantFirst || archSteps[2] != 1 {
			t.Errorf("warm-up %d: architecture steps per epoch %v, want %d then 1", warmup, archSteps, wantFirst)
		}
		if moved[1] != (warmup == 0) || !moved[2] {
			t.Errorf("warm-up %d: op probabilities moved off uniform by epoch 1: %v, by epoch 2: %v", warmup, moved[1], moved[2])
		}
	}
}

// TestNonFiniteLossStops: a learning rate multiplied by 1e30 after the first epoch blows the weights up
// in the second; the run must stop with an error naming the stage, epoch and step, keep the first
// epoch's checkpoint, and write no arch.json.
func TestNonFiniteLossStops(t *testing.T) {
	ds := fixture(t, 80, 8)
	cfg := tinyConfig(t)
	cfg.EpochsMicro, cfg.LRStepEpochs, cfg.LRGamma, cfg.GradClip = 3, 1, 1e30, 0
	dir := filepath.Join(t.TempDir(), "micro")
	_, err := RunMicro(cfg, ds.Train, dir, RunOptions{})
	if !errors.Is(err, errNonFinite) || !strings.Contains(err.Error(), "micro stage epoch 2") || !strings.Contains(err.Error(), "after epoch 1 is kept") {
		t.Fatalf("error %v; want a non-finite loss in epoch 2 with the epoch-1 checkpoint kept", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil || !strings.Contains(string(raw), `"epochs_done": 1`) {
		t.Errorf("state.json %q (%v), want epochs_done 1", raw, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ArchFile)); err == nil {
		t.Error("a run stopped by a NaN loss wrote arch.json")
	}
}

// TestCostModelsRun runs one short micro epoch with every other cost model and option and checks that
// each prices the supernet (or, for none, leaves the loss at the cross-entropy).
func TestCostModelsRun(t *testing.T) {
	ds := fixture(t, 80, 8)
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"roofline", func(c *Config) { c.Cost = "roofline" }},
		{"lut", func(c *Config) { c.Cost = "lut" }},
		{"none", func(c *Config) { c.Cost = CostNone }},
		{"paper-ceil-reference-per-cell", func(c *Config) {
			c.Ceil, c.Aggregation, c.SharedAlphas, c.Cells, c.Pool = cost.PaperCeil, AggReference, false, 2, []bool{true, false}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(t)
			cfg.EpochsMicro = 1
			tc.edit(cfg)
			var last Progress
			dir := filepath.Join(t.TempDir(), "micro")
			res, err := RunMicro(cfg, ds.Train, dir, RunOptions{Progress: func(p Progress) { last = p }})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Genotype.Ops) != cfg.Cells {
				t.Errorf("genotype has %d cells, want %d", len(res.Genotype.Ops), cfg.Cells)
			}
			if cfg.Cost == CostNone {
				if last.LatencyMs != 0 || last.Utilization != 0 {
					t.Errorf("--cost none reported latency %v, utilization %v", last.LatencyMs, last.Utilization)
				}
			} else if !(last.LatencyMs > 0) || !(last.Utilization > 0) || !(last.Utilization <= float64(cfg.Cells)) {
				t.Errorf("latency %v ms, utilization %v: want positive", last.LatencyMs, last.Utilization)
			}
			if _, err := arch.Load(filepath.Join(dir, ArchFile)); err != nil {
				t.Errorf("arch.json does not load back: %v", err)
			}
		})
	}
}
