package arch

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
)

// topoLayer is a shorthand for an undilated layer as a topology row describes it.
func topoLayer(name string, op accel.Op, inH, inW, c, kH, kW, f, sH, sW, outH, outW int) accel.Layer {
	return accel.Layer{Name: name, Op: op, InH: inH, InW: inW, InC: c, OutH: outH, OutW: outW, OutC: f,
		KH: kH, KW: kW, StrideH: sH, StrideW: sW, DilationH: 1, DilationW: 1}
}

// topologyFixture exercises the format's freedoms: spaces, trailing commas, a comment line, a blank line,
// a '#' annotation after the last field, a ninth column and a depthwise (DP) row.
const topologyFixture = `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 230, 230, 7, 7, 3, 64, 2,
# the stem's padded input: 224 + 2·3

Conv2_DP, 58, 58, 3, 3, 64, 1, 1,#depthwise
Conv3,56,56,1,1,64,128,1
Wide, 9, 12, 3, 3, 4, 8, 2, 3,
FC, 1, 1, 1, 1, 512, 1000, 1,
`

// Output sizes, ceil((H − Fh + S)/S):
//
//	Conv1     ceil((230−7+2)/2) = ceil(112.5) = 113 (SCALE-Sim's count; PyTorch floors to 112)
//	Conv2_DP  ceil((58−3+1)/1) = 56, depthwise: 64 channels kept
//	Conv3     56
//	Wide      height ceil((9−3+2)/2) = 4, width ceil((12−3+3)/3) = 4
//	FC        1×1, a 1×1 convolution
var topologyFixtureLayers = []accel.Layer{
	topoLayer("Conv1", accel.Conv, 230, 230, 3, 7, 7, 64, 2, 2, 113, 113),
	topoLayer("Conv2_DP", accel.Depthwise, 58, 58, 64, 3, 3, 64, 1, 1, 56, 56),
	topoLayer("Conv3", accel.Conv, 56, 56, 64, 1, 1, 128, 1, 1, 56, 56),
	topoLayer("Wide", accel.Conv, 9, 12, 4, 3, 3, 8, 2, 3, 4, 4),
	topoLayer("FC", accel.Conv, 1, 1, 512, 1, 1, 1000, 1, 1, 1, 1),
}

func TestParseTopology(t *testing.T) {
	got, err := ParseTopology("fixture.csv", strings.NewReader(topologyFixture))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, topologyFixtureLayers) {
		t.Errorf("got\n%+v\nwant\n%+v", got, topologyFixtureLayers)
	}
	// The depthwise row lowers to 64 products [56·56 × 9]·[9 × 1]; the FC row to [1 × 512]·[512 × 1000].
	if g := got[1].Lower(1); g != (accel.GEMM{M: 3136, K: 9, N: 1, Count: 64}) {
		t.Errorf("DP GEMM = %v", g)
	}
	if g := got[4].Lower(1); g != (accel.GEMM{M: 1, K: 512, N: 1000, Count: 1}) {
		t.Errorf("FC GEMM = %v", g)
	}
	for _, l := range got {
		if err := l.Validate(); err != nil {
			t.Errorf("%s: %v", l.Name, err)
		}
	}
}

