package sim

import (
	"fmt"

	"github.com/uboost/uboost/accel"
)

// Operands are one weight tile and the input slice that streams through it: W is k×n (k ≤ R rows of
// the reduction dimension, n ≤ C output columns), X is M×k.
type Operands struct {
	W, X [][]float64
}

// ArrayTrace is what RunTiles saw while tiles went through an array register by register.
type ArrayTrace struct {
	// Out holds, per tile, the M×n partial sums that left the bottom of its first n columns.
	Out [][][]float64
	// Starts is the cycle at which each tile's first input row entered PE (0, 0).
	Starts []int64
	// Cycles counts every cycle from the first weight shift to the last partial sum leaving the array.
	Cycles int64
	// Active, UnusedRows and UnusedCols classify the PE-cycles in which an input wavefront was at a PE
	// (as sim.Breakdown defines them); Idle counts all the others (fill, drain and weight stalls).
	Active, UnusedRows, UnusedCols, Idle int64
}

// tag names the input row m of tile t that a register holds; t < 0: empty.
type tag struct{ t, m int }

var noTag = tag{-1, -1}

// RunTiles executes tiles one after another on a rows×cols weight-stationary array cycle by cycle,
// moving every value through the PE registers, as a check of the timing Simulate uses in closed form
// (with ideal memory and one array). Nothing in it is a formula: each tile starts when the hardware
// state allows, and the trace reports what happened.
//
// Every PE has an active weight, a shadow weight, an input register (passed right) and a partial-sum
// register (passed down); each value carries the tag of its input row, and a PE that receives an input
// and a partial sum of different rows is an error. Weights shift into the shadow registers from the
// top edge, one PE row per cycle down each column (R cycles; PEs outside the tile get zeros). Input row
// m of a tile enters PE row r from the left edge m + r cycles after the tile starts (rows past k carry
// zeros), and the sum for column c leaves the bottom row. The weight buffering decides the rest:
//
//   - single: a tile's weights shift in only when the array is empty, and it starts once they are in;
//   - double: the next tile's weights shift in as soon as every PE has taken the current ones from its
//     shadow, all PEs at once when the tile starts; the tile starts when the array is empty again;
//   - double with overlap: each PE takes its new weights from its shadow when the tile's first input
//     row reaches it, so a column's shadow chain is free once its bottom PE has switched; the next tile
//     starts as soon as the current one's rows have all entered and column 0 holds its weights (a PE
//     whose shadow is not ready when the wavefront reaches it is an error).
func RunTiles(rows, cols int, tiles []Operands, buf accel.Buffering, overlap bool) (*ArrayTrace, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("array %dx%d: want positive rows and columns", rows, cols)
	}
	if buf != accel.DoubleBuffer && buf != accel.SingleBuffer {
		return nil, fmt.Errorf("weight buffering %q: want %q or %q", buf, accel.DoubleBuffer, accel.SingleBuffer)
	}
	overlap = overlap && buf == accel.DoubleBuffer
	ks, ns, ms := make([]int, len(tiles)), make([]int, len(tiles)), make([]int, len(tiles))
	limit := int64(rows + cols)
	for i, op := range tiles {
		k, n, m, err := checkOperands(rows, cols, op)
		if err != nil {
			return nil, fmt.Errorf("tile %d: %w", i, err)
		}
		ks[i], ns[i], ms[i] = k, n, m
		limit += int64(m + 3*rows + cols)
	}
	tr := &ArrayTrace{Out: make([][][]float64, len(tiles)), Starts: make([]int64, 0, len(tiles))}
	for i := range tiles {
		tr.Out[i] = make([][]float64, ms[i])
		for m := range tr.Out[i] {
			tr.Out[i][m] = make([]float64, ns[i])
		}
	}

	act, shadow := newGrid(rows, cols), newGrid(rows, cols)
	actTile, shadowTile := newInts(rows, cols, -1), newInts(rows, cols, -1)
	in, sum := newGrid(rows, cols), newGrid(rows, cols)
	inTag, sumTag := newTags(rows, cols), newTags(rows, cols)
	nextIn, nextSum := newGrid(rows, cols), newGrid(rows, cols)
	nextInTag, nextSumTag := newTags(rows, cols), newTags(rows, cols)
	// Per column: the tile being shifted in (-1: none), the shifts done, the next tile to load.
	loading, shifts, nextLoad := newInts(1, cols, -1)[0], make([]int, cols), make([]int, cols)

	started := 0 // tiles whose wavefront has started
	inFlight := false
	for cycle := int64(0); ; cycle++ {
		if cycle > limit {
			return nil, fmt.Errorf("no progress after %d cycles: the schedule is stuck", limit)
		}
		// Start the next tile's wavefront when the hardware allows it.
		if started < len(tiles) {
			t := started
			ready := true
			for r := 0; r < rows && ready; r++ {
				ready = shadowTile[r][0] == t && (overlap || allColumnsHold(shadowTile[r], t))
			}
			if started > 0 {
				if overlap {
					// The previous tile's last row has entered PE (0, 0).
					ready = ready && cycle >= tr.Starts[t-1]+int64(ms[t-1])
				} else {
					// The previous tile's rows have all entered and none is left in the array.
					ready = ready && cycle >= tr.Starts[t-1]+int64(ms[t-1]+rows-1) && empty(inTag, sumTag)
				}
			}
			if ready {
				tr.Starts = append(tr.Starts, cycle)
				started++
				if !overlap {
					// All PEs take their new weights at once: the array is empty.
					for r := range rows {
						for c := range cols {
							act[r][c], actTile[r][c], shadowTile[r][c] = shadow[r][c], t, -1
						}
					}
				}
			}
		}

		// Every PE: take the input from the left (or the skewed left edge) and the partial sum from
		// above, switch weights if the wavefront brings a new tile, multiply-accumulate, pass on.
		inFlight = false
		for r := range rows {
			for c := range cols {
				v, tg := 0.0, noTag
				if c == 0 {
					for t := started - 1; t >= 0 && t >= started-2; t-- {
						if m := int(cycle-tr.Starts[t]) - r; m >= 0 && m < ms[t] {
							tg = tag{t, m}
							if r < ks[t] {
								v = tiles[t].X[m][r]
							}
							break
						}
					}
				} else {
					v, tg = in[r][c-1], inTag[r][c-1]
				}
				acc, accTag := 0.0, tg
				if r > 0 {
					acc, accTag = sum[r-1][c], sumTag[r-1][c]
				}
				if accTag != tg {
					return nil, fmt.Errorf("PE (%d,%d) at cycle %d: input of tile %d row %d met partial sum of tile %d row %d", r, c, cycle, tg.t, tg.m, accTag.t, accTag.m)
				}
				nextIn[r][c], nextInTag[r][c], nextSum[r][c], nextSumTag[r][c] = v, tg, 0, tg
				if tg.t < 0 {
					tr.Idle++
					continue
				}
				inFlight = true
				if actTile[r][c] != tg.t {
					if !overlap || shadowTile[r][c] != tg.t {
						return nil, fmt.Errorf("PE (%d,%d) at cycle %d: tile %d arrived but the PE holds weights of tile %d and its shadow of tile %d", r, c, cycle, tg.t, actTile[r][c], shadowTile[r][c])
					}
					act[r][c], actTile[r][c], shadowTile[r][c] = shadow[r][c], tg.t, -1
				}
				switch {
				case r >= ks[tg.t]:
					tr.UnusedRows++
				case c >= ns[tg.t]:
					tr.UnusedCols++
				default:
					tr.Active++
				}
				nextSum[r][c] = acc + act[r][c]*v
				if r == rows-1 && c < ns[tg.t] {
					tr.Out[tg.t][tg.m][c] = nextSum[r][c]
				}
			}
		}

		// Weight chains: a column starts shifting the next tile in when every PE of it has taken what its
		// shadow held (and, single-buffered, when the array is empty); each shift moves every shadow
		// weight of the column one row down and takes a new row at the top, last row first.
		loadingAny := false
		for c := range cols {
			if loading[c] < 0 && nextLoad[c] < len(tiles) && columnFree(shadowTile, c) &&
				(buf == accel.DoubleBuffer || (!inFlight && started == nextLoad[c])) {
				loading[c], shifts[c] = nextLoad[c], 0
			}
			t := loading[c]
			if t < 0 {
				continue
			}
			loadingAny = true
			for r := rows - 1; r > 0; r-- {
				shadow[r][c] = shadow[r-1][c]
			}
			shadow[0][c] = 0
			if src := rows - 1 - shifts[c]; src < ks[t] && c < ns[t] {
				shadow[0][c] = tiles[t].W[src][c]
			}
			if shifts[c]++; shifts[c] == rows {
				for r := range rows {
					shadowTile[r][c] = t
				}
				loading[c] = -1
				nextLoad[c]++
			}
		}

		if !inFlight && !loadingAny && started == len(tiles) {
			// Nothing moved in this cycle: the run ended with the previous one.
			tr.Idle -= int64(rows) * int64(cols)
			tr.Cycles = cycle
			return tr, nil
		}
		in, nextIn = nextIn, in
		sum, nextSum = nextSum, sum
		inTag, nextInTag = nextInTag, inTag
		sumTag, nextSumTag = nextSumTag, sumTag
	}
}

