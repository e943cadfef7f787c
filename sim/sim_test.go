package sim_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/sim"
)

// dense is a fully connected layer in→out; at batch b it is the GEMM [b×in]·[in×out].
func dense(in, out int) accel.Layer {
	return accel.Layer{Name: fmt.Sprintf("fc%dx%d", in, out), Op: accel.Dense, InH: 1, InW: 1, InC: in, OutH: 1, OutW: 1, OutC: out}
}

// tiny is a 2×2 array with 1-byte elements at batch 3, so that dense(k, n) is [3×k]·[k×n]. Its clock
// is 1 GHz and its bandwidth 1 GB/s: one byte per cycle.
func tiny() *accel.Accelerator {
	return accel.New(2, 2).Elements(1).WithBatch(3).Bandwidth(1)
}

func simulate(t *testing.T, a *accel.Accelerator, opt sim.Options, layers ...accel.Layer) *sim.Result {
	t.Helper()
	r, err := sim.Simulate(a, layers, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHandWorked checks cycle counts and PE-cycle breakdowns derived by hand on a 2×2 array
// (R = C = 2, so a fold of a 3-row input is F = M + R + C − 2 = 3 + 2 + 2 − 2 = 5 cycles, a weight load
// R = 2 cycles, and fill_drain (R + C − 2)·R·C = 8 PE-cycles per tile).
func TestHandWorked(t *testing.T) {
	ideal := sim.Options{IdealMemory: true}
	cases := []struct {
		name   string
		a      *accel.Accelerator
		opt    sim.Options
		layer  accel.Layer
		cycles int64
		bd     sim.Breakdown
		dram   int64
	}{
		{
			// 3×2·2×2: one full tile. Load 0–1, fold 2–6: R + F = 7 cycles.
			// active 3·2·2 = 12, weight_stall 2·4 = 8, fill_drain 8; sum 28 = 7·4.
			// DRAM: weights 4 + input 6 + output 6 bytes.
			name: "3x2·2x2 double", a: tiny(), opt: ideal, layer: dense(2, 2), cycles: 7,
			bd: sim.Breakdown{Active: 12, WeightStall: 8, FillDrain: 8}, dram: 16,
		},
		{
			// One tile: single buffering changes nothing, 2R + C + M − 2 = 7 (SCALE-Sim's count).
			name: "3x2·2x2 single", a: tiny().Buffer(accel.SingleBuffer), opt: ideal, layer: dense(2, 2), cycles: 7,
			bd: sim.Breakdown{Active: 12, WeightStall: 8, FillDrain: 8}, dram: 16,
		},
		{
			// K = 1 uses one of the two rows: unused_rows = M·(R−k)·C = 3·1·2 = 6, active 3·1·2 = 6.
			name: "unused row", a: tiny(), opt: ideal, layer: dense(1, 2), cycles: 7,
			bd: sim.Breakdown{Active: 6, WeightStall: 8, FillDrain: 8, UnusedRows: 6}, dram: 2 + 3 + 6,
		},
		{
			// N = 1 uses one of the two columns: unused_cols = M·k·(C−n) = 3·2·1 = 6.
			name: "unused column", a: tiny(), opt: ideal, layer: dense(2, 1), cycles: 7,
			bd: sim.Breakdown{Active: 6, WeightStall: 8, FillDrain: 8, UnusedCols: 6}, dram: 2 + 6 + 3,
		},
		{
			// 3×4·4×2: two tiles. Double: load 0–1, fold 2–6 while tile 2 loads 2–3, fold 7–11:
			// R + 2F = 12. weight_stall 8 (first load only), fill_drain 16, active 24; sum 48 = 12·4.
			name: "double buffer", a: tiny(), opt: ideal, layer: dense(4, 2), cycles: 12,
			bd: sim.Breakdown{Active: 24, WeightStall: 8, FillDrain: 16}, dram: 8 + 12 + 6,
		},
		{
			// Single: each tile loads after the previous fold: 2·(R + F) = 14; weight_stall 16.
			name: "single buffer", a: tiny().Buffer(accel.SingleBuffer), opt: ideal, layer: dense(4, 2), cycles: 14,
			bd: sim.Breakdown{Active: 24, WeightStall: 16, FillDrain: 16}, dram: 8 + 12 + 6,
		},
		{
			// 1 byte/cycle, 3×2·2×2. Weights bytes 0–3 (on chip at 4), input 6 bytes 4–9 (at 10).
			// Load 4–5, but the fold needs the inputs: fold 10–14. Output row m is complete once column
			// 1's sum leaves at 10 + m + (R−1) + 1, i.e. 2 bytes per cycle from cycle 12; the channel
			// writes 1 byte per cycle: 12–17, so 18 cycles. weight_stall R = 2 cycles (what ideal memory
			// would have cost), memory_stall 8 + 3 cycles; in PE-cycles 8 and 44, with active 12 and
			// fill_drain 8: sum 72 = 18·4.
			name: "bandwidth-starved", a: tiny(), opt: sim.Options{}, layer: dense(2, 2), cycles: 18,
			bd: sim.Breakdown{Active: 12, WeightStall: 8, FillDrain: 8, MemoryStall: 44}, dram: 16,
		},
		{
			// 1 byte/cycle, 3×4·4×2, two tiles, double. Tile 1: weights at 4, its input half (6 of 12
			// bytes) at 10, fold 10–14 (stall 2 weight + 8 memory). Tile 2's operands are fetched when
			// tile 1's fold starts: weights 10–13, inputs 14–19, so its fold waits until 20 (memory
			// stall 20 − 15 = 5). Output 6 bytes from 22 (2 per cycle produced, 1 written): 22–27,
			// 28 cycles. Memory stall 8 + 5 + 3 = 16 cycles = 64 PE-cycles; active 24, weight 8,
			// fill_drain 16: sum 112 = 28·4.
			name: "bandwidth-starved double", a: tiny(), opt: sim.Options{}, layer: dense(4, 2), cycles: 28,
			bd: sim.Breakdown{Active: 24, WeightStall: 8, FillDrain: 16, MemoryStall: 64}, dram: 26,
		},
		{
			// Same, single buffer. Tile 2's load would start at 15 (after fold 1), ending 17 — 2 cycles
			// of weight stall — but its inputs arrive at 20: 3 more cycles of memory stall. Bandwidth
			// hides the buffering: still 28 cycles. weight 16, memory (8+3+3)·4 = 56.
			name: "bandwidth-starved single", a: tiny().Buffer(accel.SingleBuffer), opt: sim.Options{}, layer: dense(4, 2), cycles: 28,
			bd: sim.Breakdown{Active: 24, WeightStall: 16, FillDrain: 16, MemoryStall: 56}, dram: 26,
		},
		{
			// 1 byte/cycle, 3×2·2×6: three column blocks of one tile each; the input (6 bytes) stays
			// resident. Tile 1: weights 0–3, input 4–9, fold 10–14; its outputs appear at 2 bytes per
			// cycle from 12. Tile 2: weights 10–13 (no input), load 14–15, fold 16–20 (memory stall 1).
			// Tile 3's weights are asked for at 16; the channel idles from 14, so block 1's output
			// writes 2 bytes in 14–15, then weights 16–19, load 20–21, fold 22–26 (stall 1). Writes:
			// 4 + 6 + 6 bytes from 20: 20–35, so 36 cycles. memory (8+1+1+9)·4 = 76, weight 8,
			// fill_drain 24, active 36: 144 = 36·4.
			name: "write-back in idle channel", a: tiny(), opt: sim.Options{}, layer: dense(2, 6), cycles: 36,
			bd: sim.Breakdown{Active: 36, WeightStall: 8, FillDrain: 24, MemoryStall: 76}, dram: 12 + 6 + 18,
		},
		{
			// As above with 13 bytes of SRAM: the input (6) no longer fits beside two weight tiles (8),
			// so each column block re-reads it. Tile 2: weights 10–13, input 14–19, fold 20–24. Tile 3:
			// asked at 20, weights 20–23, input 24–29, fold 30–34. Writes 30–47: 48 cycles.
			// memory (8 + 5 + 5 + 13)·4 = 124; 124 + 8 + 24 + 36 = 192 = 48·4.
			name: "input re-streamed", a: tiny().SRAM(13), opt: sim.Options{}, layer: dense(2, 6), cycles: 48,
			bd: sim.Breakdown{Active: 36, WeightStall: 8, FillDrain: 24, MemoryStall: 124}, dram: 12 + 18 + 18,
		},
		{
			// Overlapping folds, 3×4·4×2 (M = 3): tile 1 loads 0–1 and starts at 2; column 0's
			// bottom PE takes its weights at 2 + (R−1) = 3, so tile 2's weights shift in 3–4 and
			// its wavefront follows tile 1's 3 rows at 5, draining at 5 + 5 = 10 (12 without
			// overlap). weight 8, fill_drain 8 once, active 24: 40 = 10·4.
			name: "overlapping folds", a: tiny(), opt: sim.Options{IdealMemory: true, OverlapFolds: true}, layer: dense(4, 2), cycles: 10,
			bd: sim.Breakdown{Active: 24, WeightStall: 8, FillDrain: 8}, dram: 8 + 12 + 6,
		},
		{
			// Overlapping folds with one input row (batch 1, M = 1): tile 2's weights shift in
			// 3–4 as above, so it starts at 5 though tile 1's row passed at 3: spacing
			// 2R − 1 = 3, two cycles of weight stall. Drain at 5 + 1 + 2 = 8 (2 + 2·3 = 8 without
			// overlap too). weight (2+2)·4 = 16, fill_drain 8, active 8: 32 = 8·4.
			name: "overlapping folds weight-bound", a: tiny().WithBatch(1), opt: sim.Options{IdealMemory: true, OverlapFolds: true}, layer: dense(4, 2), cycles: 8,
			bd: sim.Breakdown{Active: 8, WeightStall: 16, FillDrain: 8}, dram: 8 + 4 + 2,
		},
		{
			// Overlapping folds with 8 input rows (batch 8): tile 2 follows tile 1's 8 rows at 10 with
			// no stall (its weights were in by 5); drain at 10 + 8 + 2 = 20, against 2 + 2·10 = 22
			// without overlap. active 64, weight 8, fill_drain 8: 80 = 20·4.
			name: "overlapping folds hidden load", a: tiny().WithBatch(8), opt: sim.Options{IdealMemory: true, OverlapFolds: true}, layer: dense(4, 2), cycles: 20,
			bd: sim.Breakdown{Active: 64, WeightStall: 8, FillDrain: 8}, dram: 8 + 32 + 16,
		},
		{
			// Overlap needs double buffering: single-buffered it is the plain 2·(R + F) = 14.
			name: "overlap ignored single", a: tiny().Buffer(accel.SingleBuffer), opt: sim.Options{IdealMemory: true, OverlapFolds: true}, layer: dense(4, 2), cycles: 14,
			bd: sim.Breakdown{Active: 24, WeightStall: 16, FillDrain: 16}, dram: 8 + 12 + 6,
		},
		{
			// 2 bytes/cycle, [1×6]·[6×2]: three tiles of 4 weight bytes (2 cycles) and 2 input bytes
			// (1 cycle), M = 1, fold 3. Double buffer: tile 1 fetched 0–2, load 2–3, fold 4–6; tile 2
			// asked for at 4: 4–6, load 6–7, fold 8–10; tile 3 asked for at 8: fold 12–14. The output
			// (2 bytes, produced at 14) leaves in 14: 15 cycles. memory (2 + 1 + 1)·4 = 16.
			name: "double-buffer prefetch", a: tiny().WithBatch(1).Bandwidth(2), opt: sim.Options{}, layer: dense(6, 2), cycles: 15,
			bd: sim.Breakdown{Active: 12, WeightStall: 8, FillDrain: 24, MemoryStall: 16}, dram: 12 + 6 + 2,
		},
		{
			// Three slots: tile 2 is fetched as soon as the channel is free (3–5), loads behind tile
			// 1's fold start (4, weights in at 5: 5–6) and folds 7–9; tile 3 is asked for when tile 1
			// started (4), fetched 6–8, loads 8–9 and folds 10–12: 13 cycles, memory stall only on
			// the first tile (2 cycles): 8.
			name: "deeper prefetch", a: tiny().WithBatch(1).Bandwidth(2), opt: sim.Options{Prefetch: 3}, layer: dense(6, 2), cycles: 13,
			bd: sim.Breakdown{Active: 12, WeightStall: 8, FillDrain: 24, MemoryStall: 8}, dram: 12 + 6 + 2,
		},
		{
			// Two arrays, 3×6·6×2 = three row tiles, dealt round-robin: array 0 runs tiles 1 and 3
			// (load 0–1, fold 2–6, fold 7–11), array 1 tile 2 (load 0–1, fold 2–6) then idles 5 cycles
			// (unused_cols 20). 12 cycles; weight 8 + 8, fill_drain 24, active 36: 96 = 12·2·4.
			name: "two arrays", a: tiny().WithArrays(2), opt: sim.Options{IdealMemory: true}, layer: dense(6, 2), cycles: 12,
			bd: sim.Breakdown{Active: 36, WeightStall: 16, FillDrain: 24, UnusedCols: 20}, dram: 12 + 18 + 6,
		},
		{
			// Four arrays, three tiles: one array idles the whole 7 cycles (unused_cols 28).
			name: "idle array", a: tiny().WithArrays(4), opt: sim.Options{IdealMemory: true}, layer: dense(6, 2), cycles: 7,
			bd: sim.Breakdown{Active: 36, WeightStall: 24, FillDrain: 24, UnusedCols: 28}, dram: 12 + 18 + 6,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := simulate(t, tc.a, tc.opt, tc.layer)
			l := r.Layers[0]
			if l.Cycles != tc.cycles {
				t.Errorf("cycles = %d, want %d", l.Cycles, tc.cycles)
			}
			if l.Breakdown != tc.bd {
				t.Errorf("breakdown = %+v, want %+v", l.Breakdown, tc.bd)
			}
			if l.DRAMBytes != tc.dram {
				t.Errorf("DRAM bytes = %d, want %d", l.DRAMBytes, tc.dram)
			}
			if want := r.PEs * l.Cycles; l.Breakdown.Sum() != want {
				t.Errorf("breakdown sums to %d, want %d", l.Breakdown.Sum(), want)
			}
		})
	}
}

func TestUtilization(t *testing.T) {
	// 3×2·2×2 on 2×2 in 7 cycles: 12 MACs / (7·4) = 3/7.
	r := simulate(t, tiny(), sim.Options{IdealMemory: true}, dense(2, 2))
	if got, want := r.Utilization(), 3.0/7; got != want {
		t.Errorf("utilization = %v, want %v", got, want)
	}
	if got := r.Layers[0].Utilization(r.PEs); got != 3.0/7 {
		t.Errorf("layer utilization = %v, want %v", got, 3.0/7)
	}
}

func TestNonGEMMLayersTakeNoCycles(t *testing.T) {
	pool := accel.Layer{Name: "pool", Op: accel.MaxPool, InH: 4, InW: 4, InC: 8, OutH: 2, OutW: 2, OutC: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1}
	r := simulate(t, tiny(), sim.Options{}, pool, dense(2, 2))
	if l := r.Layers[0]; l.Cycles != 0 || l.Breakdown != (sim.Breakdown{}) || l.MACs != 0 {
		t.Errorf("pool layer = %+v, want nothing", l)
	}
	if r.Cycles != 18 || r.Layers[1].Cycles != 18 {
		t.Errorf("network cycles = %d, want 18 (the dense layer alone)", r.Cycles)
	}
}

// TestScaleSimFoldCount: in single-buffer, ideal-memory mode every tile costs SCALE-Sim v2's
// weight-stationary fold count 2R + C + T − 2 (T = streamed rows), so a layer costs tiles·(2R+C+M−2).
func TestScaleSimFoldCount(t *testing.T) {
	for _, size := range []int{32, 128} {
		a := accel.New(size, size).Buffer(accel.SingleBuffer)
		layers := zooLayers(t, "resnet50")
		r := simulate(t, a, sim.Options{IdealMemory: true}, layers...)
		R, C := int64(size), int64(size)
		for _, l := range r.Layers {
			if want := l.Tiles * (2*R + C + l.GEMM.M - 2); l.Cycles != want {
				t.Errorf("%dx%d %s: %d cycles, want SCALE-Sim's %d", size, size, l.Name, l.Cycles, want)
			}
		}
	}
}

func zooLayers(t *testing.T, name string) []accel.Layer {
	t.Helper()
	n, err := arch.ZooNetwork(name)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := n.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return layers
}

// TestZooInvariants runs every layer of every zoo network under many settings and checks what must
// hold whatever the shapes: the breakdown adds up to Arrays·R·C·cycles, active PE-cycles are the MACs,
// the simulator never beats the exact model (⌈K/R⌉·⌈N/C⌉·M per GEMM, or its share per array), ideal
// memory on one array matches R + tiles·(M+R+C−2) (double) exactly, and memory stalls only add cycles.
func TestZooInvariants(t *testing.T) {
	sizes := []int{32, 128, 256}
	batches := []int{1, 16}
	if testing.Short() {
		sizes, batches = []int{128}, []int{1}
	}
	for _, name := range arch.ZooNames() {
		layers := zooLayers(t, name)
		for _, size := range sizes {
			for _, batch := range batches {
				for _, buf := range []accel.Buffering{accel.DoubleBuffer, accel.SingleBuffer} {
					for _, arrays := range []int{1, 3} {
						for _, overlap := range []bool{false, true} {
							a := accel.New(size, size).WithBatch(batch).Buffer(buf).WithArrays(arrays)
							ideal := simulate(t, a, sim.Options{IdealMemory: true, OverlapFolds: overlap}, layers...)
							for _, prefetch := range []int{0, 8} {
								real := simulate(t, a, sim.Options{OverlapFolds: overlap, Prefetch: prefetch}, layers...)
								where := fmt.Sprintf("%s %dx%d batch %d %s arrays %d overlap %v prefetch %d", name, size, size, batch, buf, arrays, overlap, prefetch)
								checkInvariants(t, where, a, arrays, overlap, ideal, real)
							}
						}
					}
				}
			}
		}
	}
}

func checkInvariants(t *testing.T, where string, a *accel.Accelerator, arrays int, overlap bool, ideal, real *sim.Result) {
	t.Helper()
	R, C := int64(a.Rows), int64(a.Cols)
	for i := range ideal.Layers {
		li, lr := ideal.Layers[i], real.Layers[i]
		for _, l := range []sim.LayerResult{li, lr} {
			if got, want := l.Breakdown.Sum(), ideal.PEs*l.Cycles; got != want {
				t.Fatalf("%s %s: breakdown %+v sums to %d, want %d", where, l.Name, l.Breakdown, got, want)
			}
			if l.Breakdown.Active != l.MACs {
				t.Fatalf("%s %s: active %d != MACs %d", where, l.Name, l.Breakdown.Active, l.MACs)
			}
			perArray := (l.Tiles + int64(arrays) - 1) / int64(arrays)
			if exact := perArray * l.GEMM.M; l.Cycles < exact {
				t.Fatalf("%s %s: %d cycles below the exact model's %d", where, l.Name, l.Cycles, exact)
			}
		}
		if lr.Cycles < li.Cycles {
			t.Fatalf("%s %s: %d cycles with memory, fewer than %d with ideal memory", where, li.Name, lr.Cycles, li.Cycles)
		}
		if arrays == 1 && a.Weights == accel.DoubleBuffer && li.Tiles > 0 {
			want := R + li.Tiles*(li.GEMM.M+R+C-2)
			if overlap {
				// Tiles start max(M, 2R−1) apart; the last one drains.
				want = R + (li.Tiles-1)*max(li.GEMM.M, 2*R-1) + li.GEMM.M + R + C - 2
			}
			if li.Cycles != want {
				t.Fatalf("%s %s: ideal double-buffered %d cycles, want %d", where, li.Name, li.Cycles, want)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	good := dense(2, 2)
	bad := good
	bad.InC = 0
	cases := []struct {
		name   string
		a      *accel.Accelerator
		opt    sim.Options
		layers []accel.Layer
		want   string
	}{
		{"accelerator", accel.New(0, 2), sim.Options{}, []accel.Layer{good}, `accelerator: field "rows"`},
		{"arrays", tiny().WithArrays(-1), sim.Options{}, []accel.Layer{good}, `accelerator: field "arrays"`},
		{"one slot", tiny(), sim.Options{Prefetch: 1}, []accel.Layer{good}, `field "prefetch"`},
		// Two 2×2 tiles of 1-byte weights need 8 bytes of staging.
		{"SRAM below staging", tiny().SRAM(7), sim.Options{}, []accel.Layer{good}, `accelerator: field "sram_bytes": 7 bytes cannot stage`},
		{"layer", tiny(), sim.Options{}, []accel.Layer{good, bad}, `layer 2 (fc2x2): field "in_c"`},
		{"too many tiles", tiny(), sim.Options{}, []accel.Layer{dense(1<<20, 1<<20)}, "weight tiles"},
		{"overflowing GEMM", tiny(), sim.Options{}, []accel.Layer{{Name: "huge", Op: accel.Conv,
			InH: 1, InW: 1, InC: 1 << 40, OutH: 1 << 40, OutW: 1 << 40, OutC: 1, KH: 1, KW: 1,
			StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}}, `field "out_h": want at most 16384`},
	}
	for _, tc := range cases {
		_, err := sim.Simulate(tc.a, tc.layers, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		var fe *accel.FieldError
		if tc.name != "too many tiles" && tc.name != "overflowing GEMM" && !errors.As(err, &fe) {
			t.Errorf("%s: error %v does not name a field", tc.name, err)
		}
	}
}

// BenchmarkResNet50 simulates ResNet-50 at batch 1 on the default 128×128 array with memory stalls.
func BenchmarkResNet50(b *testing.B) {
	n, err := arch.ZooNetwork("resnet50")
	if err != nil {
		b.Fatal(err)
	}
	layers, err := n.Layers()
	if err != nil {
		b.Fatal(err)
	}
	a := accel.Default()
	for b.Loop() {
		if _, err := sim.Simulate(a, layers, sim.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
