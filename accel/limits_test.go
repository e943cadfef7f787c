package accel

import (
	"strings"
	"testing"
)

// TestLimits is finding 2 at the accelerator and layer level: values that overflowed the counts
// (9223372036854775807-channel rows, 2^63-row arrays, huge batches and element sizes, trailing JSON)
// are refused with the field named.
func TestLimits(t *testing.T) {
	cases := []struct {
		name, json, want string
	}{
		{"rows", `{"rows": 9223372036854775807}`, `field "rows": want an integer in 1..4096`},
		{"batch", `{"batch": 9223372036854775807}`, `field "batch": want an integer in 1..4096`},
		{"element bytes", `{"element_bytes": 4611686018427387904}`, `field "element_bytes": want an integer in 1..8`},
		{"sram", `{"sram_bytes": 9223372036854775807}`, `field "sram_bytes": want a size in 1..1099511627776 bytes`},
		{"bandwidth", `{"bandwidth_bytes_per_s": 1}`, `field "bandwidth_bytes_per_s": want at least 0.00390625 bytes per clock cycle`},
		{"trailing object", `{"rows":128}{"cols":0}`, `trailing data after the accelerator's JSON object`},
	}
	for _, c := range cases {
		if _, err := ParseJSON([]byte(c.json)); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	for _, s := range []string{"9223372036854775807x2", "4294967296x4294967296", "4097x1"} {
		if _, _, err := ParseArray(s); err == nil {
			t.Errorf("ParseArray(%q) accepted", s)
		}
	}
	if r, c, err := ParseArray("4096x4096"); err != nil || r != 4096 || c != 4096 {
		t.Errorf("ParseArray at the limit = %d, %d, %v", r, c, err)
	}
	huge := Layer{Name: "fc", Op: Dense, InH: 1, InW: 1, InC: 4096, OutH: 1, OutW: 1, OutC: 9223372036854775807}
	if err := huge.Validate(); err == nil || !strings.HasPrefix(err.Error(), `field "out_c": want at most 1048576`) {
		t.Errorf("huge layer: %v", err)
	}
}

// TestCheckWork: the work bound. A 2^20→2^20 dense layer at batch 4096 on a 1×1 array is
// 4096 · 2^40 = 2^52 MACs in 2^40 tiles of 4096 + 3 cycles ≈ 2^52 PE-cycles: inside 2^60, but 2^8 of
// them are not; a VGG-sized 25088→4096 layer at batch 64 on 128×128 is far inside.
func TestCheckWork(t *testing.T) {
	wide := Layer{Name: "fc", Op: Dense, InH: 1, InW: 1, InC: MaxChannels, OutH: 1, OutW: 1, OutC: MaxChannels}
	one := New(1, 1).WithBatch(4096)
	if err := CheckWork(one, []Layer{wide}); err != nil {
		t.Errorf("one 2^52-MAC layer: %v", err)
	}
	many := make([]Layer, 1<<8)
	for i := range many {
		many[i] = wide
	}
	if err := CheckWork(one, many); err == nil || !strings.HasPrefix(err.Error(), "layer 256 (fc): ") {
		t.Errorf("2^8 of them: %v", err)
	}
	fc := Layer{Name: "fc6", Op: Dense, InH: 7, InW: 7, InC: 512, OutH: 1, OutW: 1, OutC: 4096}
	if err := CheckWork(Default().WithBatch(64), []Layer{fc}); err != nil {
		t.Errorf("VGG fc6 at batch 64: %v", err)
	}
}
