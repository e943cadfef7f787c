package onnxio

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
)

// FuzzImport: any bytes that decode as an ONNX model give a network or a one-line error, never a
// panic, with the file's own input shape and with an override; a network import returns is valid,
// lowers to valid layers, and the default cost model prices it with finite, non-negative cycles.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"ops", "symbolic", "unsupported", "resnet18"} {
		data, err := os.ReadFile("testdata/" + name + Ext)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	model, err := cost.ByName("systolic")
	if err != nil {
		f.Fatal(err)
	}
	a := accel.New(32, 32)
	f.Fuzz(func(t *testing.T, data []byte) {
		mp := &onnx.ModelProto{}
		if proto.Unmarshal(data, mp) != nil || mp.Graph == nil {
			return
		}
		for _, input := range []*arch.Shape{nil, {H: 16, W: 16, C: 3}} {
			net, err := Import(mp, "fuzz", input)
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("multi-line error %q", err)
				}
				continue
			}
			if err := net.Validate(); err != nil {
				t.Fatalf("import returned an invalid network: %v", err)
			}
			layers, err := net.Layers()
			if err != nil {
				t.Fatalf("an imported network does not lower: %v", err)
			}
			for _, l := range layers {
				if err := l.Validate(); err != nil {
					t.Fatalf("layer %+v: %v", l, err)
				}
				c, err := model.LayerCycles(a, l)
				if err == nil && (c < 0 || math.IsNaN(c) || math.IsInf(c, 0)) {
					t.Errorf("layer %+v: %g cycles", l, c)
				}
			}
		}
	})
}
