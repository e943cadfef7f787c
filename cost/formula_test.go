package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
)

func conv(name string, inHW, c, f, k, stride, dil, outHW int) accel.Layer {
	return accel.Layer{Name: name, Op: accel.Conv, InH: inHW, InW: inHW, InC: c, OutH: outHW, OutW: outHW, OutC: f,
		KH: k, KW: k, StrideH: stride, StrideW: stride, DilationH: dil, DilationW: dil}
}

func TestSystolicExact(t *testing.T) {
	cases := []struct {
		name       string
		rows, cols int
		batch      int
		layer      accel.Layer
		macs       int64
		cycles     int64
		util       float64
	}{
		// 3×3, 128→128 on a 16×16 output: K = 1152 → ⌈1152/128⌉ = 9 row tiles, ⌈128/128⌉ = 1 column
		// tile, M = 256 → 9·1·256 = 2304 cycles (PAPER.md §1.3); MACs 256·1152·128 = 37748736,
		// utilization 37748736 / (2304·16384) = 1.
		{"full tiles", 128, 128, 1, conv("c", 18, 128, 128, 3, 1, 1, 16), 37748736, 2304, 1},
		// Same with 129 filters, one above the array: 2 column tiles → 4608 cycles,
		// utilization 129/256.
		{"one above columns", 128, 128, 1, conv("c", 18, 128, 129, 3, 1, 1, 16), 256 * 1152 * 129, 4608, 129.0 / 256},
		// 1×1 conv with 129 input channels: K = 129 → 2 row tiles; N = 64 → 1; M = 64 (8×8): 128 cycles,
		// utilization 129·64·64 / (128·16384) = 0.2519…
		{"one above rows", 128, 128, 1, conv("c", 8, 129, 64, 1, 1, 1, 8), 64 * 129 * 64, 128, float64(64*129*64) / (128 * 16384)},
		// Non-square 32×256 array, 3×3 conv 64→300 on 8×8: K = 576 → 18 row tiles; N = 300 → 2 column
		// tiles; M = 64 → 2304 cycles; MACs 64·576·300 = 11059200; util 11059200/(2304·8192) = 0.5859…
		{"non-square", 32, 256, 1, conv("c", 10, 64, 300, 3, 1, 1, 8), 11059200, 2304, 11059200.0 / (2304 * 8192)},
		// Stride 2: a 3×3/2 conv from 17×17 (padded) to 8×8: M = 64, K = 9·32 = 288 → 3, N = 64 → 1
		// → 192 cycles.
		{"stride 2", 128, 128, 1, conv("c", 17, 32, 64, 3, 2, 1, 8), 64 * 288 * 64, 192, float64(64*288*64) / (192 * 16384)},
		// Batch 4 of the full-tile case: M = 4·256 = 1024 → 9216 cycles, utilization still 1.
		{"batch 4", 128, 128, 4, conv("c", 18, 128, 128, 3, 1, 1, 16), 4 * 37748736, 9216, 1},
		// Depthwise 3×3 on 128 channels, 16×16: 128 GEMMs [256×9]·[9×1], each 1 tile of 256 cycles →
		// 32768 cycles; utilization 9·256·128 / (32768·16384) = 9/16384.
		{"depthwise 3x3", 128, 128, 1, accel.Layer{Name: "dw", Op: accel.Depthwise, InH: 18, InW: 18, InC: 128,
			OutH: 16, OutW: 16, OutC: 128, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
			9 * 256 * 128, 32768, 9.0 / 16384},
		// Dense 1280→1000 at batch 2: K = 1280 → 10, N = 1000 → 8, M = 2 → 160 cycles.
		{"dense", 128, 128, 2, accel.Layer{Name: "fc", Op: accel.Dense, InH: 1, InW: 1, InC: 1280, OutH: 1, OutW: 1, OutC: 1000},
			2 * 1280 * 1000, 160, float64(2*1280*1000) / (160 * 16384)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := accel.New(c.rows, c.cols).WithBatch(c.batch)
			r, err := Systolic().Estimate(a, []accel.Layer{c.layer})
			if err != nil {
				t.Fatal(err)
			}
			l := r.Layers[0]
			if l.MACs != c.macs || l.Cycles != c.cycles {
				t.Errorf("MACs, cycles = %d, %d; want %d, %d", l.MACs, l.Cycles, c.macs, c.cycles)
			}
			if math.Abs(l.Utilization-c.util) > 1e-12 {
				t.Errorf("utilization = %.12g, want %.12g", l.Utilization, c.util)
			}
			if want := float64(c.cycles) / 1e6; math.Abs(l.LatencyMs-want) > 1e-15 {
				t.Errorf("latency = %g ms, want %g", l.LatencyMs, want)
			}
		})
	}
}

