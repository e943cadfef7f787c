package cost

import (
	"math"
	"testing"
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
