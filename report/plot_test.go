package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// svgDoc is what the tests read back from an SVG document.
type svgDoc struct {
	root     xml.StartElement
	texts    []string       // character data of every <text> and <title>
	elements map[string]int // element name → count
}

// parseSVG parses an SVG document strictly as XML and collects its root, texts and element counts.
func parseSVG(t *testing.T, doc []byte) svgDoc {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	out := svgDoc{elements: map[string]int{}}
	var stack []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && out.root.Name.Local == "" {
				out.root = e.Copy()
			}
			stack = append(stack, e.Name.Local)
			out.elements[e.Name.Local]++
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if n := len(stack); n > 0 && (stack[n-1] == "text" || stack[n-1] == "title") {
				out.texts = append(out.texts, string(e))
			}
		}
	}
	if out.root.Name.Local != "svg" {
		t.Fatalf("root element is %q, want svg", out.root.Name.Local)
	}
	return out
}

// hasText reports whether some text element holds exactly s.
func (d svgDoc) hasText(s string) bool {
	for _, x := range d.texts {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

// attr returns the root's attribute.
func (d svgDoc) attr(name string) string {
	for _, a := range d.root.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestLinePlot(t *testing.T) {
	doc, err := LinePlot(LineSpec{
		Frame: Frame{Title: "loss & accuracy", XLabel: "epoch", YLabel: "loss", VLines: []float64{3}},
		Series: []Series{
			{Name: "train", X: []float64{1, 2, 3, 4}, Y: []float64{2, 1.5, 1.2, 1}},
			{Name: "val <held out>", X: []float64{1, 2, 3, 4}, Y: []float64{2.1, 1.7, 1.5, 1.4}, YErr: []float64{0.1, 0.1, 0.2, 0.1}},
		},
		Marks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, doc)
	for _, s := range []string{"loss & accuracy", "epoch", "loss", "train", "val <held out>"} {
		if !d.hasText(s) {
			t.Errorf("no text %q in %q", s, d.texts)
		}
	}
	if w, h := d.attr("width"), d.attr("height"); w != "480pt" || h != "320pt" {
		t.Errorf("size %s × %s, want the default 480pt × 320pt", w, h)
	}
	if !bytes.Contains(doc, []byte("'Liberation Sans',Arial,Helvetica,sans-serif")) {
		t.Error("fonts lack their fallbacks")
	}
	if bytes.Contains(doc, []byte("href")) {
		t.Error("the SVG refers to something outside itself")
	}
}

func TestPlotSize(t *testing.T) {
	doc, err := LinePlot(LineSpec{Frame: Frame{Width: 300, Height: 200}, Series: []Series{{X: []float64{0, 1}, Y: []float64{0, 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, doc)
	if w, h := d.attr("width"), d.attr("height"); w != "300pt" || h != "200pt" {
		t.Errorf("size %s × %s, want 300pt × 200pt", w, h)
	}
}

func TestAbbreviate(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"conv1", 16, "conv1"},
		{"layer2.0.downsample", 16, "layer2.0…nsample"}, // 8 head + … + 7 tail
		{"abcdefghij", 5, "ab…ij"},
		{"αβγδεζηθ", 5, "αβ…ηθ"}, // counted in runes, not bytes
	} {
		if got := abbreviate(c.in, c.n); got != c.want {
			t.Errorf("abbreviate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestBarPlotStacked(t *testing.T) {
	n := 40
	labels := make([]string, n)
	active := make([]float64, n)
	idle := make([]float64, n)
	for i := range labels {
		labels[i] = "layer" + strings.Repeat("x", i%5)
		active[i] = float64(i) / float64(n)
		idle[i] = 1 - active[i]
	}
	labels[7] = "a_very_long_layer_name_here"
	doc, err := BarPlot(BarSpec{
		Frame:  Frame{Title: "breakdown", YMin: 0, YMax: 1},
		Labels: labels,
		Parts:  []BarPart{{Name: "active", Values: active}, {Name: "unused_cols", Values: idle}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, doc)
	for _, s := range []string{"breakdown", "active", "unused_cols", "layerxx", "a_very_l…me_here"} {
		if !d.hasText(s) {
			t.Errorf("no text %q", s)
		}
	}
	// 40 bars widen the plot to 80 + 11·40 = 520 points.
	if w := d.attr("width"); w != "520pt" {
		t.Errorf("width %s, want 520pt", w)
	}
}

func TestBarPlotSinglePartHasNoLegend(t *testing.T) {
	doc, err := BarPlot(BarSpec{Labels: []string{"a", "b"}, Parts: []BarPart{{Name: "utilization", Values: []float64{0.5, 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := parseSVG(t, doc); d.hasText("utilization") {
		t.Error("a single part should not get a legend entry")
	}
}

func TestStaircase(t *testing.T) {
	// Front (1, 70), (2, 75), (3, 80): across at 70 to runtime 2, up to 75, across to 3, up to 80.
	got := staircase([]Point{{"", 1, 70}, {"", 2, 75}, {"", 3, 80}})
	want := plotter.XYs{{X: 1, Y: 70}, {X: 2, Y: 70}, {X: 2, Y: 75}, {X: 3, Y: 75}, {X: 3, Y: 80}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("staircase = %v, want %v", got, want)
	}
}

func TestScatterPlot(t *testing.T) {
	doc, err := ScatterPlot(ScatterSpec{
		Frame:      Frame{Title: "ImageNet-100"},
		ShowLabels: true,
		Groups: []ScatterGroup{
			{Name: "U-Boost", Front: true, Points: []Point{{"λ=0.1", 2.2, 87.8}, {"λ=1", 1.05, 87.9}}},
			{Name: "Roofline", Front: true, Points: []Point{{"r0.1", 4.7, 86.5}, {"r1", 3.5, 84.0}},
				AccuracyErr: []float64{1, 2}, RuntimeErr: []float64{0.2, 0.1}},
			{Name: "empty"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, doc)
	for _, s := range []string{"ImageNet-100", "runtime (ms)", "accuracy (%)", "U-Boost", "Roofline", "λ=0.1", "r1"} {
		if !d.hasText(s) {
			t.Errorf("no text %q", s)
		}
	}
}

func TestHistogramBins(t *testing.T) {
	// Width 8: 64/8 = 8 → 64; 120/8 = 15 → 120; 124/8 = 15.5 rounds away from zero → 16 → 128;
	// 128 → 128; 256 → 256.
	centres, counts := histogramBins([]float64{128, 256, 124, 64, 120}, 8)
	if want := []float64{64, 120, 128, 256}; !reflect.DeepEqual(centres, want) {
		t.Errorf("centres = %v, want %v", centres, want)
	}
	if want := []float64{1, 1, 2, 1}; !reflect.DeepEqual(counts, want) {
		t.Errorf("counts = %v, want %v", counts, want)
	}
}

func TestHistogram(t *testing.T) {
	doc, err := Histogram(HistSpec{
		Frame:    Frame{Title: "channel widths", XLabel: "channels", VLines: []float64{128, 256}},
		BinWidth: 8,
		Groups: []HistGroup{
			{Name: "U-Boost", Values: []float64{128, 128, 256, 256, 120}},
			{Name: "FLOPS", Values: []float64{64, 64, 280}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := parseSVG(t, doc)
	for _, s := range []string{"channel widths", "channels", "count", "U-Boost", "FLOPS"} {
		if !d.hasText(s) {
			t.Errorf("no text %q", s)
		}
	}
}

func TestPlotBadInput(t *testing.T) {
	nan := math.NaN()
	one := []float64{1}
	cases := []struct {
		name string
		run  func() ([]byte, error)
		want string
	}{
		{"no series", func() ([]byte, error) { return LinePlot(LineSpec{}) }, "no series"},
		{"lengths", func() ([]byte, error) {
			return LinePlot(LineSpec{Series: []Series{{Name: "s", X: []float64{1, 2}, Y: one}}})
		}, `series "s": 2 x values but 1 y values`},
		{"NaN", func() ([]byte, error) {
			return LinePlot(LineSpec{Series: []Series{{Name: "s", X: one, Y: []float64{nan}}}})
		}, `field "Y": value 0 is NaN`},
		{"log of zero", func() ([]byte, error) {
			return LinePlot(LineSpec{Frame: Frame{LogX: true}, Series: []Series{{X: []float64{0, 1}, Y: []float64{1, 2}}}})
		}, "want > 0 on a log axis"},
		{"error bars below a log axis", func() ([]byte, error) {
			return LinePlot(LineSpec{Frame: Frame{LogY: true}, Series: []Series{{X: []float64{1, 2}, Y: []float64{1, 2}, YErr: []float64{2, 2}}}})
		}, "error bar 0 reaches -1"},
		{"errors length", func() ([]byte, error) {
			return LinePlot(LineSpec{Series: []Series{{X: one, Y: one, YErr: []float64{1, 2}}}})
		}, "2 error values for 1 points"},
		{"negative size", func() ([]byte, error) {
			return LinePlot(LineSpec{Frame: Frame{Width: -1}, Series: []Series{{X: one, Y: one}}})
		}, "want finite, non-negative points"},
		{"bar count", func() ([]byte, error) {
			return BarPlot(BarSpec{Labels: []string{"a", "b"}, Parts: []BarPart{{Name: "u", Values: one}}})
		}, `part "u": 1 values for 2 labels`},
		{"no bars", func() ([]byte, error) { return BarPlot(BarSpec{}) }, "nothing to plot"},
		{"scatter errors", func() ([]byte, error) {
			return ScatterPlot(ScatterSpec{Groups: []ScatterGroup{{Name: "m", Points: []Point{{"", 1, 2}}, RuntimeErr: []float64{1, 1}}}})
		}, `group "m": 2 runtime errors for 1 points`},
		{"scatter NaN", func() ([]byte, error) {
			return ScatterPlot(ScatterSpec{Groups: []ScatterGroup{{Name: "m", Points: []Point{{"", nan, 2}}}}})
		}, `field "X"`},
		{"bin width", func() ([]byte, error) {
			return Histogram(HistSpec{BinWidth: -8, Groups: []HistGroup{{Values: one}}})
		}, `field "BinWidth"`},
		{"histogram NaN", func() ([]byte, error) {
			return Histogram(HistSpec{Groups: []HistGroup{{Name: "g", Values: []float64{nan}}}})
		}, `group "g"`},
		{"reference line", func() ([]byte, error) {
			return Histogram(HistSpec{Frame: Frame{VLines: []float64{math.Inf(1)}}, Groups: []HistGroup{{Values: one}}})
		}, `field "VLines"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, err := c.run()
			if err == nil {
				t.Fatalf("no error; got %d bytes of SVG", len(doc))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

// TestEmptyGroupsStillDraw: a method without results must not fail a whole report; its plot is an empty
// frame with the title.
func TestEmptyGroupsStillDraw(t *testing.T) {
	for name, run := range map[string]func() ([]byte, error){
		"scatter": func() ([]byte, error) {
			return ScatterPlot(ScatterSpec{Frame: Frame{Title: "t"}, Groups: []ScatterGroup{{Name: "a"}}})
		},
		"histogram": func() ([]byte, error) {
			return Histogram(HistSpec{Frame: Frame{Title: "t"}, Groups: []HistGroup{{Name: "a"}}})
		},
		"line": func() ([]byte, error) {
			return LinePlot(LineSpec{Frame: Frame{Title: "t"}, Series: []Series{{Name: "s"}}})
		},
	} {
		doc, err := run()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !parseSVG(t, doc).hasText("t") {
			t.Errorf("%s: no title", name)
		}
	}
}