func TestNetworkUtilizationIsMACWeighted(t *testing.T) {
	// Layer 1: 2304 cycles at utilization 1; layer 2: depthwise, 32768 cycles at 9/16384; plus a free
	// ReLU. Network: (37748736 + 294912) / ((2304 + 32768)·16384) = 0.066236…, not the mean of ratios.
	layers := []accel.Layer{
		conv("c", 18, 128, 128, 3, 1, 1, 16),
		{Name: "dw", Op: accel.Depthwise, InH: 18, InW: 18, InC: 128, OutH: 16, OutW: 16, OutC: 128, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{Name: "r", Op: accel.ReLU, InH: 16, InW: 16, InC: 128, OutH: 16, OutW: 16, OutC: 128},
	}
	r, err := Systolic().Estimate(accel.Default(), layers)
	if err != nil {
		t.Fatal(err)
	}
	want := float64(37748736+294912) / (float64(2304+32768) * 16384)
	if r.Total.Cycles != 2304+32768 || math.Abs(r.Total.Utilization-want) > 1e-12 {
		t.Errorf("total = %d cycles, util %g; want %d, %g", r.Total.Cycles, r.Total.Utilization, 2304+32768, want)
	}
	if r.Layers[2].Cycles != 0 || r.Layers[2].MACs != 0 {
		t.Errorf("ReLU priced at %d cycles, %d MACs; want 0, 0", r.Layers[2].Cycles, r.Layers[2].MACs)
	}
	if r.Total.Params != 128*1152+128*9 {
		t.Errorf("params = %d, want %d", r.Total.Params, 128*1152+128*9)
	}
}

func TestOtherModels(t *testing.T) {
	l := conv("c", 18, 128, 129, 3, 1, 1, 16) // M 256, K 1152, N 129: 9×2 = 18 tiles
	macs := int64(256 * 1152 * 129)
	cases := []struct {
		name   string
		model  Model
		accel  *accel.Accelerator
		cycles int64
	}{
		// Double-buffered: one exposed load R = 128, then 18 folds of M + R + C − 2 = 510 → 9308.
		{"pipelined double", SystolicPipelined(), accel.Default(), 128 + 18*510},
		// Single-buffered: 18·(2R + C + M − 2) = 18·638 = 11484 (SCALE-Sim's per-fold count).
		{"pipelined single", SystolicPipelined(), accel.Default().Buffer(accel.SingleBuffer), 18 * 638},
		// FLOPS: ⌈38043648 / 16384⌉ = 2322.
		{"flops", Flops(), accel.Default(), 2322},
		// Roofline at 80 GB/s and 1 GHz = 80 B/cycle, 2-byte elements: weights 1152·129, input 18·18·128,
		// output 16·16·129 elements = 148608 + 41472 + 33024 = 223104 → 446208 B → 5577.6 → 5578 cycles,
		// above the 2322 compute cycles: memory-bound.
		{"roofline memory-bound", Roofline(), accel.Default(), 5578},
		// At 800 GB/s the same layer needs 557.6 memory cycles: compute-bound, 2322.
		{"roofline compute-bound", Roofline(), accel.Default().Bandwidth(800), 2322},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := c.model.Estimate(c.accel, []accel.Layer{l})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Layers[0]; got.Cycles != c.cycles || got.MACs != macs {
				t.Errorf("cycles, MACs = %d, %d; want %d, %d", got.Cycles, got.MACs, c.cycles, macs)
			}
		})
	}
}

