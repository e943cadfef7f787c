package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// tinyPipeline is an end-to-end search small enough for a test: one epoch of three batches per search
// stage and two training epochs on 1024 images of the built-in data.
var tinyPipeline = []string{"search", "--epochs-micro", "1", "--epochs-channel", "1", "--steps-per-epoch", "3",
	"--train-epochs", "2", "--limit-train", "1024", "--seed", "3", "--threads", "2"}

type pipelineResult struct {
	TestAccuracy float64 `json:"test_accuracy"`
	Params       int64   `json:"params"`
	Exact        struct {
		Cycles int64 `json:"cycles"`
	} `json:"exact"`
	Simulator struct {
		Cycles      int64   `json:"cycles"`
		Utilization float64 `json:"utilization"`
	} `json:"simulator"`
	Widths []int `json:"widths"`
}

func readResult(t *testing.T, dir string) pipelineResult {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r pipelineResult
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPipelineKilledAndResumed runs the end-to-end search once straight through, and once killed with
// SIGKILL during final training and continued with --resume: both must end with the same network and
// the same result; the report and result are written.
func TestPipelineKilledAndResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	straight := filepath.Join(t.TempDir(), "straight")
	if _, stderr, ok := run(t, append(tinyPipeline, "--out", straight, "--json")...); !ok {
		t.Fatalf("straight run failed: %s", stderr)
	}
	want := readResult(t, straight)
	// Two epochs of 1,024 images on a ~270k-parameter network: well above chance (0.1), far from trained.
	if want.TestAccuracy < 0.2 || want.Simulator.Cycles < want.Exact.Cycles || want.Params <= 0 || len(want.Widths) == 0 {
		t.Errorf("implausible result %+v", want)
	}
	if fi, err := os.Stat(filepath.Join(straight, "report.html")); err != nil || fi.Size() < 10000 {
		t.Errorf("report.html missing or small: %v", err)
	}

	killed := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(uboostBin, append(tinyPipeline, "--out", killed, "--json")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once final training has started (its run directory has a config).
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(killed, "train", "config.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("training never started: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(killed, "result.json")); err == nil {
		t.Fatal("the run finished before it could be killed")
	}
	if _, stderr, ok := run(t, append(tinyPipeline, "--out", killed, "--resume", "--json")...); !ok {
		t.Fatalf("resumed run failed: %s", stderr)
	}
	got := readResult(t, killed)
	a, _ := os.ReadFile(filepath.Join(straight, "arch.json"))
	b, _ := os.ReadFile(filepath.Join(killed, "arch.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("resumed run searched a different network")
	}
	if got.Exact.Cycles != want.Exact.Cycles || got.Simulator.Cycles != want.Simulator.Cycles || got.Params != want.Params {
		t.Errorf("resumed result %+v, straight %+v", got, want)
	}
	if got.TestAccuracy != want.TestAccuracy {
		t.Errorf("resumed test accuracy %g, straight %g", got.TestAccuracy, want.TestAccuracy)
	}
	// Without --resume an existing run is not overwritten.
	if _, stderr, ok := run(t, append(tinyPipeline, "--out", killed)...); ok {
		t.Error("a second run into the same directory succeeded without --resume")
	} else if !bytes.Contains([]byte(stderr), []byte("already holds a run")) {
		t.Errorf("stderr = %q", stderr)
	}
}
