package cost

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/uboost/uboost/accel"
)

// paperReference is eq. 7 as the reference code writes it: all 300 clamped terms summed.
func paperReference(x float64) float64 {
	sum := 0.0
	for i := 0; i < paperSteps; i++ {
		z := math.Max(-2, math.Min(2, x-float64(i)))
		sum += math.Pow(1+math.Exp(-paperB*z)/paperC, -1/paperV)
	}
	return sum
}

func TestPaperCeilMatchesReferenceSum(t *testing.T) {
	for x := -1.5; x <= 40; x += 0.0137 {
		got, want := Ceil(Float{}, PaperCeil, x), paperReference(x)
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("paper ceil(%g) = %.15g, reference sum %.15g", x, got, want)
		}
	}
	// Values PAPER.md §1.4 tabulates (computed independently): ceil(9/128) ≈ 0.202, ceil(1) ≈ 1.028,
	// the midpoint of the second step at 1.1245 ≈ 1.5, ceil(2) ≈ 2.028.
	for _, c := range []struct{ x, want float64 }{{9.0 / 128, 0.202}, {1, 1.028}, {1.1245, 1.500}, {2, 2.028}, {0.5, 0.9995}} {
		if got := Ceil(Float{}, PaperCeil, c.x); math.Abs(got-c.want) > 6e-4 {
			t.Errorf("paper ceil(%g) = %.4f, want %.4f", c.x, got, c.want)
		}
	}
}

func TestTightCeilBounds(t *testing.T) {
	for x := 1e-6; x <= 8; x += 0.00731 {
		got := Ceil(Float{}, TightCeil, x)
		if got < math.Max(1, x)-1e-12 || got > math.Ceil(x)+1e-12 {
			t.Fatalf("tight ceil(%g) = %g, outside [max(1,x), ⌈x⌉] = [%g, %g]", x, got, math.Max(1, x), math.Ceil(x))
		}
	}
	for n := 1.0; n <= 8; n++ {
		if got := Ceil(Float{}, TightCeil, n); got != n {
			t.Errorf("tight ceil(%g) = %g, want exact", n, got)
		}
	}
	// 0.3 tiles above an integer the rise is complete to within e^(−0.3/0.05) = 0.0025 (documented).
	if got := Ceil(Float{}, TightCeil, 2.3); 3-got > 0.0025 {
		t.Errorf("tight ceil(2.3) = %g, want within 0.0025 of 3", got)
	}
	// Depthwise 3×3 on a 128-row array: exactly one tile, where the paper's form says 0.20.
	if got := Ceil(Float{}, TightCeil, 9.0/128); got != 1 {
		t.Errorf("tight ceil(9/128) = %g, want 1", got)
	}
}

// TestCheckTiles: the paper's ceiling counts up to 300 tiles a side (its steps w_i = 0…299), so a
// layer with 301 row tiles, or 301 column tiles, is refused, one with 300 is priced (at 300.03 tiles,
// the staircase's reading at an integer), and a depthwise product, one column whatever its N, is
// judged by its rows alone; the exact and tight ceilings count any number.
func TestCheckTiles(t *testing.T) {
	a := accel.New(32, 16)
	for _, c := range []struct {
		name    string
		d       Dims[float64]
		refused bool
	}{
		{"300 row tiles", Dims[float64]{M: 1, K: 300 * 32, N: 16, Count: 1}, false},
		{"301 row tiles", Dims[float64]{M: 1, K: 300*32 + 1, N: 16, Count: 1}, true},
		{"300 column tiles", Dims[float64]{M: 1, K: 32, N: 300 * 16, Count: 1}, false},
		{"301 column tiles", Dims[float64]{M: 1, K: 32, N: 300*16 + 1, Count: 1}, true},
		{"depthwise, one column", Dims[float64]{M: 1, K: 9, N: 1e6, Count: 1e6, OneColumn: true}, false},
	} {
		err := CheckTiles(PaperCeil, a, c.d)
		if c.refused != errors.Is(err, ErrBeyondCeiling) {
			t.Errorf("%s: paper ceiling: got %v, refused want %v", c.name, err, c.refused)
		}
		for _, other := range []Ceiling{ExactCeil, TightCeil} {
			if err := CheckTiles(other, a, c.d); err != nil {
				t.Errorf("%s: %s ceiling: %v", c.name, other, err)
			}
		}
	}
	// On several arrays the busiest array's share counts too: 600 depthwise products of one tile each
	// are 300 a piece on two arrays (priced) and 301 on two when there are 601 (refused).
	two := accel.New(32, 16).WithArrays(2)
	dw := func(n float64) Dims[float64] { return Dims[float64]{M: 1, K: 9, N: 1, Count: n, OneColumn: true} }
	if err := CheckTiles(PaperCeil, two, dw(600)); err != nil {
		t.Errorf("600 products on two arrays: %v", err)
	}
	if err := CheckTiles(PaperCeil, two, dw(601)); !errors.Is(err, ErrBeyondCeiling) || !strings.Contains(err.Error(), "301 tiles on the busiest of 2 arrays") {
		t.Errorf("601 products on two arrays: %v", err)
	}
	// At its limit the staircase still counts: 300 row tiles read 300 (its last step), one column tile
	// 1 + 1/36 (eq. 7 at an integer with a step above it), against the reference's 300-term sum.
	d := Dims[float64]{M: 1, K: 300 * 32, N: 16, Count: 1}
	want := paperReference(300) * paperReference(1)
	if got := Cycles(Float{}, KindSystolic, PaperCeil, a, d); math.Abs(got-want) > 1e-9 || math.Abs(want-300*(1+1.0/36)) > 1e-4 {
		t.Errorf("cycles at 300×1 tiles: %.9f, want %.9f (≈ 300·37/36)", got, want)
	}
	// The registry's model refuses the layer with its name in a one-line error.
	fc := accel.Layer{Name: "fc6", Op: accel.Dense, InH: 1, InW: 1, InC: 25088, OutH: 1, OutW: 1, OutC: 4096}
	m, _ := ByName("systolic-smooth-paper")
	if _, err := m.Estimate(accel.New(32, 32), []accel.Layer{fc}); !errors.Is(err, ErrBeyondCeiling) ||
		err.Error() != `layer "fc6": 784×128 weight tiles (GEMM 1×25088×4096 on 32x32): beyond its smooth ceiling's range (the paper ceiling counts up to 300 tiles)` {
		t.Errorf("fc6 on 32x32: %v", err)
	}
	if _, err := m.Estimate(accel.New(128, 128), []accel.Layer{fc}); err != nil {
		t.Errorf("fc6 on 128x128 (196×32 tiles): %v", err)
	}
}