// TestParseTopologyVariants: no header, CRLF line ends, SCALE-Sim's extra annotation columns.
func TestParseTopologyVariants(t *testing.T) {
	cases := []struct {
		name, text string
		want       []accel.Layer
	}{
		{"no header", "a,8,8,3,3,2,4,1,\nb,6,6,3,3,4,4,3\n", []accel.Layer{
			topoLayer("a", accel.Conv, 8, 8, 2, 3, 3, 4, 1, 1, 6, 6),
			// ceil((6−3+3)/3) = 2
			topoLayer("b", accel.Conv, 6, 6, 4, 3, 3, 4, 3, 3, 2, 2),
		}},
		{"crlf", "Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,\r\na,8,8,3,3,2,4,1,\r\n", []accel.Layer{
			topoLayer("a", accel.Conv, 8, 8, 2, 3, 3, 4, 1, 1, 6, 6),
		}},
		{"annotation columns", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,, Target\nConv1,8,8,3,3,2,4,2, NPU\n", []accel.Layer{
			// the header calls the extra columns "", "Target": NPU is a note, the width stride is the
			// height's; ceil((8−3+2)/2) = ceil(3.5) = 4
			topoLayer("Conv1", accel.Conv, 8, 8, 2, 3, 3, 4, 2, 2, 4, 4),
		}},
		{"one-channel dw as SCALE-Sim writes it without DP", "Conv2_dw, 10, 10, 3, 3, 1, 1, 1,#dw\n", []accel.Layer{
			topoLayer("Conv2_dw", accel.Conv, 10, 10, 1, 3, 3, 1, 1, 1, 8, 8),
		}},
		{"filter equal to input", "x,3,5,3,5,2,2,1,\n", []accel.Layer{
			topoLayer("x", accel.Conv, 3, 5, 2, 3, 5, 2, 1, 1, 1, 1),
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTopology("t.csv", strings.NewReader(c.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
}

func TestParseTopologyErrors(t *testing.T) {
	const header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
	const good = "ok,8,8,3,3,2,4,1,\n"
	cases := []struct {
		name, text, want string
	}{
		{"non-numeric", header + good + "bad,8,8,3,3,abc,4,1,\n", `topology.csv:3: field "Channels": want a positive integer, got "abc"`},
		{"negative", header + "bad,8,-8,3,3,2,4,1,\n", `topology.csv:2: field "IFMAP Width": want a positive integer, got "-8"`},
		{"zero filters", header + "bad,8,8,3,3,2,0,1,\n", `topology.csv:2: field "Num Filter": want a positive integer, got "0"`},
		{"zero stride", header + "bad,8,8,3,3,2,4,0,\n", `topology.csv:2: field "Strides": want a positive integer, got "0"`},
		{"zero width stride", header + "bad,8,8,3,3,2,4,1,0\n", `topology.csv:2: field "Stride Width": want a positive integer, got "0"`},
		{"fraction", header + "bad,8,8,3,3,2,4,1.5,\n", `topology.csv:2: field "Strides": want a positive integer, got "1.5"`},
		{"empty field", header + "bad,8,8,,3,2,4,1,\n", `topology.csv:2: field "Filter Height": want a positive integer, got ""`},
		{"filter taller than input", header + "bad,2,8,3,3,2,4,1,\n", `topology.csv:2: field "Filter Height": filter height 3 larger than the IFMAP height 2`},
		{"filter wider than input", header + "bad,8,2,3,3,2,4,1,\n", `topology.csv:2: field "Filter Width": filter width 3 larger than the IFMAP width 2`},
		{"short row", header + good + good + "short,8,8,3\n", `topology.csv:4: field "Filter Width": missing (the row has 4 of the 8 columns)`},
		{"trailing comma is not a column", header + "short,8,8,3,3,2,4,\n", `topology.csv:2: field "Strides": missing (the row has 7 of the 8 columns)`},
		{"missing name", header + ",8,8,3,3,2,4,1,\n", `topology.csv:2: field "Layer name": missing`},
		{"DP with a multiplier", header + "Conv_DP,8,8,3,3,2,2,1,\n",
			`topology.csv:2: field "Num Filter": a DP (depthwise) layer has one filter per channel (SCALE-Sim reads Num Filter as a per-channel multiplier); want 1, got 2`},
		{"rows counted with blank and comment lines", header + "\n# note\n" + good + "bad,x,8,3,3,2,4,1,\n", `topology.csv:5: field "IFMAP Height": want a positive integer, got "x"`},
		{"no header, canonical names", "bad,8,8,3,3,2,4,1,z\n", `topology.csv:1: field "Stride Width": want a positive integer, got "z"`},
		{"header names as written", "name,ifmap h,ifmap w,fh,fw,ch,nf,s,\nbad,8,8,3,3,q,4,1,\n", `topology.csv:2: field "ch": want a positive integer, got "q"`},
		{"empty file", "", "topology.csv: no layers: want rows of Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides"},
		{"header only", header, "topology.csv: no layers: want rows of Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTopology("topology.csv", strings.NewReader(c.text))
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}

func TestReadTopology(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.csv")
	if err := os.WriteFile(path, []byte(topologyFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTopology(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, topologyFixtureLayers) {
		t.Errorf("ReadTopology differs from ParseTopology")
	}
	if err := os.WriteFile(path, []byte("a,8,8,3,3,2,4,1,\nb,8,8,9,3,2,4,1,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadTopology(path)
	if want := path + `:2: field "Filter Height": filter height 9 larger than the IFMAP height 8`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	missing := filepath.Join(dir, "missing.csv")
	_, err = ReadTopology(missing)
	if want := "open " + missing + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestWriteTopology checks the written CSV by hand:
//
//	stem: a conv on a padded 10×10 input, written as is
//	dw: depthwise 16 channels, gets "_DP", Num Filter 1
//	dil: 3×3 dilation 2 on a padded 12×12 (out 8): written undilated on 12 − (2−1)(3−1) = 10, out 8 too
//	myDPconv: a conv whose name would read as depthwise; "DP" is lower-cased
//	fc: dense on a flattened 2×2×16 = 64 inputs, a 1×1 conv on a 1×1 map
//	pool, relu: no GEMM, left out
func TestWriteTopology(t *testing.T) {
	dil := topoLayer("dil", accel.Conv, 12, 12, 16, 3, 3, 16, 1, 1, 8, 8)
	dil.DilationH, dil.DilationW = 2, 2
	layers := []accel.Layer{
		topoLayer("stem", accel.Conv, 10, 10, 3, 3, 3, 16, 1, 1, 8, 8),
		{Name: "stem/relu", Op: accel.ReLU, InH: 8, InW: 8, InC: 16, OutH: 8, OutW: 8, OutC: 16},
		topoLayer("dw", accel.Depthwise, 10, 10, 16, 3, 3, 16, 1, 1, 8, 8),
		dil,
		topoLayer("myDPconv", accel.Conv, 8, 8, 16, 1, 1, 16, 1, 1, 8, 8),
		{Name: "pool", Op: accel.MaxPool, InH: 8, InW: 8, InC: 16, OutH: 2, OutW: 2, OutC: 16, KH: 4, KW: 4, StrideH: 4, StrideW: 4, DilationH: 1, DilationW: 1},
		{Name: "fc", Op: accel.Dense, InH: 2, InW: 2, InC: 16, OutH: 1, OutW: 1, OutC: 10},
	}
	var buf bytes.Buffer
	if err := WriteTopology(&buf, layers); err != nil {
		t.Fatal(err)
	}
	want := `Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,
stem,10,10,3,3,3,16,1,
dw_DP,10,10,3,3,16,1,1,
dil,10,10,3,3,16,16,1,
mydpconv,8,8,1,1,16,16,1,
fc,1,1,1,1,64,10,1,
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	// Reading it back gives the same GEMM for every GEMM layer.
	back, err := ParseTopology("back.csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	var gemm []accel.Layer
	for _, l := range layers {
		if l.Op.IsGEMM() {
			gemm = append(gemm, l)
		}
	}
	if len(back) != len(gemm) {
		t.Fatalf("read %d layers back, want %d", len(back), len(gemm))
	}
	for i := range gemm {
		if g, w := back[i].Lower(1), gemm[i].Lower(1); g != w {
			t.Errorf("%s: GEMM %v read back as %v", gemm[i].Name, w, g)
		}
		if back[i].OutH != gemm[i].OutH || back[i].OutW != gemm[i].OutW {
			t.Errorf("%s: output %d×%d read back as %d×%d", gemm[i].Name, gemm[i].OutH, gemm[i].OutW, back[i].OutH, back[i].OutW)
		}
	}
}

// TestWriteTopologyWideStrides: a layer with different strides adds the ninth column to every row.
func TestWriteTopologyWideStrides(t *testing.T) {
	var buf bytes.Buffer
	err := WriteTopology(&buf, []accel.Layer{
		topoLayer("a", accel.Conv, 8, 8, 2, 3, 3, 4, 1, 1, 6, 6),
		topoLayer("b,c", accel.Conv, 9, 12, 4, 3, 3, 8, 2, 3, 4, 4),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,Stride Width,\n" +
		"a,8,8,3,3,2,4,1,1,\n" +
		"b_c,9,12,3,3,4,8,2,3,\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestWriteTopologyGrouped: a 3×3 conv of 8 channels to 4 filters in 2 groups becomes two rows of 4
// channels to 2 filters; read back, the two rows' MACs sum to the grouped layer's (2·36·36·2 per
// group on a 6×6 output).
func TestWriteTopologyGrouped(t *testing.T) {
	l := topoLayer("g", accel.Conv, 8, 8, 8, 3, 3, 4, 1, 1, 6, 6)
	l.Groups = 2
	var buf bytes.Buffer
	if err := WriteTopology(&buf, []accel.Layer{l}); err != nil {
		t.Fatal(err)
	}
	want := "Layer name,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,\n" +
		"g_g0,8,8,3,3,4,2,1,\n" +
		"g_g1,8,8,3,3,4,2,1,\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	back, err := ParseTopology("g.csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	var macs int64
	for _, b := range back {
		macs += b.Lower(1).MACs()
	}
	if macs != l.Lower(1).MACs() || macs != 2*36*36*2 {
		t.Errorf("rows' MACs %d, grouped layer's %d, want %d", macs, l.Lower(1).MACs(), 2*36*36*2)
	}
}

func TestWriteTopologyInvalidLayer(t *testing.T) {
	bad := topoLayer("bad", accel.Depthwise, 8, 8, 4, 3, 3, 8, 1, 1, 6, 6)
	err := WriteTopology(&bytes.Buffer{}, []accel.Layer{bad})
	want := `layer "bad": field "out_c": a depthwise layer keeps its 4 channels, got 8`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestTopologyRoundTripZoo exports every zoo network and reads it back: one row per GEMM layer, the same
// GEMM and output size for each, so SCALE-Sim sees the same work as our cost model.
func TestTopologyRoundTripZoo(t *testing.T) {
	for _, name := range ZooNames() {
		layers, err := zooNet(t, name).Layers()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteTopology(&buf, layers); err != nil {
			t.Fatal(err)
		}
		back, err := ParseTopology(name+".csv", &buf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		i := 0
		for _, l := range layers {
			if !l.Op.IsGEMM() {
				continue
			}
			if i >= len(back) {
				t.Fatalf("%s: only %d layers read back", name, len(back))
			}
			b := back[i]
			i++
			if b.Lower(1) != l.Lower(1) {
				t.Errorf("%s/%s: GEMM %v read back as %v", name, l.Name, l.Lower(1), b.Lower(1))
			}
			wantName := l.Name
			if l.Op == accel.Depthwise {
				wantName += "_DP"
			}
			if b.Name != wantName {
				t.Errorf("%s: name %q read back as %q", name, wantName, b.Name)
			}
			// Undilated convs and depthwise layers come back exactly but for the IFMAP, which is the
			// extent the windows read: (out − 1)·stride + kernel (the stem: 111·2 + 7 = 229 of 230).
			if l.Op != accel.Dense && l.DilationH == 1 && b != (accel.Layer{Name: b.Name, Op: l.Op,
				InH: (l.OutH-1)*l.StrideH + l.KH, InW: (l.OutW-1)*l.StrideW + l.KW, InC: l.InC, OutH: l.OutH, OutW: l.OutW, OutC: l.OutC,
				KH: l.KH, KW: l.KW, StrideH: l.StrideH, StrideW: l.StrideW, DilationH: 1, DilationW: 1}) {
				t.Errorf("%s: %+v read back as %+v", name, l, b)
			}
			if b.InH > l.InH || b.InW > l.InW {
				t.Errorf("%s/%s: IFMAP %d×%d written larger than %d×%d", name, l.Name, b.InH, b.InW, l.InH, l.InW)
			}
		}
		if i != len(back) {
			t.Errorf("%s: %d layers read back, want %d", name, len(back), i)
		}
	}
}

// FuzzParseTopology: any input gives layers or an error, never a panic, and every layer it returns is
// valid with the output size SCALE-Sim would compute.
func FuzzParseTopology(f *testing.F) {
	f.Add(topologyFixture)
	f.Add("a,8,8,3,3,2,4,1,\n")
	f.Add("Layer name,IFMAP Height\n\"x,1\n")
	f.Add("x_DP,4,4,4,4,3,1,1,2,junk,\n#c\n,,,,\n")
	f.Add("a,99999999999999999999,1,1,1,1,1,1\n")
	f.Fuzz(func(t *testing.T, text string) {
		layers, err := ParseTopology("fuzz.csv", strings.NewReader(text))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		if len(layers) == 0 {
			t.Fatal("no error and no layers")
		}
		for _, l := range layers {
			if err := l.Validate(); err != nil {
				t.Errorf("%+v: %v", l, err)
			}
			// ceil((H − Fh + S)/S) in floats, exact below 2^30.
			ceil := func(n, k, s int) int { return int(math.Ceil(float64(n-k+s) / float64(s))) }
			small := max(l.InH, l.InW, l.StrideH, l.StrideW) < 1<<30
			if small && (l.OutH != ceil(l.InH, l.KH, l.StrideH) || l.OutW != ceil(l.InW, l.KW, l.StrideW)) {
				t.Errorf("%+v: wrong output size", l)
			}
		}
	})
}
