package onnxio

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
)

// The fixtures in testdata are written by scripts/onnx_fixtures.py (PyTorch's exporter, weights
// stripped to dims); these tests need neither Python nor the network.

func intp(v int) *int { return &v }

// TestImportOps lowers ops.onnx, which holds every op the importer supports, and compares the network
// node by node with what the PyTorch module (OpsNet in the script) describes. PyTorch folds the batch
// norms that follow convolutions into them (inference export), so only bn4, after an add, remains:
// an identity node carrying it and the hard swish after it.
func TestImportOps(t *testing.T) {
	got, err := Load("testdata/ops.onnx", nil)
	if err != nil {
		t.Fatal(err)
	}
	p0, p1 := intp(0), intp(1)
	want := &arch.Network{
		Format: arch.Format, Name: "ops", Input: arch.Shape{H: 16, W: 16, C: 3}, Classes: 5,
		Nodes: []arch.Node{
			{Name: "Pad", Op: arch.OpPad, Inputs: []string{"input"}, Padding: p1},
			{Name: "conv1.Conv", Op: arch.OpConv, Inputs: []string{"Pad"}, Kernel: 3, Stride: 2, Dilation: 1, Padding: p0, Channels: 8, Act: arch.ActReLU},
			{Name: "dw.Conv", Op: arch.OpDepthwise, Inputs: []string{"conv1.Conv"}, Kernel: 3, Stride: 1, Dilation: 1, Padding: p1, Act: arch.ActReLU6},
			{Name: "grouped.Conv", Op: arch.OpConv, Inputs: []string{"dw.Conv"}, Kernel: 3, Stride: 1, Dilation: 1, Padding: p1, Channels: 8, Groups: 2, Act: arch.ActSwish},
			{Name: "Concat", Op: arch.OpConcat, Inputs: []string{"dw.Conv", "grouped.Conv"}},
			{Name: "MaxPool", Op: arch.OpMaxPool, Inputs: []string{"Concat"}, Kernel: 3, Stride: 2, Padding: p1},
			{Name: "AveragePool", Op: arch.OpAvgPool, Inputs: []string{"MaxPool"}, Kernel: 3, Stride: 1, Padding: p1},
			{Name: "Add", Op: arch.OpAdd, Inputs: []string{"MaxPool", "AveragePool"}},
			{Name: "bn4.BatchNormalization", Op: arch.OpIdentity, Inputs: []string{"Add"}, BN: true, Act: arch.ActHardSwish},
			{Name: "ReduceMean", Op: arch.OpAvgPool, Inputs: []string{"bn4.BatchNormalization"}, Global: true},
			{Name: "se1.Conv", Op: arch.OpConv, Inputs: []string{"ReduceMean"}, Kernel: 1, Stride: 1, Dilation: 1, Padding: p0, Channels: 4, Act: arch.ActReLU},
			{Name: "se2.Conv", Op: arch.OpConv, Inputs: []string{"se1.Conv"}, Kernel: 1, Stride: 1, Dilation: 1, Padding: p0, Channels: 16, Act: arch.ActHardSigmoid},
			{Name: "Mul_1", Op: arch.OpMul, Inputs: []string{"bn4.BatchNormalization", "se2.Conv"}},
			// adaptive_max_pool2d(1) of the static 4×4 map: PyTorch writes a 4×4 MaxPool.
			{Name: "MaxPool_1", Op: arch.OpMaxPool, Inputs: []string{"Mul_1"}, Kernel: 4, Stride: 4, Padding: p0},
			{Name: "GlobalAveragePool", Op: arch.OpAvgPool, Inputs: []string{"Mul_1"}, Global: true},
			{Name: "Add_1", Op: arch.OpAdd, Inputs: []string{"MaxPool_1", "GlobalAveragePool"}},
			// Flatten is a view; Dropout is gone in inference; Reshape [−1, 12] is a view.
			{Name: "fc.Gemm", Op: arch.OpDense, Inputs: []string{"Add_1"}, Channels: 12, Act: arch.ActSigmoid},
			// MatMul + Add: the Add is the MatMul's bias.
			{Name: "MatMul", Op: arch.OpDense, Inputs: []string{"fc.Gemm"}, Channels: 5},
		},
	}
	a, _ := json.MarshalIndent(got, "", " ")
	b, _ := json.MarshalIndent(want, "", " ")
	if string(a) != string(b) {
		t.Errorf("imported network:\n%s\nwant:\n%s", a, b)
	}
}

// priced is a network's layers with the exact model's report on the default 128×128 array.
func priced(t *testing.T, net *arch.Network) ([]accel.Layer, *cost.Report) {
	t.Helper()
	layers, err := net.Layers()
	if err != nil {
		t.Fatal(err)
	}
	r, err := cost.Systolic().Estimate(accel.Default(), layers)
	if err != nil {
		t.Fatal(err)
	}
	return layers, r
}

// gemms lists the non-empty GEMMs of the layers, in order.
func gemms(layers []accel.Layer) []string {
	var out []string
	for _, l := range layers {
		if g := l.Lower(1); !g.Empty() {
			out = append(out, g.String())
		}
	}
	return out
}

