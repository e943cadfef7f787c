package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tinyArch is a 28×28×1 classifier that trains in milliseconds per step.
const tinyArch = `{"format": "uboost-arch/v1", "name": "tiny", "input": {"h": 28, "w": 28, "c": 1}, "classes": 10,
 "nodes": [
  {"name": "c1", "op": "conv", "inputs": ["input"], "kernel": 3, "stride": 2, "channels": 8, "bn": true, "act": "relu"},
  {"name": "p1", "op": "maxpool", "inputs": ["c1"], "kernel": 2, "stride": 2},
  {"name": "gap", "op": "avgpool", "inputs": ["p1"], "global": true},
  {"name": "fc", "op": "dense", "inputs": ["gap"], "channels": 10}]}`

type trainResult struct {
	TestAccuracy float64 `json:"test_accuracy"`
	Top5         float64 `json:"top5"`
	TestLoss     float64 `json:"test_loss"`
	Params       int64   `json:"params"`
	Steps        int     `json:"steps"`
}

func decodeResult(t *testing.T, stdout string) trainResult {
	t.Helper()
	var r trainResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("result JSON %q: %v", stdout, err)
	}
	return r
}

// TestTrainKillResume trains the tiny net for 3 epochs of the built-in data (300 steps, checkpoints
// every 10) twice: once straight, once SIGKILLed after its second checkpoint and then resumed with
// --resume. The resumed run must end with the same test loss and accuracy as the straight one, and
// `uboost evaluate` must reproduce them from the checkpoint.
func TestTrainKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small runs")
	}
	archPath := writeFile(t, "tiny.json", tinyArch)
	args := func(out string) []string {
		return []string{"train", "--arch", archPath, "--epochs", "3", "--batch", "100", "--checkpoint-every", "10", "--out", out, "--json"}
	}
	straightDir := filepath.Join(t.TempDir(), "straight")
	stdout, stderr, ok := run(t, args(straightDir)...)
	if !ok {
		t.Fatalf("straight run failed: %s", stderr)
	}
	want := decodeResult(t, stdout)
	if want.Steps != 300 || want.Params != 8*9+2*8+8*10+10 {
		t.Fatalf("straight run: %d steps, %d params; want 300 and 178", want.Steps, want.Params)
	}

	dir := filepath.Join(t.TempDir(), "killed")
	cmd := exec.Command(uboostBin, args(dir)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m, _ := filepath.Glob(filepath.Join(dir, "checkpoints", "checkpoint-*-step-00000020.json")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint at step 20 within 2 minutes")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, "result.json")); err == nil {
		t.Fatal("the run finished before it could be killed")
	}

	stdout, stderr, ok = run(t, "train", "--out", dir, "--resume", "--json")
	if !ok {
		t.Fatalf("resume failed: %s", stderr)
	}
	got := decodeResult(t, stdout)
	if got != want {
		t.Errorf("killed and resumed: %+v; straight: %+v", got, want)
	}
	stdout, stderr, ok = run(t, "evaluate", dir, "--json")
	if !ok {
		t.Fatalf("evaluate failed: %s", stderr)
	}
	if ev := decodeResult(t, stdout); ev != want {
		t.Errorf("evaluate: %+v; training reported %+v", ev, want)
	}
}

// TestTrainBadInput: bad arch.json, flags or run directories give one error line naming the problem.
func TestTrainBadInput(t *testing.T) {
	bad := strings.Replace(tinyArch, `"channels": 8`, `"channels": -8`, 1)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad arch.json", []string{"train", "--arch", writeFile(t, "arch.json", bad), "--out", filepath.Join(t.TempDir(), "r")}, `^uboost: .*arch.json: nodes\[0\] \("c1"\): field "channels": `},
		{"truncated arch.json", []string{"train", "--arch", writeFile(t, "arch.json", tinyArch[:40]), "--out", filepath.Join(t.TempDir(), "r")}, `^uboost: .*arch.json: .*truncated`},
		{"no out", []string{"train", "--arch", writeFile(t, "arch.json", tinyArch)}, `^uboost: flag --out: `},
		{"zero batch", []string{"train", "--arch", writeFile(t, "arch.json", tinyArch), "--batch", "0", "--out", filepath.Join(t.TempDir(), "r")}, `^uboost: train config: field "batch": `},
		{"wrong input size", []string{"train", "--arch", "resnet18", "--out", filepath.Join(t.TempDir(), "r")}, `^uboost: arch "resnet18" wants 224×224×3 images`},
		{"evaluate empty dir", []string{"evaluate", t.TempDir()}, `^uboost: .*config.json: no such file`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectOneLineError(t, c.want, c.args...) })
	}
}
