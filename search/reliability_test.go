package search

import (
	"bytes"
	stdctx "context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeChecksConfigAndFallsBack covers findings 1, 6 and 7 for a search stage:
//   - cancelling the context (Ctrl-C, SIGTERM) stops the stage between steps, keeping its checkpoints;
//   - resuming with another λ is refused, naming the field and both values;
//   - a truncated newest checkpoint falls back to the previous epoch's, with a warning, and the stage
//     re-runs that epoch: epochs 2 and 3, 10 steps, and metrics.jsonl reads as one run.
func TestResumeChecksConfigAndFallsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("three tiny search epochs")
	}
	ds := fixture(t, 80, 8)
	dir := filepath.Join(t.TempDir(), "micro")
	ctx, cancel := stdctx.WithCancel(stdctx.Background())
	_, err := RunMicro(resumeConfig(t), ds.Train, dir, RunOptions{Context: ctx, Progress: func(p Progress) {
		if p.Epoch == 3 && p.Step == 1 {
			cancel()
		}
	}})
	if !errors.Is(err, stdctx.Canceled) || !strings.Contains(err.Error(), "stopped at epoch 3 step 2") {
		t.Fatalf("cancelled stage: err = %v", err)
	}

	other := resumeConfig(t)
	other.Lambda = 99
	_, err = RunMicro(other, ds.Train, dir, RunOptions{Resume: true})
	if want := dir + ": --resume with a different configuration: lambda 2000 → 99"; err == nil || err.Error() != want {
		t.Errorf("resume with another λ: err = %v, want %q", err, want)
	}

	ck := filepath.Join(dir, ckptDir)
	bins, _ := filepath.Glob(filepath.Join(ck, "checkpoint-*.bin"))
	if len(bins) != 2 {
		t.Fatalf("checkpoints %v, want the two of epochs 1 and 2", bins)
	}
	if err := os.Truncate(bins[1], 10); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	steps := 0
	if _, err := RunMicro(resumeConfig(t), ds.Train, dir, RunOptions{Resume: true,
		Warn: func(w string) { warnings = append(warnings, w) }, Progress: func(Progress) { steps++ }}); err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], filepath.Base(strings.TrimSuffix(bins[1], ".bin"))) {
		t.Errorf("warnings = %q, want one naming the broken checkpoint", warnings)
	}
	if steps != 10 {
		t.Errorf("resumed from the previous checkpoint in %d steps, want 10 (epochs 2 and 3)", steps)
	}
	m, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	if n := bytes.Count(m, []byte("\n")); n != 18 {
		t.Errorf("metrics.jsonl has %d lines, want 18 (3 epochs × (5 steps + 1 summary))", n)
	}
}
