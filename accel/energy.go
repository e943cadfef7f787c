package accel

import "math"

// Energy is what one access of each kind costs, in picojoules. The defaults are published 45 nm
// figures (Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, 0.9 V),
// scaled to 2-byte elements (the default ElementBytes) as each field's comment says. A JSON
// accelerator that leaves the "energy" object or any of its fields out gets these defaults.
type Energy struct {
	// MACpJ is one multiply-accumulate: a 16-bit floating-point multiply (1.1 pJ) plus the 32-bit
	// floating-point add of the accumulation (0.9 pJ), Horowitz 2014: 2.0 pJ.
	MACpJ float64 `json:"mac_pj"`
	// RegisterpJ is one PE register access (one element latched: a weight loaded, an input passed
	// right, a partial sum passed down). Horowitz gives no register figure; the default, 0.1 pJ, is his
	// 32-bit integer add, a circuit of about the same number of flip-flop-sized cells as a 16-bit
	// pipeline register, and is an estimate.
	RegisterpJ float64 `json:"register_pj"`
	// SRAMReadpJPerByte is an on-chip SRAM read: Horowitz's 1 MB SRAM, 100 pJ per 64-bit read, is
	// 12.5 pJ per byte (25 pJ per 2-byte element). A large SRAM is banked, so a read costs about
	// one ~1 MB bank's, not the whole memory's.
	SRAMReadpJPerByte float64 `json:"sram_read_pj_per_byte"`
	// SRAMWritepJPerByte is an on-chip SRAM write; Horowitz gives reads only, and a write is taken to
	// cost the same, 12.5 pJ per byte.
	SRAMWritepJPerByte float64 `json:"sram_write_pj_per_byte"`
	// DRAMpJPerByte is off-chip DRAM traffic, read or written: Horowitz's 1.3–2.6 nJ per 64-bit
	// access, at the midpoint 1.95 nJ, is 243.75 pJ per byte.
	DRAMpJPerByte float64 `json:"dram_pj_per_byte"`
	// IdlePEpJPerCycle is a PE that does no MAC in a cycle (clock and leakage of a clock-gated PE).
	// No published per-PE figure matches the array; the default, 0.05 pJ (2.5% of a MAC), is an
	// estimate to set per technology.
	IdlePEpJPerCycle float64 `json:"idle_pe_pj_per_cycle"`
}

// DefaultEnergy returns the published figures above.
func DefaultEnergy() Energy {
	return Energy{
		MACpJ:              1.1 + 0.9,
		RegisterpJ:         0.1,
		SRAMReadpJPerByte:  100.0 / 8,
		SRAMWritepJPerByte: 100.0 / 8,
		DRAMpJPerByte:      1950.0 / 8,
		IdlePEpJPerCycle:   0.05,
	}
}

// MaxAccessEnergypJ bounds every per-access energy: 1 µJ, 10^3× the dearest DRAM figure published per
// byte, so that no price times a count bounded by MaxWork reaches float64's range.
const MaxAccessEnergypJ = 1e6

// validate reports the first energy outside [0, MaxAccessEnergypJ], naming its JSON field.
func (e Energy) validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"mac_pj", e.MACpJ}, {"register_pj", e.RegisterpJ}, {"sram_read_pj_per_byte", e.SRAMReadpJPerByte},
		{"sram_write_pj_per_byte", e.SRAMWritepJPerByte}, {"dram_pj_per_byte", e.DRAMpJPerByte},
		{"idle_pe_pj_per_cycle", e.IdlePEpJPerCycle},
	} {
		if !(f.v >= 0 && f.v <= MaxAccessEnergypJ) || math.IsNaN(f.v) {
			return fieldErr("energy."+f.name, "want picojoules in 0..%g, got %g", float64(MaxAccessEnergypJ), f.v)
		}
	}
	return nil
}

// Accesses counts what one layer did on the accelerator, the quantities Energy prices. Counts are of
// elements (ElementBytes each) except DRAMBytes, so that each stays within int64 for any network the
// limits admit (each is at most 3·MaxWork).
type Accesses struct {
	// MACs is the multiply-accumulates.
	MACs int64 `json:"macs"`
	// Register is the PE register accesses: each weight written into its PE once per tile, and per MAC
	// the input latched to pass right and the partial sum latched to pass down.
	Register int64 `json:"register"`
	// SRAMRead is the elements read from SRAM: each tile's weights once, each tile's input rows
	// (M rows of its k reduction rows), and each tile's partial sums (M·n, read back to accumulate or,
	// after the last tile, to write out).
	SRAMRead int64 `json:"sram_read"`
	// SRAMWrite is the elements written to SRAM: everything fetched from DRAM, and each tile's
	// partial sums (M·n).
	SRAMWrite int64 `json:"sram_write"`
	// DRAMBytes is the off-chip traffic, read and written.
	DRAMBytes int64 `json:"dram_bytes"`
	// IdlePECycles is PE-cycles without a MAC: PEs·cycles − MACs.
	IdlePECycles int64 `json:"idle_pe_cycles"`
}