func TestLUTSnapsChannels(t *testing.T) {
	lut := NewLUT(Systolic())
	// 280 → 256 (the table's cap), 136 → 144 (nearest multiple of 16, tie up), 7 → 16.
	for c, want := range map[int]int{280: 256, 136: 144, 129: 128, 7: 16, 24: 32} {
		if got := lut.Snap(c); got != want {
			t.Errorf("Snap(%d) = %d, want %d", c, got, want)
		}
	}
	// A 3×3 conv 128→280 is looked up as 128→256: 9·2·256 = 4608 cycles, scaled by its MACs over the
	// entry's, 280/256, to ⌈5040⌉ = 5040 (the entry's utilization), whereas the exact model needs
	// 9·3·256 = 6912.
	r, err := lut.Estimate(accel.Default(), []accel.Layer{conv("c", 18, 128, 280, 3, 1, 1, 16)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Layers[0].Cycles != 5040 {
		t.Errorf("lut cycles = %d, want 5040", r.Layers[0].Cycles)
	}
}

func TestBadInput(t *testing.T) {
	good := conv("c", 18, 128, 128, 3, 1, 1, 16)
	bad := good
	bad.StrideH = 0
	if _, err := Systolic().Estimate(accel.Default(), []accel.Layer{good, bad}); err == nil ||
		err.Error() != `layer 2 (c): field "stride_h": want a positive integer, got 0` {
		t.Errorf("zero stride: err = %v", err)
	}
	if _, err := Systolic().Estimate(accel.New(0, 128), []accel.Layer{good}); err == nil ||
		err.Error() != `accelerator: field "rows": want an integer in 1..4096, got 0` {
		t.Errorf("0x128 array: err = %v", err)
	}
	if _, err := ByName("magic"); err == nil {
		t.Error("ByName(magic) gave no error")
	}
}

// TestNoOverflow is finding 2: a layer whose counts overflowed int64 (negative cycles, utilization
// −73009%, +Inf) is refused by every model with the layer named; at the limits of the fields the
// counts stay positive and utilization ≤ 1.
func TestNoOverflow(t *testing.T) {
	huge := accel.Layer{Name: "fc", Op: accel.Dense, InH: 1, InW: 1, InC: accel.MaxChannels, OutH: 1, OutW: 1, OutC: accel.MaxChannels}
	// 2^8 layers of 2^52 MACs each on one PE: the 256th crosses 2^60 PE-cycles.
	many := make([]accel.Layer, 1<<8)
	for i := range many {
		many[i] = huge
	}
	for _, name := range Names() {
		m, _ := ByName(name)
		if _, err := m.Estimate(accel.New(1, 1).WithBatch(accel.MaxBatch), many); err == nil || !strings.HasPrefix(err.Error(), "layer 256 (fc): ") {
			t.Errorf("%s: 2^60 PE-cycles: err = %v", name, err)
		}
		// A 3×3 256→256 layer at 32×32 (the largest map the paper's Blackbox table holds), batch 1024, on
		// the largest array: one tile of M = 1024·32·32 ≈ 10^6 rows, about (10^6 + 3·4096)·4096² ≈
		// 1.8·10^13 PE-cycles < 2^48.
		big := accel.New(accel.MaxArrayDim, accel.MaxArrayDim).WithBatch(1024).SRAM(1 << 30)
		r, err := m.Estimate(big, []accel.Layer{conv("c", 34, 256, 256, 3, 1, 1, 32)})
		if err != nil {
			t.Errorf("%s on 4096×4096 at batch 1024: %v", name, err)
			continue
		}
		if tot := r.Total; tot.Cycles <= 0 || tot.MACs <= 0 || !(tot.Utilization > 0 && tot.Utilization <= 1) || !(tot.EnergyUJ > 0) {
			t.Errorf("%s on 4096×4096 at batch 1024: %+v", name, tot)
		}
	}
}

// TestSeveralArrays: a 3×3 conv 32→48 on a 14×14 output, batch 1, on four 16×16 arrays. GEMM
// M = 196, K = 288, N = 48: 18·3 = 54 tiles, dealt round-robin so the busiest array runs ⌈54/4⌉ =
// 14. Exact: 14·196 = 2744 cycles; pipelined (double-buffered): 16 + 14·(196 + 30) = 3180; flops:
// 2,709,504 MACs over 1024 PEs = 2646 cycles; utilization over all 1024 PEs (exact: 2709504 /
// (2744·1024)). On one array the same layer takes 54·196 = 10584 cycles.
func TestSeveralArrays(t *testing.T) {
	l := conv("c", 16, 32, 48, 3, 1, 1, 14)
	four := accel.New(16, 16).WithArrays(4)
	for _, c := range []struct {
		model  LayerModel
		a      *accel.Accelerator
		cycles int64
	}{
		{Systolic(), four, 2744},
		{SystolicPipelined(), four, 3180},
		{Flops(), four, 2646},
		{Systolic(), accel.New(16, 16), 10584},
	} {
		r, err := c.model.Estimate(c.a, []accel.Layer{l})
		if err != nil {
			t.Fatal(err)
		}
		want := 2709504.0 / (float64(c.cycles) * float64(c.a.AllPEs()))
		if got := r.Layers[0]; got.Cycles != c.cycles || math.Abs(got.Utilization-want) > 1e-15 {
			t.Errorf("%s on %s: %d cycles at %g, want %d at %g", c.model.Name(), c.a.Shape(), got.Cycles, got.Utilization, c.cycles, want)
		}
	}
	if s := four.Shape(); s != "4x16x16" {
		t.Errorf("Shape() = %q, want 4x16x16", s)
	}
}
