package engine

import (
	"math"
	"os"

	"github.com/gomlx/gomlx/backends"
	"golang.org/x/sys/cpu"
)

// EnvNoSIMD, when set to a non-empty value other than "0", keeps the AVX2 loops off (tests use
// it to cover the pure-Go loops on machines that have AVX2).
const EnvNoSIMD = "UBOOST_NOSIMD"

// useAVX2 selects the AVX2+FMA versions of the vector loops of depthwise convolution, batch norm
// and the pure-Go GEMM: Go does not vectorize, and these loops are compute-bound.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && (os.Getenv(EnvNoSIMD) == "" || os.Getenv(EnvNoSIMD) == "0")

//go:noescape
func fmaVecAVX2(dst, a, b []float32)

//go:noescape
func mulAddVecAVX2(dst, x, m, c []float32)

// fmaVec sets dst[i] += a[i]·b[i] for every i < len(dst); a and b must be at least as long.
func fmaVec(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if useAVX2 {
		fmaVecAVX2(dst, a, b)
		return
	}
	fmaVecGo(dst, a, b)
}

// mulAddVec sets dst[i] = x[i]·m[i] + c[i] for every i < len(dst).
func mulAddVec(dst, x, m, c []float32) {
	x, m, c = x[:len(dst)], m[:len(dst)], c[:len(dst)]
	if useAVX2 {
		mulAddVecAVX2(dst, x, m, c)
		return
	}
	mulAddVecGo(dst, x, m, c)
}

// hasAVX512 reports the AVX-512 subsets OpenBLAS's SkylakeX kernels use.
func hasAVX512() bool {
	x := cpu.X86
	return x.HasAVX512F && x.HasAVX512CD && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL
}

//go:noescape
func axpy4AVX2(c0, c1, c2, c3, b []float32, a0, a1, a2, a3 float32)

// axpy4 sets cR[j] += aR·b[j] for the four rows and every j < len(c0); c1..c3 and b must be at
// least as long as c0.
func axpy4(c0, c1, c2, c3, b []float32, a0, a1, a2, a3 float32) {
	n := len(c0)
	c1, c2, c3, b = c1[:n], c2[:n], c3[:n], b[:n]
	if useAVX2 {
		axpy4AVX2(c0, c1, c2, c3, b, a0, a1, a2, a3)
		return
	}
	axpy4Go(c0, c1, c2, c3, b, a0, a1, a2, a3)
}

// Element-wise float32 loops (binary_amd64.s); o, l, r as in applyVV and applyVS.

//go:noescape
func addVVAVX2(o, l, r []float32)

//go:noescape
func subVVAVX2(o, l, r []float32)

//go:noescape
func mulVVAVX2(o, l, r []float32)

//go:noescape
func addVSAVX2(o, v []float32, s float32)

//go:noescape
func subVSAVX2(o, v []float32, s float32)

//go:noescape
func mulVSAVX2(o, v []float32, s float32)

// vvSIMD computes o = l op r with the AVX2 loops when they are on and cover op (Add, Sub, Mul),
// reporting whether it did.
func vvSIMD(op backends.OpType, o, l, r []float32) bool {
	if !useAVX2 {
		return false
	}
	switch op {
	case backends.OpTypeAdd:
		addVVAVX2(o, l, r)
	case backends.OpTypeSub:
		subVVAVX2(o, l, r)
	case backends.OpTypeMul:
		mulVVAVX2(o, l, r)
	default:
		return false
	}
	return true
}

// vsSIMD computes o = v op s (s op v when swapped) with the AVX2 loops when they are on and cover
// the case, reporting whether it did.
func vsSIMD(op backends.OpType, o, v []float32, s float32, swapped bool) bool {
	if !useAVX2 {
		return false
	}
	switch {
	case op == backends.OpTypeAdd:
		addVSAVX2(o, v, s)
	case op == backends.OpTypeMul:
		mulVSAVX2(o, v, s)
	case op == backends.OpTypeSub && !swapped:
		subVSAVX2(o, v, s)
	default:
		return false
	}
	return true
}

//go:noescape
func momentsAVX2(x []float32, stride, rows int, a, b *[8]float64)

