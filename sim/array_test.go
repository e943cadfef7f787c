package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/uboost/uboost/accel"
)

// TestRunTilesOneTile runs single tiles register by register and checks the product, the length
// R + (M + R + C − 2) (an R-cycle load, then a fold whose last sum leaves column C−1 at fold cycle
// (M−1)+(R−1)+(C−1)) and the PE-cycle classes against the closed forms Simulate adds per tile.
func TestRunTilesOneTile(t *testing.T) {
	cases := []struct {
		name             string
		rows, cols, m, k int
		n                int
	}{
		// The 3×2·2×2 product on 2×2: load 2 + fold 3 + 2 + 2 − 2 = 5: 7 cycles.
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
			w, x := randMatrix(rng, tc.k, tc.n), randMatrix(rng, tc.m, tc.k)
			tr, err := RunTiles(tc.rows, tc.cols, []Operands{{w, x}}, accel.DoubleBuffer, false)
			if err != nil {
				t.Fatal(err)
			}
			checkProduct(t, tr.Out[0], x, w)
			R, C, M, k, n := int64(tc.rows), int64(tc.cols), int64(tc.m), int64(tc.k), int64(tc.n)
			if want := R + M + R + C - 2; tr.Cycles != want {
				t.Errorf("%d cycles, want R + M+R+C−2 = %d", tr.Cycles, want)
			}
			if tr.Starts[0] != R {
				t.Errorf("fold started at %d, want after the R = %d load cycles", tr.Starts[0], R)
			}
			if tr.Active != M*k*n || tr.UnusedRows != M*(R-k)*C || tr.UnusedCols != M*k*(C-n) {
				t.Errorf("active %d, unused rows %d, cols %d; want %d, %d, %d", tr.Active, tr.UnusedRows, tr.UnusedCols, M*k*n, M*(R-k)*C, M*k*(C-n))
			}
			// Idle: the R load cycles and the R+C−2 skew cycles of every PE.
			if want := (R + R + C - 2) * R * C; tr.Idle != want {
				t.Errorf("idle %d PE-cycles, want %d", tr.Idle, want)
			}
		})
	}
}

// TestRunTilesMatchesSimulate cuts random GEMMs into tiles in Simulate's order, runs them register by
// register under every buffering, and checks that the partial sums add up to the product and that the
// cycles and PE-cycle classes are exactly what Simulate counts with ideal memory on one array — so the
// closed-form fold, the load overlap and the overlapping-fold spacing max(M, 2R−1) all follow from the
// mechanics.
func TestRunTilesMatchesSimulate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	trials := 60
	if testing.Short() {
		trials = 15
	}
	for trial := range trials {
		R, C := 1+rng.IntN(5), 1+rng.IntN(5)
		M, K, N := 1+rng.IntN(9), 1+rng.IntN(3*R), 1+rng.IntN(3*C)
		x, w := randMatrix(rng, M, K), randMatrix(rng, K, N)
		var tiles []Operands
		for j := 0; j < N; j += C {
			for i := 0; i < K; i += R {
				k, n := min(R, K-i), min(C, N-j)
				tw := make([][]float64, k)
				for r := range tw {
					tw[r] = w[i+r][j : j+n]
				}
				tx := make([][]float64, M)
				for m := range tx {
					tx[m] = x[m][i : i+k]
				}
				tiles = append(tiles, Operands{tw, tx})
			}
		}
		for _, buf := range []accel.Buffering{accel.DoubleBuffer, accel.SingleBuffer} {
			for _, overlap := range []bool{false, true} {
				name := fmt.Sprintf("trial %d: [%d×%d]·[%d×%d] on %dx%d %s overlap %v", trial, M, K, K, N, R, C, buf, overlap)
				tr, err := RunTiles(R, C, tiles, buf, overlap)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				// Add each column block's partial sums over its reduction tiles.
				y := make([][]float64, M)
				for m := range y {
					y[m] = make([]float64, N)
				}
				ti := 0
				for j := 0; j < N; j += C {
					for i := 0; i < K; i += R {
						for m := range M {
							for c, v := range tr.Out[ti][m] {
								y[m][j+c] += v
							}
						}
						ti++
					}
				}
				checkProduct(t, y, x, w)

				a := accel.New(R, C).WithBatch(M).Buffer(buf)
				fc := accel.Layer{Name: "fc", Op: accel.Dense, InH: 1, InW: 1, InC: K, OutH: 1, OutW: 1, OutC: N}
				res, err := Simulate(a, []accel.Layer{fc}, Options{IdealMemory: true, OverlapFolds: overlap})
				if err != nil {
					t.Fatal(err)
				}
				l := res.Layers[0]
				if tr.Cycles != l.Cycles {
					t.Errorf("%s: registers take %d cycles, Simulate says %d", name, tr.Cycles, l.Cycles)
				}
				b := l.Breakdown
				if tr.Active != b.Active || tr.UnusedRows != b.UnusedRows || tr.UnusedCols != b.UnusedCols ||
					tr.Idle != b.FillDrain+b.WeightStall+b.MemoryStall {
					t.Errorf("%s: registers %d/%d/%d/%d (active/unused rows/cols/idle), Simulate %+v", name, tr.Active, tr.UnusedRows, tr.UnusedCols, tr.Idle, b)
				}
			}
		}
	}
}

func TestRunTilesRejectsBadShapes(t *testing.T) {
	ok := [][]float64{{1, 2}, {3, 4}}
	for _, tc := range []struct {
		name       string
		rows, cols int
		w, x       [][]float64
		buf        accel.Buffering
	}{
		{"no array", 0, 2, ok, ok, accel.DoubleBuffer},
		{"too many weight rows", 1, 2, ok, ok, accel.DoubleBuffer},
		{"too many weight cols", 2, 1, ok, ok, accel.DoubleBuffer},
		{"ragged weights", 2, 2, [][]float64{{1, 2}, {3}}, ok, accel.DoubleBuffer},
		{"no inputs", 2, 2, ok, nil, accel.DoubleBuffer},
		{"short input row", 2, 2, ok, [][]float64{{1}}, accel.DoubleBuffer},
		{"unknown buffering", 2, 2, ok, ok, "triple"},
	} {
		if _, err := RunTiles(tc.rows, tc.cols, []Operands{{tc.w, tc.x}}, tc.buf, false); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func checkProduct(t *testing.T, got, x, w [][]float64) {
	t.Helper()
	for m := range got {
		for c := range got[m] {
			var want float64
			for r := range w {
				want += x[m][r] * w[r][c]
			}
			if d := got[m][c] - want; d > 1e-9 || d < -1e-9 {
				t.Fatalf("out[%d][%d] = %g, want %g", m, c, got[m][c], want)
			}
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
