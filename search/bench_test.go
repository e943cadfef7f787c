package search

import (
	"fmt"
	"testing"

	"github.com/uboost/uboost/arch"
)

// benchStep times one training step (forward, backward, update) of the demo preset's supernet on
// 28×28×1 images (the built-in data), batch 32, for the given stage and phase.
func benchStep(b *testing.B, stage Stage, phase string) {
	cfg, _ := Preset("demo")
	benchStepOf(b, cfg, stage, phase)
}

// benchStepOf times one training step of cfg's supernet as benchStep does.
func benchStepOf(b *testing.B, cfg *Config, stage Stage, phase string) {
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

// BenchmarkStepMicroArchArrays times the micro stage's architecture step, where every candidate
// array is priced, against the candidate list's length: none (one array), the five single arrays of
// 1,024 PEs and the twelve of up to four arrays (--pe-budget 1024 --max-arrays 1 and 4), with the
// command line's co-design defaults.
func BenchmarkStepMicroArchArrays(b *testing.B) {
	for _, maxArrays := range []int{0, 1, 4} {
		cfg, _ := Preset("demo")
		name := "one-array"
		if maxArrays > 0 {
			arrays, err := PEBudgetArrays(1024, maxArrays)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Arrays = arrays
			cfg.ApplyCodesignDefaults(nil)
			name = fmt.Sprintf("candidates-%d", len(arrays))
		}
		b.Run(name, func(b *testing.B) { benchStepOf(b, cfg, StageMicro, "arch") })
	}
}
