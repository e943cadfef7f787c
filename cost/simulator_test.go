package cost_test

import (
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/sim"
)

// TestSimulatorMatchesPipelined: with ideal memory the simulator's cycles are exactly the
// systolic-pipelined formula's, layer by layer, for every zoo network (the convention package sim
// documents), on one array and on several (the busiest of A arrays dealt the tiles round-robin runs
// ⌈tiles/A⌉ of them), with equal utilizations, and its breakdowns add up to A·R·C·cycles.
func TestSimulatorMatchesPipelined(t *testing.T) {
	for _, name := range arch.ZooNames() {
		layers := zooLayers(t, name)
		for _, c := range []struct {
			buf    accel.Buffering
			arrays int
		}{{accel.DoubleBuffer, 1}, {accel.SingleBuffer, 1}, {accel.DoubleBuffer, 3}, {accel.SingleBuffer, 4}} {
			buf := c.buf
			a := accel.New(128, 128).Buffer(buf).WithArrays(c.arrays)
			got, err := cost.NewSimulator(sim.Options{IdealMemory: true}).Estimate(a, layers)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cost.SystolicPipelined().Estimate(a, layers)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range got.Layers {
				if l.Cycles != want.Layers[i].Cycles {
					t.Errorf("%s %s ×%d %s: simulator %d cycles, pipelined %d", name, buf, c.arrays, l.Name, l.Cycles, want.Layers[i].Cycles)
				}
				if l.Breakdown == nil || l.Breakdown.Sum() != l.Cycles*a.AllPEs() {
					t.Errorf("%s %s: breakdown %+v does not sum to A·R·C·cycles", name, l.Name, l.Breakdown)
				}
				if l.Utilization != want.Layers[i].Utilization {
					t.Errorf("%s ×%d %s: simulator utilization %g, pipelined %g", name, c.arrays, l.Name, l.Utilization, want.Layers[i].Utilization)
				}
			}
			if got.Total.Cycles != want.Total.Cycles || got.Total.Breakdown == nil {
				t.Errorf("%s %s ×%d: total %d cycles, pipelined %d", name, buf, c.arrays, got.Total.Cycles, want.Total.Cycles)
			}
		}
	}
}

func TestSimulatorReport(t *testing.T) {
	m, err := cost.ByName("simulator")
	if err != nil {
		t.Fatal(err)
	}
	// [3×4]·[4×2] on two 2×2 arrays with ideal memory: tiles dealt one per array, each loads 2 cycles
	// and folds 3 + 2 + 2 − 2 = 5: 7 cycles; utilization 24 MACs / (7 · 8 PEs) = 3/7.
	a := accel.New(2, 2).WithBatch(3).WithArrays(2)
	fc := accel.Layer{Name: "fc", Op: accel.Dense, InH: 1, InW: 1, InC: 4, OutH: 1, OutW: 1, OutC: 2}
	r, err := cost.NewSimulator(sim.Options{IdealMemory: true}).Estimate(a, []accel.Layer{fc})
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "simulator" || m.Name() != "simulator" {
		t.Errorf("model name %q", r.Model)
	}
	if r.Total.Cycles != 7 || r.Total.Utilization != 3.0/7 || r.Layers[0].Utilization != 3.0/7 {
		t.Errorf("total %+v, want 7 cycles at utilization 3/7", r.Total)
	}
	if r.Total.LatencyMs != 7e-6 {
		t.Errorf("latency %g ms, want 7e-6", r.Total.LatencyMs)
	}
	// Bad input is named as estimate names it.
	bad := fc
	bad.OutC = -1
	_, err = m.Estimate(a, []accel.Layer{fc, bad})
	if err == nil || !strings.Contains(err.Error(), `layer 2 (fc): field "out_c"`) {
		t.Errorf("bad layer: error %v", err)
	}
}
