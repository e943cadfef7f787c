package engine

import (
	"math"
	"testing"
)

// TestVectorLoops checks the SIMD loops (when the CPU has them) against the Go loops for every
// length up to 70, which covers the 32-, 8- and 1-wide parts of the assembly.
func TestVectorLoops(t *testing.T) {
	t.Logf("AVX2+FMA in use: %v", useAVX2)
	for n := 0; n <= 70; n++ {
		a, b, c := randSlice(n+3), randSlice(n+5), randSlice(n+1)
		d1 := randSlice(n)
		d2 := append([]float32(nil), d1...)
		fmaVec(d1, a, b)
		fmaVecGo(d2, a, b)
		for i := range d1 {
			if math.Abs(float64(d1[i]-d2[i])) > 1e-6 {
				t.Fatalf("fmaVec n=%d i=%d: %g vs %g", n, i, d1[i], d2[i])
			}
		}
		mulAddVec(d1, a, b, c)
		mulAddVecGo(d2, a, b, c)
		for i := range d1 {
			if math.Abs(float64(d1[i]-d2[i])) > 1e-6 {
				t.Fatalf("mulAddVec n=%d i=%d: %g vs %g", n, i, d1[i], d2[i])
			}
		}
	}
}
