package sim

import "fmt"

// TileTrace is what RunTile saw while one weight tile went through an array register by register.
type TileTrace struct {
	// Out holds the M×n dot products that left the bottom of the first n columns.
	Out [][]float64
	// LoadCycles is the cycles spent shifting the weights in (one PE row per cycle).
	LoadCycles int64
	// FoldCycles counts the cycles from the first input entering the array to the last partial sum
	// leaving it, both included.
	FoldCycles int64
	// Breakdown classifies every PE-cycle of the load and the fold (R·C·(LoadCycles+FoldCycles)).
	Breakdown Breakdown
}

// RunTile executes one weight tile on a rows×cols weight-stationary array cycle by cycle, moving every
// value through the PE registers, as a check of the tile timing Simulate uses in closed form.
//
// w is the k×n weight tile (k ≤ rows of the reduction dimension, n ≤ cols outputs), x the M×k input
// slice. The weights are shifted in from the top edge, one PE row per cycle, so row r of w reaches PE
// row r after rows cycles; PEs outside the tile hold zero weights. Then input row m enters PE row r
// from the left edge at fold cycle m+r (the systolic skew; rows past k carry zeros), moves one column
// right per cycle, and each PE adds weight·input to the partial sum coming from above and passes it
// down. The sum for (m, c) leaves the bottom of column c at fold cycle m+(rows−1)+c.
//
// Each fold PE-cycle is classified by what the PE held: a real operand pair is active; an input
// wavefront in a row past k is unused_rows, in a column past n unused_cols; no wavefront at all is
// fill_drain. Load cycles are weight_stall.
func RunTile(rows, cols int, w, x [][]float64) (*TileTrace, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("array %dx%d: want positive rows and columns", rows, cols)
	}
	k := len(w)
	if k == 0 || k > rows {
		return nil, fmt.Errorf("weight tile has %d rows, want 1..%d", k, rows)
	}
	n := len(w[0])
	if n == 0 || n > cols {
		return nil, fmt.Errorf("weight tile has %d columns, want 1..%d", n, cols)
	}
	for r, row := range w {
		if len(row) != n {
			return nil, fmt.Errorf("weight row %d has %d columns, want %d", r, len(row), n)
		}
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("input slice has no rows")
	}
	for m, row := range x {
		if len(row) != k {
			return nil, fmt.Errorf("input row %d has %d elements, want %d", m, len(row), k)
		}
	}
	M := len(x)
	tr := &TileTrace{Out: make([][]float64, M)}
	for m := range tr.Out {
		tr.Out[m] = make([]float64, n)
	}
	pes := int64(rows) * int64(cols)

	// Weight load: every cycle each PE row takes the shadow weights of the row above, and the top row
	// takes the next weight row from the buffer, last row first.
	weight := newGrid(rows, cols)
	for s := 0; s < rows; s++ {
		for r := rows - 1; r > 0; r-- {
			copy(weight[r], weight[r-1])
		}
		src := rows - 1 - s
		for c := range cols {
			weight[0][c] = 0
			if src < k && c < n {
				weight[0][c] = w[src][c]
			}
		}
		tr.LoadCycles++
		tr.Breakdown.WeightStall += pes
	}

	// Fold: each PE has an input register (moving right) and a partial-sum register (moving down),
	// each tagged with the input row m it belongs to (-1: empty).
	in, sum := newGrid(rows, cols), newGrid(rows, cols)
	inTag, sumTag := newTags(rows, cols), newTags(rows, cols)
	nextIn, nextSum := newGrid(rows, cols), newGrid(rows, cols)
	nextInTag, nextSumTag := newTags(rows, cols), newTags(rows, cols)
	for t := 0; ; t++ {
		wavefront := false
		for r := range rows {
			for c := range cols {
				// Input from the left neighbour, or injected at the left edge with the skew.
				var v float64
				tag := -1
				if c == 0 {
					if m := t - r; m >= 0 && m < M {
						tag = m
						if r < k {
							v = x[m][r]
						}
					}
				} else {
					v, tag = in[r][c-1], inTag[r][c-1]
				}
				// Partial sum from the PE above; the top row starts each sum at zero.
				var acc float64
				accTag := tag
				if r > 0 {
					acc, accTag = sum[r-1][c], sumTag[r-1][c]
				}
				if accTag != tag {
					return nil, fmt.Errorf("PE (%d,%d) at fold cycle %d: input of row %d met partial sum of row %d", r, c, t, tag, accTag)
				}
				nextIn[r][c], nextInTag[r][c] = v, tag
				nextSumTag[r][c] = tag
				nextSum[r][c] = 0
				switch {
				case tag < 0:
					tr.Breakdown.FillDrain++
					continue
				case r >= k:
					tr.Breakdown.UnusedRows++
				case c >= n:
					tr.Breakdown.UnusedCols++
				default:
					tr.Breakdown.Active++
				}
				wavefront = true
				nextSum[r][c] = acc + weight[r][c]*v
				if r == rows-1 && c < n {
					tr.Out[tag][c] = nextSum[r][c]
				}
			}
		}
		if !wavefront {
			// This cycle found the array empty: the fold ended with the previous one, whose PE-cycles
			// must not be counted.
			tr.Breakdown.FillDrain -= pes
			break
		}
		tr.FoldCycles++
		in, nextIn = nextIn, in
		sum, nextSum = nextSum, sum
		inTag, nextInTag = nextInTag, inTag
		sumTag, nextSumTag = nextSumTag, sumTag
	}
	return tr, nil
}

func newGrid(rows, cols int) [][]float64 {
	g := make([][]float64, rows)
	for r := range g {
		g[r] = make([]float64, cols)
	}
	return g
}

func newTags(rows, cols int) [][]int {
	g := make([][]int, rows)
	for r := range g {
		g[r] = make([]int, cols)
		for c := range g[r] {
			g[r][c] = -1
		}
	}
	return g
}
