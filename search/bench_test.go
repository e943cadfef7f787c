package search

import (
	"testing"

	"github.com/uboost/uboost/arch"
)

// benchStep times one training step (forward, backward, update) of the demo preset's supernet on
// 28×28×1 images (the built-in data), batch 32, for the given stage and phase.
func benchStep(b *testing.B, stage Stage, phase string) {
	cfg, _ := Preset("demo")
	s, err := NewStepper(cfg, stage, phase, arch.Shape{H: 28, W: 28, C: 1}, 10)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Step(); err != nil { // compiles the graph
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStepMicroWeights(b *testing.B)   { benchStep(b, StageMicro, "weights") }
func BenchmarkStepMicroArch(b *testing.B)      { benchStep(b, StageMicro, "arch") }
func BenchmarkStepChannelWeights(b *testing.B) { benchStep(b, StageChannel, "weights") }
func BenchmarkStepChannelArch(b *testing.B)    { benchStep(b, StageChannel, "arch") }
