package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
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

// TestPipelineRefine runs a co-design search with --refine end to end: the co-design's own search is
// kept in DIR/codesign, the trained network is a search of the array it chose alone — byte for byte
// the search `--array` of that array runs at the same settings — and result.json prices it there and
// records the co-design. A resume reuses both searches; resuming without --refine, --refine without
// candidate arrays and --refine with a single stage are refused.
func TestPipelineRefine(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	flags := []string{"search", "--epochs-micro", "1", "--epochs-channel", "1", "--steps-per-epoch", "3",
		"--train-epochs", "1", "--limit-train", "512", "--seed", "3", "--threads", "2"}
	refined := filepath.Join(t.TempDir(), "refined")
	codesign := append(slices.Clone(flags), "--arrays", "16x64,32x32,64x16", "--refine", "--out", refined)
	stdout, stderr, ok := run(t, codesign...)
	if !ok {
		t.Fatalf("refined run failed: %s", stderr)
	}
	res := readJSON(t, filepath.Join(refined, "result.json"))
	chosen, _ := field(res, "codesign", "array").(string)
	codesignArch := readJSON(t, filepath.Join(refined, "codesign", "arch.json"))
	if chosen == "" || field(codesignArch, "search", "array") != chosen {
		t.Fatalf("result.json codesign.array %q, codesign/arch.json search.array %v", chosen, field(codesignArch, "search", "array"))
	}
	if got := fmt.Sprintf("%vx%v", field(res, "accelerator", "rows"), field(res, "accelerator", "cols")); got != chosen {
		t.Errorf("result.json accelerator %s, want the chosen %s", got, chosen)
	}
	if !strings.Contains(stdout, "co-design   chose "+chosen) {
		t.Errorf("summary does not name the co-design's choice:\n%s", stdout)
	}
	if secs, total := field(res, "codesign", "seconds").(float64), field(res, "search_seconds").(float64); !(secs > 0 && total > secs) {
		t.Errorf("search_seconds %v should hold the co-design's %v and the refining search's", total, secs)
	}
	if a := readJSON(t, filepath.Join(refined, "micro", "config.json")); field(a, "arrays") != nil {
		t.Errorf("the refining search has candidate arrays: %v", field(a, "arrays"))
	}

	alone := filepath.Join(t.TempDir(), "alone")
	if _, stderr, ok := run(t, append(slices.Clone(flags), "--stage", "search", "--array", chosen, "--out", alone)...); !ok {
		t.Fatalf("search of %s alone failed: %s", chosen, stderr)
	}
	for _, f := range []string{"micro/genotype.json", "channel/widths.json", "channel/arch.json"} {
		a, errA := os.ReadFile(filepath.Join(refined, f))
		b, errB := os.ReadFile(filepath.Join(alone, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the refining search and the search of %s alone (%v, %v)", f, chosen, errA, errB)
		}
	}

	b := readJSON(t, filepath.Join(refined, "result.json"))
	if _, stderr, ok := run(t, append(codesign, "--resume")...); !ok {
		t.Fatalf("resume failed: %s", stderr)
	}
	a := readJSON(t, filepath.Join(refined, "result.json"))
	for _, k := range []string{"widths", "accelerator", "codesign", "test_accuracy", "search_seconds"} {
		if !reflect.DeepEqual(a[k], b[k]) {
			t.Errorf("resumed result.json %s = %v, want %v", k, a[k], b[k])
		}
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"resumed without --refine", append(slices.Clone(flags), "--arrays", "16x64,32x32,64x16", "--out", refined, "--resume"), "refine"},
		{"no candidate arrays", append(slices.Clone(flags), "--refine", "--out", t.TempDir()), "refine"},
		{"one stage", append(slices.Clone(flags), "--arrays", "16x64,32x32", "--refine", "--stage", "micro", "--out", t.TempDir()), "--refine"},
	} {
		_, stderr, ok := run(t, c.args...)
		if ok || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: ok %v, stderr %q; want a one-line error naming %s", c.name, ok, stderr, c.want)
		}
	}
}
