package accel

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseArray(t *testing.T) {
	for _, c := range []struct {
		in         string
		rows, cols int
		ok         bool
	}{
		{"128x128", 128, 128, true}, {"32X256", 32, 256, true}, {" 8x4 ", 8, 4, true},
		{"0x128", 0, 0, false}, {"128", 0, 0, false}, {"-1x4", 0, 0, false}, {"axb", 0, 0, false}, {"4x", 0, 0, false},
	} {
		r, cl, err := ParseArray(c.in)
		if (err == nil) != c.ok || r != c.rows || cl != c.cols {
			t.Errorf("ParseArray(%q) = %d, %d, %v", c.in, r, cl, err)
		}
	}
}

func TestParseJSON(t *testing.T) {
	a, err := ParseJSON([]byte(`{"rows": 32, "cols": 64, "batch": 4, "weight_buffering": "single"}`))
	if err != nil {
		t.Fatal(err)
	}
	// Fields left out keep the defaults.
	if a.Rows != 32 || a.Cols != 64 || a.Batch != 4 || a.Weights != SingleBuffer || a.ClockHz != 1e9 || a.BandwidthBps != 80e9 {
		t.Errorf("parsed %+v", a)
	}
	// 80 GB/s at 1 GHz is 80 bytes per cycle; 2500 cycles are 0.0025 ms.
	if a.BytesPerCycle() != 80 || a.Milliseconds(2500) != 0.0025 {
		t.Errorf("BytesPerCycle %g, Milliseconds(2500) %g", a.BytesPerCycle(), a.Milliseconds(2500))
	}
	for in, want := range map[string]string{
		`{"rows": 0}`:                    `field "rows": want an integer in 1..4096, got 0`,
		`{"rows": "x"}`:                  `field "rows": want an integer (int), got a JSON string`,
		`{"clock_hz": true}`:             `field "clock_hz": want a number (float64), got a JSON bool`,
		"{\"rows\": 3,\n \"cols\": }":    `line 2: malformed JSON: invalid character '}' looking for beginning of value`,
		"{\"rows\": 3,\n \"cols\": 4":    `line 2: truncated JSON`,
		`{"weight_buffering": "triple"}`: `field "weight_buffering": want "double" or "single", got "triple"`,
		`{"bandwidth_bytes_per_s": -1}`:  `field "bandwidth_bytes_per_s": want a positive bandwidth, got -1`,
		`{"rowz": 4}`:                    `field "rowz": unknown field`,
	} {
		if _, err := ParseJSON([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("ParseJSON(%s) error = %v, want %q", in, err, want)
		}
	}
}

func TestLower(t *testing.T) {
	// Conv 3×3/2, 16→24, output 7×7, batch 2: M = 2·49 = 98, K = 9·16 = 144, N = 24.
	conv := Layer{Name: "c", Op: Conv, InH: 15, InW: 15, InC: 16, OutH: 7, OutW: 7, OutC: 24, KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1}
	// Depthwise 5×5 on 8 channels, output 4×4, batch 2: 8 products [32×25]·[25×1].
	dw := Layer{Name: "d", Op: Depthwise, InH: 8, InW: 8, InC: 8, OutH: 4, OutW: 4, OutC: 8, KH: 5, KW: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	// Dense on a 7×7×512 map to 4096 (VGG's fc6), batch 2: [2 × 25088]·[25088 × 4096].
	fc := Layer{Name: "f", Op: Dense, InH: 7, InW: 7, InC: 512, OutH: 1, OutW: 1, OutC: 4096}
	pool := Layer{Name: "p", Op: MaxPool, InH: 8, InW: 8, InC: 8, OutH: 4, OutW: 4, OutC: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1}
	for _, c := range []struct {
		l      Layer
		want   GEMM
		str    string
		params int64
	}{
		{conv, GEMM{M: 98, K: 144, N: 24, Count: 1}, "98×144×24", 144 * 24},
		{dw, GEMM{M: 32, K: 25, N: 1, Count: 8}, "8×(32×25×1)", 200},
		{fc, GEMM{M: 2, K: 25088, N: 4096, Count: 1}, "2×25088×4096", 25088 * 4096},
		{pool, GEMM{}, "-", 0},
	} {
		g := c.l.Lower(2)
		if g != c.want || g.String() != c.str || c.l.Params() != c.params {
			t.Errorf("%s: Lower = %+v %q, params %d; want %+v %q, %d", c.l.Name, g, g.String(), c.l.Params(), c.want, c.str, c.params)
		}
		if err := c.l.Validate(); err != nil {
			t.Errorf("%s: %v", c.l.Name, err)
		}
	}
	// Bytes at batch 2, 2-byte elements: weights 144·24·2 = 6912, input 2·15·15·16·2 = 14400,
	// output 2·7·7·24·2 = 4704.
	if w, in, out := conv.Bytes(2, 2); w != 6912 || in != 14400 || out != 4704 {
		t.Errorf("Bytes = %d, %d, %d", w, in, out)
	}
	bad := dw
	bad.OutC = 9
	if err := bad.Validate(); err == nil || err.Error() != `field "out_c": a depthwise layer keeps its 8 channels, got 9` {
		t.Errorf("depthwise with 9 outputs: %v", err)
	}
}

// TestSeveralArrays: "NxRxC" reads N arrays of R×C and "RxC" (or "1xRxC") one; one array is stored as 0, so an
// accelerator's JSON names "arrays" only for several; the count is validated like the sides.
func TestSeveralArrays(t *testing.T) {
	for in, want := range map[string]ArrayShape{"128x128": {Rows: 128, Cols: 128}, "4x32x16": {Rows: 32, Cols: 16, Arrays: 4},
		" 2X8X8 ": {Rows: 8, Cols: 8, Arrays: 2}, "1x8x8": {Rows: 8, Cols: 8}} {
		got, err := ParseArrayShape(in)
		if err != nil || got != want {
			t.Errorf("ParseArrayShape(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"0x8x8", "65537x8x8", "4x0x8", "4x8x8x8", "ax8x8"} {
		if _, err := ParseArrayShape(in); err == nil {
			t.Errorf("ParseArrayShape(%q): no error", in)
		}
	}
	if s := (ArrayShape{Rows: 8, Cols: 16, Arrays: 4}); s.String() != "4x8x16" || (ArrayShape{Rows: 8, Cols: 16}).String() != "8x16" {
		t.Errorf("String: %s", s)
	}
	one := New(8, 8).WithArrays(1)
	if one.Arrays != 0 || one.NumArrays() != 1 || one.AllPEs() != 64 || one.Shape() != "8x8" {
		t.Errorf("one array: %+v, shape %s", one, one.Shape())
	}
	raw, _ := json.Marshal(one)
	if strings.Contains(string(raw), `"arrays"`) {
		t.Errorf("one array's JSON names arrays: %s", raw)
	}
	four, err := ParseJSON([]byte(`{"rows": 8, "cols": 16, "arrays": 4}`))
	if err != nil || four.NumArrays() != 4 || four.AllPEs() != 512 || four.Shape() != "4x8x16" ||
		!strings.HasPrefix(four.String(), "4 8x16 arrays, ") {
		t.Errorf("four arrays: %+v, %v", four, err)
	}
	if _, err := ParseJSON([]byte(`{"arrays": 70000}`)); err == nil || err.Error() != `field "arrays": want an integer in 1..65536, got 70000` {
		t.Errorf("70000 arrays: %v", err)
	}
}
