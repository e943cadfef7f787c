package cost

import "github.com/uboost/uboost/accel"

// Counts are a layer's accesses (accel.Accesses) as values of an algebra: the search evaluates them on
// graph nodes at soft widths, reports on float64.
type Counts[T any] struct {
	MACs, Register, SRAMRead, SRAMWrite, DRAMBytes, IdlePECycles T
}

// CountsOf converts counted accesses (the simulator's) to float64 counts.
func CountsOf(n accel.Accesses) Counts[float64] {
	return Counts[float64]{
		MACs: float64(n.MACs), Register: float64(n.Register), SRAMRead: float64(n.SRAMRead),
		SRAMWrite: float64(n.SRAMWrite), DRAMBytes: float64(n.DRAMBytes), IdlePECycles: float64(n.IdlePECycles),
	}
}

// Access counts a layer's accesses in closed form, under the simulator's tiling and memory policy
// (package sim: the default two staging slots per array) so that with the exact ceiling every count
// but the idle PE-cycles equals the simulator's. A = a.NumArrays() arrays share the SRAM and deal the
// tiles out; the counts are per tile and do not depend on which array runs it. With
// t = Count·⌈K/R⌉·⌈N/C⌉ tiles (one column for a depthwise layer), rt = ⌈K/R⌉ row tiles and
// ct = ⌈N/C⌉ column tiles:
//
//   - register: 2·MACs + Count·K·N (per MAC an input and a partial sum latched; each weight loaded once);
//   - SRAM reads: Count·K·N weights + Count·M·K·ct streamed inputs + Count·M·N·rt partial sums;
//   - DRAM bytes: (Count·K·N + InElems·s + OutElems)·e, where s = 1 if the input map fits in the SRAM
//     beside the staging slots (SRAM − 2·A·R·C·e) and stays, else ct (each column block streams it again);
//   - SRAM writes: the DRAM reads, Count·K·N + InElems·s, plus Count·M·N·rt partial sums;
//   - idle PE-cycles: A·R·C·cycles − MACs, cycles being the pricing model's (never below 0, which a
//     smooth ceiling reading a partial tile as less than one could otherwise give).
//
// The residency switch s is a step without gradient.
func Access[T any](al Algebra[T], c Ceiling, a *accel.Accelerator, d Dims[T], cycles T) Counts[T] {
	rowTiles, colTiles := tileCounts(al, c, a, d)
	macs := MACs(al, d)
	weights := al.Mul(d.Count, al.Mul(d.K, d.N))
	streamed := al.Mul(al.Mul(d.Count, al.Mul(d.M, d.K)), colTiles)
	psums := al.Mul(al.Mul(d.Count, al.Mul(d.M, d.N)), rowTiles)
	e := float64(a.ElementBytes)
	pes := float64(a.AllPEs())
	free := float64(a.SRAMBytes) - 2*pes*e
	// resident = 1 when InElems·e ≤ free; then the input is fetched once, else ct times.
	resident := al.Step(al.Sub(al.Const(free), al.Mul(d.InElems, al.Const(e))))
	inFetches := al.Add(resident, al.Mul(al.Sub(al.Const(1), resident), colTiles))
	fetched := al.Add(weights, al.Mul(d.InElems, inFetches))
	return Counts[T]{
		MACs:         macs,
		Register:     al.Add(al.Mul(al.Const(2), macs), weights),
		SRAMRead:     al.Add(weights, al.Add(streamed, psums)),
		SRAMWrite:    al.Add(fetched, psums),
		DRAMBytes:    al.Mul(al.Add(fetched, d.OutElems), al.Const(e)),
		IdlePECycles: al.Max(al.Sub(al.Mul(cycles, al.Const(pes)), macs), al.Const(0)),
	}
}

// EnergyUJ prices counts with a's per-access energies, in microjoules.
func EnergyUJ[T any](al Algebra[T], a *accel.Accelerator, n Counts[T]) T {
	en, e := a.Energy, float64(a.ElementBytes)
	term := func(count T, pJ float64) T { return al.Mul(count, al.Const(pJ*1e-6)) }
	sum := term(n.MACs, en.MACpJ)
	sum = al.Add(sum, term(n.Register, en.RegisterpJ))
	sum = al.Add(sum, term(n.SRAMRead, en.SRAMReadpJPerByte*e))
	sum = al.Add(sum, term(n.SRAMWrite, en.SRAMWritepJPerByte*e))
	sum = al.Add(sum, term(n.DRAMBytes, en.DRAMpJPerByte))
	return al.Add(sum, term(n.IdlePECycles, en.IdlePEpJPerCycle))
}

// LayerEnergy returns the closed-form accesses of layer l on a, taking cycles (the pricing model's) for
// the idle PE-cycles, and their energy in µJ; a layer without a GEMM costs nothing (the vector unit
// beside the array is not priced, as for cycles).
func LayerEnergy(a *accel.Accelerator, l accel.Layer, cycles float64) (accel.Accesses, float64) {
	if !l.Op.IsGEMM() {
		return accel.Accesses{}, 0
	}
	n := Access(Float{}, ExactCeil, a, DimsOf(l, a.Batch), cycles)
	acc := accel.Accesses{
		MACs: int64(n.MACs), Register: int64(n.Register), SRAMRead: int64(n.SRAMRead),
		SRAMWrite: int64(n.SRAMWrite), DRAMBytes: int64(n.DRAMBytes), IdlePECycles: int64(n.IdlePECycles),
	}
	return acc, EnergyUJ(Float{}, a, CountsOf(acc))
}
