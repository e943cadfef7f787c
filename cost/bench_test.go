package cost_test

import (
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
)

// BenchmarkResNet50Estimate prices ResNet-50 (lowered once, outside the timer) with each analytical
// model at batch 1 on 128×128. Goal: under 1 ms per estimate (docs/RESULTS.md).
func BenchmarkResNet50Estimate(b *testing.B) {
	net, err := arch.ZooNetwork("resnet50")
	if err != nil {
		b.Fatal(err)
	}
	layers, err := net.Layers()
	if err != nil {
		b.Fatal(err)
	}
	a := accel.Default()
	for _, name := range []string{"systolic", "systolic-pipelined", "roofline", "systolic-smooth-tight"} {
		m, err := cost.ByName(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Estimate(a, layers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Including the lowering from the network graph, as `uboost estimate --arch resnet50` does.
	b.Run("lower+systolic", func(b *testing.B) {
		for b.Loop() {
			layers, err := net.Layers()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cost.Systolic().Estimate(a, layers); err != nil {
				b.Fatal(err)
			}
		}
	})
}