// checkOperands validates one tile's shapes and returns k, n and M.
func checkOperands(rows, cols int, op Operands) (k, n, m int, err error) {
	k = len(op.W)
	if k == 0 || k > rows {
		return 0, 0, 0, fmt.Errorf("weight tile has %d rows, want 1..%d", k, rows)
	}
	n = len(op.W[0])
	if n == 0 || n > cols {
		return 0, 0, 0, fmt.Errorf("weight tile has %d columns, want 1..%d", n, cols)
	}
	for r, row := range op.W {
		if len(row) != n {
			return 0, 0, 0, fmt.Errorf("weight row %d has %d columns, want %d", r, len(row), n)
		}
	}
	if len(op.X) == 0 {
		return 0, 0, 0, fmt.Errorf("input slice has no rows")
	}
	for i, row := range op.X {
		if len(row) != k {
			return 0, 0, 0, fmt.Errorf("input row %d has %d elements, want %d", i, len(row), k)
		}
	}
	return k, n, len(op.X), nil
}

// empty says whether no value held in the registers stays in the array for another cycle: inputs
// leave past the last column and partial sums past the last row.
func empty(inTag, sumTag [][]tag) bool {
	for r := range inTag {
		for c := range inTag[r] {
			if (c+1 < len(inTag[r]) && inTag[r][c].t >= 0) || (r+1 < len(inTag) && sumTag[r][c].t >= 0) {
				return false
			}
		}
	}
	return true
}

// allColumnsHold says whether every shadow register of a PE row holds tile t.
func allColumnsHold(row []int, t int) bool {
	for _, v := range row {
		if v != t {
			return false
		}
	}
	return true
}

// columnFree says whether no PE of column c still waits to take a weight from its shadow.
func columnFree(shadowTile [][]int, c int) bool {
	for r := range shadowTile {
		if shadowTile[r][c] >= 0 {
			return false
		}
	}
	return true
}

func newGrid(rows, cols int) [][]float64 {
	g := make([][]float64, rows)
	for r := range g {
		g[r] = make([]float64, cols)
	}
	return g
}

func newInts(rows, cols, v int) [][]int {
	g := make([][]int, rows)
	for r := range g {
		g[r] = make([]int, cols)
		for c := range g[r] {
			g[r][c] = v
		}
	}
	return g
}

func newTags(rows, cols int) [][]tag {
	g := make([][]tag, rows)
	for r := range g {
		g[r] = make([]tag, cols)
		for c := range g[r] {
			g[r][c] = noTag
		}
	}
	return g
}
