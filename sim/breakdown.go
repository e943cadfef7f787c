package sim

// Breakdown splits a layer's R·C·cycles PE-cycles by what each PE was doing; the parts add up to the
// total R·C·cycles exactly.
type Breakdown struct {
	Active      int64 `json:"active"`
	WeightStall int64 `json:"weight_stall"`
	FillDrain   int64 `json:"fill_drain"`
	UnusedRows  int64 `json:"unused_rows"`
	UnusedCols  int64 `json:"unused_cols"`
	MemoryStall int64 `json:"memory_stall"`
}

// Sum returns the total PE-cycles of the breakdown.
func (b Breakdown) Sum() int64 {
	return b.Active + b.WeightStall + b.FillDrain + b.UnusedRows + b.UnusedCols + b.MemoryStall
}

// Add accumulates o into b.
func (b *Breakdown) Add(o Breakdown) {
	b.Active += o.Active
	b.WeightStall += o.WeightStall
	b.FillDrain += o.FillDrain
	b.UnusedRows += o.UnusedRows
	b.UnusedCols += o.UnusedCols
	b.MemoryStall += o.MemoryStall
}