//go:noescape
func momentsGradAVX2(x, g []float32, mean *[8]float32, stride, rows int, a, b *[8]float64)

// momentsSIMD adds to a and b the channel sums of channelMoments for rows [lo, hi) of
// channels-last data with c channels — 32 channels per pass over the rows with AVX-512, else 8 —
// and returns how many leading channels it covered (0 without AVX2).
func momentsSIMD(x, g, mean []float32, lo, hi, c int, a, b []float64) int {
	if !useAVX2 || hi <= lo || (c < 8 && !avx512) {
		return 0
	}
	c8 := c &^ 7
	n := (hi - lo) * c
	x = x[lo*c : lo*c+n]
	if g != nil {
		g = g[lo*c : lo*c+n]
	}
	if avx512 { // blocks of 32 channels, the last one masked
		for ch := 0; ch < c; ch += 32 {
			mask := uint32(1)<<min(32, c-ch) - 1
			if c-ch >= 32 {
				mask = ^uint32(0)
			}
			if g == nil {
				moments32AVX512(&x[ch], c, hi-lo, &a[ch], &b[ch], mask)
			} else {
				momentsGrad32AVX512(&x[ch], &g[ch], &mean[ch], c, hi-lo, &a[ch], &b[ch], mask)
			}
		}
		return c
	}
	for ch := 0; ch < c8; ch += 8 {
		aa, bb := (*[8]float64)(a[ch:ch+8]), (*[8]float64)(b[ch:ch+8])
		if g == nil {
			momentsAVX2(x[ch:], c, hi-lo, aa, bb)
		} else {
			momentsGradAVX2(x[ch:], g[ch:], (*[8]float32)(mean[ch:ch+8]), c, hi-lo, aa, bb)
		}
	}
	return c8
}

// affineRowsSIMD is channelAffine's channels-last rows [lo, hi) with AVX-512, 32 channels per pass
// over the rows; false (nothing done) without AVX-512.
func affineRowsSIMD(out, x, g, mul, add, sub []float32, lo, hi, c int) bool {
	if !avx512 || hi <= lo || c == 0 {
		return false
	}
	var gp *float32
	for ch := 0; ch < c; ch += 32 {
		mask := ^uint32(0)
		if c-ch < 32 {
			mask = uint32(1)<<(c-ch) - 1
		}
		bp := &add[ch] // read but unused by the forward form, which has no sub
		if g != nil {
			gp, bp = &g[lo*c+ch], &sub[ch]
		}
		affine32AVX512(&out[lo*c+ch], &x[lo*c+ch], gp, c, hi-lo, &mul[ch], &add[ch], bp, mask)
	}
	return true
}

//go:noescape
func affine32AVX512(dst, x, grad *float32, stride, rows int, m, a, b *float32, mask uint32)

//go:noescape
func moments32AVX512(x *float32, stride, rows int, a, b *float64, mask uint32)

//go:noescape
func momentsGrad32AVX512(x, grad, mean *float32, stride, rows int, a, b *float64, mask uint32)

//go:noescape
func maxVSAVX2(o, v []float32, s float32)

//go:noescape
func selectGEAVX2(o, x, t []float32, s, f float32)

// maxVSSIMD sets o[i] = max(v[i], s) for the leading multiple of 8 elements with AVX2 and
// returns how many it did: none without AVX2, or when s is NaN or −0 (where VMAXPS and Go's max
// differ).
func maxVSSIMD(o, v []float32, s float32) int {
	if !useAVX2 || s != s || (s == 0 && math.Signbit(float64(s))) {
		return 0
	}
	n := len(o) &^ 7
	maxVSAVX2(o[:n], v[:n], s)
	return n
}

// selectGESIMD sets o[i] = x[i] >= s ? t[i] : f for the leading multiple of 8 elements with AVX2
// and returns how many it did (none without AVX2).
func selectGESIMD(o, x, t []float32, s, f float32) int {
	if !useAVX2 {
		return 0
	}
	n := len(o) &^ 7
	selectGEAVX2(o[:n], x[:n], t[:n], s, f)
	return n
}
