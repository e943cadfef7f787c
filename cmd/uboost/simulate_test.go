package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// simDoc is the part of the simulate --json document the tests read.
type simDoc struct {
	Model       string `json:"model"`
	Accelerator struct {
		Rows int `json:"rows"`
		Cols int `json:"cols"`
	} `json:"accelerator"`
	Layers []struct {
		Name      string `json:"name"`
		Cycles    int64  `json:"cycles"`
		MACs      int64  `json:"macs"`
		Bytes     int64  `json:"bytes"`
		Breakdown *struct {
			Active      int64 `json:"active"`
			WeightStall int64 `json:"weight_stall"`
			FillDrain   int64 `json:"fill_drain"`
			UnusedRows  int64 `json:"unused_rows"`
			UnusedCols  int64 `json:"unused_cols"`
			MemoryStall int64 `json:"memory_stall"`
		} `json:"breakdown"`
	} `json:"layers"`
	Total struct {
		Cycles      int64   `json:"cycles"`
		Utilization float64 `json:"utilization"`
		LatencyMs   float64 `json:"latency_ms"`
	} `json:"total"`
}

func simulateJSON(t *testing.T, args ...string) simDoc {
	t.Helper()
	stdout, stderr, ok := run(t, append([]string{"simulate", "--json"}, args...)...)
	if !ok {
		t.Fatal(stderr)
	}
	var doc simDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSimulateBreakdownJSON: every layer of ResNet-18 carries a breakdown that sums to R·C·cycles
// (arrays·R·C with --arrays), and the layers add up to the total.
func TestSimulateBreakdownJSON(t *testing.T) {
	for _, arrays := range []string{"1", "2"} {
		doc := simulateJSON(t, "--arch", "resnet18", "--array", "32x64", "--arrays", arrays)
		pes := int64(doc.Accelerator.Rows * doc.Accelerator.Cols)
		if arrays == "2" {
			pes *= 2
		}
		if doc.Model != "simulator" {
			t.Errorf("model %q", doc.Model)
		}
		var sum int64
		for _, l := range doc.Layers {
			b := l.Breakdown
			if b == nil {
				t.Fatalf("%s: no breakdown", l.Name)
			}
			if got := b.Active + b.WeightStall + b.FillDrain + b.UnusedRows + b.UnusedCols + b.MemoryStall; got != pes*l.Cycles {
				t.Errorf("%s: breakdown sums to %d, want %d", l.Name, got, pes*l.Cycles)
			}
			if b.Active != l.MACs {
				t.Errorf("%s: active %d, MACs %d", l.Name, b.Active, l.MACs)
			}
			sum += l.Cycles
		}
		if sum != doc.Total.Cycles || sum == 0 {
			t.Errorf("layers sum to %d cycles, total %d", sum, doc.Total.Cycles)
		}
	}
}

// TestSimulateHandWorked runs sim's hand-worked 3×2·2×2 case end to end from a topology file: a 1×1
// conv on a 1×1 input with 2 channels and 2 filters at batch 3 is [3×2]·[2×2]. On a 2×2 array with
// 1-byte elements and 1 byte/cycle it takes 18 cycles (see sim's TestHandWorked), 7 with ideal memory
// (R + M + R + C − 2), and also 7 single-buffered (one tile: 2R + C + M − 2).
func TestSimulateHandWorked(t *testing.T) {
	topo := writeFile(t, "tiny.csv", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nfc, 1, 1, 1, 1, 2, 2, 1,\n")
	base := []string{"--topology", topo, "--array", "2x2", "--batch", "3", "--element-bytes", "1", "--bw-gbs", "1"}
	for _, tc := range []struct {
		extra  []string
		cycles int64
	}{
		{nil, 18},
		{[]string{"--ideal-memory"}, 7},
		{[]string{"--ideal-memory", "--weight-buffer", "single"}, 7},
	} {
		doc := simulateJSON(t, append(base, tc.extra...)...)
		if doc.Total.Cycles != tc.cycles {
			t.Errorf("%v: %d cycles, want %d", tc.extra, doc.Total.Cycles, tc.cycles)
		}
		if tc.cycles == 18 && doc.Layers[0].Bytes != 16 {
			t.Errorf("DRAM bytes %d, want 4 + 6 + 6", doc.Layers[0].Bytes)
		}
	}
}

func TestSimulateTable(t *testing.T) {
	stdout, stderr, ok := run(t, "simulate", "--arch", "mobilenetv1")
	if !ok {
		t.Fatal(stderr)
	}
	for _, s := range []string{"model simulator", "PE-cycle breakdown", "memory_stall", "total"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("table lacks %q", s)
		}
	}
}

// TestValidateSmall runs a small validation: ResNet-18 and a 3-point conv sweep on 16×16. The pipelined
// model must match the ideal-memory simulator exactly; the SVG must be written.
func TestValidateSmall(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "util.svg")
	stdout, stderr, ok := run(t, "validate", "--sizes", "16x16", "--batches", "1", "--networks", "resnet18",
		"--models", "systolic,systolic-pipelined", "--grid-min", "16", "--grid-max", "48", "--svg", svg, "--svg-array", "16x16", "--json")
	if !ok {
		t.Fatal(stderr)
	}
	var doc struct {
		Errors []struct {
			Set           string  `json:"set"`
			Simulator     string  `json:"simulator"`
			Model         string  `json:"model"`
			Cases         int     `json:"cases"`
			CyclesMaxAPE  float64 `json:"cycles_max_ape"`
			CyclesMeanAPE float64 `json:"cycles_mean_ape"`
		} `json:"errors"`
		Cases []json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	// 1 network + 2 kernels × 3 channel counts; 2 sets × 3 simulator settings × 2 models.
	if len(doc.Cases) != 7 || len(doc.Errors) != 12 {
		t.Fatalf("%d cases and %d error rows, want 7 and 12", len(doc.Cases), len(doc.Errors))
	}
	for _, e := range doc.Errors {
		if e.Model == "systolic-pipelined" && e.Simulator == "sim-ideal-memory" && e.CyclesMaxAPE != 0 {
			t.Errorf("%s: pipelined off the ideal-memory simulator by up to %.2f%%", e.Set, e.CyclesMaxAPE)
		}
		if e.Model == "systolic" && e.CyclesMeanAPE <= 0 {
			t.Errorf("%s %s: the exact model matches the simulator exactly, which fill and drain forbid", e.Set, e.Simulator)
		}
	}
	data, err := os.ReadFile(svg)
	if err != nil || !strings.Contains(string(data), "<svg") {
		t.Errorf("SVG not written: %v", err)
	}
	stdout, stderr, ok = run(t, "validate", "--sizes", "16x16", "--batches", "1", "--networks", "resnet18", "--grid-max", "32")
	if !ok || !strings.Contains(stdout, "cycles mean APE") {
		t.Errorf("table: %s %s", stdout, stderr)
	}
}

// TestSimulateValidateBadInput: bad input gets estimate's treatment, one error line naming the flag or
// field.
func TestSimulateValidateBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no network", []string{"simulate"}, `^uboost: no network`},
		{"zero arrays", []string{"simulate", "--arch", "resnet18", "--arrays", "0"}, `^uboost: flag --arrays: `},
		{"one slot", []string{"simulate", "--arch", "resnet18", "--prefetch", "1"}, `^uboost: flag --prefetch: `},
		{"tiny SRAM", []string{"simulate", "--arch", "resnet18", "--sram-mb", "0.01"}, `^uboost: accelerator: field "sram_bytes": `},
		{"bad buffering", []string{"simulate", "--arch", "resnet18", "--weight-buffer", "triple"}, `^uboost: accelerator: field "weight_buffering"`},
		{"bad array", []string{"simulate", "--arch", "resnet18", "--array", "0x128"}, `^uboost: flag --array: `},
		{"bad topology", []string{"simulate", "--topology", writeFile(t, "t.csv", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc, 8, 8, 3, 3, abc, 8, 1,\n")}, `^uboost: .*t.csv:2: field "Channels"`},
		{"zero bandwidth", []string{"simulate", "--arch", "resnet18", "--bw-gbs", "0"}, `^uboost: accelerator: field "bandwidth_bytes_per_s"`},
		{"validate sizes", []string{"validate", "--sizes", "32x0"}, `^uboost: flag --sizes: `},
		{"validate grid", []string{"validate", "--grid-step", "0"}, `^uboost: flags --grid-min/--grid-max/--grid-step: `},
		{"validate model", []string{"validate", "--models", "magic"}, `^uboost: unknown model "magic"`},
		{"validate network", []string{"validate", "--networks", "resnet99"}, `^uboost: flag --networks: unknown zoo network "resnet99"`},
		{"validate batch", []string{"validate", "--batches", "0"}, `^uboost: flag --batches: `},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, ok := run(t, c.args...)
			if ok {
				t.Fatal("exit status 0")
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || strings.Contains(stderr, "panic") {
				t.Fatalf("stderr is not one error line:\n%s", stderr)
			}
			if !regexp.MustCompile(c.want).MatchString(lines[0]) {
				t.Errorf("stderr = %q, want match %q", lines[0], c.want)
			}
		})
	}
}
