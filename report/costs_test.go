package report

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/sim"
)

// tinyLayers are priced on a 4×4 array at 1 MHz (1 µs per cycle):
//   - conv1: 6×6×1 padded input, 3×3 kernel, 8 filters → 4×4×8; GEMM [16 × 9]·[9 × 8]:
//     ceil(9/4)·ceil(8/4)·16 = 3·2·16 = 96 cycles, 16·9·8 = 1152 MACs, 1152/(96·16) = 75%, 0.096 ms;
//   - pool: 2×2 max pooling, no GEMM, 0 cycles;
//   - fc: 8 → 2, GEMM [1 × 8]·[8 × 2]: ceil(8/4)·ceil(2/4)·1 = 2 cycles, 16 MACs, 16/(2·16) = 50%,
//     0.002 ms.
//
// Total: 98 cycles, 1168 MACs, 0.098 ms, 1168/(98·16) = 74.49% (MAC-weighted).
//
// Energy at the default per-access energies (2-byte elements: SRAM 25 pJ per element, DRAM 243.75 pJ
// per byte), cost.Access's counts:
//   - conv1: rt = 3, ct = 2; MACs 1152 (2304 pJ); registers 2·1152 + 72 = 2376 (237.6 pJ); SRAM reads
//     72 + 16·9·2 + 16·8·3 = 744 (18600 pJ); writes 72 + 36 + 384 = 492 (12300 pJ); DRAM
//     (72 + 36 + 128)·2 = 472 bytes (115050 pJ); idle 16·96 − 1152 = 384 (19.2 pJ): 0.1485108 µJ;
//   - fc: rt = 2, ct = 1; 32 + 4.8 + 28·25 + 28·25 + 52·243.75 + 16·0.05 pJ = 0.0141126 µJ;
//   - total 0.1626234 µJ, EDP 0.1626234 · 0.098 = 0.0159 µJ·ms.
func tinyLayers() (*accel.Accelerator, []accel.Layer) {
	a := accel.New(4, 4).Clock(0.001)
	return a, []accel.Layer{
		{Name: "conv1", Op: accel.Conv, InH: 6, InW: 6, InC: 1, OutH: 4, OutW: 4, OutC: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{Name: "pool", Op: accel.MaxPool, InH: 4, InW: 4, InC: 8, OutH: 2, OutW: 2, OutC: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
		{Name: "fc", Op: accel.Dense, InH: 1, InW: 1, InC: 8, OutH: 1, OutW: 1, OutC: 2},
	}
}

func TestLayerTable(t *testing.T) {
	a, layers := tinyLayers()
	r, err := cost.Systolic().Estimate(a, layers)
	if err != nil {
		t.Fatal(err)
	}
	r.Network = "tiny"
	tb := LayerTable(r)
	want := [][]string{
		{"conv1", "conv", "16×9×8", "1152", "96", "0.0960", "75.0%", "0.149"},
		{"fc", "dense", "1×8×2", "16", "2", "0.0020", "50.0%", "0.014"},
		{"total", "", "", "1168", "98", "0.0980", "74.5%", "0.163"},
	}
	if !reflect.DeepEqual(tb.Rows, want) {
		t.Errorf("rows = %q, want %q", tb.Rows, want)
	}
	if tb.Title != "tiny: per-layer cost ("+r.Model+" model)" {
		t.Errorf("title %q", tb.Title)
	}
	if last := tb.Notes[len(tb.Notes)-1]; last != "1 zero-cycle layers (pooling, BN, activations, add) are not listed." {
		t.Errorf("last note %q", last)
	}
	var b bytes.Buffer
	if err := tb.WriteText(&b); err != nil {
		t.Fatal(err)
	}
}

func TestUtilizationBars(t *testing.T) {
	a, layers := tinyLayers()
	r, err := cost.Systolic().Estimate(a, layers)
	if err != nil {
		t.Fatal(err)
	}
	s := UtilizationBars(r)
	if !reflect.DeepEqual(s.Labels, []string{"conv1", "fc"}) {
		t.Errorf("labels %q: the zero-cycle pool should be left out", s.Labels)
	}
	if len(s.Parts) != 1 || !reflect.DeepEqual(s.Parts[0].Values, []float64{0.75, 0.5}) {
		t.Errorf("parts %+v, want utilization 0.75, 0.5", s.Parts)
	}

	// With a simulator breakdown on every array layer the bars become PE-cycle fractions:
	// conv1 3+1+0+2+2+0 = 8 PE-cycles → 3/8, 1/8, 0, 2/8, 2/8, 0; fc 1+0+1+1+1+0 = 4 → 1/4, 0, 1/4, ...
	r.Layers[0].Breakdown = &sim.Breakdown{Active: 3, WeightStall: 1, UnusedRows: 2, UnusedCols: 2}
	r.Layers[2].Breakdown = &sim.Breakdown{Active: 1, FillDrain: 1, UnusedCols: 1, MemoryStall: 1}
	s = UtilizationBars(r)
	want := [][]float64{{0.375, 0.25}, {0.125, 0}, {0, 0.25}, {0.25, 0}, {0.25, 0.25}, {0, 0.25}}
	if len(s.Parts) != len(BreakdownParts) {
		t.Fatalf("%d parts, want %d", len(s.Parts), len(BreakdownParts))
	}
	for i, p := range s.Parts {
		if p.Name != BreakdownParts[i] || !reflect.DeepEqual(p.Values, want[i]) {
			t.Errorf("part %d = %s %v, want %s %v", i, p.Name, p.Values, BreakdownParts[i], want[i])
		}
	}
	// Each stack reaches 1.
	for j := range s.Labels {
		sum := 0.0
		for _, p := range s.Parts {
			sum += p.Values[j]
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("bar %d sums to %g", j, sum)
		}
	}
	doc, err := BarPlot(s)
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, doc)
	for _, name := range BreakdownParts {
		if !d.hasText(name) {
			t.Errorf("legend lacks %q", name)
		}
	}
}

func TestCostSection(t *testing.T) {
	a, layers := tinyLayers()
	r, err := cost.Systolic().Estimate(a, layers)
	if err != nil {
		t.Fatal(err)
	}
	r.Network = "tiny"
	s, err := CostSection(r)
	if err != nil {
		t.Fatal(err)
	}
	// 1168 MACs, 98 cycles, 0.098 ms, 74.5%, 0.163 µJ, 0.0159 µJ·ms (see tinyLayers).
	if want := "1.17k MACs in 98 cycles: 0.0980 ms at 74.5% utilization (MAC-weighted), 0.163 µJ, energy–delay product 0.0159 µJ·ms."; s.Text != want {
		t.Errorf("text %q, want %q", s.Text, want)
	}
	if s.Heading != "tiny: cost ("+r.Model+" model)" || s.Table == nil || len(s.SVGs) != 1 {
		t.Errorf("section %q with table %v and %d figures", s.Heading, s.Table != nil, len(s.SVGs))
	}
	parseSVG(t, s.SVGs[0])

	// A network with no array layer gets its table but no bars.
	r.Layers = r.Layers[1:2]
	r.Total = cost.Total{}
	s, err = CostSection(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.SVGs) != 0 {
		t.Errorf("%d figures for a network without array layers", len(s.SVGs))
	}
}

// TestRunReportEndToEnd builds the page a run writes for a zoo network: cost section, annotated
// drawing, and checks the page parses with the utilization of a known layer on its box.
func TestRunReportEndToEnd(t *testing.T) {
	net, err := arch.ZooNetwork("resnet18")
	if err != nil {
		t.Fatal(err)
	}
	layers, err := net.Layers()
	if err != nil {
		t.Fatal(err)
	}
	r, err := cost.Systolic().Estimate(accel.Default(), layers)
	if err != nil {
		t.Fatal(err)
	}
	r.Network = net.Name
	annotate := UtilizationAnnotator(r)
	// layer1.0.conv1 is [3136 × 576]·[576 × 64] on 128×128: ceil(576/128)·ceil(64/128)·3136 = 5·1·3136
	// cycles for 3136·576·64 MACs, 3136·576·64/(5·3136·16384) = 45%.
	if got := annotate("layer1.0.conv1"); got != "util 45%" {
		t.Errorf("annotation %q, want util 45%%", got)
	}
	if got := annotate("maxpool"); got != "" {
		t.Errorf("a pooling node is annotated %q", got)
	}
	drawing, err := NetworkSVG(net, annotate)
	if err != nil {
		t.Fatal(err)
	}
	if !parseSVG(t, drawing).hasText("util 45%") {
		t.Error("drawing lacks the annotation")
	}
	sec, err := CostSection(r)
	if err != nil {
		t.Fatal(err)
	}
	p := &Page{Title: "resnet18", Sections: []Section{sec, {Heading: "Architecture", SVGs: [][]byte{drawing}}}}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	d := parseHTML(t, b.Bytes())
	if d.elements["svg"] != 2 || d.elements["table"] != 1 || d.elements["tr"] != 1+22 {
		t.Errorf("page has %d svg, %d table, %d rows; want 2, 1, 23 (header, 21 array layers, total)",
			d.elements["svg"], d.elements["table"], d.elements["tr"])
	}
}
