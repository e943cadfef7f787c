package report

import (
	"bytes"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/arch"
	"github.com/uboost/uboost/cost"
)

// benchReport prices a zoo network with the exact systolic model for the report benchmarks.
func benchReport(b *testing.B, name string) (*arch.Network, *cost.Report) {
	b.Helper()
	net, err := arch.ZooNetwork(name)
	if err != nil {
		b.Fatal(err)
	}
	layers, err := net.Layers()
	if err != nil {
		b.Fatal(err)
	}
	r, err := cost.Systolic().Estimate(accel.Default(), layers)
	if err != nil {
		b.Fatal(err)
	}
	r.Network = name
	return net, r
}

// BenchmarkNetworkSVGResNet50 lays out and draws ResNet-50's graph (72 nodes in 69 rows, BN and ReLU
// folded into their convolutions).
func BenchmarkNetworkSVGResNet50(b *testing.B) {
	net, r := benchReport(b, "resnet50")
	annotate := UtilizationAnnotator(r)
	for b.Loop() {
		if _, err := NetworkSVG(net, annotate); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUtilizationBarsResNet50 draws the per-layer utilization bar plot of ResNet-50 (54 bars).
func BenchmarkUtilizationBarsResNet50(b *testing.B) {
	_, r := benchReport(b, "resnet50")
	spec := UtilizationBars(r)
	for b.Loop() {
		if _, err := BarPlot(spec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunPageResNet50 renders a whole run page: the cost section (table and bars) and the annotated
// network drawing, inlined into HTML.
func BenchmarkRunPageResNet50(b *testing.B) {
	net, r := benchReport(b, "resnet50")
	var buf bytes.Buffer
	for b.Loop() {
		sec, err := CostSection(r)
		if err != nil {
			b.Fatal(err)
		}
		drawing, err := NetworkSVG(net, UtilizationAnnotator(r))
		if err != nil {
			b.Fatal(err)
		}
		p := &Page{Title: "resnet50", Sections: []Section{sec, {Heading: "Architecture", SVGs: [][]byte{drawing}}}}
		buf.Reset()
		if err := p.Write(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "page-bytes")
}
