package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// uboostBin is the binary built once for the CLI tests.
var uboostBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "uboost-cli")
	if err != nil {
		panic(err)
	}
	uboostBin = filepath.Join(dir, "uboost")
	if out, err := exec.Command("go", "build", "-o", uboostBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes uboost with args and returns stdout, stderr and whether it exited 0.
func run(t *testing.T, args ...string) (string, string, bool) {
	t.Helper()
	cmd := exec.Command(uboostBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err == nil
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectOneLineError runs uboost with args and checks it fails with exactly one line on stderr, matching
// the regexp want, and no panic or stack trace.
func expectOneLineError(t *testing.T, want string, args ...string) {
	t.Helper()
	_, stderr, ok := run(t, args...)
	if ok {
		t.Fatalf("exit status 0, want non-zero")
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("stderr is not one error line:\n%s", stderr)
	}
	if !regexp.MustCompile(want).MatchString(lines[0]) {
		t.Errorf("stderr = %q, want match %q", lines[0], want)
	}
}

// TestBadInput: every kind of bad input exits non-zero with exactly one line on stderr that names the
// file, row and field where there is one — never a panic or stack trace.
func TestBadInput(t *testing.T) {
	const header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
	cases := []struct {
		name string
		args []string
		want string // regexp the single stderr line must match
	}{
		{"missing file", []string{"estimate", "--topology", "/nonexistent/topo.csv"}, `^uboost: open /nonexistent/topo.csv: no such file`},
		{"non-numeric field", []string{"estimate", "--topology", writeFile(t, "topology.csv", header+"conv1, 32, 32, 3, 3, abc, 64, 1,\n")}, `^uboost: .*topology.csv:2: field "Channels": .*abc`},
		{"negative field", []string{"estimate", "--topology", writeFile(t, "topology.csv", header+"conv1, 32, 32, 3, 3, -3, 64, 1,\n")}, `^uboost: .*topology.csv:2: field "Channels": `},
		{"filter larger than input", []string{"estimate", "--topology", writeFile(t, "topology.csv", header+"conv1, 2, 2, 3, 3, 8, 64, 1,\n")}, `^uboost: .*topology.csv:2: field "Filter Height": `},
		{"zero stride", []string{"estimate", "--topology", writeFile(t, "topology.csv", header+"conv1, 32, 32, 3, 3, 8, 64, 0,\n")}, `^uboost: .*topology.csv:2: field "Strides": `},
		{"short row", []string{"estimate", "--topology", writeFile(t, "topology.csv", header+"conv1, 32, 32, 3\n")}, `^uboost: .*topology.csv:2: field "Filter Width": `},
		{"empty file", []string{"estimate", "--topology", writeFile(t, "topology.csv", "")}, `^uboost: .*topology.csv: no layers`},
		{"array 0x128", []string{"estimate", "--arch", "resnet18", "--array", "0x128"}, `^uboost: flag --array: .*"0x128"`},
		{"unknown model", []string{"estimate", "--arch", "resnet18", "--model", "magic"}, `^uboost: unknown model "magic"`},
		{"unknown zoo name", []string{"estimate", "--arch", "resnet99"}, `^uboost: unknown zoo network "resnet99"`},
		{"truncated arch.json", []string{"estimate", "--arch", writeFile(t, "arch.json", `{"format": "uboost-arch/v1", "name": "x", "input": {"h": 8,`)}, `^uboost: .*arch.json: .*truncated`},
		{"wrong-version arch.json", []string{"estimate", "--arch", writeFile(t, "arch.json", `{"format": "uboost-arch/v9"}`)}, `^uboost: .*arch.json: field "format": unsupported version "uboost-arch/v9"`},
		{"unknown flag", []string{"estimate", "--arch", "resnet18", "--frobnicate"}, `^uboost: unknown flag: --frobnicate`},
		{"unknown command", []string{"frobnicate"}, `^uboost: unknown command "frobnicate"`},
		{"widths per array without arrays", []string{"search", "--widths-per-array", "--out", filepath.Join(t.TempDir(), "run")}, `^uboost: search config: field "widths_per_array": needs candidate arrays`},
		{"array turns without widths per array", []string{"search", "--arrays", "16x64,32x32", "--widths-per-array=false", "--array-turns", "--out", filepath.Join(t.TempDir(), "run")}, `^uboost: search config: field "array_turns": needs widths per array`},
		{"turn lr scale without array turns", []string{"search", "--arrays", "16x64,32x32", "--array-turns=false", "--turn-lr-scale", "2", "--out", filepath.Join(t.TempDir(), "run")}, `^uboost: search config: field "turn_lr_scale": scales the widths' steps of arrays taken in turn`},
		{"array halving without array turns", []string{"search", "--arrays", "16x64,32x32", "--array-turns=false", "--array-halving", "--out", filepath.Join(t.TempDir(), "run")}, `^uboost: search config: field "array_halving": drops arrays taken in turn`},
		{"bad accelerator json", []string{"estimate", "--arch", "resnet18", "--accel", writeFile(t, "accel.json", `{"rows": 0}`)}, `^uboost: .*accel.json: field "rows": want an integer in 1..4096, got 0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectOneLineError(t, c.want, c.args...) })
	}
}

// TestEstimateMobileNetV2Depthwise: every depthwise layer of MobileNetV2 runs under 0.1% of a 128×128
// array at batch 1 (9/16384 = 0.055% for 3×3).
func TestEstimateMobileNetV2Depthwise(t *testing.T) {
	stdout, stderr, ok := run(t, "estimate", "--arch", "mobilenetv2", "--array", "128x128", "--batch", "1", "--json")
	if !ok {
		t.Fatal(stderr)
	}
	var doc struct {
		Layers []struct {
			Name        string  `json:"name"`
			Op          string  `json:"op"`
			Utilization float64 `json:"utilization"`
			Cycles      int64   `json:"cycles"`
			MACs        int64   `json:"macs"`
			LatencyMs   float64 `json:"latency_ms"`
		} `json:"layers"`
		Total struct {
			Cycles      int64   `json:"cycles"`
			Utilization float64 `json:"utilization"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	depthwise := 0
	var sum int64
	for _, l := range doc.Layers {
		sum += l.Cycles
		if l.Op == "depthwise" {
			depthwise++
			if l.Utilization >= 0.001 {
				t.Errorf("%s: utilization %.5f, want < 0.001", l.Name, l.Utilization)
			}
		}
	}
	if depthwise != 17 {
		t.Errorf("%d depthwise layers, want 17", depthwise)
	}
	if sum != doc.Total.Cycles {
		t.Errorf("layer cycles sum to %d, total says %d", sum, doc.Total.Cycles)
	}
}

// TestReportCommand writes an HTML report of a zoo network and checks it draws the network and tables
// every model's layers.
func TestReportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.html")
	if _, stderr, ok := run(t, "report", "--arch", "mobilenetv1", "--batch", "2", "--models", "simulator,roofline", "--out", out); !ok {
		t.Fatal(stderr)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "cost (simulator model)", "cost (roofline model)", "block13.dw", "batch 2"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
