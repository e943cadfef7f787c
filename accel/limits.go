package accel

import (
	"fmt"
	"math"
)

// Limits on what an accelerator and a layer may describe. Each is checked where the value enters
// (flags, accelerator JSON, topology rows, arch.json through the layers it lowers to), so that every
// count the cost models and the simulator compute fits in an int64 with room for a network's sum, and
// no command prints a negative, zero-for-overflow, NaN or infinite figure. docs/LIMITS.md lists them
// with their reasons.
const (
	// MaxArrayDim bounds the array's rows and columns: 16× the largest array built (TPU v1, 256×256),
	// and R·C ≤ 2^24 PEs.
	MaxArrayDim = 4096
	// MaxArrays bounds Accelerator.Arrays: beyond it the per-array state alone would be an
	// unreasonable request.
	MaxArrays = 1 << 16
	// MaxBatch bounds the inference batch: 64× the hardware batch of the paper's search.
	MaxBatch = 4096
	// MaxElementBytes bounds the bytes per stored element (8: fp64).
	MaxElementBytes = 8
	// MaxSRAMBytes bounds the on-chip memory: 1 TiB, far above any chip, and exact as a float64.
	MaxSRAMBytes = 1 << 40
	// MinBytesPerCycle bounds the off-chip bandwidth from below relative to the clock (1/256 byte per
	// cycle, 3.9 MB/s at 1 GHz): below it a layer's memory time alone could overflow the cycle count.
	MinBytesPerCycle = 1.0 / 256
	// MaxFeatureDim bounds a feature map's height and width, and a kernel's size, stride and dilation:
	// 16384, 73× ImageNet's 224 and 8× the largest segmentation inputs in use.
	MaxFeatureDim = 1 << 14
	// MaxChannels bounds a layer's input and output channels (and a dense layer's features): 2^20,
	// 256× the widest layers of the model zoo (4096).
	MaxChannels = 1 << 20
	// MaxWork bounds the work of a whole network on an accelerator: an upper bound of the PE-cycles
	// any cost model or the simulator can count for it, Σ (tiles·(M+2R+C) + bytes/bytes-per-cycle + 1)
	// · PEs over its layers, must stay under 2^60 (1.2·10^18, 10^7× ResNet-50 at batch 64 on 128×128).
	// Every cycle, MAC, byte and PE-cycle count, and their sums, then fit in an int64 with room to spare.
	MaxWork = 1 << 60
)

// CheckWork reports a network too large to count on a (all its arrays): MaxWork bounds it, and the error names the layer at which the bound is crossed. The bound is
// computed in float64, which cannot overflow for validated layers, so the check itself never wraps.
func CheckWork(a *Accelerator, layers []Layer) error {
	total := 0.0
	for i, l := range layers {
		total += l.work(a)
		if !(total <= MaxWork) {
			return fmt.Errorf("layer %d (%s): %v on %s at batch %d: the network is too large to count (about %.3g PE-cycles up to here; the limit is 2^60)",
				i+1, l.Name, l.Lower(a.Batch), a.arraysName(), a.Batch, total)
		}
	}
	return nil
}

// work is the upper bound of the PE-cycles of one layer that CheckWork sums.
func (l Layer) work(a *Accelerator) float64 {
	g := l.Lower(a.Batch)
	if g.Empty() {
		return 0
	}
	R, C, b := float64(a.Rows), float64(a.Cols), float64(a.Batch)
	f := func(x int) float64 { return float64(x) }
	tiles := float64(g.Count) * math.Ceil(float64(g.K)/R) * math.Ceil(float64(g.N)/C)
	weights := float64(g.Count) * float64(g.K) * float64(g.N)
	in, out := b*f(l.InH)*f(l.InW)*f(l.InC), b*f(l.OutH)*f(l.OutW)*f(l.OutC)
	bytes := (weights + in + out) * f(a.ElementBytes)
	cycles := tiles*(float64(g.M)+2*R+C) + bytes/a.BytesPerCycle() + 1
	return cycles * R * C * f(a.NumArrays())
}

// checkLimits reports a layer field beyond the limits above.
func (l Layer) checkLimits() error {
	for _, c := range []struct {
		f   string
		v   int
		max int
	}{
		{"in_h", l.InH, MaxFeatureDim}, {"in_w", l.InW, MaxFeatureDim}, {"out_h", l.OutH, MaxFeatureDim},
		{"out_w", l.OutW, MaxFeatureDim}, {"in_c", l.InC, MaxChannels}, {"out_c", l.OutC, MaxChannels},
		{"kh", l.KH, MaxFeatureDim}, {"kw", l.KW, MaxFeatureDim}, {"stride_h", l.StrideH, MaxFeatureDim},
		{"stride_w", l.StrideW, MaxFeatureDim}, {"dilation_h", l.DilationH, MaxFeatureDim},
		{"dilation_w", l.DilationW, MaxFeatureDim},
	} {
		if c.v > c.max {
			return fieldErr(c.f, "want at most %d, got %d", c.max, c.v)
		}
	}
	return nil
}
