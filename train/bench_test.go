package train

import (
	"testing"

	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/engine"
)

// benchNet is the small Fashion-MNIST CNN of docs/RESULTS.md ("Training"): two 3×3 conv pairs
// (32 and 64 channels, BN, ReLU) each followed by 2×2 max pooling, global average pooling and a
// dense classifier; 18.3 M multiply-accumulates per image.
func benchNet() *arch.Network {
	conv := func(name, in string, c int) arch.Node {
		return arch.Node{Name: name, Op: arch.OpConv, Inputs: []string{in}, Kernel: 3, Channels: c, BN: true, Act: arch.ActReLU}
	}
	return &arch.Network{
		Format: arch.Format, Name: "smallcnn", Input: arch.Shape{H: 28, W: 28, C: 1}, Classes: 10,
		Nodes: []arch.Node{
			conv("c1", "input", 32), conv("c2", "c1", 32),
			{Name: "p1", Op: arch.OpMaxPool, Inputs: []string{"c2"}, Kernel: 2, Stride: 2},
			conv("c3", "p1", 64), conv("c4", "c3", 64),
			{Name: "p2", Op: arch.OpMaxPool, Inputs: []string{"c4"}, Kernel: 2, Stride: 2},
			{Name: "gap", Op: arch.OpAvgPool, Inputs: []string{"p2"}, Global: true},
			{Name: "fc", Op: arch.OpDense, Inputs: []string{"gap"}, Channels: 10},
		},
	}
}

// BenchmarkTrainStepSmallCNN measures one training step (forward, backward, Nesterov SGD update) of
// benchNet on a batch of 128 Fashion-MNIST images; images/s = 128 / (ns/op · 1e-9).
func BenchmarkTrainStepSmallCNN(b *testing.B) {
	ds, err := data.Open("builtin", data.Options{})
	if err != nil {
		b.Fatal(err)
	}
	batch, err := ds.Train.Loader(data.TrainOptions(128, 1)).Next()
	if err != nil {
		b.Fatal(err)
	}
	st, err := NewStepper(engine.Backend(), DefaultConfig(), benchNet(), batch.Images, batch.Labels)
	if err != nil {
		b.Fatal(err)
	}
	step := func() {
		if _, err := st.Step(); err != nil {
			b.Fatal(err)
		}
	}
	step() // compile
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "images/s")
}
