package validation

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/sim"
)

func TestSpearman(t *testing.T) {
	cases := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"same order", []float64{1, 2, 3}, []float64{10, 20, 30}, 1},
		{"reversed", []float64{1, 2, 3}, []float64{30, 20, 10}, -1},
		{"monotone, not linear", []float64{1, 2, 3, 4}, []float64{1, 10, 100, 1000}, 1},
		// x ranks 1, 2.5, 2.5, 4 against 1, 2, 3, 4: deviations (−1.5, 0, 0, 1.5) and
		// (−1.5, −0.5, 0.5, 1.5): ρ = 4.5 / √(4.5 · 5) = √0.9.
		{"tie", []float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}, math.Sqrt(0.9)},
		{"both flat", []float64{5, 5}, []float64{7, 7}, 1},
		{"model flat", []float64{5, 5, 5}, []float64{1, 2, 3}, 0},
	}
	for _, tc := range cases {
		if got := Spearman(tc.x, tc.y); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: ρ = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRunGrid validates two 1×1 convs on a 16×16 array by hand. GridConv(1, c, 2) is the GEMM
// [4 × c]·[c × c]. c = 16: one tile; exact 4 cycles; simulated (ideal memory, double buffer)
// R + (M + R + C − 2) = 16 + 34 = 50. c = 32: four tiles; exact 16; simulated 16 + 4·34 = 152.
// Cycle APE: 46/50 = 92 % and 136/152 = 89.47 %. Utilization: exact 1 both times, simulated
// 1024/(50·256) = 0.08 and 4096/(152·256) = 2/19: 92 and 89.47 percentage points, relative errors
// 0.92/0.08 = 1150 % and (17/19)/(2/19) = 850 %.
func TestRunGrid(t *testing.T) {
	cfg := Config{
		Base:         accel.Default(),
		Sizes:        []Size{{Rows: 16, Cols: 16}},
		Models:       []string{"systolic", "systolic-pipelined"},
		Simulator:    []sim.Options{{IdealMemory: true}},
		GridChannels: []int{16, 32},
		GridKernels:  []int{1},
		GridSpatial:  2,
	}
	rep, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 2 || len(rep.Errors) != 2 {
		t.Fatalf("%d cases, %d error rows; want 2 and 2", len(rep.Cases), len(rep.Errors))
	}
	for i, want := range []struct{ exact, sim int64 }{{4, 50}, {16, 152}} {
		c := rep.Cases[i]
		if c.Models["systolic"].Cycles != want.exact || c.Simulated["sim-ideal-memory"].Cycles != want.sim {
			t.Errorf("case %s: exact %d, sim %d; want %d, %d", c.Name, c.Models["systolic"].Cycles, c.Simulated["sim-ideal-memory"].Cycles, want.exact, want.sim)
		}
	}
	byModel := map[string]ModelError{}
	for _, e := range rep.Errors {
		byModel[e.Model] = e
	}
	ex := byModel["systolic"]
	close := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	close("cycles mean APE", ex.CyclesMeanAPE, (92+100*136.0/152)/2)
	close("cycles max APE", ex.CyclesMaxAPE, 92)
	close("util mean pp", ex.UtilMeanAbsPP, (92+100*136.0/152)/2)
	close("util max APE", ex.UtilMaxAPE, 1150)
	close("util mean APE", ex.UtilMeanAPE, 1000)
	close("spearman", ex.SpearmanMean, 1)
	if ex.Cases != 2 || ex.Groups != 1 || ex.Set != ConvGrid || ex.Simulator != "sim-ideal-memory" {
		t.Errorf("error row %+v", ex)
	}
	// The pipelined model is the simulator's ideal-memory convention in closed form.
	if p := byModel["systolic-pipelined"]; p.CyclesMaxAPE != 0 || p.UtilMaxAbsPP != 0 {
		t.Errorf("pipelined model off the simulator: %+v", p)
	}
}

// TestRunRefused: on a 1×1 array a 1×1 conv of 301 channels has 301×301 weight tiles, beyond the 300
// the paper's smooth ceiling counts; that model declines the case (recorded, counted, left out of its
// errors) while the exact model prices both, and the run goes on.
func TestRunRefused(t *testing.T) {
	cfg := Config{Base: accel.Default(), Sizes: []Size{{Rows: 1, Cols: 1}}, Models: []string{"systolic", "systolic-smooth-paper"},
		Simulator: []sim.Options{{IdealMemory: true}}, GridChannels: []int{16, 301}, GridKernels: []int{1}, GridSpatial: 2}
	rep, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 2 {
		t.Fatalf("%d cases, want 2", len(rep.Cases))
	}
	small, big := rep.Cases[0], rep.Cases[1]
	if len(small.Refused) != 0 || len(small.Models) != 2 {
		t.Errorf("16 channels: refused %v, %d models priced; want none refused, 2 priced", small.Refused, len(small.Models))
	}
	why, refused := big.Refused["systolic-smooth-paper"]
	if _, priced := big.Models["systolic-smooth-paper"]; !refused || priced || !strings.Contains(why, "301×301 weight tiles") {
		t.Errorf("301 channels: refused %v, models %v; want the paper model refused for its 301×301 tiles", big.Refused, big.Models)
	}
	if got := big.Models["systolic"].Cycles; got != 4*301*301 {
		t.Errorf("301 channels, exact model: %d cycles, want 4·301² = %d", got, 4*301*301)
	}
	for _, e := range rep.Errors {
		want := map[string][2]int{"systolic": {2, 0}, "systolic-smooth-paper": {1, 1}}[e.Model]
		if e.Cases != want[0] || e.Refused != want[1] {
			t.Errorf("%s: %d cases, %d refused; want %d and %d", e.Model, e.Cases, e.Refused, want[0], want[1])
		}
	}
}

func TestRunRejects(t *testing.T) {
	good := Config{Base: accel.Default(), Sizes: []Size{{Rows: 16, Cols: 16}}, Models: []string{"systolic"},
		Simulator: []sim.Options{{}}, GridChannels: []int{16}, GridKernels: []int{1}, GridSpatial: 2}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no accelerator", func(c *Config) { c.Base = nil }, "no base accelerator"},
		{"unknown model", func(c *Config) { c.Models = []string{"magic"} }, `unknown model "magic"`},
		{"no simulator", func(c *Config) { c.Simulator = nil }, "no simulator"},
		{"unknown network", func(c *Config) { c.Networks = []string{"resnet99"} }, `unknown zoo network "resnet99"`},
		{"zero grid size", func(c *Config) { c.GridSpatial = 0 }, "grid spatial size"},
		{"bad array", func(c *Config) { c.Sizes = []Size{{Rows: 0, Cols: 16}} }, `field "rows"`},
	} {
		cfg := good
		tc.edit(&cfg)
		if _, err := Run(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestCurves checks two points of the 1×1 conv sweep on 128×128 with a 14×14 output (M = 196):
// c = 128 is one full tile, exact utilization 1, simulated 196 / (128 + 196 + 254) = 196/578;
// c = 129 needs 2×2 tiles, exact 196·129² / (4·196 · 128²), simulated 196·129² / ((128 + 4·450)·128²).
func TestCurves(t *testing.T) {
	curves, err := Curves(accel.Default(), 128, 128, 1, 14, 128, 129, []sim.Options{{IdealMemory: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(curves) != 4 {
		t.Fatalf("%d curves, want exact, two smooth and one simulated", len(curves))
	}
	exact, paper, simulated := curves[0], curves[1], curves[3]
	want := func(name string, got, w float64) {
		t.Helper()
		if math.Abs(got-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	want("exact at 128", exact.Y[0], 1)
	want("exact at 129", exact.Y[1], 129.0*129/(4*128*128))
	want("simulated at 128", simulated.Y[0], 196.0/578)
	want("simulated at 129", simulated.Y[1], 196.0*129*129/(1928*128*128))
	if len(paper.X) != 9 || paper.X[8] != 129 {
		t.Errorf("smooth curve at %v, want 128, 128.125, …, 129", paper.X)
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, "test plot", curves); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", "test plot", "exact (systolic)", "simulated (sim-ideal-memory)"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("SVG lacks %q", s)
		}
	}
	if _, err := Curves(accel.Default(), 128, 128, 1, 14, 10, 5, nil); err == nil {
		t.Error("reversed channel range accepted")
	}
}

func TestParseSizes(t *testing.T) {
	s, err := ParseSizes("32x32,128x64,4x16x16")
	if err != nil || len(s) != 3 || s[1] != (Size{Rows: 128, Cols: 64}) || s[2] != (Size{Rows: 16, Cols: 16, Arrays: 4}) ||
		s[2].String() != "4x16x16" || s[0].String() != "32x32" {
		t.Errorf("ParseSizes = %v, %v", s, err)
	}
	if _, err := ParseSizes("32x32,0x4"); err == nil {
		t.Error("0x4 accepted")
	}
}
