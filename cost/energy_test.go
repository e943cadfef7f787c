package cost_test

import (
	"math"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/sim"
)

// pointwise is a 1×1 conv on a 4×4 map, c → f channels: the GEMM [16×c]·[c×f].
func pointwise(c, f int) accel.Layer {
	return accel.Layer{Name: "pw", Op: accel.Conv, InH: 4, InW: 4, InC: c, OutH: 4, OutW: 4, OutC: f,
		KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
}

// energyCases are GEMMs on a 16×16 array with 2-byte elements whose accesses are counted by hand.
// "spill" gives the SRAM 2000 bytes: the staging slots take 2·16·16·2 = 1024, leaving 976, so an
// input map of more than 976 bytes cannot stay and every column block fetches it again.
var energyCases = []struct {
	name   string
	layer  accel.Layer
	sram   int64
	cycles int64 // one array, ideal memory: R + tiles·(M + R + C − 2)
	want   accel.Accesses
}{
	// [16×8]·[8×16]: one tile (rt = ct = 1). MACs 16·8·16 = 2048; register 2·2048 + 128 weights = 4224;
	// SRAM reads 128 weights + 16·8 inputs + 16·16 psums = 512; input 4·4·8 = 128 elements, output 256;
	// SRAM writes 128 + 128 fetched + 256 psums = 512; DRAM (128 + 128 + 256)·2 = 1024 bytes;
	// cycles 16 + 1·(16+30) = 62, idle 256·62 − 2048 = 13824.
	{"single tile", pointwise(8, 16), 15 << 20, 62, accel.Accesses{MACs: 2048, Register: 4224, SRAMRead: 512, SRAMWrite: 512, DRAMBytes: 1024, IdlePECycles: 13824}},
	// The same with a 256-byte input that does not fit beside the slots (1024+100 bytes of SRAM): one
	// column block, so it is fetched once all the same.
	{"single tile, spill", pointwise(8, 16), 1124, 62, accel.Accesses{MACs: 2048, Register: 4224, SRAMRead: 512, SRAMWrite: 512, DRAMBytes: 1024, IdlePECycles: 13824}},
	// [16×40]·[40×40]: rt = ct = 3, 9 tiles. MACs 16·40·40 = 25600; weights 1600; register 51200 + 1600
	// = 52800; SRAM reads 1600 + 16·40·3 streamed + 16·40·3 psums = 5440; input and output 640 each;
	// resident: SRAM writes 1600 + 640 + 1920 = 4160, DRAM (1600 + 640 + 640)·2 = 5760;
	// cycles 16 + 9·46 = 430, idle 256·430 − 25600 = 84480.
	{"multi tile", pointwise(40, 40), 15 << 20, 430, accel.Accesses{MACs: 25600, Register: 52800, SRAMRead: 5440, SRAMWrite: 4160, DRAMBytes: 5760, IdlePECycles: 84480}},
	// Spilled (1280 input bytes > 976 free): the input is fetched per column block, 3·640 = 1920:
	// SRAM writes 1600 + 1920 + 1920 = 5440, DRAM (1600 + 1920 + 640)·2 = 8320.
	{"multi tile, spill", pointwise(40, 40), 2000, 430, accel.Accesses{MACs: 25600, Register: 52800, SRAMRead: 5440, SRAMWrite: 5440, DRAMBytes: 8320, IdlePECycles: 84480}},
}

// TestAccessCounts checks the closed form and the simulator's tile-by-tile counts against the hand
// counts, and the energy against the defaults priced by hand.
func TestAccessCounts(t *testing.T) {
	for _, c := range energyCases {
		a := accel.New(16, 16).SRAM(c.sram)
		got, _ := cost.LayerEnergy(a, c.layer, float64(c.cycles))
		if got != c.want {
			t.Errorf("%s: closed form %+v, want %+v", c.name, got, c.want)
		}
		res, err := sim.Simulate(a, []accel.Layer{c.layer}, sim.Options{IdealMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		if sc := res.Layers[0]; sc.Accesses != c.want || sc.Cycles != c.cycles {
			t.Errorf("%s: simulator %+v in %d cycles, want %+v in %d", c.name, sc.Accesses, sc.Cycles, c.want, c.cycles)
		}
	}
	// Defaults, single tile: 2048·2 + 4224·0.1 + 512·25 + 512·25 + 1024·243.75 + 13824·0.05
	// = 4096 + 422.4 + 12800 + 12800 + 249600 + 691.2 = 280409.6 pJ.
	_, e := cost.LayerEnergy(accel.New(16, 16), energyCases[0].layer, 62)
	if want := 0.2804096; math.Abs(e-want) > 1e-12 {
		t.Errorf("energy %.10g µJ, want %.10g", e, want)
	}
}

// TestSimulatorAccessesWithMemory: with memory simulated (stalls change the cycles, not the
// accesses), every count but the idle PE-cycles is the closed form's, and the report prices the
// simulator's own counts; Total.EDP is energy times latency.
func TestSimulatorAccessesWithMemory(t *testing.T) {
	for _, c := range energyCases {
		a := accel.New(16, 16).SRAM(c.sram).Bandwidth(4)
		r, err := cost.NewSimulator(sim.Options{}).Estimate(a, []accel.Layer{c.layer})
		if err != nil {
			t.Fatal(err)
		}
		l := r.Layers[0]
		want := c.want
		want.IdlePECycles = l.Cycles*256 - want.MACs
		if l.Accesses == nil || *l.Accesses != want {
			t.Errorf("%s: simulator %+v, want %+v", c.name, l.Accesses, want)
		}
		if e := cost.EnergyUJ(cost.Float{}, a, cost.CountsOf(want)); l.EnergyUJ != e || r.Total.EnergyUJ != e {
			t.Errorf("%s: energy %g, total %g, want %g", c.name, l.EnergyUJ, r.Total.EnergyUJ, e)
		}
		if r.Total.EDP != r.Total.EnergyUJ*r.Total.LatencyMs || r.Total.EDP <= 0 {
			t.Errorf("%s: EDP %g", c.name, r.Total.EDP)
		}
	}
}

// TestZooAccessesMatchSimulator: on every zoo network, with ideal memory, the simulator's cycles are
// the systolic-pipelined model's, so every access it counts, idle PE-cycles included, equals the
// closed form's, layer by layer (on one 32×32 array with 1 MiB of SRAM, where the large maps spill,
// and on four, whose staging slots leave less of it for the maps).
func TestZooAccessesMatchSimulator(t *testing.T) {
	for _, name := range arch.ZooNames() {
		for _, arrays := range []int{1, 4} {
			zooAccessesMatch(t, name, accel.New(32, 32).SRAM(1<<20).WithArrays(arrays))
		}
	}
}

// zooLayers lowers a zoo network to its layers.
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

func zooAccessesMatch(t *testing.T, name string, a *accel.Accelerator) {
	layers := zooLayers(t, name)
	an, err := cost.SystolicPipelined().Estimate(a, layers)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := cost.NewSimulator(sim.Options{IdealMemory: true}).Estimate(a, layers)
	if err != nil {
		t.Fatal(err)
	}
	for i := range layers {
		x, y := an.Layers[i].Accesses, sm.Layers[i].Accesses
		if (x == nil) != (y == nil) || x != nil && *x != *y {
			t.Fatalf("%s on %s, layer %d (%s): closed form %+v, simulator %+v", name, a.Shape(), i, layers[i].Name, x, y)
		}
	}
	if d := math.Abs(an.Total.EnergyUJ-sm.Total.EnergyUJ) / sm.Total.EnergyUJ; d > 1e-12 {
		t.Errorf("%s on %s: energy %g vs %g µJ", name, a.Shape(), an.Total.EnergyUJ, sm.Total.EnergyUJ)
	}
}

// TestAccessesSeveralArrays: A arrays stage 2·A·R·C elements, so an input map that stays beside one
// array's staging slots spills beside four arrays'. A 1×1 conv, 4×4×4 → 4×4×4, on 2×2 arrays with
// 1-byte elements and 74 bytes of SRAM: the 64-byte map fits beside one array's 8 staging bytes
// (DRAM 16 weight + 64 input + 64 output = 144 bytes) but not beside four arrays' 32, and is then
// read once per column block (⌈4/2⌉ = 2): 16 + 128 + 64 = 208 bytes. The closed form counts what the
// simulator counts, on one array and on four.
func TestAccessesSeveralArrays(t *testing.T) {
	conv := accel.Layer{Name: "c", Op: accel.Conv, InH: 4, InW: 4, InC: 4, OutH: 4, OutW: 4, OutC: 4,
		KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	for _, c := range []struct {
		arrays int
		dram   int64
	}{{1, 144}, {4, 208}} {
		a := accel.New(2, 2).SRAM(74).Elements(1).WithArrays(c.arrays)
		an, err := cost.SystolicPipelined().Estimate(a, []accel.Layer{conv})
		if err != nil {
			t.Fatal(err)
		}
		sm, err := cost.NewSimulator(sim.Options{IdealMemory: true}).Estimate(a, []accel.Layer{conv})
		if err != nil {
			t.Fatal(err)
		}
		x, y := an.Layers[0].Accesses, sm.Layers[0].Accesses
		if x == nil || y == nil || *x != *y || x.DRAMBytes != c.dram {
			t.Errorf("%d arrays: closed form %+v, simulator %+v; want %d DRAM bytes", c.arrays, x, y, c.dram)
		}
	}
}