// TestTorchvisionMatchesZoo prices torchvision's resnet18, mobilenet_v2 and efficientnet_b0 as PyTorch
// exports them and requires exactly the zoo's MACs, exact-model cycles and parameter count, and the
// same GEMMs in the same order. The zoo builds these networks in code from their papers, so the
// two descriptions are independent.
func TestTorchvisionMatchesZoo(t *testing.T) {
	for file, zoo := range map[string]string{"resnet18": "resnet18", "mobilenet_v2": "mobilenetv2", "efficientnet_b0": "efficientnetb0"} {
		t.Run(file, func(t *testing.T) {
			net, err := Load("testdata/"+file+".onnx", nil)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := arch.ZooNetwork(zoo)
			if err != nil {
				t.Fatal(err)
			}
			gotLayers, got := priced(t, net)
			wantLayers, want := priced(t, ref)
			if got.Total.MACs != want.Total.MACs || got.Total.Cycles != want.Total.Cycles {
				t.Errorf("MACs %d, cycles %d; zoo %s: MACs %d, cycles %d", got.Total.MACs, got.Total.Cycles, zoo, want.Total.MACs, want.Total.Cycles)
			}
			if g, w := strings.Join(gemms(gotLayers), " "), strings.Join(gemms(wantLayers), " "); g != w {
				t.Errorf("GEMMs\n%s\nzoo\n%s", g, w)
			}
			if net.Input != ref.Input || net.Classes != ref.Classes {
				t.Errorf("input %s, %d classes; zoo %s, %d", net.Input, net.Classes, ref.Input, ref.Classes)
			}
		})
	}
}

// TestGroupedConvLowering prices torchvision's ResNeXt-50 32×4d. Its 16 grouped 3×3 convolutions
// (stage widths 128, 256, 512, 1024 with 3, 4, 6, 3 blocks, 32 groups, outputs 56², 28², 14², 7²; the
// stride-2 one opens stages 2–4) must each be 32 GEMMs [h·w × 9·c/32]·[9·c/32 × c/32] at batch 1,
// priced by the exact model at 32·⌈K/128⌉·⌈N/128⌉·M cycles, all written out here by hand.
func TestGroupedConvLowering(t *testing.T) {
	net, err := Load("testdata/resnext50_32x4d.onnx", nil)
	if err != nil {
		t.Fatal(err)
	}
	layers, r := priced(t, net)
	type want struct {
		gemm         string
		macs, cycles int64
	}
	var wants []want
	ceil := func(a, b int64) int64 { return (a + b - 1) / b }
	for _, s := range []struct {
		width, blocks, out int64
	}{{128, 3, 56}, {256, 4, 28}, {512, 6, 14}, {1024, 3, 7}} {
		for range s.blocks {
			m, k, n := s.out*s.out, 9*s.width/32, s.width/32
			wants = append(wants, want{fmt.Sprintf("32×(%d×%d×%d)", m, k, n), 32 * m * k * n, 32 * ceil(k, 128) * ceil(n, 128) * m})
		}
	}
	var got []want
	for i, l := range layers {
		if l.Groups > 1 {
			got = append(got, want{l.Lower(1).String(), r.Layers[i].MACs, r.Layers[i].Cycles})
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wants) {
		t.Errorf("grouped layers\n%v\nwant\n%v", got, wants)
	}
	// The first: 56² outputs, 128 channels in 32 groups of 4: 32 × [3136 × 36]·[36 × 4].
	if len(got) == 0 || got[0].gemm != "32×(3136×36×4)" || got[0].cycles != 32*3136 {
		t.Errorf("first grouped layer %v, want 32×(3136×36×4) at %d cycles", got, 32*3136)
	}
}

// TestUnsupportedListsAll: unsupported.onnx has a Tanh and a Softmax; the one error names both, and
// not the pooling that reads the Tanh.
func TestUnsupportedListsAll(t *testing.T) {
	_, err := Load("testdata/unsupported.onnx", nil)
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v, want an *UnsupportedError", err)
	}
	want := `testdata/unsupported.onnx: 2 unsupported node(s): "/Tanh" (Tanh); "/Softmax" (Softmax)`
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}

// TestSymbolicInput: symbolic.onnx leaves height and width open; import asks for them, and takes
// them from the override. A static file refuses an override that differs.
func TestSymbolicInput(t *testing.T) {
	_, err := Load("testdata/symbolic.onnx", nil)
	if err == nil || !strings.Contains(err.Error(), "symbolic image dimensions; give the input shape (--input HxWxC)") {
		t.Errorf("error %v, want one asking for --input", err)
	}
	in := arch.Shape{H: 40, W: 24, C: 3}
	net, err := Load("testdata/symbolic.onnx", &in)
	if err != nil {
		t.Fatal(err)
	}
	// conv 3×3 "same" 3→8 on 40×24: 40·24·27·8 = 207360 MACs; dense 8→10: 80.
	_, r := priced(t, net)
	if net.Input != in || r.Total.MACs != 40*24*27*8+80 {
		t.Errorf("input %s, MACs %d; want %s, %d", net.Input, r.Total.MACs, in, 40*24*27*8+80)
	}
	_, err = Load("testdata/ops.onnx", &in)
	if err == nil || !strings.Contains(err.Error(), "the file fixes the image at 16×16×3") {
		t.Errorf("error %v, want a refusal of the override", err)
	}
}

// TestNotONNX: a file that is not a protobuf is a one-line error naming it.
func TestNotONNX(t *testing.T) {
	_, err := Load("../examples/smallcnn.json", nil)
	if err == nil || !strings.HasPrefix(err.Error(), "../examples/smallcnn.json: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %v, want one line naming the file", err)
	}
}
