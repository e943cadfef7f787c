package engine

import (
	"fmt"
	"math"
	"testing"
)

// naiveGemm is the definition: C[i,j] = alpha·Σ_k opA[i,k]·opB[k,j] + beta·C[i,j].
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for kk := range k {
				av := a[i*lda+kk]
				if transA {
					av = a[kk*lda+i]
				}
				bv := b[kk*ldb+j]
				if transB {
					bv = b[j*ldb+kk]
				}
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = alpha*float32(s) + beta*c[i*ldc+j]
		}
	}
}

// TestSgemm checks sgemm (OpenBLAS if loaded, else pure Go, split across threads) and the pure-Go
// kernel against the definition for every transpose combination, tall, wide and tiny shapes,
// padded leading dimensions, and alpha/beta.
func TestSgemm(t *testing.T) {
	loaded, lib := BLAS()
	t.Logf("OpenBLAS loaded: %v %s", loaded, lib)
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {300, 4, 9}, {5, 300, 17}, {130, 130, 64}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d/ta=%v/tb=%v", m, n, k, ta, tb)
				lda, ldb, ldc := k+2, n+1, n+3
				if ta {
					lda = m + 2
				}
				if tb {
					ldb = k + 1
				}
				a, b := randSlice(max(m, k)*lda), randSlice(max(k, n)*ldb)
				c0 := randSlice(m * ldc)
				want := append([]float32(nil), c0...)
				naiveGemm(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 0.25, want, ldc)
				for _, impl := range []struct {
					name string
					fn   func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int)
				}{{"sgemm", sgemm}, {"go", gemmGo}} {
					got := append([]float32(nil), c0...)
					impl.fn(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 0.25, got, ldc)
					for i := range m {
						for j := range n {
							if d := math.Abs(float64(got[i*ldc+j] - want[i*ldc+j])); d > 1e-4*(1+math.Abs(float64(want[i*ldc+j]))) {
								t.Fatalf("%s %s: C[%d,%d] = %g, want %g", impl.name, name, i, j, got[i*ldc+j], want[i*ldc+j])
							}
						}
						// Padding columns untouched.
						for j := n; j < ldc && i*ldc+j < len(got); j++ {
							if got[i*ldc+j] != c0[i*ldc+j] {
								t.Fatalf("%s %s: wrote padding C[%d,%d]", impl.name, name, i, j)
							}
						}
					}
				}
			}
		}
	}
}
