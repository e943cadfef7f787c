package cost

import (
	"errors"
	"fmt"

	"github.com/uboost/uboost/accel"
)

// Kind names an analytical cost formula.
type Kind string

const (
	// KindSystolic is U-Boost NAS's model (eqs. 5–6): a GEMM [M×K]·[K×N] on R×C takes
	// ⌈K/R⌉·⌈N/C⌉·M cycles — one cycle per streamed input row per weight tile.
	KindSystolic Kind = "systolic"
	// KindPipelined adds what the array spends around each tile, under the simulator's convention
	// (package sim): a fold of M + R + C − 2 cycles per tile (R−1 rows of input skew, C−1 columns of
	// partial-sum drain), and R cycles to shift a weight tile in — once per layer when weights are double
	// buffered (later loads hide behind folds, which are never shorter than R), once per tile when single.
	KindPipelined Kind = "systolic-pipelined"
	// KindFlops assumes full utilization: MACs / (R·C) cycles (MorphNet-style baseline).
	KindFlops Kind = "flops"
	// KindRoofline is max(MACs/(R·C), bytes/bandwidth), bytes being the weights, input and output feature
	// maps moved once (Li et al. CVPR'21 baseline, with the output counted as b·h·w·f; the reference code's
	// b·k1·k2·f is a bug, PAPER.md §1.6).
	KindRoofline Kind = "roofline"
	// KindRooflinePaper is the roofline exactly as the reference code prices it (src/hardware/hw.py):
	// max(MACs/(R·C), footprint/bandwidth) with the footprint k1k2·c·f + b·h·w·c + b·k1k2·f elements, h×w
	// the output size (depthwise: k1k2·c + b·h·w·c + b·k1k2·c). The last term stands where the output
	// feature map b·h·w·f belongs; it is kept to reproduce the paper's baseline (see PaperBytes).
	KindRooflinePaper Kind = "roofline-paper"
)

// Dims are the sizes a formula needs for one layer, as values of an algebra: its GEMM repeated Count
// times, and the elements of its input and output feature maps at the batch (for memory traffic).
// The search builds them from soft channel counts; reports build them from accel.Layer with DimsOf.
type Dims[T any] struct {
	M, K, N, Count    T
	InElems, OutElems T
	// KernelArea is k1·k2 (1 for a dense layer); only the reference roofline's footprint reads it.
	KernelArea T
	// OneColumn marks a depthwise layer, whose products each fill one array column: its column factor
	// is 1 under any ceiling (the reference prices c·SC(k1k2/R)·M, no ceiling on the single column).
	OneColumn bool
}

// DimsOf returns the exact dims of a layer at a batch.
func DimsOf(l accel.Layer, batch int) Dims[float64] {
	g := l.Lower(batch)
	_, in, out := l.Bytes(batch, 1)
	area := 1.0
	if l.Op == accel.Conv || l.Op == accel.Depthwise {
		area = float64(l.KH * l.KW)
	}
	return Dims[float64]{
		M: float64(g.M), K: float64(g.K), N: float64(g.N), Count: float64(g.Count),
		InElems: float64(in), OutElems: float64(out), KernelArea: area, OneColumn: l.Op == accel.Depthwise,
	}
}

// MACs is Count·M·K·N.
func MACs[T any](al Algebra[T], d Dims[T]) T {
	return al.Mul(al.Mul(d.Count, d.M), al.Mul(d.K, d.N))
}

// Tiles is the number of R×C weight tiles, Count·⌈K/R⌉·⌈N/C⌉, with the given ceiling.
func Tiles[T any](al Algebra[T], c Ceiling, a *accel.Accelerator, d Dims[T]) T {
	rowTiles, colTiles := tileCounts(al, c, a, d)
	return al.Mul(d.Count, al.Mul(rowTiles, colTiles))
}

// busiestTiles is the tiles the busiest of a's arrays runs: all of them on one array, ⌈tiles/A⌉ on A
// arrays dealt the tiles round-robin (package sim), with the given ceiling.
func busiestTiles[T any](al Algebra[T], c Ceiling, a *accel.Accelerator, tiles T) T {
	if n := a.NumArrays(); n > 1 {
		return Ceil(al, c, al.Div(tiles, al.Const(float64(n))))
	}
	return tiles
}

// tileCounts is one product's row and column tiles, ⌈K/R⌉ and ⌈N/C⌉, with the given ceiling; a
// depthwise product fills one column (OneColumn), so its column count is 1 under any ceiling.
func tileCounts[T any](al Algebra[T], c Ceiling, a *accel.Accelerator, d Dims[T]) (rows, cols T) {
	rows = Ceil(al, c, al.Div(d.K, al.Const(float64(a.Rows))))
	cols = al.Const(1)
	if !d.OneColumn {
		cols = Ceil(al, c, al.Div(d.N, al.Const(float64(a.Cols))))
	}
	return rows, cols
}

