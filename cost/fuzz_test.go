package cost

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
)

// FuzzAccelerator: any accelerator JSON is refused with a one-line error or, once accepted, every
// model of the registry (closed forms, tables and the simulator) prices a conv, a depthwise, a
// grouped conv and a dense layer on it with non-negative cycles, finite latency and energy, and
// utilization in [0, 1] (the flops model's 1 exactly), or refuses in one line (a closed form only a
// layer beyond its smooth ceiling's range): no setting the limits admit overflows a count, divides
// by zero or reads more than every PE busy.
func FuzzAccelerator(f *testing.F) {
	f.Add(`{}`)
	f.Add(`{"rows":64,"cols":16,"batch":64}`)
	f.Add(`{"rows":4096,"cols":4096,"batch":4096,"sram_bytes":1099511627776,"element_bytes":8,"clock_hz":1e13,"bandwidth_bytes_per_s":1e16}`)
	f.Add(`{"rows":1,"cols":1,"sram_bytes":1,"element_bytes":1,"clock_hz":1,"bandwidth_bytes_per_s":1,"weight_buffering":"single"}`)
	f.Add(`{"energy":{"mac_pj":1e6,"register_pj":1e6,"sram_read_pj_per_byte":1e6,"sram_write_pj_per_byte":1e6,"dram_pj_per_byte":1e6,"idle_pe_pj_per_cycle":1e6}}`)
	layers := []accel.Layer{
		{Name: "conv", Op: accel.Conv, InH: 34, InW: 34, InC: 64, OutH: 32, OutW: 32, OutC: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{Name: "dw", Op: accel.Depthwise, InH: 30, InW: 30, InC: 96, OutH: 14, OutW: 14, OutC: 96, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
		{Name: "grouped", Op: accel.Conv, InH: 16, InW: 16, InC: 128, OutH: 14, OutW: 14, OutC: 256, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, Groups: 32},
		{Name: "fc", Op: accel.Dense, InH: 1, InW: 1, InC: 4096, OutH: 1, OutW: 1, OutC: 1000},
	}
	for _, l := range layers {
		if err := l.Validate(); err != nil {
			f.Fatalf("fixture %s: %v", l.Name, err)
		}
	}
	var models []Model
	closedForm := map[string]bool{}
	for _, e := range Entries() {
		m := e.New()
		models = append(models, m)
		closedForm[m.Name()] = e.Formula != ""
	}
	f.Fuzz(func(t *testing.T, doc string) {
		a, err := accel.ParseJSON([]byte(doc))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		finite := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }
		for _, m := range models {
			r, err := m.Estimate(a, layers)
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s on %s: multi-line error %q", m.Name(), a, err)
			}
			// A closed form refuses only what its smooth ceiling cannot count (CheckTiles); a table
			// or the simulator may refuse what lies outside it, in one line.
			if errors.Is(err, ErrBeyondCeiling) || err != nil && !closedForm[m.Name()] {
				continue
			}
			if err != nil {
				t.Fatalf("%s on %s: %v", m.Name(), a, err)
			}
			for _, lc := range append(r.Layers, LayerCost{Name: "total", Cycles: r.Total.Cycles, LatencyMs: r.Total.LatencyMs,
				Utilization: r.Total.Utilization, EnergyUJ: r.Total.EnergyUJ}) {
				if lc.Cycles < 0 || !finite(lc.LatencyMs) || !finite(lc.EnergyUJ) || !(lc.Utilization >= 0 && lc.Utilization <= 1+1e-12) {
					t.Errorf("%s on %s, %s: cycles %d, %g ms, %g µJ, utilization %g", m.Name(), a, lc.Name, lc.Cycles, lc.LatencyMs, lc.EnergyUJ, lc.Utilization)
				}
			}
			if !finite(r.Total.EDP) {
				t.Errorf("%s on %s: EDP %g", m.Name(), a, r.Total.EDP)
			}
		}
	})
}
