package engine

import (
	"os"

	"golang.org/x/sys/cpu"
)

// EnvNoAVX512, when set to a non-empty value other than "0", keeps the AVX-512 kernels off on a CPU
// that has them: the tap convolutions, depthwise ones included, run their AVX2 kernels, and pooling
// and batch norm their AVX2 or Go loops — the path of a CPU without AVX-512, measurable on one with it.
const EnvNoAVX512 = "UBOOST_NOAVX512"

// The kernels in use, chosen at start-up (UBOOST_NOSIMD turns all of them off):
//   - avx512: the AVX-512 kernels — tap convolutions on 12×32 tiles, depthwise taps, 2×2 max
//     pooling, batch norm's 32-channel blocks;
//   - tapGemmAvailable: the tap-convolution kernels, AVX-512 or AVX2+FMA (6×16 GEMM tiles; the
//     depthwise 12×32 tiles as four blocks of 8 channels);
//   - tapRows, tapCols: its tile; tapPadB: B must have its columns padded to a multiple of tapCols
//     (the AVX2 kernel reads B unmasked).
var (
	avx512           bool
	tapGemmAvailable bool
	tapRows, tapCols int
	tapPadB          bool
)

func init() {
	off := os.Getenv(EnvNoAVX512)
	setTapKernels(useAVX2 && cpu.X86.HasAVX512F && (off == "" || off == "0"))
}

// setTapKernels selects the AVX-512 kernels (true) or the AVX2 ones (false, or no AVX2: none);
// plans made before keep the tiles they were made with only through tapRowsMax.
func setTapKernels(useAVX512 bool) {
	avx512 = useAVX512
	tapGemmAvailable = useAVX2
	tapRows, tapCols, tapPadB = 6, 16, true
	if avx512 {
		tapRows, tapCols, tapPadB = 12, 32, false
	}
}

// laneMasks holds the AVX2 kernels' column masks: &laneMasks[16−n] is the mask of n ≤ 16 columns.
var laneMasks = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

// tapGemm computes one tile C[r, col] (+)= Σ_taps Σ_k A[taps[t] + r·lda + k·kstep]·B[k', col] for
// r < tapRows and the first min(cols, tapCols) columns, k' counting the contraction over all taps
// (run per tap). a points at the tile's first row; strides in floats, tap offsets in bytes. The
// caller guarantees that every address read or written is inside its buffers (with tapPadB, that B
// has tapCols columns from b on).
func tapGemm(a *float32, taps []int, run, lda, kstep int, b []float32, ldb int, c []float32, ldc int,
	cols int, accumulate bool) {
	acc := boolInt(accumulate)
	if avx512 {
		m0, m1 := tapMasks(cols)
		tapGemm12x32AVX512(a, &taps[0], len(taps), run, lda*4, kstep*4, &b[0], ldb*4, &c[0], ldc*4, m0, m1, acc)
		return
	}
	tapGemm6x16AVX2(a, &taps[0], len(taps), run, lda*4, kstep*4, &b[0], ldb*4, &c[0], ldc*4, &laneMasks[16-min(cols, 16)], acc)
}

// tapGemmRows is tapGemm for a tile whose rows start anywhere: row i reads A at a + rowOffs[i]
// (bytes) + tap + k (contiguous runs of run floats per tap), so the tile can hold exactly the
// outputs that exist, and its rows are written ldc floats apart.
func tapGemmRows(a *float32, rowOffs []int, taps []int, run int, b []float32, ldb int, c []float32, ldc int, cols int) {
	_ = rowOffs[tapRows-1]
	if avx512 {
		m0, m1 := tapMasks(cols)
		tapGemmRows12x32AVX512(a, &rowOffs[0], &taps[0], len(taps), run, &b[0], ldb*4, &c[0], ldc*4, m0, m1)
		return
	}
	tapGemmRows6x16AVX2(a, &rowOffs[0], &taps[0], len(taps), run, &b[0], ldb*4, &c[0], ldc*4, &laneMasks[16-min(cols, 16)])
}

// tapDepthwise computes one 12×32 depthwise tile C[r, ch] = Σ_taps A[taps[t] + r·lda + ch]·W[t, ch]
// for its first min(cols, 32) channels; a starts at the tile's first row and first channel, w at the
// first tap's weights for that channel, the next tap's wstride floats on; strides in floats, tap
// offsets in bytes. With AVX2 the tile is four blocks of 8 channels.
func tapDepthwise(a []float32, taps []int, lda int, w []float32, wstride int, c []float32, ldc, cols int) {
	if avx512 {
		m0, m1 := tapMasks(cols)
		tapDepthwise12x32AVX512(&a[0], &taps[0], len(taps), lda*4, &w[0], wstride*4, &c[0], ldc*4, m0, m1)
		return
	}
	for ch := 0; ch < min(cols, dwCols); ch += 8 {
		n := min(cols-ch, 8)
		tapDepthwise12x8AVX2(&a[ch], &taps[0], len(taps), lda*4, &w[ch], wstride*4, &c[ch], ldc*4, &laneMasks[16-n], boolInt(n == 8))
	}
}

// tapDot sets (or with accumulate, adds to) dst[ch] the sum over r < rows of p[r·stride + ch]·
// g[r·stride + ch] for its first min(cols, 32) channels; stride in floats. With AVX2, in blocks of 8.
func tapDot(p, g []float32, rows, stride int, dst []float32, cols int, accumulate bool) {
	if avx512 {
		m0, m1 := tapMasks(cols)
		tapDot32AVX512(&p[0], &g[0], rows, stride*4, &dst[0], m0, m1, boolInt(accumulate))
		return
	}
	for ch := 0; ch < min(cols, dwCols); ch += 8 {
		n := min(cols-ch, 8)
		tapDot8AVX2(&p[ch], &g[ch], rows, stride*4, &dst[ch], &laneMasks[16-n], boolInt(n == 8), boolInt(accumulate))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

//go:noescape
func tapGemm12x32AVX512(a *float32, taps *int, ntaps, kpt, lda, kstep int, b *float32, ldb int,
	c *float32, ldc int, mask0, mask1 uint16, accumulate int)

//go:noescape
func tapGemmRows12x32AVX512(a *float32, rowOffs *int, taps *int, ntaps, kpt int, b *float32, ldb int,
	c *float32, ldc int, mask0, mask1 uint16)

//go:noescape
func tapDepthwise12x32AVX512(a *float32, taps *int, ntaps, lda int, w *float32, wstride int,
	c *float32, ldc int, mask0, mask1 uint16)

//go:noescape
func tapDot32AVX512(p, q *float32, rows, stride int, dst *float32, mask0, mask1 uint16, accumulate int)

//go:noescape
func tapDepthwise12x8AVX2(a *float32, taps *int, ntaps, lda int, w *float32, wstride int,
	c *float32, ldc int, mask *int32, full int)

//go:noescape
func tapDot8AVX2(p, q *float32, rows, stride int, dst *float32, mask *int32, full, accumulate int)

//go:noescape
func tapGemmRows6x16AVX2(a *float32, rowOffs *int, taps *int, ntaps, kpt int, b *float32, ldb int,
	c *float32, ldc int, mask *int32)

//go:noescape
func tapGemm6x16AVX2(a *float32, taps *int, ntaps, kpt, lda, kstep int, b *float32, ldb int,
	c *float32, ldc int, mask *int32, accumulate int)