// ErrBeyondCeiling is CheckTiles' error: a layer with more tiles than its smooth ceiling counts.
var ErrBeyondCeiling = errors.New("beyond its smooth ceiling's range")

// CheckTiles reports a layer whose row or column tiles, or on several arrays the busiest array's
// share of them, lie beyond what ceiling c counts (CeilLimit): a formula through it would price the
// layer as if it had fewer tiles and could read a utilization above 100%.
func CheckTiles(c Ceiling, a *accel.Accelerator, d Dims[float64]) error {
	limit := CeilLimit(c)
	rows, cols := tileCounts(Float{}, ExactCeil, a, d)
	if rows > limit || cols > limit {
		return fmt.Errorf("%g×%g weight tiles (GEMM %g×%g×%g on %s): %w (the %s ceiling counts up to %g tiles)",
			rows, cols, d.M, d.K, d.N, a.Shape(), ErrBeyondCeiling, c, limit)
	}
	if n := a.NumArrays(); n > 1 {
		if busiest := busiestTiles(Float{}, ExactCeil, a, Tiles(Float{}, ExactCeil, a, d)); busiest > limit {
			return fmt.Errorf("%g tiles on the busiest of %d arrays (GEMM %g×%g×%g, %g of them, on %s): %w (the %s ceiling counts up to %g tiles)",
				busiest, n, d.M, d.K, d.N, d.Count, a.Shape(), ErrBeyondCeiling, c, limit)
		}
	}
	return nil
}

// Bytes is the off-chip traffic: weights (Count·K·N), input and output feature maps, each moved once.
func Bytes[T any](al Algebra[T], a *accel.Accelerator, d Dims[T]) T {
	elems := al.Add(al.Mul(d.Count, al.Mul(d.K, d.N)), al.Add(d.InElems, d.OutElems))
	return al.Mul(elems, al.Const(float64(a.ElementBytes)))
}

// PaperBytes is the reference roofline's footprint in bytes (KindRooflinePaper), written over the GEMM:
// with c = K/k1k2 input channels per product, weights Count·K·N, input M·c·Count (b·h·w·c, h×w the
// output size) and the reference's third term b·k1k2·Count·N (b·k1k2·f for a conv, b·k1k2·c for a
// depthwise, b·f for a dense layer).
func PaperBytes[T any](al Algebra[T], a *accel.Accelerator, d Dims[T]) T {
	weights := al.Mul(d.Count, al.Mul(d.K, d.N))
	input := al.Mul(al.Mul(d.M, d.Count), al.Div(d.K, d.KernelArea))
	third := al.Mul(al.Const(float64(a.Batch)), al.Mul(d.KernelArea, al.Mul(d.Count, d.N)))
	return al.Mul(al.Add(weights, al.Add(input, third)), al.Const(float64(a.ElementBytes)))
}

// Cycles evaluates formula kind for one GEMM layer (see the Kind constants). The ceiling only matters
// for the systolic kinds; flops and the rooflines are continuous already. A layer with Count 0 (no GEMM)
// gives 0.
func Cycles[T any](al Algebra[T], kind Kind, c Ceiling, a *accel.Accelerator, d Dims[T]) T {
	R, C := float64(a.Rows), float64(a.Cols)
	pes := float64(a.AllPEs())
	switch kind {
	case KindFlops:
		return al.Div(MACs(al, d), al.Const(pes))
	case KindRoofline, KindRooflinePaper:
		bytes := Bytes(al, a, d)
		if kind == KindRooflinePaper {
			bytes = PaperBytes(al, a, d)
		}
		// The switch between the two is a hard max: its gradient reaches only the larger time.
		compute := al.Div(MACs(al, d), al.Const(pes))
		memory := al.Div(bytes, al.Const(a.BytesPerCycle()))
		return al.Max(compute, memory)
	case KindPipelined:
		tiles := busiestTiles(al, c, a, Tiles(al, c, a, d))
		fold := al.Add(d.M, al.Const(R+C-2))
		if a.Weights == accel.SingleBuffer {
			return al.Mul(tiles, al.Add(fold, al.Const(R)))
		}
		// The one exposed load, only when there is a tile at all.
		exposed := al.Mul(al.Const(R), al.Min(tiles, al.Const(1)))
		return al.Add(exposed, al.Mul(tiles, fold))
	}
	return al.Mul(busiestTiles(al, c, a, Tiles(al, c, a, d)), d.M)
}
