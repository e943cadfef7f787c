package accel

import (
	"strings"
	"testing"
)

// TestEnergyDefaultsAndJSON: a JSON accelerator without energies gets the published defaults, one
// without some of them keeps the others' defaults, and out-of-range energies are refused by field.
func TestEnergyDefaultsAndJSON(t *testing.T) {
	d := DefaultEnergy()
	// Horowitz 2014: fp16 mult 1.1 + fp32 add 0.9; 100 pJ per 64-bit 1 MB SRAM read; 1.95 nJ per 64-bit DRAM.
	if d.MACpJ != 2.0 || d.SRAMReadpJPerByte != 12.5 || d.SRAMWritepJPerByte != 12.5 || d.DRAMpJPerByte != 243.75 {
		t.Errorf("defaults %+v", d)
	}
	a, err := ParseJSON([]byte(`{"rows": 8}`))
	if err != nil || a.Energy != d {
		t.Fatalf("no energy object: %+v, %v", a.Energy, err)
	}
	a, err = ParseJSON([]byte(`{"energy": {"dram_pj_per_byte": 100}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := d; a.Energy != func() Energy { want.DRAMpJPerByte = 100; return want }() {
		t.Errorf("partial energy object: %+v", a.Energy)
	}
	for in, want := range map[string]string{
		`{"energy": {"mac_pj": -1}}`:                `field "energy.mac_pj": want picojoules in 0..1e+06, got -1`,
		`{"energy": {"idle_pe_pj_per_cycle": 2e6}}`: `field "energy.idle_pe_pj_per_cycle"`,
		`{"energy": {"sram_read": 1}}`:              `field "sram_read": unknown field`,
	} {
		if _, err := ParseJSON([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseJSON(%s) = %v, want %q", in, err, want)
		}
	}
}
