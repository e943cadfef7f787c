package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeRunResult writes a result.json as the search pipeline does into dir/runs/name/.
func writeRunResult(t *testing.T, dir, name, method string, lambda, acc, simMS float64) {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{
		"test_accuracy": acc, "params": 100, "method": method, "lambda": lambda, "seed": 0,
		"exact": map[string]any{"latency_ms": simMS}, "simulator": map[string]any{"latency_ms": simMS, "utilization": 0.5},
		"accelerator": map[string]any{"rows": 128, "cols": 128}, "widths": []int{128},
	})
	if err := os.MkdirAll(filepath.Join(dir, "runs", name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runs", name, "result.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExperimentReportOnly: --report-only builds summary.json and report.html from the result.json
// files alone and prints the verdict: U-Boost at 0.03 ms vs FLOPs at 0.12 ms, both 90%, is 4× faster.
func TestExperimentReportOnly(t *testing.T) {
	dir := t.TempDir()
	writeRunResult(t, dir, "uboost-l1-s0", "systolic", 1, 0.90, 0.03)
	writeRunResult(t, dir, "flops-l1-s0", "flops", 1, 0.90, 0.12)
	stdout, stderr, ok := run(t, "experiment", "--report-only", "--out", dir)
	if !ok {
		t.Fatalf("experiment --report-only failed: %s", stderr)
	}
	if !strings.Contains(stdout, "2 finished runs") || !strings.Contains(stdout, "U-Boost vs flops: YES") || !strings.Contains(stdout, "4.00–4.00×") {
		t.Errorf("stdout = %q", stdout)
	}
	var s struct {
		Runs     []struct{ Method string }   `json:"runs"`
		Speedups []struct{ Speedup float64 } `json:"speedups"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &s); err != nil || len(s.Runs) != 2 || len(s.Speedups) != 1 || s.Speedups[0].Speedup != 4 {
		t.Errorf("summary.json = %s (%v)", data, err)
	}
	if html, err := os.ReadFile(filepath.Join(dir, "report.html")); err != nil || !strings.Contains(string(html), "<svg") {
		t.Errorf("report.html missing or without plots: %v", err)
	}
}

func TestExperimentBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"experiment"}, "flag --out"},
		{[]string{"experiment", "--out", t.TempDir(), "--shard", "2/2"}, "flag --shard"},
		{[]string{"experiment", "--out", t.TempDir(), "--only", "method=magic"}, "flag --only"},
		{[]string{"experiment", "--out", t.TempDir(), "--lambdas", "0.1,x"}, "flag --lambdas"},
		{[]string{"experiment", "--out", t.TempDir(), "--methods", "uboost,magic"}, "unknown method"},
		{[]string{"experiment", "--report-only", "--out", filepath.Join(t.TempDir(), "nothing")}, "holds no experiment"},
	} {
		_, stderr, ok := run(t, c.args...)
		if ok || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: ok=%v stderr=%q, want one line with %q", c.args, ok, stderr, c.want)
		}
	}
}

// TestExperimentEndToEnd runs a real, tiny experiment (U-Boost only, one λ, one seed, one epoch of each
// search stage on two batches, one training epoch) and checks that the run finishes, the summary holds
// it, and a second invocation skips it. The comparison logic itself is tested on fixtures above.
func TestExperimentEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real searches with training")
	}
	dir := t.TempDir()
	args := []string{"experiment", "--methods", "uboost", "--lambdas", "1", "--seeds", "1", "--jobs", "1", "--threads", "2",
		"--search-args", "--epochs-micro 1 --epochs-channel 1 --steps-per-epoch 2 --train-epochs 1", "--out", dir}
	stdout, stderr, ok := run(t, args...)
	if !ok {
		log, _ := os.ReadFile(filepath.Join(dir, "runs", "uboost-l1-s0", "run.log"))
		t.Fatalf("experiment failed: %s\n%s\nrun.log tail: %s", stderr, stdout, log[max(0, len(log)-2000):])
	}
	if !strings.Contains(stdout, "1 finished runs") || !strings.Contains(stdout, "No finished runs of U-Boost and a baseline") {
		t.Errorf("stdout = %q", stdout)
	}
	stdout, _, ok = run(t, args...)
	if !ok || strings.Count(stdout, "skipped") != 1 {
		t.Errorf("second invocation did not skip the finished run: %q", stdout)
	}
}
