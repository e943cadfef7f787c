package sim

import (
	"math/rand/v2"
	"testing"
)

// TestRunTileProduct runs tiles register by register and checks the products, the load and fold
// lengths (R and M + R + C − 2, the convention Simulate uses in closed form) and the PE-cycle
// breakdown against the closed-form parts Simulate adds per tile.
func TestRunTileProduct(t *testing.T) {
	cases := []struct {
		name             string
		rows, cols, m, k int
		n                int
	}{
		// The 3×2·2×2 product on 2×2: fold = 3 + 2 + 2 − 2 = 5 (last output leaves column 1 at
		// cycle (3−1)+(2−1)+(2−1) = 4, counted from 0).
		{"2x2 full", 2, 2, 3, 2, 2},
		// One of two rows used: the second row passes the sums down with zero weights.
		{"2x2 unused row", 2, 2, 3, 1, 2},
		{"4x3 partial rows and cols", 4, 3, 5, 3, 2},
		{"8x8 one input row", 8, 8, 1, 8, 8},
		{"5x7 depthwise-like column", 5, 7, 9, 5, 1},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := randMatrix(rng, tc.k, tc.n)
			x := randMatrix(rng, tc.m, tc.k)
			tr, err := RunTile(tc.rows, tc.cols, w, x)
			if err != nil {
				t.Fatal(err)
			}
			for m := range tc.m {
				for c := range tc.n {
					var want float64
					for r := range tc.k {
						want += x[m][r] * w[r][c]
					}
					if d := tr.Out[m][c] - want; d > 1e-12 || d < -1e-12 {
						t.Errorf("out[%d][%d] = %g, want %g", m, c, tr.Out[m][c], want)
					}
				}
			}
			R, C, M, k, n := int64(tc.rows), int64(tc.cols), int64(tc.m), int64(tc.k), int64(tc.n)
			if tr.LoadCycles != R {
				t.Errorf("load = %d cycles, want R = %d", tr.LoadCycles, R)
			}
			if want := M + R + C - 2; tr.FoldCycles != want {
				t.Errorf("fold = %d cycles, want M+R+C-2 = %d", tr.FoldCycles, want)
			}
			want := Breakdown{
				Active:      M * k * n,
				WeightStall: R * R * C,
				FillDrain:   (R + C - 2) * R * C,
				UnusedRows:  M * (R - k) * C,
				UnusedCols:  M * k * (C - n),
			}
			if tr.Breakdown != want {
				t.Errorf("breakdown = %+v, want %+v", tr.Breakdown, want)
			}
			if got, total := tr.Breakdown.Sum(), R*C*(tr.LoadCycles+tr.FoldCycles); got != total {
				t.Errorf("breakdown sums to %d, want R·C·cycles = %d", got, total)
			}
		})
	}
}

func TestRunTileRejectsBadShapes(t *testing.T) {
	ok := [][]float64{{1, 2}, {3, 4}}
	for _, tc := range []struct {
		name       string
		rows, cols int
		w, x       [][]float64
	}{
		{"no array", 0, 2, ok, ok},
		{"too many weight rows", 1, 2, ok, ok},
		{"too many weight cols", 2, 1, ok, ok},
		{"ragged weights", 2, 2, [][]float64{{1, 2}, {3}}, ok},
		{"no inputs", 2, 2, ok, nil},
		{"short input row", 2, 2, ok, [][]float64{{1}}},
	} {
		if _, err := RunTile(tc.rows, tc.cols, tc.w, tc.x); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func randMatrix(rng *rand.Rand, rows, cols int) [][]float64 {
	m := make([][]float64, rows)
	for i := range m {
		m[i] = make([]float64, cols)
		for j := range m[i] {
			m[i][j] = rng.Float64()*2 - 1
		}
	}
	return m
}
