//go:build !amd64

package engine

import "github.com/gomlx/gomlx/backends"

// EnvNoSIMD is accepted everywhere; off amd64 there are no SIMD loops to turn off.
const EnvNoSIMD = "UBOOST_NOSIMD"

const useAVX2 = false

// fmaVec sets dst[i] += a[i]·b[i] for every i < len(dst); a and b must be at least as long.
func fmaVec(dst, a, b []float32) { fmaVecGo(dst, a[:len(dst)], b[:len(dst)]) }

// mulAddVec sets dst[i] = x[i]·m[i] + c[i] for every i < len(dst).
func mulAddVec(dst, x, m, c []float32) {
	mulAddVecGo(dst, x[:len(dst)], m[:len(dst)], c[:len(dst)])
}

func hasAVX512() bool { return false }

// axpy4 sets cR[j] += aR·b[j] for the four rows and every j < len(c0).
func axpy4(c0, c1, c2, c3, b []float32, a0, a1, a2, a3 float32) {
	axpy4Go(c0, c1, c2, c3, b, a0, a1, a2, a3)
}

func vvSIMD(backends.OpType, []float32, []float32, []float32) bool { return false }

func vsSIMD(backends.OpType, []float32, []float32, float32, bool) bool { return false }

func affineRowsSIMD(_, _, _, _, _, _ []float32, _, _, _ int) bool { return false }

func momentsSIMD(_, _, _ []float32, _, _, _ int, _, _ []float64) int { return 0 }

func maxVSSIMD(_, _ []float32, _ float32) int { return 0 }

func selectGESIMD(_, _, _ []float32, _, _ float32) int { return 0 }
