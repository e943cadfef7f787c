package train

import (
	stdctx "context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeRefusesOtherData is finding 1: `train --resume --data OTHER` evaluated on the other data
// because the recipe comparison skipped "data". Now every field counts, and all are named at once;
// the logging cadence (ResumableFields) may change.
func TestResumeRefusesOtherData(t *testing.T) {
	ds := tinyData(t)
	dir := t.TempDir()
	cfg := tinyConfig()
	cfg.StopAfter = 2
	if _, err := Run(stdctx.Background(), cfg, tinyNet(), ds, dir); !errors.Is(err, ErrStopped) {
		t.Fatalf("first session: %v", err)
	}
	cfg = tinyConfig()
	cfg.Resume, cfg.Data, cfg.LR, cfg.LogEvery = true, "cifar10:/elsewhere", 0.5, 7
	_, err := Run(stdctx.Background(), cfg, tinyNet(), ds, dir)
	want := dir + `: --resume with a different configuration: data "` + ds.Spec.String() + `" → "cifar10:/elsewhere", lr 0.1 → 0.5`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}

// TestTruncatedCheckpointFallsBack is finding 6: a truncated newest checkpoint .bin failed every
// resume. The run stops after step 7 (checkpoints at steps 3 and 6 kept), the step-6 data file is cut
// short; the resume warns, restarts from step 3 and ends exactly as an uninterrupted run.
func TestTruncatedCheckpointFallsBack(t *testing.T) {
	ds := tinyData(t)
	want, err := Run(stdctx.Background(), tinyConfig(), tinyNet(), ds, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := tinyConfig()
	cfg.StopAfter = 7
	if _, err := Run(stdctx.Background(), cfg, tinyNet(), ds, dir); !errors.Is(err, ErrStopped) {
		t.Fatalf("first session: %v", err)
	}
	bins, _ := filepath.Glob(filepath.Join(dir, CheckpointsDir, "checkpoint-*.bin"))
	if len(bins) != 2 || !strings.Contains(bins[1], "step-00000006") {
		t.Fatalf("checkpoints %v, want steps 3 and 6", bins)
	}
	if err := os.Truncate(bins[1], 100); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	cfg = tinyConfig()
	cfg.Resume = true
	cfg.Warn = func(w string) { warnings = append(warnings, w) }
	got, err := Run(stdctx.Background(), cfg, tinyNet(), ds, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "step-00000006") || !strings.Contains(warnings[0], "resumed from checkpoint-") {
		t.Errorf("warnings %q, want one naming the step-6 checkpoint", warnings)
	}
	if got.TestAccuracy != want.TestAccuracy || got.TestLoss != want.TestLoss || got.Steps != want.Steps {
		t.Errorf("resumed run: accuracy %v loss %v steps %d; uninterrupted %v %v %d",
			got.TestAccuracy, got.TestLoss, got.Steps, want.TestAccuracy, want.TestLoss, want.Steps)
	}
}
