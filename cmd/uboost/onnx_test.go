package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// totals runs `uboost estimate --json` with args and returns the network's MACs and exact-model cycles.
func totals(t *testing.T, args ...string) (macs, cycles int64) {
	t.Helper()
	stdout, stderr, ok := run(t, append([]string{"estimate", "--json"}, args...)...)
	if !ok {
		t.Fatalf("estimate %v: %s", args, stderr)
	}
	var r struct {
		Total struct {
			MACs   int64 `json:"macs"`
			Cycles int64 `json:"cycles"`
		} `json:"total"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("estimate %v: %v", args, err)
	}
	return r.Total.MACs, r.Total.Cycles
}

// TestEstimateONNX: `uboost estimate --arch resnet18.onnx` (torchvision's export) prices like the zoo's
// resnet18; a symbolic image size needs --input, which only ONNX files take.
func TestEstimateONNX(t *testing.T) {
	gotM, gotC := totals(t, "--arch", "../../onnxio/testdata/resnet18.onnx")
	wantM, wantC := totals(t, "--arch", "resnet18")
	if gotM != wantM || gotC != wantC {
		t.Errorf("resnet18.onnx: %d MACs, %d cycles; zoo: %d, %d", gotM, gotC, wantM, wantC)
	}
	sym := "../../onnxio/testdata/symbolic.onnx"
	expectOneLineError(t, `symbolic\.onnx: graph input "image": symbolic image dimensions; give the input shape \(--input HxWxC\)`, "estimate", "--arch", sym)
	// conv 3×3 "same" 3→8 on 32×32: 32·32·27·8 MACs; dense 8→10: 80.
	if m, _ := totals(t, "--arch", sym, "--input", "32x32x3"); m != 32*32*27*8+80 {
		t.Errorf("symbolic.onnx at 32x32x3: %d MACs, want %d", m, 32*32*27*8+80)
	}
	expectOneLineError(t, `flag --input: want HxWxC, got "32x32"`, "estimate", "--arch", sym, "--input", "32x32")
	expectOneLineError(t, `flag --input: only an ONNX file's image size`, "estimate", "--arch", "resnet18", "--input", "32x32x3")
	expectOneLineError(t, `unsupported\.onnx: 2 unsupported node\(s\): "/Tanh" \(Tanh\); "/Softmax" \(Softmax\)`, "estimate", "--arch", "../../onnxio/testdata/unsupported.onnx")
}

// TestExport trains the tiny net for one epoch, exports it as ONNX and as arch.json, and prices both
// files: the same MACs and cycles as the run's own arch.json.
func TestExport(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small run")
	}
	runDir := filepath.Join(t.TempDir(), "run")
	archPath := writeFile(t, "tiny.json", tinyArch)
	if _, stderr, ok := run(t, "train", "--arch", archPath, "--epochs", "1", "--batch", "100", "--out", runDir, "--json"); !ok {
		t.Fatalf("train: %s", stderr)
	}
	out := t.TempDir()
	model, desc := filepath.Join(out, "model.onnx"), filepath.Join(out, "arch.json")
	if stdout, stderr, ok := run(t, "export", runDir, "--format", "onnx", "-o", model); !ok || stdout != "wrote "+model+"\n" {
		t.Fatalf("export onnx: %q %s", stdout, stderr)
	}
	if _, stderr, ok := run(t, "export", runDir, "--format", "arch", "-o", desc); !ok {
		t.Fatalf("export arch: %s", stderr)
	}
	wantM, wantC := totals(t, "--arch", filepath.Join(runDir, "arch.json"))
	for _, f := range []string{model, desc} {
		if m, c := totals(t, "--arch", f); m != wantM || c != wantC {
			t.Errorf("%s: %d MACs, %d cycles; the run's arch.json: %d, %d", f, m, c, wantM, wantC)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 2 {
		t.Errorf("output directory holds %d files, want 2 (no temporary files left)", len(entries))
	}
	expectOneLineError(t, `flag --format: want onnx or arch, got "tflite"`, "export", runDir, "--format", "tflite", "-o", model)
	expectOneLineError(t, `config\.json`, "export", out, "-o", model)
}
