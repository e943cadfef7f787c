package search

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/uboost/uboost/arch"
)

// TestAlphaInitStd: the op logits are drawn N(0, AlphaInitStd²) from the seed — the same draw scaled,
// so the reference's std 1 and the demo's 1e-3 differ exactly by the factor, and a zero std starts
// every edge uniform.
func TestAlphaInitStd(t *testing.T) {
	logits := func(std float64) []float64 {
		cfg := tinyConfig(t)
		cfg.AlphaInitStd = std
		s, err := newSupernet(cfg, StageMicro, nil, arch.Shape{H: 8, W: 8, C: 1}, 10)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.New()
		s.initArch(ctx, dtypes.Float64)
		var out []float64
		for v := range ctx.IterVariables() {
			out = append(out, v.MustValue().Value().([][]float64)[0]...)
		}
		return out
	}
	unit, small, zero := logits(1), logits(1e-3), logits(0)
	if len(unit) == 0 || len(unit) != len(small) {
		t.Fatalf("got %d and %d logits", len(unit), len(small))
	}
	spread := 0.0
	for i := range unit {
		spread = math.Max(spread, math.Abs(unit[i]))
		if math.Abs(small[i]-1e-3*unit[i]) > 1e-15 || zero[i] != 0 {
			t.Fatalf("logit %d: std 1 gave %v, std 1e-3 %v, std 0 %v", i, unit[i], small[i], zero[i])
		}
	}
	if spread < 0.5 {
		t.Errorf("std 1 logits all within %v of zero: not a unit Gaussian draw", spread)
	}
	cfg, _ := Preset("demo")
	ref, _ := Preset("cifar10")
	if cfg.AlphaInitStd != 1e-3 || ref.AlphaInitStd != 1 {
		t.Errorf("alpha_init_std: demo %v, cifar10 %v; want 1e-3 and the reference's 1", cfg.AlphaInitStd, ref.AlphaInitStd)
	}
}
